"""Tables and read-only queries from a SQL database, through SQLAlchemy.

Reading is the only thing MarketLens does with a database, and a visitor reaches only what the
operator allows. Three guards keep it so:

1. :func:`analytics.data.sql_guard.check_query` parses the query and accepts one plain read of the
   allowed tables and views, and only the query it checked is sent;
2. it runs in a transaction the database itself keeps read-only (PostgreSQL
   ``SET TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``, MySQL ``READ ONLY``), always
   rolled back, with time limits the database enforces per statement and a watchdog that cancels
   the whole read when it runs past its time or the visitor has left. On PostgreSQL the statement
   goes through a server-side cursor on the extended protocol, which runs exactly one ``SELECT``;
3. the operator gives MarketLens a database user that may only read (see the README);
   :func:`connection_warnings` says when it can do more.

Rows are fetched in pieces, with a cap on rows and on bytes, so a query that returns too much
stops at the cap instead of filling the server's memory.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from analytics.data.io import table_from_frame
from analytics.data.sql_guard import SYSTEM_SCHEMAS, CheckedQuery, TableName, check_query
from analytics.data.table import MAX_BYTES, MAX_ROWS, LoadedTable
from analytics.errors import AnalyticsError

__all__ = [
    "DatabaseOptions",
    "TableName",
    "allowed_table",
    "connection_warnings",
    "count_rows",
    "list_tables",
    "read_query",
    "read_rows_after",
    "read_table",
    "visible_tables",
]

log = logging.getLogger("marketlens.sql")

#: Time limit of one read, so that a runaway query cannot hold the app or the database.
TIMEOUT_SECONDS = 120
#: Rows fetched at once grow from 1 towards this, as long as a piece stays under _PIECE_BYTES:
#: a table of huge values is fetched a row at a time, a table of small ones quickly.
_MAX_PIECE_ROWS = 20_000
_PIECE_BYTES = 4 * 1024**2


@dataclass(frozen=True)
class DatabaseOptions:
    """What the operator allows visitors to read, and the limits of one read.

    Set in ``.streamlit/secrets.toml`` under ``[marketlens.database]``::

        allow = ["public.orders", "sales.*"]   # default: the default schema's tables and views
        timeout_seconds = 120
        max_rows = 2000000

    Attributes
    ----------
    allow : tuple of str
        Patterns of ``schema.table`` (``*`` matches any part; a bare name means the default
        schema). Only matching tables and views are listed and can be queried.
    timeout_seconds : float
        A read (query and fetching) is cancelled after this long.
    max_rows, max_bytes : int
        A result with more rows, or more bytes of values, stops at the cap with a message.
    """

    allow: tuple[str, ...] = ()
    timeout_seconds: float = TIMEOUT_SECONDS
    max_rows: int = MAX_ROWS
    max_bytes: int = MAX_BYTES

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any] | None) -> DatabaseOptions:
        """Options from the ``[marketlens.database]`` table of secrets.toml (may be absent)."""
        settings = dict(settings or {})
        allow = settings.get("allow", ())
        if isinstance(allow, str):
            allow = [allow]
        try:
            return cls(
                allow=tuple(str(a).strip() for a in allow if str(a).strip()),
                timeout_seconds=float(settings.get("timeout_seconds", TIMEOUT_SECONDS)),
                max_rows=min(int(settings.get("max_rows", MAX_ROWS)), MAX_ROWS),
            )
        except (TypeError, ValueError) as exc:
            raise AnalyticsError(
                f"[marketlens.database] in .streamlit/secrets.toml is not understood: {exc}.",
                hint="allow is a list of schema.table patterns; timeout_seconds and max_rows "
                "are numbers.",
            ) from exc


# --- What a visitor may see -------------------------------------------------------------------------


def default_schema(engine: Engine) -> str | None:
    """The schema unqualified names are looked up in (``public``, ``main``, the database)."""
    try:
        return sa.inspect(engine).default_schema_name
    except sa.exc.SQLAlchemyError as exc:
        raise _connection_error(exc, engine) from exc


def _allowed(table: TableName, patterns: Sequence[str], default: str | None) -> bool:
    if table.schema.lower() in SYSTEM_SCHEMAS:
        return False
    if not patterns:
        return table.schema == default
    full = f"{table.schema}.{table.name}".lower()
    for pattern in patterns:
        if "." not in pattern:
            pattern = f"{default}.{pattern}"
        if fnmatch.fnmatchcase(full, pattern.lower()):
            return True
    return False


def visible_tables(engine: Engine, options: DatabaseOptions | None = None) -> list[TableName]:
    """The tables and views visitors may read: the allowlist's, or the default schema's.

    Schemas of the database system itself (``pg_catalog``, ``information_schema`` …) are never
    visible, whatever the allowlist says.
    """
    options = options or DatabaseOptions()
    try:
        inspector = sa.inspect(engine)
        default = inspector.default_schema_name
        schemas = [default] if not options.allow else inspector.get_schema_names()
        found: list[TableName] = []
        for schema in schemas:
            if schema is None or schema.lower() in SYSTEM_SCHEMAS:
                continue
            names = [
                *inspector.get_table_names(schema=schema),
                *inspector.get_view_names(schema=schema),
            ]
            if engine.dialect.name == "postgresql":
                names += inspector.get_materialized_view_names(schema=schema)
            found += [TableName(schema, n) for n in names]
    except sa.exc.SQLAlchemyError as exc:
        raise _connection_error(exc, engine) from exc
    return sorted(
        {t for t in found if _allowed(t, options.allow, default)},
        key=lambda t: (t.schema != default, t.label(default).lower()),
    )


def list_tables(engine: Engine, options: DatabaseOptions | None = None) -> list[str]:
    """The names of :func:`visible_tables`, as the Data page lists them (schema.name outside the
    default schema)."""
    default = default_schema(engine)
    return [t.label(default) for t in visible_tables(engine, options)]


# --- Reading ----------------------------------------------------------------------------------------


def read_table(
    engine: Engine,
    table: str,
    *,
    options: DatabaseOptions | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LoadedTable:
    """Every row of one allowed table or view, by the name :func:`list_tables` gives it.

    Raises
    ------
    AnalyticsError
        For a table that is not listed, and as :func:`read_query`.
    """
    options = options or DatabaseOptions()
    statement = f"SELECT * FROM {_quoted(engine, allowed_table(engine, table, options))}"
    return _read(engine, statement, source=table, options=options, cancelled=cancelled)


def allowed_table(engine: Engine, table: str, options: DatabaseOptions) -> TableName:
    """The allowed table or view :func:`list_tables` calls ``table``.

    Raises
    ------
    AnalyticsError
        For a table that is not listed.
    """
    default = default_schema(engine)
    match = next((t for t in visible_tables(engine, options) if t.label(default) == table), None)
    if match is None:
        raise AnalyticsError(f"There is no table or view called {table!r} in this database.")
    return match


def _quoted(engine: Engine, table: TableName) -> str:
    quote = engine.dialect.identifier_preparer.quote
    return f"{quote(table.schema)}.{quote(table.name)}"


def stream_table(
    engine: Engine,
    table: str,
    write: Callable[[pd.DataFrame], None],
    *,
    options: DatabaseOptions | None = None,
    seconds: float = 3600.0,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Every row of one allowed table, handed to ``write`` in pieces (about 32 MB of values
    each), with no row cap: the large-source engine writes them into DuckDB, so the table is
    never whole in memory. Read-only and cancellable as :func:`read_table`; ``seconds`` is the
    time limit of the whole read. Returns the number of rows.
    """
    options = options or DatabaseOptions()
    statement = f"SELECT * FROM {_quoted(engine, allowed_table(engine, table, options))}"
    rows = 0
    with _read_errors(engine), _read_only(engine, seconds, cancelled) as (cursor, watchdog):
        cursor.execute(statement)
        columns = [str(d[0]) for d in cursor.description or ()]
        pending: list[tuple[Any, ...]] = []
        size = 0
        for chunk in _pieces(cursor, watchdog):
            pending.extend(chunk)
            size += _bytes(chunk)
            if size >= _STREAM_BYTES:
                write(pd.DataFrame.from_records(pending, columns=columns).apply(_plain_column))
                rows += len(pending)
                pending, size = [], 0
        if pending or not rows:
            write(pd.DataFrame.from_records(pending, columns=columns).apply(_plain_column))
            rows += len(pending)
    return rows


