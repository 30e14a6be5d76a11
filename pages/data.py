"""Data page: pick or upload a file, confirm what it is and which column is which, check and clean it."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from analytics.data import (
    ACCEPTED_FORMATS_TEXT,
    KIND_LABELS,
    KIND_ROLES,
    KINDS,
    ROLE_LABELS,
    SAMPLE_FILES,
    ColumnMapping,
    DataState,
    to_csv_bytes,
)
from analytics.errors import AnalyticsError
from analytics.plots import missing_values_figure
from pages._database import database_engine, database_tables, database_warnings, read_database
from pages._display import table as table_of
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import (
    SAMPLE_LABELS,
    cached_quality,
    confirm_mapping,
    data_state,
    load_sample,
    mapping_evidence,
    read_sheets,
    read_upload,
    set_table,
    update_state,
    upload_failure,
)
from pages._widgets import PageDone, kept, md

NONE = "— none —"
SOURCES = {"Sample data": "sample", "Upload a file": "upload", "Database": "database"}
_DB_REQUEST = "ml.db_request"


def _ask_database() -> None:
    """The button's callback: note what to read; the page reads it, showing progress."""
    mode = st.session_state.get("w.db.mode")
    if mode == "A table":
        st.session_state[_DB_REQUEST] = ("table", st.session_state.get("w.db.table"))
    else:
        st.session_state[_DB_REQUEST] = ("query", st.session_state.get("w.db.query", ""))


def _database_source(state: DataState) -> DataState:
    """Read a table or a read-only SELECT from the database named in .streamlit/secrets.toml."""
    try:
        engine = database_engine()
    except AnalyticsError as exc:
        show_error(exc)
        return state
    if engine is None:
        st.info(
            "No database is set up. Add its connection to `.streamlit/secrets.toml` (on the "
            "server, never in a form) and reload this page, for example:\n\n"
            '```toml\n[connections.sql]\nurl = "postgresql://reader:password@db-host:5432/shop"\n'
            '# or a SQLite file, no server needed:\n# url = "sqlite:///data/shop.sqlite"\n```\n\n'
            "Give MarketLens a database user that can only read.",
            icon=":material/database:",
        )
        return state
    st.caption(
        f"Connected to the {md(engine.dialect.name)} database **{md(engine.url.database or '')}**. "
        "MarketLens only reads: queries that could write, or reach beyond the tables listed "
        "here, are refused."
    )
    try:
        warnings = database_warnings(engine.url.render_as_string(hide_password=True), engine)
    except AnalyticsError:
        warnings = []  # the connection's own problem is shown below
    if warnings:
        st.warning(
            "**For whoever runs this server:** " + " ".join(md(w) for w in warnings),
            icon=":material/admin_panel_settings:",
        )
    mode = kept(
        st.radio,
        "Read",
        ["A table", "A query"],
        horizontal=True,
        key="w.db.mode",
        default="A table",
    )
    if mode == "A table":
        try:
            tables = database_tables(engine)
        except AnalyticsError as exc:
            show_error(exc)
            return state
        if not tables:
            st.info("This database has no tables or views the connection can see.")
            return state
        kept(st.selectbox, "Table or view", tables, key="w.db.table", default=tables[0])
        st.button("Read the table", on_click=_ask_database, icon=":material/table:")
    else:
        kept(
            st.text_area,
            "SELECT query",
            key="w.db.query",
            default="",
            height=140,
            placeholder="SELECT * FROM orders WHERE \"InvoiceDate\" >= '2025-01-01'",
            help="One read-only SELECT (or WITH … SELECT) of the tables listed under A table. "
            "Anything that could write, and functions beyond computing with values, are refused.",
        )
        st.button("Run the query", on_click=_ask_database, icon=":material/play_arrow:")
    request = st.session_state.pop(_DB_REQUEST, None)
    if request is None:
        return state
    what, detail = request
    label = f"table {detail}" if what == "table" else "the query"
    with st.status(f"Reading {md(label)} …", expanded=False) as status:
        try:
            state = read_database(engine, what, str(detail or ""))
            status.update(label=f"Read {md(label)}: {md(state.table.describe())}", state="complete")
        except AnalyticsError as exc:
            status.update(label=f"Could not read {md(label)}", state="error")
            show_error(exc)
            st.caption(f"Still working on the previous data: {md(state.table.source)}.")
    return state


