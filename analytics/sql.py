"""Tables and read-only queries from a SQL database, through SQLAlchemy.

Reading is the only thing MarketLens does with a database. Two guards keep it so:

1. :func:`check_read_only` accepts a single ``SELECT`` (or ``WITH … SELECT``) statement and refuses
   anything that writes, locks, changes settings or calls procedures, with a plain message;
2. the query then runs in a transaction the database itself makes read-only where it can
   (PostgreSQL ``SET TRANSACTION READ ONLY``, SQLite ``PRAGMA query_only``), which is always rolled
   back. A function that writes, called from a ``SELECT``, is stopped by the database.

For real use, also give MarketLens a database user that may only read.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from analytics.errors import AnalyticsError
from analytics.io import MAX_ROWS, LoadedTable, table_from_frame

#: Statement time limit (PostgreSQL), so that a runaway query cannot hold the app.
TIMEOUT_SECONDS = 120
MAX_QUERY_CHARS = 100_000

# Words that make a statement write or reach beyond reading, wherever they appear (a WITH can
# hold an INSERT; SELECT … INTO creates a table). Kept short on purpose: common words that are
# column names too (start, comment, replace …) are left to the database's read-only transaction.
_FORBIDDEN = [
    "insert",
    "update",
    "delete",
    "merge",
    "upsert",
    "truncate",
    "drop",
    "create",
    "alter",
    "grant",
    "revoke",
    "copy",
    "call",
    "execute",
    "into",
    "vacuum",
    "attach",
    "detach",
    "pragma",
]
_FORBIDDEN_RE = re.compile(r"\b(" + "|".join(_FORBIDDEN) + r")\b", re.IGNORECASE)
_LOCKING_RE = re.compile(r"\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b", re.IGNORECASE)
_FIRST_WORD = re.compile(r"^\s*\(*\s*([a-z]+)", re.IGNORECASE)
# Comments, quoted strings and quoted names: blanked out before looking for words.
_QUOTED = re.compile(
    r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\$(\w*)\$.*?\$\1\$",
    re.DOTALL,
)


def check_read_only(query: str) -> str:
    """The query, trimmed, if it is one read-only SELECT; else a plain-language refusal.

    Parameters
    ----------
    query : str
        SQL typed by the user.

    Returns
    -------
    str
        The statement without a trailing semicolon.

    Raises
    ------
    AnalyticsError
        For anything but a single SELECT (or WITH … SELECT): writes, schema changes, locks,
        settings, procedure calls, several statements, ``SELECT … INTO``.

    Example
    -------
    >>> check_read_only("select * from orders;")
    'select * from orders'
    """
    text = query.strip()
    if not text:
        raise AnalyticsError("Type a SELECT query first.")
    if len(text) > MAX_QUERY_CHARS:
        raise AnalyticsError(f"The query is over {MAX_QUERY_CHARS:,} characters.")
    text = text.rstrip().rstrip(";").rstrip()
    bare = _QUOTED.sub(" ", text)
    if ";" in bare:
        raise AnalyticsError(
            "Only one statement can run at a time, and this text holds several (separated by ;).",
            hint="Keep a single SELECT.",
        )
    first = _FIRST_WORD.match(bare)
    word = first.group(1).lower() if first else ""
    hint = "MarketLens only reads: write a SELECT … FROM … query."
    if word not in ("select", "with"):
        raise AnalyticsError(
            f"Only read-only SELECT queries can run here, and this one starts with "
            f"{(word or bare.strip()[:20]).upper()!r}.",
            hint=hint,
        )
    if _LOCKING_RE.search(bare):
        raise AnalyticsError(
            "This query locks rows (FOR UPDATE/SHARE), so it was not run.", hint=hint
        )
    forbidden = _FORBIDDEN_RE.search(bare)
    if forbidden:
        raise AnalyticsError(
            f"This query contains {forbidden.group(1).upper()}, which could change the "
            "database, so it was not run.",
            hint=hint,
        )
    return text


def list_tables(engine: Engine) -> list[str]:
    """The tables and views in the database's default schema, sorted by name."""
    try:
        inspector = sa.inspect(engine)
        names = [*inspector.get_table_names(), *inspector.get_view_names()]
    except sa.exc.SQLAlchemyError as exc:
        raise _connection_error(exc, engine) from exc
    return sorted(set(names), key=str.lower)


