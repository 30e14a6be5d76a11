"""The Data page's large-source flow: a file or folder on the server, inside the folders the
operator allows, read out of core (DuckDB) or on Spark; the Overview, RFM segments and rules of
it, computed as aggregations (``analytics.engines``)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analytics.baskets import run_rules
from analytics.engines import (
    LargeSource,
    inside_roots,
    large_baskets,
    large_overview,
    large_rfm,
    large_sources,
    open_large,
    prepare_table,
)
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, current_language
from analytics.overview import OverviewResult
from analytics.plots import trend_figure
from analytics.segments import RFMResult, rfm_segments_figure
from pages._database import database_engine, database_options, database_tables
from pages._display import current_display, table
from pages._errors import show_error
from pages._widgets import PageDone, kept, md

#: The session's prepared large source.
_SOURCE = "ml.large.source"
_REQUEST = "ml.large.request"
WHERE_LABELS = {"files": N_("A file or folder on the server"), "table": N_("A database table")}
ENGINE_LABELS = {"duckdb": N_("DuckDB, on this server"), "spark": N_("Spark cluster")}


def _settings() -> dict[str, object]:
    try:
        return dict(st.secrets.get("marketlens", {}).get("large", {}))
    except FileNotFoundError:
        return {}


def large_roots() -> list[str]:
    """The folders the operator lets visitors read large files from: ``MARKETLENS_LARGE_ROOTS``
    (separated by ``os.pathsep``), else ``[marketlens.large] roots`` of secrets.toml."""
    env = os.environ.get("MARKETLENS_LARGE_ROOTS")
    if env:
        return [r for r in env.split(os.pathsep) if r]
    roots = _settings().get("roots", [])
    return [str(r) for r in roots] if isinstance(roots, list | tuple) else [str(roots)]


def spark_master() -> str | None:
    """The Spark master the operator set up (``MARKETLENS_SPARK_MASTER`` or ``[marketlens.large]
    spark_master``), or None: then only DuckDB is offered."""
    master = os.environ.get("MARKETLENS_SPARK_MASTER") or _settings().get("spark_master")
    return str(master) if master else None


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def _choices(roots: tuple[str, ...]) -> list[str]:
    return [str(p) for p in large_sources(roots)]


@st.cache_data(max_entries=8, show_spinner=False)
def _overview(_source: LargeSource, key: str, language: str) -> OverviewResult:
    return large_overview(_source, freq="W")


@st.cache_data(max_entries=8, show_spinner=False)
def _rfm(_source: LargeSource, key: str, language: str) -> RFMResult:
    return large_rfm(_source)


@st.cache_data(max_entries=8, show_spinner=False)
def _rules(
    _source: LargeSource, key: str, support: float, confidence: float, language: str
) -> pd.DataFrame:
    if _source.engine == "spark":
        from analytics.engines.spark import spark_rules

        return spark_rules(_source, min_support=support, min_confidence=confidence)
    return run_rules(large_baskets(_source), min_support=support, min_confidence=confidence).table


def _shown_path(path: str, roots: list[str]) -> str:
    """A source as the root's name and the path inside it (``exports/orders``)."""
    for root in roots:
        if Path(path).is_relative_to(root):
            return str(Path(Path(root).name) / Path(path).relative_to(root))
    return path


def _scan() -> None:
    st.session_state[_REQUEST] = True


def large_source_flow() -> None:
    """Draw the flow; it ends the page (the rest of the Data page is about in-memory tables)."""
    st.caption(
        _(
            "For data too large to upload: MarketLens reads it where it is, out of core, and "
            "brings only the aggregated results into this page. Uploads stay limited to "
            "2,000,000 rows."
        )
    )
    try:
        database = database_engine()
    except AnalyticsError:
        database = None  # the Database source says what is wrong with it
    where = "files"
    if database is not None:
        where = kept(
            st.radio,
            _("Read"),
            ["files", "table"],
            format_func=lambda w: _(WHERE_LABELS[w]),
            horizontal=True,
            key="w.large.where",
            default="files",
        )
    if where == "table" and database is not None:
        request = _table_choice(database)
    else:
        request = _file_choice()
    if request is not None:
        _prepare(*request)
    source: LargeSource | None = st.session_state.get(_SOURCE)
    if source is None:
        raise PageDone
    _results(source)
    raise PageDone