ensure_inside_app()
SEVERITY_ICON = {
    "problem": ":red[:material/error:]",
    "warning": ":orange[:material/warning:]",
    "info": ":blue[:material/info:]",
}

st.title("Data")
st.caption(
    "Load a sales export, confirm which column is which, check its quality and clean it. "
    "Every other page works on the result."
)
state = data_state()

# --- 1. Source ------------------------------------------------------------------------------------
st.subheader("1 · Source")
source = kept(
    st.radio,
    "Where is your data?",
    list(SOURCES),
    horizontal=True,
    key="w.source",
    default=next(label for label, origin in SOURCES.items() if origin == state.origin),
)

if source == "Sample data":
    default_sample = next(
        (k for k, f in SAMPLE_FILES.items() if f == state.table.source), "transactions"
    )
    sample = kept(
        st.selectbox,
        "Sample dataset",
        list(SAMPLE_LABELS),
        format_func=SAMPLE_LABELS.__getitem__,
        key="w.sample",
        default=default_sample if state.origin == "sample" else "transactions",
    )
    if state.origin != "sample" or state.table.source != SAMPLE_FILES[sample]:
        try:
            state = set_table(load_sample(sample), "sample")
        except AnalyticsError as exc:
            show_error(exc)
    st.caption(
        "Samples are generated by MarketLens itself (`python -m analytics sample`), with planted structure to find."
    )
elif source == "Database":
    state = _database_source(state)
else:
    # No type= filter: Streamlit enforces it by raising before the page runs, which breaks the
    # session for as long as the file stays; the loader's own message says what it reads instead.
    uploaded = st.file_uploader(
        "Upload a sales export",
        key="upload",
        help=f"MarketLens reads {ACCEPTED_FORMATS_TEXT}.",
    )
    failure = upload_failure(uploaded.file_id) if uploaded is not None else None
    if uploaded is not None and uploaded.file_id != state.upload_id and failure is None:
        with st.status(f"Reading {md(uploaded.name)} …", expanded=False) as status:
            try:
                state = read_upload(
                    uploaded.file_id,
                    uploaded.name,
                    uploaded.getvalue(),
                    waiting=lambda: status.update(
                        label="Waiting for another large file to finish reading on the server …"
                    ),
                )
                status.update(
                    label=f"Read {md(uploaded.name)}: {md(state.table.describe())}",
                    state="complete",
                )
            except AnalyticsError as exc:
                failure = exc
                status.update(label=f"Could not use {md(uploaded.name)}", state="error")
    if failure is not None:
        show_error(failure)
        st.caption(f"Still working on the previous data: {md(state.table.source)}.")

table = state.table
workbook_sheets = [s for s in table.workbook_sheets if s.columns]
if state.workbook is not None:
    chosen = kept(
        st.multiselect,
        "Sheets to read (sheets with the same columns are stacked into one table)",
        [s.name for s in workbook_sheets],
        key="w.sheets",
        default=list(table.sheets),
        format_func=lambda n: (
            f"{n} ({next(s.rows for s in workbook_sheets if s.name == n):,} rows)"
        ),
    )
    if chosen and tuple(chosen) != table.sheets:
        try:
            with st.spinner("Reading the sheets …"):
                state = read_sheets(chosen)
            table = state.table
        except AnalyticsError as exc:
            show_error(exc)

st.markdown(f"**{md(table.source)}** — {md(table.describe())}")
for note in table.notes:
    st.caption(f":material/info: {md(note)}")