#: How much a piece handed on by :func:`stream_table` holds.
_STREAM_BYTES = 32 * 1024**2


def checked_query(
    engine: Engine, query: str, *, options: DatabaseOptions | None = None
) -> CheckedQuery:
    """The query as it will run, if the visitor may run it (see :mod:`analytics.data.sql_guard`)."""
    options = options or DatabaseOptions()
    return check_query(
        query,
        dialect=engine.dialect.name,
        tables=visible_tables(engine, options),
        default_schema=default_schema(engine),
    )


def read_query(
    engine: Engine,
    query: str,
    *,
    name: str = "query",
    options: DatabaseOptions | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LoadedTable:
    """The result of a read-only SELECT of allowed tables, as a table.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    query : str
        One SELECT (see :func:`analytics.data.sql_guard.check_query` for what is accepted).
    name : str
        What the table is called in the app (its source name).
    options : DatabaseOptions, optional
        The allowlist and the limits.
    cancelled : callable, optional
        Polled while the query runs; when it returns True the query is cancelled (the visitor
        left).

    Returns
    -------
    LoadedTable

    Raises
    ------
    AnalyticsError
        A refused query, a database error (the database's own message), too many rows or bytes,
        a read past the time limit, or an empty result.

    Example
    -------
    >>> read_query(engine, "SELECT * FROM orders WHERE country = 'FR'").n_rows  # doctest: +SKIP
    1200
    """
    options = options or DatabaseOptions()
    checked = checked_query(engine, query, options=options)
    return _read(engine, checked.sql, source=name, options=options, cancelled=cancelled)


def _read(
    engine: Engine,
    statement: str,
    *,
    source: str,
    options: DatabaseOptions,
    cancelled: Callable[[], bool] | None = None,
) -> LoadedTable:
    """Run one checked statement read-only and stream its rows into a table, within the caps."""
    frame = _fetch(engine, statement, options=options, cancelled=cancelled)
    return table_from_frame(frame, source=source, format="sql", max_rows=options.max_rows)


def _fetch(
    engine: Engine,
    statement: str,
    *,
    options: DatabaseOptions,
    cancelled: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """The rows of one statement, read-only and within the caps, as a plain frame (maybe empty)."""
    pieces: list[pd.DataFrame] = []
    rows = size = 0
    columns: list[str] = []
    with (
        _read_errors(engine),
        _read_only(engine, options.timeout_seconds, cancelled) as (cursor, watchdog),
    ):
        cursor.execute(statement)
        columns = [str(d[0]) for d in cursor.description or ()]
        for chunk in _pieces(cursor, watchdog):
            rows += len(chunk)
            size += _bytes(chunk)
            if rows > options.max_rows:
                raise AnalyticsError(
                    f"The result has more than {options.max_rows:,} rows; MarketLens reads "
                    f"up to {options.max_rows:,}, so it stopped there.",
                    hint="Add a WHERE clause (a period, a country) or aggregate in the query.",
                )
            if size > options.max_bytes:
                raise AnalyticsError(
                    f"The result is over {options.max_bytes / 1024**2:,.0f} MB of values "
                    f"(after {rows:,} rows); MarketLens stopped reading there.",
                    hint="Leave out long text columns, or filter or aggregate in the query.",
                )
            pieces.append(pd.DataFrame.from_records(chunk, columns=columns))
    frame = (
        pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=columns or None)
    )
    return frame.apply(_plain_column)


# --- Live sources: the rows added since the last read ------------------------------------------


def read_rows_after(
    engine: Engine,
    table: str | None,
    column: str,
    after: object | None,
    *,
    query: str | None = None,
    inclusive: bool = False,
    options: DatabaseOptions | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """The rows of an allowed table whose ``column`` is past ``after`` (every row when None),
    in its order: what a live source fetches on each refresh. ``inclusive`` also takes the rows
    equal to ``after`` (a timestamp that several rows share). Read-only and within the caps, as
    :func:`read_table`; the value is rendered by SQLAlchemy for the dialect, the column quoted.
    The frame may be empty; it always has the table's columns.

    With ``query`` (and no table), the rows of a visitor's read-only SELECT, checked as
    :func:`read_query` checks it, taken as a derived table: ``SELECT * FROM (query) AS live
    WHERE column > after``.
    """
    options = options or DatabaseOptions()
    source = _live_source(engine, table, query, options)
    growing: sa.ColumnClause[Any] = sa.column(column)
    statement = sa.select(sa.text("*")).select_from(source)
    if after is not None:
        value = after.to_pydatetime() if isinstance(after, pd.Timestamp) else after
        value = value.item() if hasattr(value, "item") else value  # numpy scalars
        statement = statement.where(
            growing >= sa.literal(value) if inclusive else growing > sa.literal(value)
        )
    statement = statement.order_by(growing)
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    return _fetch(engine, sql, options=options, cancelled=cancelled)


def count_rows(
    engine: Engine,
    table: str | None,
    *,
    query: str | None = None,
    options: DatabaseOptions | None = None,
) -> int:
    """How many rows an allowed table (or a checked query) holds now: a live source notices
    deleted rows by it."""
    options = options or DatabaseOptions()
    source = _live_source(engine, table, query, options)
    statement = sa.select(sa.func.count()).select_from(source)
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    frame = _fetch(engine, sql, options=options)
    return int(str(frame.iloc[0, 0]))


def _live_source(
    engine: Engine, table: str | None, query: str | None, options: DatabaseOptions
) -> Any:
    """An allowed table, or a checked query as a derived table, to select from."""
    if query is not None:
        checked = checked_query(engine, query, options=options)
        return sa.text(checked.sql).columns().subquery("live")
    if table is None:
        raise AnalyticsError("A live source is a table or a query.")
    match = allowed_table(engine, table, options)
    return sa.table(match.name, schema=match.schema)


@contextmanager
def _read_errors(engine: Engine) -> Iterator[None]:
    """A read's failures in words: stopped (time limit, visitor gone), the database's own error,
    or the connection's."""
    try:
        yield
    except _Stopped as stop:
        raise stop.error() from None
    except sa.exc.DBAPIError as exc:
        raise _database_error(exc) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise _connection_error(exc, engine) from exc
    except Exception as exc:  # a DB-API error raised by the driver's own cursor
        if type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3", "pymysql", "MySQLdb"):
            raise _database_error(exc) from exc
        raise


def _pieces(cursor: Any, watchdog: _Watchdog) -> Iterator[list[tuple[Any, ...]]]:
    """The cursor's rows in pieces of about _PIECE_BYTES, starting with one row."""
    size = 1
    while True:
        watchdog.check()
        chunk = cursor.fetchmany(size)
        watchdog.check()
        if not chunk:
            return
        yield chunk
        per_row = max(1, _bytes(chunk) // len(chunk))
        size = max(1, min(_MAX_PIECE_ROWS, size * 4, _PIECE_BYTES // per_row))


def _bytes(chunk: Sequence[tuple[Any, ...]]) -> int:
    """About how many bytes the values of these rows hold (text and binary by length)."""
    total = 0
    for row in chunk:
        for value in row:
            total += len(value) if isinstance(value, str | bytes | bytearray) else 8
    return total


# --- The read-only transaction and its watchdog -----------------------------------------------------


class _Stopped(Exception):
    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds

    def error(self) -> AnalyticsError:
        if self.reason == "cancelled":
            return AnalyticsError("The query was stopped because its page was closed.")
        return AnalyticsError(
            f"The query ran for more than {self.seconds:,.0f} seconds, the limit here, so it was "
            "stopped.",
            hint="Filter or aggregate more in the query, or ask the operator for a view.",
        )


class _Watchdog:
    """Cancels a running statement when its time is up or ``cancelled()`` says so.

    The database's own statement timeout stops one statement; a read made of many fetches (or a
    database without such a timeout, as SQLite) needs this as well.
    """

    def __init__(
        self,
        seconds: float,
        cancelled: Callable[[], bool] | None,
        interrupt: Callable[[], None],
    ) -> None:
        self.seconds = seconds
        self.reason: str | None = None
        self._deadline = time.monotonic() + seconds
        self._cancelled = cancelled
        self._interrupt = interrupt
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="sql-watchdog", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            if time.monotonic() > self._deadline:
                self.reason = "time"
            elif self._cancelled is not None and self._cancelled():
                self.reason = "cancelled"
            if self.reason is not None:
                try:
                    self._interrupt()
                except Exception as exc:  # the connection may already be gone
                    log.debug("cancelling a query failed: %s", type(exc).__name__)
                return

    def check(self) -> None:
        if self.reason is not None:
            raise _Stopped(self.reason, self.seconds)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


@contextmanager
def _read_only(
    engine: Engine, seconds: float, cancelled: Callable[[], bool] | None
) -> Iterator[tuple[Any, _Watchdog]]:
    """A cursor in a transaction the database keeps read-only, always rolled back."""
    dialect = engine.dialect.name
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if raw is None:  # pragma: no cover - a pooled connection always has one
            raise AnalyticsError("The database connection is closed.")
        conn.begin()
        try:
            cursor = _open_cursor(conn, raw, dialect, seconds)
            interrupt = getattr(raw, "cancel_safe", None) or getattr(raw, "interrupt", None)
            watchdog = _Watchdog(seconds, cancelled, interrupt or (lambda: None))
            try:
                yield cursor, watchdog
            except Exception as exc:
                # A statement the watchdog cancelled fails with the driver's "canceled" error.
                if watchdog.reason is not None and not isinstance(exc, AnalyticsError):
                    raise _Stopped(watchdog.reason, seconds) from None
                raise
            finally:
                watchdog.stop()
                try:
                    cursor.close()
                except Exception as exc:  # the transaction may have failed already
                    log.debug("closing a cursor failed: %s", type(exc).__name__)
        finally:
            conn.rollback()
            if dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = OFF")
                conn.commit()


def _open_cursor(conn: Connection, raw: Any, dialect: str, seconds: float) -> Any:
    milliseconds = max(1, int(seconds * 1000))
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        for setting in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
            conn.exec_driver_sql(f"SET LOCAL {setting} = {milliseconds}")
        # A named (server-side) cursor: psycopg sends DECLARE … CURSOR FOR <query> on the extended
        # protocol, which takes exactly one statement, and DECLARE takes only a SELECT.
        return raw.cursor(name="marketlens_read")
    if dialect == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")
        return raw.cursor()  # sqlite3 runs one statement per execute
    if dialect in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {milliseconds}")
        return raw.cursor()
    # Other databases read whole tables only (queries are refused): the user's rights decide.
    log.warning(
        "no read-only transaction for the %s dialect: relying on the user's rights", dialect
    )
    return raw.cursor()


# --- Values the loader understands ------------------------------------------------------------------


def _plain_column(column: pd.Series) -> pd.Series:
    """Database types pandas leaves as objects: decimals become numbers, dates datetimes, and
    anything else that is not text (arrays, JSON, intervals, ranges, UUIDs …) its text."""
    if column.dtype != object:
        return column
    filled = column.dropna()
    if filled.empty:
        return column
    if all(isinstance(v, decimal.Decimal) for v in filled):
        return column.astype("float64")
    if all(isinstance(v, dt.date) for v in filled):
        return pd.to_datetime(column, utc=any(getattr(v, "tzinfo", None) for v in filled))
    if all(isinstance(v, str | bool | int | float) for v in filled):
        return column
    return column.map(_text, na_action="ignore")


def _text(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, str | bool | int | float):
        return value
    return str(value)


# --- What the operator should know -----------------------------------------------------------------


_POSTGRES_RIGHTS = """
SELECT r.rolsuper,
       pg_has_role(current_user, 'pg_read_server_files', 'MEMBER'),
       pg_has_role(current_user, 'pg_write_server_files', 'MEMBER'),
       pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER'),
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'v', 'm', 'p')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND left(n.nspname, 8) <> 'pg_toast'
           AND pg_has_role(current_user, c.relowner, 'USAGE')),
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
FROM pg_roles r WHERE r.rolname = current_user
"""


_MYSQL_RISKY_RIGHTS = ("ALL PRIVILEGES", "SUPER", "FILE", "INSERT", "UPDATE", "DELETE", "DROP")


def connection_warnings(engine: Engine) -> list[str]:
    """What the database user can do beyond reading, in words for the operator (empty: nothing).

    Checked on PostgreSQL (superuser, server files and programs, owned and writable tables) and
    MySQL/MariaDB (grants); SQLite has no users.
    """
    dialect = engine.dialect.name
    warnings: list[str] = []
    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                row = conn.exec_driver_sql(_POSTGRES_RIGHTS).one_or_none()
                if row is None:
                    return []
                superuser, read_files, write_files, programs, owned, writable = row
                user = conn.exec_driver_sql("SELECT current_user").scalar()
                if superuser:
                    warnings.append(f"The database user {user!r} is a superuser.")
                elif read_files or write_files or programs:
                    warnings.append(
                        f"The database user {user!r} can read or write files, or run programs, "
                        "on the database server."
                    )
                if owned:
                    warnings.append(f"The database user {user!r} owns {owned} tables or views.")
                if writable and not superuser:
                    warnings.append(
                        f"The database user {user!r} may change {writable} tables "
                        "(INSERT, UPDATE, DELETE or TRUNCATE)."
                    )
            elif dialect in ("mysql", "mariadb"):
                grants = " ".join(
                    str(r[0]) for r in conn.exec_driver_sql("SHOW GRANTS").fetchall()
                ).upper()
                risky = [right for right in _MYSQL_RISKY_RIGHTS if right in grants]
                if risky:
                    warnings.append("The database user has these rights: " + ", ".join(risky) + ".")
            conn.rollback()
    except sa.exc.SQLAlchemyError as exc:
        raise _connection_error(exc, engine) from exc
    if warnings:
        warnings.append(
            "MarketLens only reads, but give it a user that can only read the tables it needs "
            "(README: Databases)."
        )
    return warnings


# --- Errors in plain words --------------------------------------------------------------------------


def _database_error(exc: BaseException) -> AnalyticsError:
    orig = getattr(exc, "orig", None) or exc
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if "read-only" in detail.lower() or "readonly" in detail.lower():
        return AnalyticsError(
            "The database refused to run this query because it would write, and MarketLens "
            "only reads.",
            hint="Keep to SELECT queries that read.",
        )
    return AnalyticsError(
        f"The database could not run the query: {detail[:300]}",
        hint="Check the table and column names (the list of tables above helps).",
    )


def _connection_error(exc: Exception, engine: Engine) -> AnalyticsError:
    # The URL is shown without its password (SQLAlchemy masks it), never the secret itself.
    where = engine.url.render_as_string(hide_password=True)
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return AnalyticsError(
        f"Could not reach the database {where}: {detail}",
        hint="Check the connection in .streamlit/secrets.toml and that the database is running.",
    )
