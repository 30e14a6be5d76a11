"""A database table followed live (issue 25): only new rows are fetched, and each guard (deleted
rows, changed columns, future timestamps, a database that goes away and comes back) keeps the
data and says what happened."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.monitor import LiveSource, open_live, refresh
from analytics.monitor.live import MAX_BACKOFF_SECONDS


def _sqlite(tmp_path, rows: int = 10):
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.execute("create table orders (id integer primary key, ts text, country text, revenue real)")
    _insert(con, rows, "FR")
    return con, sa.create_engine(f"sqlite:///{path}")


def _insert(con, n: int, country: str, ts: str = "2026-12-04 10:00:00") -> None:
    con.executemany(
        "insert into orders (ts, country, revenue) values (?, ?, ?)", [(ts, country, 10.0)] * n
    )
    con.commit()


def test_only_new_rows_are_fetched(tmp_path):
    con, engine = _sqlite(tmp_path)
    state = open_live(engine, LiveSource("orders", "id", 30))
    assert (len(state.frame), state.watermark, state.fetched) == (10, 10, 10)
    _insert(con, 3, "DE")
    state = refresh(engine, state)
    assert (len(state.frame), state.watermark, state.fetched) == (13, 13, 3)
    state = refresh(engine, state)
    assert (len(state.frame), state.fetched, state.error) == (13, 0, None)
    assert state.frame["id"].tolist() == list(range(1, 14))


def test_a_shared_timestamp_loses_no_row_and_doubles_none(tmp_path):
    con, engine = _sqlite(tmp_path, rows=2)
    state = open_live(engine, LiveSource("orders", "ts", 30))
    _insert(con, 2, "DE")  # the same second as the rows held: ts >= boundary brings all four
    state = refresh(engine, state)
    assert len(state.frame) == 4 and state.fetched == 2
    assert sorted(state.frame["country"]) == ["DE", "DE", "FR", "FR"]


def test_deleted_rows_and_changed_columns_read_the_table_again(tmp_path):
    con, engine = _sqlite(tmp_path)
    state = open_live(engine, LiveSource("orders", "id", 30))
    con.execute("delete from orders where id <= 4")
    con.commit()
    state = refresh(engine, state)
    assert len(state.frame) == 6 and "deleted" in state.notes[0]
    con.execute("alter table orders add column channel text")
    _insert(con, 1, "ES")
    state = refresh(engine, state)
    assert "channel" in state.frame.columns and len(state.frame) == 7
    assert "columns changed (added: channel" in state.notes[0]


def test_future_timestamps_do_not_move_the_boundary(tmp_path):
    con, engine = _sqlite(tmp_path, rows=0)
    now = dt.datetime.now().replace(microsecond=0)
    con.execute("create table stamped (id integer primary key, ts timestamp, revenue real)")
    rows = [(now - dt.timedelta(minutes=5), 1.0), (now + dt.timedelta(hours=3), 2.0)]
    con.executemany(
        "insert into stamped (ts, revenue) values (?, ?)", [(str(t), r) for t, r in rows]
    )
    con.commit()
    frame = pd.read_sql("select * from stamped", engine, parse_dates=["ts"])
    assert len(frame) == 2
    from analytics.monitor.live import _watermark

    watermark, notes = _watermark(frame, "ts")
    assert watermark == pd.Timestamp(rows[0][0])
    assert "dated in the future" in notes[0]


@pytest.fixture
def cluster():
    from tests.postgres import require_server, throwaway_cluster

    require_server()
    with throwaway_cluster("live") as server:
        yield server


def test_postgres_goes_away_and_comes_back(cluster):
    writer = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with writer.connect() as conn:
        conn.exec_driver_sql(
            "create table orders (id serial primary key, ts timestamp, country text, revenue numeric)"
        )
        conn.exec_driver_sql(
            "insert into orders (ts, country, revenue) "
            "select now() - interval '1 minute' * g, 'FR', 10 from generate_series(1, 50) g"
        )
    engine = sa.create_engine(cluster.url, pool_pre_ping=True)
    state = open_live(engine, LiveSource("orders", "id", 30))
    assert len(state.frame) == 50
    with writer.connect() as conn:
        conn.exec_driver_sql("insert into orders (ts, country, revenue) values (now(), 'DE', 5)")
    state = refresh(engine, state)
    assert state.fetched == 1 and len(state.frame) == 51
    assert pd.api.types.is_datetime64_any_dtype(state.frame["ts"])

    cluster.stop()
    down = refresh(engine, state)
    assert down.error and down.failures == 1
    assert len(down.frame) == 51  # the last data is kept
    down = refresh(engine, down)
    assert down.failures == 2
    assert down.next_try() - down.attempted == pd.Timedelta(
        seconds=min(30 * 4, MAX_BACKOFF_SECONDS)
    )
    assert "password" not in down.error.lower()  # the message says what happened, no secrets

    cluster.start()
    with sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.exec_driver_sql("insert into orders (ts, country, revenue) values (now(), 'ES', 7)")
    back = refresh(engine, down)
    assert back.error is None and back.failures == 0
    assert back.fetched == 1 and len(back.frame) == 52


def test_wrong_credentials_say_so(cluster):
    from analytics.errors import AnalyticsError

    wrong = sa.create_engine(cluster.url.replace("marketlens@", "nobody@"))
    with pytest.raises(AnalyticsError) as caught:
        open_live(wrong, LiveSource("orders", "id", 30))
    assert "nobody" in str(caught.value)


def test_a_query_is_followed_live_too(tmp_path):
    from analytics.errors import AnalyticsError

    con, engine = _sqlite(tmp_path)
    french = "SELECT id, ts, revenue FROM orders WHERE country = 'FR'"
    state = open_live(engine, LiveSource("French orders", "id", 30, query=french))
    assert len(state.frame) == 10 and list(state.frame.columns) == ["id", "ts", "revenue"]
    _insert(con, 2, "DE")
    _insert(con, 3, "FR")
    state = refresh(engine, state)
    assert (state.fetched, len(state.frame), state.error) == (3, 13, None)
    with pytest.raises(AnalyticsError, match="read-only SELECT"):
        open_live(engine, LiveSource("x", "id", 30, query="DELETE FROM orders"))
