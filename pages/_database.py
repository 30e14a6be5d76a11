"""The Data page's database source: the connection of ``.streamlit/secrets.toml``, the tables a
visitor may read, and reading one (or a read-only query) into the session."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from analytics.data import (
    DatabaseOptions,
    DataState,
    connection_warnings,
    list_tables,
    read_query,
    read_table,
)
from analytics.errors import AnalyticsError
from analytics.i18n import _
from pages._errors import log
from pages._runtime import session_alive
from pages._state import set_table


def database_engine() -> Engine | None:
    """The engine of ``st.connection("sql")``, or None when secrets.toml names no database."""
    try:
        settings = dict(st.secrets.get("connections", {}).get("sql", {}))
    except FileNotFoundError:  # also Streamlit's error for a missing secrets.toml
        settings = {}
    if not settings:
        return None
    try:
        # The settings are passed on as read from st.secrets (which AppTest can set; the
        # connection's own secrets lookup cannot be set by a test). Nothing logs them.
        return st.connection("sql", type="sql", **settings).engine
    except Exception as exc:  # a bad URL, a driver that is not installed …
        log.warning("database connection failed: %s", type(exc).__name__)
        raise AnalyticsError(
            _("The database connection in .streamlit/secrets.toml does not work: {error}.").format(
                error=type(exc).__name__
            ),
            hint=_("Check [connections.sql] url (e.g. {example}).").format(
                example="postgresql://user:password@host/db, sqlite:///path/to/file.sqlite"
            ),
        ) from exc


def database_options() -> DatabaseOptions:
    """What visitors may read and the limits of a read: ``[marketlens.database]`` of secrets.toml."""
    try:
        settings = st.secrets.get("marketlens", {}).get("database", {})
    except FileNotFoundError:  # also Streamlit's error for a missing secrets.toml
        settings = {}
    return DatabaseOptions.from_mapping(settings)


def _database_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@st.cache_data(max_entries=4, show_spinner=False, ttl=60)
def _tables(url: str, allow: tuple[str, ...], _engine: Engine) -> list[str]:
    return list_tables(_engine, DatabaseOptions(allow=allow))


def database_tables(engine: Engine) -> list[str]:
    """The tables and views visitors may read (asked again after a minute)."""
    return _tables(_database_key(engine), database_options().allow, engine)


@st.cache_data(max_entries=4, show_spinner=False, ttl=600)
def database_warnings(url: str, _engine: Engine) -> list[str]:
    """What the database user can do beyond reading; logged once per connection and ten minutes."""
    warnings = connection_warnings(_engine)
    for warning in warnings:
        log.warning("database %s: %s", url, warning)
    return warnings


def read_database(engine: Engine, what: str, detail: str) -> DataState:
    """Make a database table (``what="table"``) or a read-only query's result the session's data.

    The read stops when the visitor leaves (their session ends) or it runs out of time.
    """
    options, alive = database_options(), session_alive()
    if what == "table":
        table = read_table(engine, detail, options=options, cancelled=lambda: not alive())
    else:
        table = read_query(
            engine,
            detail,
            name="query on " + (engine.url.database or "database"),
            options=options,
            cancelled=lambda: not alive(),
        )
    _ignored = table.fingerprint
    return set_table(table, "database")
