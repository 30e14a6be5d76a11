"""A database table followed live: started from the Data page, refreshed by a fragment on the
Overview, Forecast and Monitor pages every few seconds, without blocking anyone.

The fragment (``st.fragment(run_every=…)``) runs in the visitor's own session: it looks whether
the source is due (its interval, or the backoff after a failure), fetches only the new rows
(:func:`analytics.monitor.refresh`), and when some came, maps them as the session's data is mapped
(same kind, roles and cleaning) and reruns the page. It shows "last updated 12 s ago", a pause
switch, and what went wrong (the last data stays). A workspace saved while live remembers the
source (``MonitorParams``); opening it starts following again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from analytics.data import DataState
from analytics.errors import AnalyticsError
from analytics.i18n import _, ngettext
from analytics.monitor import LiveSource, LiveState, open_live, refresh
from analytics.monitor.live import min_interval
from analytics.monitor.run import MonitorParams
from pages._database import database_engine, database_options
from pages._errors import show_error
from pages._state import analyses, read_again, remember, set_table
from pages._widgets import kept, md

_LIVE = "ml.live"
_PAUSED = "w.live.paused"
_FAILED = "ml.live.failed"

#: How often the fragment wakes to look whether the source is due (the source's own interval
#: decides when it is read).
_TICK_SECONDS = 5


def monitor_params() -> MonitorParams:
    """The Monitor page's settings and the live source, as the session last chose them."""
    try:
        return MonitorParams.from_dict(analyses().get("monitor", {}))
    except AnalyticsError:  # a workspace saved by another version
        return MonitorParams()


def live_state() -> LiveState | None:
    return st.session_state.get(_LIVE)


def start_live(table: str, column: str, interval: int, query: str | None = None) -> DataState:
    """Read the table (or the query) live: every row now, only new ones later; it becomes the
    session's data."""
    engine = database_engine()
    if engine is None:
        raise AnalyticsError(_("No database is set up, so there is nothing to follow live."))
    source = LiveSource(table, column, int(interval), query)
    state = open_live(engine, source, options=database_options())
    st.session_state[_LIVE] = state
    remember(
        "monitor",
        replace(
            monitor_params(),
            live_table=table,
            live_column=column,
            live_interval=int(interval),
            live_query=query,
        ),
    )
    return set_table(state.table(), "database")


def stop_live() -> None:
    """Stop following: the data stays as it is."""
    st.session_state.pop(_LIVE, None)
    remember(
        "monitor", replace(monitor_params(), live_table=None, live_column=None, live_query=None)
    )


def live_controls(table: str, state: DataState, query: str | None = None) -> None:
    """On the Data page, under a database table (or query) just read: follow it live, or stop."""
    live = live_state()
    with st.expander(_("Follow this table live"), expanded=True, icon=":material/sensors:"):
        if live is not None:
            st.caption(
                _(
                    "Following {table} live: new rows by {column}, every {n} s. The Overview, "
                    "Forecast and Monitor pages update by themselves."
                ).format(
                    table=md(live.source.table),
                    column=md(live.source.column),
                    n=live.source.interval,
                )
            )
            st.button(_("Stop following"), on_click=stop_live, icon=":material/stop_circle:")
            return
        st.caption(
            _(
                "MarketLens reads only the rows added since it last looked, by a column that grows "
                "with each new row: an id, or the time the order was placed."
            )
        )
        columns = [str(c) for c in state.table.frame.columns]
        a, b = st.columns([2, 1])
        a.selectbox(
            _("Column that grows"),
            columns,
            index=_growing_guess(state, columns),
            key="live_column",
        )
        b.number_input(
            _("Every (seconds)"),
            min_value=min_interval(),
            max_value=86_400,
            value=60,
            step=30,
            key="live_interval",
        )
        st.button(
            _("Follow live"), on_click=_follow, args=(table, query), icon=":material/sensors:"
        )
    problem = st.session_state.pop(_FAILED, None)
    if problem is not None:
        show_error(problem)


def _follow(table: str, query: str | None) -> None:
    """The Follow live button (a callback): start with the column and interval chosen."""
    column = st.session_state.get("live_column")
    interval = int(st.session_state.get("live_interval") or 60)
    try:
        start_live(table, str(column), interval, query)
    except AnalyticsError as exc:
        st.session_state[_FAILED] = exc


def _growing_guess(state: DataState, columns: list[str]) -> int:
    """An id column that only grows, else the date column of the mapping, else the first."""
    frame = state.table.frame
    for name in columns:
        values = frame[name]
        named = name.lower() in ("id", "order_id", "line_id")
        if named and pd.api.types.is_integer_dtype(values) and values.is_monotonic_increasing:
            return columns.index(name)
    stamp = state.mapping.timestamp if state.mapping is not None else None
    return columns.index(stamp) if stamp in columns else 0


def _ago(moment: pd.Timestamp) -> str:
    seconds = max(0, int((pd.Timestamp(dt.datetime.now(dt.UTC)) - moment).total_seconds()))
    if seconds < 120:
        return ngettext("{n} second ago", "{n} seconds ago", seconds).format(n=seconds)
    minutes = seconds // 60
    return ngettext("{n} minute ago", "{n} minutes ago", minutes).format(n=minutes)


def follow_live() -> None:
    """On a page that shows live data: the live line, refreshed in a fragment (nothing when the
    session's data is not live)."""
    params = monitor_params()
    if params.live is None:
        return
    if live_state() is None:  # a workspace opened live: follow again
        try:
            with st.spinner(_("Reading {table} live …").format(table=md(params.live.table))):
                start_live(
                    params.live.table, params.live.column, params.live.interval, params.live.query
                )
        except AnalyticsError as exc:
            show_error(exc)
            return
    _live_line()


@st.fragment(run_every=_TICK_SECONDS)
def _live_line() -> None:
    state = live_state()
    if state is None:
        return
    paused = kept(st.toggle, _("Pause live updates"), key=_PAUSED, default=False)
    if not paused and state.due():
        engine = database_engine()
        if engine is not None:
            fresh = refresh(engine, state, options=database_options())
            st.session_state[_LIVE] = fresh
            if fresh.error is None and (fresh.fetched or fresh.notes):
                read_again(fresh.table())
                st.rerun(scope="app")
            state = fresh
    label = _("Live: {table}, every {n} s").format(
        table=md(state.source.table), n=state.source.interval
    )
    when = _("last updated {ago}").format(ago=_ago(state.refreshed))
    rows = ngettext("{n} row", "{n} rows", len(state.frame)).format(n=f"{len(state.frame):,}")
    if 0 < state.fetched < len(state.frame):
        rows += " " + ngettext(
            "(+{n} at the last refresh)", "(+{n} at the last refresh)", state.fetched
        ).format(n=f"{state.fetched:,}")
    status = _("paused") if paused else when
    st.caption(f":material/sensors: {label} · {status} · {rows}")
    for note in state.notes:
        st.info(md(note), icon=":material/info:")
    if state.error:
        st.warning(
            _(
                "The last refresh failed; the data shown is from {when}. Trying again at {at}. "
                "{error}"
            ).format(
                when=_local(state.refreshed),
                at=_local(state.next_try()),
                error=md(state.error),
            ),
            icon=":material/cloud_off:",
        )


def _local(moment: pd.Timestamp) -> str:
    """A refresh time on the server's clock."""
    return moment.tz_convert(dt.datetime.now().astimezone().tzinfo).strftime("%H:%M:%S")