# --- 2. Kind and column roles ---------------------------------------------------------------------
st.subheader("2 · What is it, and which column is which?")
guess = state.guess
kind = kept(
    st.selectbox,
    "Kind of data",
    KINDS,
    format_func=KIND_LABELS.__getitem__,
    key="w.kind",
    default=state.kind,
    help="Transactions feed every page; baskets feed Baskets; customers feed Segments and Propensity; series feed Forecast.",
)
st.caption(f"Detected: **{guess.kind}** — {md(' '.join(guess.reasons))}")
if kind != state.kind:
    try:
        state = update_state(kind=kind)
    except AnalyticsError as exc:
        show_error(exc)


def _role_widgets(state: DataState) -> ColumnMapping:
    """One select box per role, initialised from the current mapping; returns the user's choice."""
    columns = [str(c) for c in state.table.frame.columns]
    mapping = state.mapping
    changes: dict[str, object] = {}
    roles = KIND_ROLES[state.kind]
    if state.kind == "baskets" and mapping.items:
        items = kept(
            st.multiselect,
            "Columns holding the items of each basket",
            columns,
            key="w.items",
            default=list(mapping.items),
        )
        return replace(mapping, items=tuple(items))
    grid = st.columns(3)
    for i, role in enumerate(roles):
        current = getattr(mapping, role)
        with grid[i % 3]:
            choice = kept(
                st.selectbox,
                ROLE_LABELS[role],
                [NONE, *columns],
                key=f"w.role.{role}",
                default=current if current in columns else NONE,
            )
        changes[role] = None if choice == NONE else choice
    if state.kind == "transactions":
        dims = kept(
            st.multiselect,
            "Dimensions to slice by (country, channel, …)",
            [c for c in columns if c not in changes.values()],
            key="w.dims",
            default=[d for d in mapping.dimensions if d in columns],
        )
        changes["dimensions"] = tuple(dims)
    if state.kind == "baskets":
        st.caption(
            "With a date chosen, a basket is what one basket id (a member, a card) bought on "
            "one day; without one, every line with the same basket id is one basket."
        )
    if state.kind == "customers":
        others = [c for c in columns if c != changes.get("customer_id")]
        st.caption(
            f"Every other column is a customer attribute: {md(', '.join(others[:12]))}{' …' if len(others) > 12 else ''}"
        )
    dates = state.original.dates if state.original is not None else None
    if dates is not None and dates.ambiguous:
        order = kept(
            st.radio,
            "Date order",
            ["Month first", "Day first"],
            horizontal=True,
            key="w.dayfirst",
            default="Day first" if dates.dayfirst else "Month first",
            help="Month first: 1/3/2019 is January 3 (US exports). Day first: 1/3/2019 is 1 March.",
        )
        changes["dayfirst"] = order == "Day first"
    return replace(mapping, **changes)  # type: ignore[arg-type]


new_mapping = _role_widgets(state)
if new_mapping != state.mapping:
    try:
        state = update_state(mapping=new_mapping)
    except AnalyticsError as exc:
        show_error(exc)


def _evidence(state: DataState) -> None:
    """Why each column got its role; a request to confirm what rests on a guess."""
    evidence = mapping_evidence(state)
    unsure = [e for e in evidence if not e.confident]
    if evidence:
        with st.expander(
            "Why these columns" + (f" ({len(unsure)} guessed)" if unsure else ""),
            expanded=bool(unsure) and not state.confirmed,
        ):
            for e in evidence:
                icon = ":material/check_circle:" if e.confident else ":material/help:"
                st.caption(f"{icon} **{ROLE_LABELS[e.role]}** ← {md(e.column)}: {md(e.evidence)}")
    if state.confirmed:
        return
    doubts = [f"{ROLE_LABELS[e.role]} ← {e.column}" for e in unsure]
    if not state.guess.confident:
        doubts.insert(0, f"the kind ({state.kind})")
    st.warning(
        "MarketLens is not sure of "
        + md("; ".join(doubts) or "this mapping")
        + ". Check the kind and the columns above (change any that is wrong), then confirm: "
        "the analysis pages wait until then rather than run on a guess.",
        icon=":material/help:",
    )
    st.button(
        "The kind and columns are right",
        key="confirm_mapping",
        type="primary",
        on_click=confirm_mapping,
        icon=":material/check:",
    )


