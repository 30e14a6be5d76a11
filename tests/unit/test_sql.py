"""Databases as a data source: reading tables and queries, on SQLite and a real PostgreSQL.

What may and may not run is in test_sql_guard.py (no database) and test_sql_attacks.py.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.data import open_table
from analytics.data.sql import DatabaseOptions, _read, list_tables, read_query, read_table
from analytics.errors import AnalyticsError

OPTIONS = DatabaseOptions()


def orders_frame(sample) -> pd.DataFrame:
    return sample.transactions.head(5000)


def fill(engine: sa.Engine, sample) -> None:
    orders = orders_frame(sample)
    orders.to_sql("orders", engine, index=False, if_exists="replace")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP VIEW IF EXISTS big_orders")
        conn.exec_driver_sql('CREATE VIEW big_orders AS SELECT * FROM orders WHERE "Quantity" > 10')


@pytest.fixture
def sqlite_engine(tmp_path, sample) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    fill(engine, sample)
    return engine


@pytest.fixture(scope="module")
def pg_engine(postgres_db, sample) -> sa.Engine:
    engine = sa.create_engine(postgres_db)
    fill(engine, sample)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS typed")
        conn.exec_driver_sql(
            "CREATE TABLE typed (id int, price numeric(10, 2), day date, note text, at timestamptz)"
        )
        conn.exec_driver_sql(
            "INSERT INTO typed VALUES (1, 3.50, '2025-01-02', 'a', '2025-01-02 10:00+00'),"
            " (2, 12.25, '2025-02-03', NULL, '2025-02-03 11:00+00')"
        )
        conn.exec_driver_sql("DROP SEQUENCE IF EXISTS counter")
        conn.exec_driver_sql("CREATE SEQUENCE counter")
    return engine


def assert_same_orders(table, sample) -> None:
    """The table from the database maps to the same dataset as the CSV export of the rows."""
    expected = orders_frame(sample)
    assert table.n_rows == len(expected)
    dataset = open_table(table).dataset
    assert dataset.kind == "transactions"
    assert dataset.frame["revenue"].sum() == pytest.approx(
        (expected["Quantity"] * expected["Price"]).sum()
    )
    assert dataset.frame["customer_id"].nunique() == expected["Customer ID"].nunique()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request) -> sa.Engine:
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


def test_tables_and_views_are_listed(engine):
    assert {"orders", "big_orders"} <= set(list_tables(engine))


def test_a_table_reads_into_the_same_dataset_as_its_export(engine, sample):
    table = read_table(engine, "orders")
    assert table.format == "sql" and table.source == "orders"
    assert_same_orders(table, sample)


def test_a_query_reads_its_result(engine, sample):
    table = read_query(
        engine, "SELECT * FROM orders WHERE \"Country\" = 'United Kingdom'", name="uk"
    )
    expected = orders_frame(sample)
    assert table.n_rows == (expected["Country"] == "United Kingdom").sum()
    assert set(table.frame["Country"]) == {"United Kingdom"}


def test_a_write_query_is_refused_and_changes_nothing(engine):
    with pytest.raises(AnalyticsError, match="starts with 'DELETE'"):
        read_query(engine, "DELETE FROM orders")
    with pytest.raises(AnalyticsError, match="MarketLens only reads"):
        read_query(engine, 'with x as (update orders set "Quantity" = 0 returning 1) select 1')
    # The second guard: a write sent past the check is refused by the database itself.
    with pytest.raises(AnalyticsError, match=r"would write|could not run the query"):
        _read(engine, 'DELETE FROM orders WHERE "Quantity" > 0', source="x", options=OPTIONS)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 5000


def test_postgres_stops_a_writing_function_in_a_select(pg_engine):
    with pytest.raises(AnalyticsError, match="changes a sequence"):
        read_query(pg_engine, "SELECT nextval('counter')")
    # Past the check, the read-only transaction stops it.
    with pytest.raises(AnalyticsError, match="would write"):
        _read(pg_engine, "SELECT nextval('counter')", source="x", options=OPTIONS)
    with pg_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT last_value FROM counter").scalar() == 1


def test_postgres_types_become_numbers_and_dates(pg_engine):
    frame = read_table(pg_engine, "typed").frame
    assert frame["price"].dtype == "float64" and frame["price"].tolist() == [3.5, 12.25]
    assert pd.api.types.is_datetime64_any_dtype(frame["day"])
    assert pd.api.types.is_datetime64_any_dtype(frame["at"])


def test_limits_and_errors_are_plain(engine):
    with pytest.raises(AnalyticsError, match="more than 100 rows"):
        read_query(engine, "select * from orders", options=DatabaseOptions(max_rows=100))
    with pytest.raises(AnalyticsError, match="no table or view called"):
        read_query(engine, "select * from no_such_table")
    with pytest.raises(AnalyticsError, match="could not run the query"):
        read_query(engine, "select no_such_column from orders")
    with pytest.raises(AnalyticsError, match="no table or view called"):
        read_table(engine, "no_such_table")
    with pytest.raises(AnalyticsError, match="no rows"):
        read_query(engine, 'select * from orders where "Quantity" > 10000000')


def test_an_unreachable_server_is_named_without_its_password(postgres_url):
    port = int(postgres_url.rsplit(":", 1)[1].split("/")[0])
    engine = sa.create_engine(
        f"postgresql+psycopg://someone:s3cret@127.0.0.1:{port + 1}/shop",
        connect_args={"connect_timeout": 3},
    )
    with pytest.raises(AnalyticsError, match="Could not reach the database") as caught:
        list_tables(engine)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)


def test_cli_writes_the_samples_as_a_sqlite_database(tmp_path, capsys):
    from analytics.__main__ import main

    target = tmp_path / "shop.sqlite"
    code = main(["sample", "--out", str(tmp_path), "--customers", "300", "--sqlite", str(target)])
    assert code == 0 and "sqlite" in capsys.readouterr().out
    engine = sa.create_engine(f"sqlite:///{target}")
    assert set(list_tables(engine)) == {"orders", "customers", "daily_revenue"}
    assert open_table(read_table(engine, "orders")).dataset.kind == "transactions"
    assert open_table(read_table(engine, "customers")).dataset.kind == "customers"