def read_table(engine: Engine, table: str, *, max_rows: int = MAX_ROWS) -> LoadedTable:
    """Every row of one table or view (by its exact name, as :func:`list_tables` gives it)."""
    if table not in list_tables(engine):
        raise AnalyticsError(f"There is no table or view called {table!r} in this database.")
    quoted = engine.dialect.identifier_preparer.quote(table)
    return _read(engine, f"SELECT * FROM {quoted}", source=table, max_rows=max_rows)


def read_query(
    engine: Engine, query: str, *, name: str = "query", max_rows: int = MAX_ROWS
) -> LoadedTable:
    """The result of a read-only SELECT (see :func:`check_read_only`) as a table.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    query : str
    name : str
        What the table is called in the app (its source name).
    max_rows : int
        Refuse results with more rows.

    Returns
    -------
    LoadedTable

    Raises
    ------
    AnalyticsError
        A refused query, a database error (the database's own message), too many rows, or an
        empty result.

    Example
    -------
    >>> read_query(engine, "SELECT * FROM orders WHERE country = 'FR'").n_rows  # doctest: +SKIP
    1200
    """
    return _read(engine, check_read_only(query), source=name, max_rows=max_rows)


def _read(engine: Engine, statement: str, *, source: str, max_rows: int) -> LoadedTable:
    try:
        with _read_only(engine) as conn:
            result = conn.execute(sa.text(statement))
            columns = list(result.keys())
            rows = result.fetchmany(max_rows + 1)
    except sa.exc.DBAPIError as exc:
        if "read-only" in str(exc.orig).lower() or "readonly" in str(exc.orig).lower():
            raise AnalyticsError(
                "The database refused to run this query because it would write, and MarketLens "
                "only reads.",
                hint="Keep to SELECT queries that read.",
            ) from exc
        raise _query_error(exc) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise _connection_error(exc, engine) from exc
    if len(rows) > max_rows:
        raise AnalyticsError(
            f"The result has more than {max_rows:,} rows; MarketLens reads up to {max_rows:,}.",
            hint="Add a WHERE clause (a period, a country) or aggregate in the query.",
        )
    frame = pd.DataFrame.from_records(rows, columns=[str(c) for c in columns])
    frame = frame.apply(_plain_column)
    return table_from_frame(frame, source=source, format="sql", max_rows=max_rows)


@contextmanager
def _read_only(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction the database keeps read-only, always rolled back."""
    with engine.connect() as conn:
        dialect = engine.dialect.name
        transaction = conn.begin()
        try:
            if dialect == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{TIMEOUT_SECONDS}s'")
            elif dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = ON")
            elif dialect in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
            yield conn
        finally:
            transaction.rollback()
            if dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = OFF")


def _plain_column(column: pd.Series) -> pd.Series:
    """Database types pandas leaves as objects: decimals become numbers, dates datetimes."""
    if column.dtype != object:
        return column
    filled = column.dropna()
    if filled.empty:
        return column
    if all(isinstance(v, decimal.Decimal) for v in filled):
        return column.astype("float64")
    if all(isinstance(v, dt.date) for v in filled):
        return pd.to_datetime(column)
    if all(isinstance(v, bytes | memoryview) for v in filled):
        return column.map(lambda v: None if v is None else f"<{len(bytes(v))} bytes>")
    return column


def _query_error(exc: sa.exc.DBAPIError) -> AnalyticsError:
    detail = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
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
