"""Issue 19: the SQL source cannot write, reach beyond its tables or exhaust the server.

Every payload runs against SQLite and a real PostgreSQL, as the superuser and as a read-only,
non-superuser role; the target table must be unchanged afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from analytics.data.sql import (
    DatabaseOptions,
    _read,
    connection_warnings,
    list_tables,
    read_query,
    read_table,
)
from analytics.errors import AnalyticsError
from tests.postgres import reader_url

ROOT = Path(__file__).resolve().parents[2]


def fill(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for statement in (
            "DROP TABLE IF EXISTS victim",
            "CREATE TABLE victim (id integer, note text)",
            "INSERT INTO victim VALUES (1, 'a'), (2, 'b'), (3, 'c')",
            "DROP TABLE IF EXISTS secret",
            "CREATE TABLE secret (card text)",
            "INSERT INTO secret VALUES ('4111 1111 1111 1111')",
            "DROP TABLE IF EXISTS digits",
            "CREATE TABLE digits (d integer)",
            "INSERT INTO digits VALUES " + ", ".join(f"({i})" for i in range(10)),
            "DROP TABLE IF EXISTS tags",
            "DROP TABLE IF EXISTS pages",
            "CREATE TABLE pages (body text)",
        ):
            conn.exec_driver_sql(statement)
        for _ in range(5):
            conn.exec_driver_sql("INSERT INTO pages VALUES ('" + "x" * 100_000 + "')")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("CREATE TABLE tags (id integer, labels text[], extra jsonb)")
            conn.exec_driver_sql(
                "INSERT INTO tags VALUES (1, ARRAY['vip', 'eu'], '{\"a\": 1}'), (2, NULL, NULL)"
            )
        else:
            conn.exec_driver_sql("CREATE TABLE tags (id integer, labels text, extra text)")
            conn.exec_driver_sql("INSERT INTO tags VALUES (1, 'vip', NULL), (2, NULL, NULL)")


@pytest.fixture(scope="module")
def pg_superuser(postgres_db) -> sa.Engine:
    engine = sa.create_engine(postgres_db)
    fill(engine)
    return engine


@pytest.fixture(scope="module")
def pg_reader(pg_superuser, postgres_db) -> sa.Engine:
    return sa.create_engine(reader_url(postgres_db))


@pytest.fixture
def sqlite(tmp_path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    fill(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgres superuser", "postgres reader"])
def engine(request) -> sa.Engine:
    name = {"sqlite": "sqlite", "postgres superuser": "pg_superuser"}.get(
        request.param, "pg_reader"
    )
    return request.getfixturevalue(name)


@pytest.fixture(params=["postgres superuser", "postgres reader"])
def pg(request) -> sa.Engine:
    return request.getfixturevalue(
        "pg_superuser" if request.param == "postgres superuser" else "pg_reader"
    )


def victim_rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM victim ORDER BY id")]


#: A fixed name, so that test ids are the same in every pytest worker.
PWNED = Path("/tmp") / f"marketlens-pwned-{os.getuid()}"
PAYLOADS = [
    r"SELECT E'\'' AS a; COMMIT; DROP TABLE victim; SELECT '1'",
    "SELECT 1 AS x$a$; COMMIT; DROP TABLE victim; SELECT 1 AS y$a$",
    rf"SELECT E'\'' AS a; COMMIT; COPY (SELECT 1) TO PROGRAM 'touch {PWNED}'; SELECT '1'",
    f"COPY (SELECT 1) TO PROGRAM 'touch {PWNED}'",
    r"SELECT E'\'' AS a; COMMIT; SELECT pg_sleep(150); SELECT '1'",
    "SELECT 1; DELETE FROM victim",
    "WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d",
    "SELECT * INTO victim_copy FROM victim",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_is_refused_and_the_table_is_unchanged(engine, payload):
    before = victim_rows(engine)
    with pytest.raises(AnalyticsError):
        read_query(engine, payload)
    assert victim_rows(engine) == before == [(1, "a"), (2, "b"), (3, "c")]
    assert not PWNED.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sent_past_the_check_the_driver_still_runs_one_select_read_only(engine, payload):
    """The second guard on its own: a server-side cursor on the extended protocol (PostgreSQL)
    or one statement per execute (SQLite), in a read-only transaction."""
    with pytest.raises(AnalyticsError):
        _read(engine, payload, source="x", options=DatabaseOptions(timeout_seconds=20))
    assert victim_rows(engine) == [(1, "a"), (2, "b"), (3, "c")]
    assert not PWNED.exists()


BEYOND = [
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM pg_ls_dir('.')",
    "SELECT lo_import('/etc/passwd')",
    "SELECT pg_sleep(600)",
    "SELECT pg_terminate_backend(1)",
    "SELECT set_config('statement_timeout', '0', false)",
    "SELECT pg_advisory_lock(1)",
    "SELECT load_extension('x')",
    "SELECT * FROM generate_series(1, 1000000000)",
    "SELECT * FROM secret",
    "SELECT * FROM pg_catalog.pg_authid",
]


@pytest.mark.parametrize("query", BEYOND)
def test_reads_beyond_the_tables_are_refused_with_a_plain_message(engine, query):
    options = DatabaseOptions(allow=("victim", "digits", "tags"))
    with pytest.raises(AnalyticsError) as refused:
        read_query(engine, query, options=options)
    message = str(refused.value)
    assert "Traceback" not in message and len(message) < 400
    assert "could not run the query" not in message  # refused by MarketLens, not the database


def test_the_allowlist_decides_what_is_listed_and_read(engine):
    options = DatabaseOptions(allow=("victim", "digits"))
    assert list_tables(engine, options) == ["digits", "victim"]
    with pytest.raises(AnalyticsError, match="no table or view called 'secret'"):
        read_table(engine, "secret", options=options)
    with pytest.raises(AnalyticsError, match="no table or view called 'secret'"):
        read_query(engine, "SELECT v.* FROM victim v JOIN secret s ON true", options=options)
    assert read_query(engine, "SELECT * FROM victim", options=options).n_rows == 3


def test_system_schemas_stay_invisible_whatever_the_allowlist(pg):
    everything = DatabaseOptions(allow=("*.*",))
    listed = list_tables(pg, everything)
    assert "victim" in listed
    assert not [t for t in listed if t.startswith(("pg_catalog.", "information_schema."))]
    with pytest.raises(AnalyticsError, match="no table or view called"):
        read_query(pg, "SELECT * FROM information_schema.tables", options=everything)


def test_a_query_past_its_time_is_cancelled(pg):
    slow = "SELECT count(*) FROM victim a, digits b, digits c, digits d, digits e, digits f," + (
        " digits g, digits h, digits i, digits j, digits k"
    )
    with pytest.raises(AnalyticsError, match="more than 1 seconds"):
        read_query(pg, slow, options=DatabaseOptions(timeout_seconds=1))
    # The connection is usable afterwards.
    assert read_query(pg, "SELECT * FROM victim").n_rows == 3


def test_an_endless_recursive_query_on_sqlite_is_cancelled(sqlite):
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n"
    with pytest.raises(AnalyticsError, match="more than 1 seconds"):
        read_query(sqlite, endless, options=DatabaseOptions(timeout_seconds=1))
    assert read_query(sqlite, "SELECT * FROM victim").n_rows == 3


def test_a_query_is_cancelled_when_its_visitor_leaves(pg):
    slow = "SELECT count(*) FROM victim a, digits b, digits c, digits d, digits e, digits f," + (
        " digits g, digits h, digits i, digits j, digits k"
    )
    with pytest.raises(AnalyticsError, match="page was closed"):
        read_query(pg, slow, cancelled=lambda: True)


def test_rows_stop_at_the_cap(engine):
    big = (
        "SELECT a.d AS a, b.d AS b, c.d AS c, e.d AS e FROM digits a, digits b, digits c, digits e"
    )
    with pytest.raises(AnalyticsError, match=r"more than 999 rows.*stopped there"):
        read_query(engine, big, options=DatabaseOptions(max_rows=999))


def test_bytes_stop_at_the_cap(engine):
    wide = "SELECT a.body FROM pages a, digits b, digits c"  # 500 values of 100 kB
    with pytest.raises(AnalyticsError, match="over 1 MB of values"):
        read_query(engine, wide, options=DatabaseOptions(max_bytes=1024**2))


def test_arrays_json_and_text_with_colons_come_back_as_text(engine):
    table = read_query(engine, "SELECT id, labels, extra, 'a\n :x' AS s FROM tags ORDER BY id")
    frame = table.frame
    assert frame["s"].tolist() == ["a\n :x", "a\n :x"]
    first = str(frame["labels"].iloc[0])
    assert "vip" in first
    if engine.dialect.name == "postgresql":
        assert json.loads(str(frame["extra"].iloc[0]).replace("'", '"')) == {"a": 1}


def test_a_superuser_connection_is_flagged_and_a_reader_is_not(pg_superuser, pg_reader):
    warnings = connection_warnings(pg_superuser)
    assert any("is a superuser" in w for w in warnings)
    assert connection_warnings(pg_reader) == []


MEMORY_PROBE = """
import json, resource, sys
import sqlalchemy as sa
from analytics.errors import AnalyticsError
from analytics.data.sql import read_query
engine = sa.create_engine(sys.argv[1])
read_query(engine, "SELECT * FROM victim")  # imports and the connection pool, before measuring
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_query(engine, sys.argv[2])
    outcome = "read"
except AnalyticsError as exc:
    outcome = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"growth_mb": (after - before) / 1024, "outcome": outcome}))
"""


def test_a_hundred_million_row_query_stops_at_the_cap_in_little_memory(pg_superuser):
    """10^8 rows (10^4 × 10^4) stop at the 2,000,000-row cap; the process grows < 300 MB."""
    with pg_superuser.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS ten_thousand")
        conn.exec_driver_sql(
            "CREATE TABLE ten_thousand AS SELECT g AS n FROM generate_series(1, 10000) g"
        )
    url = pg_superuser.url.render_as_string(hide_password=False)
    query = "SELECT a.n AS a, b.n AS b FROM ten_thousand a, ten_thousand b"
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, url, query],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "more than 2,000,000 rows" in result["outcome"]
    assert result["growth_mb"] < 300, result
