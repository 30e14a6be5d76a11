"""AppTest: the Data page reads a table or a read-only query from the database named in
secrets.toml (SQLite and a real PostgreSQL); writes are refused and the data stays."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import ROOT, TIMEOUT, metric, no_exception, texts


def data_page(url: str | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if url is not None:
        at.secrets["connections"] = {"sql": {"url": url}}
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="w.source").set_value("Database").run()
    no_exception(at)
    return at


@pytest.fixture
def sqlite_url(tmp_path, sample) -> str:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    sample.transactions.head(4000).to_sql("orders", sa.create_engine(url), index=False)
    return url


@pytest.fixture(scope="module")
def postgres_shop(postgres_url, sample) -> str:
    engine = sa.create_engine(postgres_url)
    sample.transactions.head(4000).to_sql("orders", engine, index=False, if_exists="replace")
    return postgres_url


def read_table(at: AppTest, table: str) -> AppTest:
    at.radio(key="w.db.mode").set_value("A table").run()
    at.selectbox(key="w.db.table").set_value(table)
    next(b for b in at.button if b.label == "Read the table").click().run()
    no_exception(at)
    return at


def run_query(at: AppTest, query: str) -> AppTest:
    at.radio(key="w.db.mode").set_value("A query").run()
    at.text_area(key="w.db.query").set_value(query)
    next(b for b in at.button if b.label == "Run the query").click().run()
    no_exception(at)
    return at


def test_without_a_database_the_page_says_how_to_set_one_up():
    at = data_page(None)
    assert "secrets.toml" in texts(at) and "[connections.sql]" in texts(at)


@pytest.mark.parametrize("which", ["sqlite", "postgresql"])
def test_a_table_from_the_database_feeds_every_page(which, request):
    url = request.getfixturevalue("sqlite_url" if which == "sqlite" else "postgres_shop")
    at = data_page(url)
    assert "MarketLens only reads" in texts(at)
    read_table(at, "orders")
    assert "from the database" in "\n".join(c.value for c in at.sidebar.caption)
    assert "4,000 rows" in texts(at) or "transactions" in texts(at)
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert metric(at, "Revenue")
    at.switch_page("pages/segments.py").run()
    no_exception(at)


def test_a_query_is_read_and_a_write_is_refused_keeping_the_data(postgres_shop):
    at = data_page(postgres_shop)
    run_query(at, "SELECT * FROM orders WHERE \"Country\" = 'United Kingdom'")
    assert "query on shop" in "\n".join(c.value for c in at.sidebar.caption)
    run_query(at, "DELETE FROM orders")
    shown = texts(at).replace("\\", "")  # Markdown escapes
    assert "Only read-only SELECT queries can run here" in shown
    assert "Still working on the previous data: query on shop" in shown
    engine = sa.create_engine(postgres_shop)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 4000
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert metric(at, "Revenue")


def test_a_broken_connection_is_explained(tmp_path):
    at = data_page("postgresql+psycopg://reader:s3cret@127.0.0.1:1/shop?connect_timeout=2")
    shown = texts(at).replace("\\", "")
    assert "Could not reach the database" in shown
    assert "s3cret" not in shown


def test_a_superuser_connection_is_flagged_for_the_operator(postgres_shop):
    at = data_page(postgres_shop)
    assert "For whoever runs this server" in texts(at) and "is a superuser" in texts(at)


def test_a_reader_connection_is_not_flagged(postgres_shop):
    from tests.postgres import reader_url

    at = data_page(reader_url(postgres_shop))
    assert "For whoever runs this server" not in texts(at)
    read_table(at, "orders")
    assert "from the database" in "\n".join(c.value for c in at.sidebar.caption)


def test_a_smuggled_second_statement_is_refused_on_the_page(postgres_shop):
    at = data_page(postgres_shop)
    run_query(at, r"SELECT E'\'' AS a; COMMIT; DROP TABLE orders; SELECT '1'")
    shown = texts(at).replace("\\", "")
    assert "Only one statement can run at a time" in shown
    engine = sa.create_engine(postgres_shop)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 4000


def test_an_array_column_is_read_as_text_without_a_traceback(postgres_shop):
    at = data_page(postgres_shop)
    run_query(at, 'SELECT "Invoice", ARRAY["StockCode", "Country"] AS codes FROM orders LIMIT 50')
    assert "Traceback" not in texts(at)
    assert "query on shop" in "\n".join(c.value for c in at.sidebar.caption)