def _file_choice() -> tuple[str, str, list[str], object] | None:
    """The file or folder and engine chosen, once Read it is pressed."""
    roots = large_roots()
    if not roots:
        st.info(
            _(
                "No folder for large files is set up. Whoever runs this server can allow some in "
                "`.streamlit/secrets.toml`, for example:"
            )
            + '\n\n```toml\n[marketlens.large]\nroots = ["/data/exports"]\n# spark_master = "spark://spark-master:7077"\n```',
            icon=":material/folder_off:",
        )
        raise PageDone
    choices = _choices(tuple(roots))
    if not choices:
        st.info(
            _("The folders {roots} hold no Parquet or CSV files.").format(
                roots=", ".join(f"`{md(r)}`" for r in roots)
            )
        )
        raise PageDone
    path = kept(
        st.selectbox,
        _("File or folder on the server"),
        choices,
        key="w.large.path",
        default=choices[0],
        format_func=lambda p: _shown_path(p, roots),
        help=_("A folder of Parquet or CSV files is read as one source."),
    )
    engines = ["duckdb", "spark"] if spark_master() else ["duckdb"]
    engine = kept(
        st.radio,
        _("Engine"),
        engines,
        format_func=lambda e: _(ENGINE_LABELS[e]),
        horizontal=True,
        key="w.large.engine",
        default="duckdb",
    )
    st.button(_("Read it"), on_click=_scan, icon=":material/dataset:", type="primary")
    if not st.session_state.pop(_REQUEST, False):
        return None
    return path, engine, roots, None


def _table_choice(database: Engine) -> tuple[str, str, list[str], object] | None:
    """The database table chosen, once Read it is pressed (streamed into DuckDB)."""
    try:
        tables = database_tables(database)
    except AnalyticsError as exc:
        show_error(exc)
        raise PageDone from None
    if not tables:
        st.info(_("This database has no tables or views the connection can see."))
        raise PageDone
    table_name = kept(
        st.selectbox, _("Table or view"), tables, key="w.large.table", default=tables[0]
    )
    st.button(_("Read it"), on_click=_scan, icon=":material/dataset:", type="primary")
    if not st.session_state.pop(_REQUEST, False):
        return None
    return table_name, "duckdb", [], database


def _prepare(path: str, engine: str, roots: list[str], database: object) -> None:
    name = Path(path).name if database is None else path
    with st.status(_("Reading {name} …").format(name=md(name)), expanded=True) as status:
        bar = st.progress(0.0)
        try:

            def progress(share: float, message: str) -> None:
                bar.progress(min(share, 1.0), text=message)

            if database is not None:
                source = prepare_table(
                    database, path, options=database_options(), progress=progress
                )
            else:
                source = open_large(
                    str(inside_roots(path, roots)),
                    engine=engine,
                    master=spark_master() or "local[2]",
                    progress=progress,
                )
        except AnalyticsError as exc:
            status.update(label=_("Could not read {name}").format(name=md(name)), state="error")
            show_error(exc)
            return
        bar.progress(1.0, text=_("Done"))
        status.update(
            label=_("Read {name}: {rows} order lines").format(
                name=md(name), rows=current_display().count(source.rows_kept)
            ),
            state="complete",
            expanded=False,
        )
    st.session_state[_SOURCE] = source


def _results(source: LargeSource) -> None:
    shown = current_display()
    key = f"{source.engine}:{source.fingerprint}"
    language = current_language()
    st.markdown(
        _("**{name}** — {read} lines read, {kept} kept ({engine})").format(
            name=md(source.source),
            read=shown.count(source.rows_read),
            kept=shown.count(source.rows_kept),
            engine=_(ENGINE_LABELS[source.engine]),
        )
    )
    for note in source.notes:
        st.caption(f":material/info: {md(note)}")
    try:
        with st.spinner(_("Adding up the Overview …")):
            overview = _overview(source, key, language)
        cards = st.columns(len(overview.kpis))
        for card, kpi in zip(cards, overview.kpis, strict=True):
            with card.container(border=True):
                st.metric(_(kpi.name), shown.kpi(kpi.value, kpi.unit), help=_(kpi.help))
        st.plotly_chart(
            shown.chart(trend_figure(overview, "revenue"), money="y"), key="large_trend"
        )
        if source.has_customers:
            with st.spinner(_("Scoring every customer …")):
                rfm = _rfm(source, key, language)
            st.subheader(_("Customers by RFM segment"))
            st.plotly_chart(rfm_segments_figure(rfm), key="large_rfm")
            table(rfm.summary)
        with st.expander(_("What sells together")):
            support = st.number_input(
                _("Minimum support"), 0.001, 0.5, 0.01, 0.001, format="%.3f", key="w.large.support"
            )
            confidence = st.number_input(
                _("Minimum confidence"), 0.05, 1.0, 0.5, 0.05, key="w.large.confidence"
            )
            with st.spinner(_("Finding rules …")):
                rules = _rules(source, key, float(support), float(confidence), language)
            st.caption(_("{n} rules.").format(n=shown.count(len(rules))))
            if len(rules):
                top = rules.head(20).assign(
                    antecedent=lambda t: t["antecedent"].map(" + ".join),
                    consequent=lambda t: t["consequent"].map(" + ".join),
                )
                table(top[["antecedent", "consequent", "support", "confidence", "lift"]])
    except AnalyticsError as exc:
        show_error(exc)
    st.caption(
        _(
            "The other pages analyse a table held in this session's memory. For a large source, "
            "these figures, and `python -m analytics large` for the rest, are computed where the "
            "data is."
        )
    )