_evidence(state)
if state.original is None:
    show_error(state.problem or AnalyticsError("The columns are not mapped yet."))
    st.caption(
        "The file is read and kept: pick the column for each role above, or another kind of data. "
        "The analysis pages wait until the roles are complete."
    )
    table_of(table.frame.head(200), own=set(table.frame.columns), height=260)
    raise PageDone
dataset = state.original
if dataset.dates is not None:
    st.caption(f":material/calendar_month: {md(dataset.dates.describe())}")
for note in dataset.notes:
    if not note.startswith("Date"):
        st.caption(f":material/info: {md(note)}")

preview_file, preview_mapped = st.tabs(["File as read", "As MarketLens reads it"])
with preview_file:
    table_of(table.frame.head(200), own=set(table.frame.columns), height=260)
with preview_mapped:
    table_of(dataset.frame.head(200), own=set(dataset.dimensions), height=260)

# --- 3. Quality -----------------------------------------------------------------------------------
st.subheader("3 · Quality")
report = cached_quality(dataset, table.fingerprint, table.frame)
cells = st.columns(5)
cells[0].metric("Rows", f"{report.n_rows:,}")
cells[1].metric("Columns", f"{report.n_columns:,}")
labels = {
    "drop_duplicates": "Duplicate rows",
    "drop_cancellations": "Cancellations",
    "drop_missing_customers": "No customer id",
    "drop_nonpositive_prices": "Price ≤ 0",
    "drop_missing_dates": "Unreadable dates",
    "drop_implausible_dates": "Dates before 1990 or far ahead",
}
shown = [k for k in labels if k in report.counts][:3]
for cell, key in zip(cells[2:], shown, strict=False):
    cell.metric(labels[key], f"{report.counts[key]:,}")
if report.findings:
    st.markdown(
        "\n".join(f"- {SEVERITY_ICON[f.severity]} {md(f.message)}" for f in report.findings)
    )
else:
    st.success("No problems found.")
with st.expander("Columns: types, missing values, ranges"):
    table_of(report.columns)
    st.plotly_chart(missing_values_figure(report), key="missing_chart")

# --- 4. Cleaning ----------------------------------------------------------------------------------
st.subheader("4 · Cleaning")
st.caption(
    "Each step shows how many rows it removes on its own. Steps always run in this order, from the original data."
)
options = report.cleaning_options


def _undo_all() -> None:
    for option in options:
        st.session_state[f"w.clean.{option.step.name}"] = False


chosen_steps = tuple(
    option.step.name
    for option in options
    if kept(
        st.checkbox,
        f"{option.step.label} — {option.rows:,} rows",
        key=f"w.clean.{option.step.name}",
        default=option.step.name in state.steps,
        disabled=option.rows == 0 and option.step.name not in state.steps,
    )
)
if chosen_steps != state.steps:
    try:
        state = update_state(steps=chosen_steps)
    except AnalyticsError as exc:
        show_error(exc)
result = state.cleaned
if result.log:
    table_of(result.summary)
    st.button("Undo all cleaning", on_click=_undo_all, icon=":material/undo:")
st.markdown(
    f"**{result.dataset.n_rows:,} rows** go to the analysis pages"
    + (
        f" ({result.rows_removed:,} removed by cleaning)."
        if result.rows_removed
        else " (nothing removed)."
    )
)
st.download_button(
    "Download the cleaned data (CSV)",
    data=partial(to_csv_bytes, result.dataset.frame),
    file_name=f"{table.source.rsplit('.', 1)[0]}_cleaned.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
