"""What every page shares: the session's dataset, its keys, cached calls and error display.

This module owns the ``st.session_state`` keys. Keys starting with ``w.`` belong to widgets whose
value must survive switching pages: ``kept`` creates them with ``persist_state=PERSIST`` (Streamlit
drops the value of a widget that is not rendered otherwise). Keys starting with ``ml.`` hold the
session's data. Cached functions take every input as an argument
and are keyed by content fingerprints, so one session can never receive another session's data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analytics.baskets import Baskets, Rules, RulesParams, build_baskets, run_rules
from analytics.budget import Budget, Interrupted
from analytics.errors import AnalyticsError
from analytics.export import to_csv_bytes, to_excel_bytes
from analytics.forecast import (
    ForecastParams,
    ForecastResult,
    ResidualCheck,
    SalesSeries,
    build_series,
    decompose,
    residual_diagnostics,
    run_forecast,
)
from analytics.io import LoadedTable, load_table
from analytics.overview import OverviewParams, OverviewResult, run_overview
from analytics.params import Params
from analytics.propensity import (
    PropensityData,
    PropensityParams,
    PropensityResult,
    feature_importance,
    fit_propensity,
    propensity_data,
)
from analytics.quality import (
    DEFAULT_STEPS,
    CleaningResult,
    QualityReport,
    clean,
    default_steps,
    quality_report,
)
from analytics.recommend import RecommendationEval, evaluate_recommendations, similar_items
from analytics.report import Report, ReportOptions, build_report
from analytics.rfm import RFMResult, compute_rfm
from analytics.samples import SAMPLE_FILES
from analytics.schema import (
    ColumnMapping,
    Dataset,
    Kind,
    KindGuess,
    RoleEvidence,
    build_dataset,
    detect_kind,
    detect_mapping,
    role_evidence,
)
from analytics.segments import (
    CustomerFeatures,
    KSweep,
    SegmentationResult,
    SegmentParams,
    customer_features,
    run_segmentation,
    scale_features,
    sweep_k,
)
from analytics.sql import (
    DatabaseOptions,
    connection_warnings,
    list_tables,
    read_query,
    read_table,
)
from analytics.workspace import encode, savable
from pages._memory import release_memory, tune_allocator
from pages._runtime import session_alive

tune_allocator()

#: Where the bundled samples are read from: data/ unless the operator points
#: $MARKETLENS_SAMPLES at a folder written by ``python -m analytics sample --out FOLDER``
#: (the tests use a small one, so every page runs in seconds).
SAMPLES_ENV = "MARKETLENS_SAMPLES"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def sample_dir() -> Path:
    """The folder the bundled samples are read from (read on every call: tests set it late)."""
    return Path(os.environ.get(SAMPLES_ENV) or DATA_DIR)


SAMPLE_LABELS = {
    "transactions": "Online shop orders (transactions, 2 years)",
    "baskets": "Shopping baskets (one basket per line)",
    "customers": "Customer list with churn flag (customers)",
    "series": "Daily revenue (series)",
}
#: How long a cached result is kept after it was computed. Each cached function also holds a
#: bounded number of entries, and .streamlit/config.toml caps all of them together
#: (server.maxCacheDataSize), so a busy server's memory stays bounded.
CACHE_TTL = "1h"
#: Widgets keep their value for the whole session, across page switches (Streamlit >= 1.59).
PERSIST: Literal["session"] = "session"
T = TypeVar("T")
_STATE = "ml.data"
_FAILED_UPLOAD = "ml.failed_upload"
_ANALYSES = "ml.analyses"


@dataclass(frozen=True)
class DataState:
    """The session's data: the table as read, how it is mapped and cleaned, and the results."""

    table: LoadedTable
    origin: str  # "sample" or "upload"
    guess: KindGuess
    kind: Kind
    mapping: ColumnMapping
    steps: tuple[str, ...]
    original: Dataset | None  # None while the roles are incomplete: ``problem`` says why
    cleaned: CleaningResult | None
    upload_id: str | None = None
    workbook: bytes | None = None  # an uploaded workbook with several sheets, to pick others
    problem: AnalyticsError | None = None
    # False while a proposed kind or role rests on a guess the user has not confirmed: the
    # analysis pages wait (see ``mapping_evidence``).
    confirmed: bool = True


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+|~$:!-])")


def md(text: object) -> str:
    """Text from a user's file (names, values, file names) made literal inside Markdown.

    Streamlit renders captions, alerts and markdown as Markdown: a column called ``**x**`` or
    ``[offer](http://…)`` must show as typed, not as bold text or a link.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def kept(
    widget: Callable[..., T], label: str, *args: Any, key: str, default: Any, **kwargs: Any
) -> T:
    """Draw a widget whose value survives page switches, starting at ``default``.

    Example: ``freq = kept(st.selectbox, "Trend by", ["D", "W"], key="w.freq", default="W")``.
    A kept value that is no longer among the options (another dataset's column) is dropped.
    """
    if (
        key in st.session_state
        and args
        and isinstance(args[0], Sequence)
        and not isinstance(args[0], str)
    ):
        options, kept_value = list(args[0]), st.session_state[key]
        if isinstance(kept_value, list):
            if any(v not in options for v in kept_value):
                st.session_state[key] = [v for v in kept_value if v in options]
        elif kept_value not in options:
            del st.session_state[key]
    st.session_state.setdefault(key, default)
    return widget(label, *args, key=key, persist_state=PERSIST, **kwargs)


#: The widget keys of each page (by its URL path), shown when the page fails unexpectedly.
PAGE_INPUTS: dict[str, tuple[str, ...]] = {
    "overview": ("w.overview.",),
    "segments": ("w.seg.",),
    "basket": ("w.basket.",),
    "forecast": ("w.forecast.",),
    "propensity": ("w.propensity.",),
    "workspaces": ("ws.",),
    "report": ("w.report.",),
    "data": (
        *("w.source", "w.sample", "w.sheets", "w.kind", "w.dayfirst", "w.dims", "w.items"),
        *("w.role.", "w.clean.", "w.db."),
    ),
}
log = logging.getLogger("marketlens")
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    # MARKETLENS_LOG=DEBUG also logs how long each page run took (bench/soak.py reads it).
    log.setLevel(os.environ.get("MARKETLENS_LOG", "INFO").upper())


class PageDone(Exception):
    """Raised by a page that has said why it cannot go on (unlike st.stop, the app's sidebar
    is still drawn after it)."""


def run_page(page: Any) -> None:
    """Run a page; an unexpected exception gets an apology, not a traceback, and a log entry.

    Streamlit's own control flow (``st.rerun``, ``st.stop``, ``st.switch_page``) passes through:
    it raises BaseException subclasses, which ``except Exception`` does not catch.
    Problems with the user's data are ``AnalyticsError`` and each page explains them itself; this
    catches the rest, so that a bug on one page leaves the session, its data and the other pages
    working.
    """
    start = time.perf_counter()
    try:
        page.run()
    except PageDone:
        pass
    except Exception as exc:
        report_unexpected(exc, page.url_path or "overview", page.title)
    finally:
        release_memory()  # what the run's table work freed goes back to the system
    log.debug("page %s ran in %.3f s", page.url_path or "overview", time.perf_counter() - start)


#: Set to 1 to have incident logs include file names, widget values and error messages (user
#: data: off by default, so that the server log holds no customer data).
LOG_USER_DATA_ENV = "MARKETLENS_LOG_USER_DATA"


def report_unexpected(exc: Exception, url_path: str, title: str) -> str:
    """Log an unexpected exception under a new incident id and show it kindly; return the id.

    The log holds the page, the error type, where in the code it happened, a hash and the size of
    the data and the names of the page's widgets: never file names, cell values, widget values or
    the error's message (which can quote data), unless the operator sets
    ``MARKETLENS_LOG_USER_DATA=1``. The visitor sees an apology, the incident id and their own
    settings, never a traceback.
    """
    incident = uuid.uuid4().hex[:12]
    prefixes = PAGE_INPUTS.get(url_path, ("w.",))
    inputs = {
        str(key): value
        for key, value in sorted(st.session_state.to_dict().items(), key=lambda kv: str(kv[0]))
        if str(key).startswith(prefixes)
    }
    state = st.session_state.get(_STATE)
    where = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    if os.environ.get(LOG_USER_DATA_ENV) == "1":
        data = (
            f"{state.table.source} ({state.origin}, {state.kind}, {state.table.n_rows:,} rows)"
            if state is not None
            else "none"
        )
        log.error(
            "incident %s on page %r: %s: %s\ndata %s, inputs %s\n%s",
            incident,
            url_path,
            type(exc).__name__,
            exc,
            data,
            {k: repr(v)[:300] for k, v in inputs.items()},
            where,
        )
    else:
        data = (
            f"table {state.table.fingerprint[:12]} ({state.origin}, {state.kind}, "
            f"{state.table.n_rows} rows x {state.table.frame.shape[1]} columns)"
            if state is not None
            else "none"
        )
        log.error(
            "incident %s on page %r: %s (message withheld; %s=1 logs it)\ndata %s, widgets %s\n%s",
            incident,
            url_path,
            type(exc).__name__,
            LOG_USER_DATA_ENV,
            data,
            sorted(inputs),
            where,
        )
    st.error(
        f"Sorry, the {md(title)} page ran into a problem it did not expect, so part of it is "
        f"missing. Your data and your other pages are fine. If it happens again, please report "
        f"incident **{incident}** to whoever runs this server.",
        icon=":material/sentiment_dissatisfied:",
    )
    with st.expander("What this page was doing"):
        if state is not None:
            st.markdown(f"**Data:** {md(state.table.source)} ({state.table.n_rows:,} rows)")
        if inputs:
            st.dataframe(
                pd.DataFrame(
                    {"setting": list(inputs), "value": [repr(v)[:300] for v in inputs.values()]}
                ),
                hide_index=True,
            )
    return incident


def show_error(exc: AnalyticsError) -> None:
    """A user-caused problem: what is wrong, then what to do."""
    if isinstance(exc, Interrupted):  # the operator sees runaway work stopped (no user data)
        log.info("stopped: %s", exc.message)
    message = md(exc.message) + (f"\n\n{md(exc.hint)}" if exc.hint else "")
    st.error(message, icon=":material/error:")


def load_sample(kind: str) -> LoadedTable:
    """A bundled sample, read through the same loader as uploads (shared by all sessions)."""
    return _load_sample_file(str(sample_dir() / SAMPLE_FILES[kind]))


@st.cache_data(max_entries=8, show_spinner=False, ttl=CACHE_TTL)
def _load_sample_file(path: str) -> LoadedTable:
    if not Path(path).exists():
        raise AnalyticsError(
            f"The sample file {Path(path).name} is missing.",
            hint=f"Recreate the samples with: python -m analytics sample --out {Path(path).parent}",
        )
    table = load_table(path)
    _ = table.fingerprint  # computed once, and cached with the table
    return table


@st.cache_data(max_entries=16, show_spinner=False, ttl=CACHE_TTL)
def _read_file(digest: str, name: str, _data: bytes) -> LoadedTable:
    """An uploaded file read, keyed by the SHA-256 of its bytes and its name.

    Two users uploading the same export share the reading, never the session: each gets a copy.
    """
    table = load_table(_data, name=name)
    _ = table.fingerprint
    return table


@st.cache_data(max_entries=16, show_spinner=False, ttl=CACHE_TTL)
def _proposed_state(table_key: str, _table: LoadedTable, origin: str) -> DataState:
    """Kind, roles and default cleaning proposed for a table, keyed by its content fingerprint.

    Every visitor starts on the same sample: its mapping and cleaning are done once, not once per
    session (on a busy server that was the slowest part of opening the app).
    """
    return _make_state(_table, origin, pending=True)


def _make_state(
    table: LoadedTable,
    origin: str,
    *,
    kind: Kind | None = None,
    mapping: ColumnMapping | None = None,
    steps: Sequence[str] | None = None,
    upload_id: str | None = None,
    workbook: bytes | None = None,
    guess: KindGuess | None = None,
    pending: bool = False,
) -> DataState:
    """Map and clean a table. With ``pending``, roles that cannot make a dataset yet give a state
    with ``problem`` set (the user picks the missing columns on the Data page) instead of an error.
    """
    guess = guess or detect_kind(table.frame, header=table.header)
    chosen: Kind = kind or guess.kind
    # A kind or mapping given is the user's (or a saved workspace's) choice; a proposed one is
    # sure only when the kind and every role rest on clear evidence.
    proposed = mapping is None and kind is None
    mapping = mapping or detect_mapping(table.frame, chosen, header=table.header)
    confirmed = (
        not proposed
        or origin == "sample"
        or (
            guess.confident
            and all(
                e.confident
                for e in _evidence(table.fingerprint, chosen, repr(mapping), mapping, table.frame)
            )
        )
    )
    original: Dataset | None = None
    problem: AnalyticsError | None = None
    try:
        original = build_dataset(table.frame, chosen, mapping, source=table.source)
    except AnalyticsError as exc:
        if not pending:
            raise
        problem = exc
    if steps is not None:
        chosen_steps = tuple(steps)
    else:
        chosen_steps = DEFAULT_STEPS if original is None else default_steps(original)
    return DataState(
        table,
        origin,
        guess,
        chosen,
        mapping,
        chosen_steps,
        original,
        None if original is None else clean(original, chosen_steps),
        upload_id,
        workbook,
        problem,
        confirmed,
    )


def data_state() -> DataState:
    """The session's data, opening the bundled transactions sample on first use."""
    state = st.session_state.get(_STATE)
    if state is None:
        table = load_sample("transactions")
        state = _proposed_state(table.fingerprint, table, "sample")
        st.session_state[_STATE] = state
    return state


_MAPPING_WIDGETS = ("w.role.", "w.dims", "w.dayfirst", "w.items", "w.clean.")


def _reset_widgets(prefixes: Sequence[str]) -> None:
    for key in [k for k in st.session_state if str(k).startswith(tuple(prefixes))]:
        del st.session_state[key]


def set_table(
    table: LoadedTable,
    origin: str,
    *,
    upload_id: str | None = None,
    workbook: bytes | None = None,
    new_file: bool = True,
    shared: bool = True,
) -> DataState:
    """Replace the session's data with a new table; kind, roles and cleaning are proposed afresh.

    If the roles found cannot make a dataset, the table is kept with its ``problem`` for the user
    to pick the missing columns: analysis pages wait until then. ``shared=False`` skips the cache
    shared by all sessions (a large table would be held there twice more: pickled, and copied out).
    """
    proposed = (
        _proposed_state(table.fingerprint, table, origin)
        if shared
        else _make_state(table, origin, pending=True)
    )
    state = replace(proposed, upload_id=upload_id, workbook=workbook)
    st.session_state[_STATE] = state
    _reset_widgets(("w.kind", *_MAPPING_WIDGETS, *(("w.sheets",) if new_file else ())))
    return state


#: Uploads above this size are read one at a time on the whole server and kept out of the shared
#: cache: reading one peaks at several times its size, and two at once multiplied it.
LARGE_UPLOAD_BYTES = 20 * 1024**2
_LARGE_READS = threading.BoundedSemaphore(1)
_LARGE_READ_WAIT_SECONDS = 600


@contextmanager
def _large_read_slot(waiting: Callable[[], None] | None) -> Iterator[None]:
    """The server's one slot for reading a large upload; ``waiting()`` says when it is taken."""
    if not _LARGE_READS.acquire(blocking=False):
        if waiting is not None:
            waiting()
        if not _LARGE_READS.acquire(timeout=_LARGE_READ_WAIT_SECONDS):
            raise AnalyticsError(
                "The server is busy reading other large files.", hint="Try again in a few minutes."
            )
    try:
        yield
    finally:
        _LARGE_READS.release()


def read_upload(
    file_id: str, name: str, data: bytes, *, waiting: Callable[[], None] | None = None
) -> DataState:
    """Make an uploaded file the session's data; a file that fails is remembered, not retried.

    A workbook with several sheets is kept, so that the user can pick other sheets. A large file
    waits for any other large file being read on the server (``waiting`` is called first, to say
    so) and is read and mapped without the shared cache.
    """
    large = len(data) > LARGE_UPLOAD_BYTES
    try:
        with _large_read_slot(waiting) if large else nullcontext():
            if large:
                table = load_table(data, name=name)
                _ = table.fingerprint
            else:
                table = _read_file(hashlib.sha256(data).hexdigest(), name, data)
            several = sum(1 for sheet in table.workbook_sheets if sheet.columns) > 1
            state = set_table(
                table,
                "upload",
                upload_id=file_id,
                workbook=data if several else None,
                shared=not large,
            )
            if large:
                if state.original is not None:  # the Data page's next step, still in the slot
                    cached_quality(state.original, table.fingerprint, table.frame)
                release_memory()
            return state
    except AnalyticsError as exc:
        st.session_state[_FAILED_UPLOAD] = (file_id, exc)
        raise


#: Wall-clock seconds one analysis may compute for a visitor before it is stopped with a message.
COMPUTE_SECONDS_ENV = "MARKETLENS_COMPUTE_SECONDS"
COMPUTE_SECONDS = 300.0


def compute_budget(what: str) -> Budget:
    """The budget of one analysis run for this visitor: stopped when they close the tab, or after
    ``MARKETLENS_COMPUTE_SECONDS`` (default 300) seconds."""
    try:
        seconds = float(os.environ.get(COMPUTE_SECONDS_ENV) or COMPUTE_SECONDS)
    except ValueError:
        seconds = COMPUTE_SECONDS
    return Budget(seconds=seconds, alive=session_alive(), what=what)


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
            f"The database connection in .streamlit/secrets.toml does not work: "
            f"{type(exc).__name__}.",
            hint="Check [connections.sql] url (e.g. postgresql://user:password@host/db, or "
            "sqlite:///path/to/file.sqlite).",
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
    _ = table.fingerprint
    return set_table(table, "database")


def upload_failure(file_id: str) -> AnalyticsError | None:
    """The error of this upload if it already failed."""
    failed = st.session_state.get(_FAILED_UPLOAD)
    return failed[1] if failed and failed[0] == file_id else None


def read_sheets(sheets: Sequence[str]) -> DataState:
    """Read other sheets of the uploaded workbook; kind, roles and cleaning are proposed afresh."""
    state = data_state()
    if state.workbook is None:
        raise AnalyticsError("Only an uploaded workbook with several sheets offers other sheets.")
    table = load_table(state.workbook, name=state.table.source, sheets=sheets)
    return set_table(
        table, "upload", upload_id=state.upload_id, workbook=state.workbook, new_file=False
    )


def update_state(
    *,
    kind: Kind | None = None,
    mapping: ColumnMapping | None = None,
    steps: Sequence[str] | None = None,
) -> DataState:
    """Change the kind, roles or cleaning steps; everything downstream is rebuilt from the table."""
    state = data_state()
    new_kind = kind or state.kind
    kind_changed = new_kind != state.kind
    if kind_changed:
        mapping = detect_mapping(state.table.frame, new_kind, header=state.table.header)
        _reset_widgets(_MAPPING_WIDGETS)
    new_mapping = mapping or state.mapping
    new_steps = tuple(steps) if steps is not None else state.steps
    # While the roles are incomplete every change is a new attempt at mapping the table.
    complete = state.original is not None
    if complete and (new_kind, new_mapping, new_steps) == (state.kind, state.mapping, state.steps):
        return state
    if complete and (new_kind, new_mapping) == (state.kind, state.mapping):
        new_state = replace(state, steps=new_steps, cleaned=clean(state.original, new_steps))
    else:
        # A kind or a column the user chose is their word on the mapping: _make_state counts a
        # given mapping as confirmed.
        new_state = _make_state(
            state.table,
            state.origin,
            kind=new_kind,
            mapping=new_mapping,
            steps=new_steps,
            upload_id=state.upload_id,
            workbook=state.workbook,
            guess=state.guess,
            pending=kind_changed or not complete,
        )
    st.session_state[_STATE] = new_state
    return new_state


def mapping_evidence(state: DataState) -> tuple[RoleEvidence, ...]:
    """The evidence behind each role of the session's mapping (cached per table and mapping)."""
    return _evidence(
        state.table.fingerprint, state.kind, repr(state.mapping), state.mapping, state.table.frame
    )


@st.cache_data(max_entries=32, show_spinner=False, ttl=CACHE_TTL)
def _evidence(
    table_key: str, kind: str, mapping_key: str, _mapping: ColumnMapping, _frame: pd.DataFrame
) -> tuple[RoleEvidence, ...]:
    return role_evidence(_frame, kind, _mapping)  # type: ignore[arg-type]


def confirm_mapping() -> DataState:
    """The user says the proposed kind and roles are right: the analysis pages may run."""
    state = replace(data_state(), confirmed=True)
    st.session_state[_STATE] = state
    return state


def current_dataset() -> Dataset:
    """The mapped, cleaned dataset the analysis pages work on.

    While the Data page still waits for the user to pick a column, say so and stop the page.
    """
    state = data_state()
    if state.cleaned is None:
        point_to_data_page(
            f"{md(state.table.source)} is read, but not ready to analyse: "
            f"{md(state.problem.message if state.problem else 'its columns are not mapped')} "
            "Pick the missing column under **Column roles** on the Data page."
        )
    if not state.confirmed:
        point_to_data_page(
            f"Some columns of {md(state.table.source)} were matched on a guess. Check them under "
            "**Column roles** on the Data page and confirm, so that no figure rests on a wrong "
            "column."
        )
    return state.cleaned.dataset


def _dataset_key(dataset: Dataset) -> str:
    return dataset.fingerprint


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_quality(dataset: Dataset, table_fingerprint: str, _table: pd.DataFrame) -> QualityReport:
    """Quality report keyed by the dataset's and table's content fingerprints."""
    return quality_report(dataset, table=_table)


@st.cache_data(
    max_entries=64, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_overview(dataset: Dataset, params: OverviewParams) -> OverviewResult:
    """Overview keyed by the dataset fingerprint and the parameters."""
    return run_overview(dataset, **params.options("overview"))


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_rfm(
    dataset: Dataset, analysis_date: dt.date | None, exclude_cancellations: bool
) -> RFMResult:
    """RFM table keyed by the dataset fingerprint and the options."""
    return compute_rfm(
        dataset, analysis_date=analysis_date, exclude_cancellations=exclude_cancellations
    )


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_sweep(
    dataset: Dataset, params: SegmentParams, _budget: Budget | None = None
) -> tuple[CustomerFeatures, KSweep | None]:
    """The customers' features and, unless DBSCAN, every k fitted once (choosing k is instant).
    Pass ``params.only("features", "sweep")``."""
    table = customer_features(dataset, **params.options("features"))
    if params.algorithm == "dbscan":
        return table, None
    x = scale_features(table.values, params.scale)  # type: ignore[arg-type]
    return table, sweep_k(x, algorithm=params.algorithm, budget=_budget)  # type: ignore[arg-type]


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_segments(
    dataset: Dataset, params: SegmentParams, _budget: Budget | None = None
) -> SegmentationResult:
    """Segments keyed by the dataset fingerprint and the parameters (pass
    ``params.only("features", "sweep", "fit")``)."""
    table, sweep = cached_sweep(dataset, params.only("features", "sweep"), _budget)
    return run_segmentation(
        dataset, **params.options("features", "sweep", "fit"), sweep=sweep, table=table
    )


def _baskets_key(baskets: Baskets) -> str:
    return baskets.key


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_baskets(dataset: Dataset, params: RulesParams) -> Baskets:
    """Baskets keyed by the dataset fingerprint and the parameters (pass
    ``params.only("baskets", "customers")``); segments are RFM segments."""
    return build_baskets(
        dataset,
        **params.options("baskets"),
        customers=_segment_customers(dataset, params.segments),
    )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_rules(baskets: Baskets, params: RulesParams) -> Rules:
    """Rules keyed by the baskets' content key and the parameters (pass ``params.only("mining")``)."""
    return run_rules(baskets, **params.options("mining"))


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_evaluation(
    baskets: Baskets,
    min_support: float,
    min_confidence: float,
    min_lift: float | None,
    max_len: int | None,
    k: int,
    by: str,
) -> RecommendationEval:
    """Hit rate at k on a temporal split, keyed by the baskets and every option."""
    return evaluate_recommendations(
        baskets,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_len=max_len,
        k=k,
        by=by,  # type: ignore[arg-type]
    )


@st.cache_data(
    max_entries=64, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_similar(baskets: Baskets, item: str, k: int) -> pd.DataFrame:
    """Items with similar names, keyed by the baskets' content key."""
    return similar_items(baskets, item, k=k)


def _series_key(series: SalesSeries) -> str:
    return series.key


def _segment_customers(dataset: Dataset, segments: tuple[str, ...]) -> list[str] | None:
    """The customers in these RFM segments (None: everyone)."""
    return cached_rfm(dataset, None, True).members(segments) if segments else None


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_series(dataset: Dataset, params: ForecastParams) -> SalesSeries:
    """The series to forecast, keyed by the dataset fingerprint and the parameters (pass
    ``params.only("series", "customers")``)."""
    return build_series(
        dataset,
        **params.options("series"),
        customers=_segment_customers(dataset, params.segments),
    )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={SalesSeries: _series_key}
)
def cached_forecast(
    series: SalesSeries,
    params: ForecastParams,
    _progress: Callable[[str], None] | None = None,
    _budget: Budget | None = None,
) -> ForecastResult:
    """Backtest, choice and forecast, keyed by the series' content hash and the parameters (pass
    ``params.only("model")``)."""
    return run_forecast(series, **params.options("model"), progress=_progress, budget=_budget)


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={SalesSeries: _series_key}
)
def cached_decomposition(series: SalesSeries, season: int) -> pd.DataFrame | None:
    """STL parts of a series, keyed by its content hash."""
    return decompose(series, season)


def _forecast_key(result: ForecastResult) -> str:
    return "|".join(
        map(
            str,
            (result.series.key, result.model, result.description, result.transform, result.season),
        )
    )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={ForecastResult: _forecast_key}
)
def cached_residuals(result: ForecastResult) -> ResidualCheck:
    """Residual ACF and Ljung–Box test of a forecast's fit."""
    return residual_diagnostics(result)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_propensity_data(dataset: Dataset, params: PropensityParams) -> PropensityData:
    """Features and target: a yes/no column, or churn / buying again derived from orders (pass
    ``params.only("data")``)."""
    return propensity_data(dataset, **params.options("data"))


def _propensity_data_key(data: PropensityData) -> str:
    return data.key


@st.cache_data(
    max_entries=16,
    show_spinner=False,
    ttl=CACHE_TTL,
    hash_funcs={PropensityData: _propensity_data_key},
)
def cached_propensity(
    data: PropensityData,
    params: PropensityParams,
    _progress: Callable[[str], None] | None = None,
    _budget: Budget | None = None,
) -> PropensityResult:
    """Cross-validated models, keyed by the data's key and the parameters (pass
    ``params.only("fit")``)."""
    return fit_propensity(data, **params.options("fit"), progress=_progress, budget=_budget)


def _propensity_key(result: PropensityResult) -> str:
    return "|".join(
        map(
            str,
            (result.data.key, result.model, result.folds, result.validation, sorted(result.scores)),
        )
    )


@st.cache_data(
    max_entries=16,
    show_spinner=False,
    ttl=CACHE_TTL,
    hash_funcs={PropensityResult: _propensity_key},
)
def cached_importance(result: PropensityResult) -> pd.DataFrame:
    """Permutation importance of the chosen model's inputs."""
    return feature_importance(result)


@st.cache_data(max_entries=4, show_spinner=False, ttl=CACHE_TTL)
def cached_report(
    cleaning_key: str,
    table_key: str,
    analyses_key: str,
    title: str,
    author: str,
    day: dt.date,
    sections: tuple[str, ...],
    _cleaned: CleaningResult,
    _table: LoadedTable,
    _analyses: dict[str, dict[str, Any]],
    _progress: Callable[[str], None] | None = None,
    _budget: Budget | None = None,
) -> Report:
    """The HTML report, keyed by the content of the data, the analyses' arguments and options."""
    options = ReportOptions(title=title, author=author, date=day, sections=sections)
    return build_report(
        _cleaned,
        table=_table,
        analyses=_analyses,
        options=options,
        progress=_progress,
        budget=_budget,
    )


def build_report_cached(
    title: str,
    author: str,
    day: dt.date,
    sections: tuple[str, ...],
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The report of the session's data and analyses (built once per content and options)."""
    current_dataset()  # while the roles are incomplete, says why and stops the page
    state = data_state()
    if state.cleaned is None:  # for the type checker: current_dataset() stopped the page
        raise PageDone
    done = savable(analyses())
    cleaning_key = "|".join([state.cleaned.dataset.fingerprint, *state.steps])
    analyses_key = json.dumps(encode(done), sort_keys=True)
    return cached_report(
        cleaning_key,
        state.table.fingerprint,
        analyses_key,
        title,
        author,
        day,
        sections,
        state.cleaned,
        state.table,
        done,
        progress,
        compute_budget("The report"),
    )


# --- workspaces --------------------------------------------------------------------------------------


def remember(analysis: str, params: Params) -> None:
    """Record the parameters of the analysis a page just ran.

    They are saved with the workspace, and the report runs the same analysis with them.
    """
    st.session_state.setdefault(_ANALYSES, {})[analysis] = params.to_dict()


def analyses() -> dict[str, dict[str, Any]]:
    """The arguments of the analyses the pages last ran in this session."""
    return dict(st.session_state.get(_ANALYSES, {}))


def require_kind(dataset: Dataset, kinds: Sequence[str], what: str) -> None:
    """Stop the page, saying plainly why, when it cannot work on this kind of data."""
    if dataset.kind not in kinds:
        point_to_data_page(
            f"{what} needs {' or '.join(kinds)} data, and the current dataset "
            f"({md(dataset.source)}) is **{dataset.kind}**. Load a sales export on the Data page, "
            "or pick the transactions sample."
        )


def point_to_data_page(message: str) -> NoReturn:
    """Say what the page needs that the Data page can give, with a link there; stop the page."""
    st.info(message, icon=":material/info:")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    raise PageDone


def download_buttons(
    frame: pd.DataFrame,
    label: str,
    stem: str,
    *,
    sheet_name: str = "data",
    slots: Sequence[Any] | None = None,
) -> None:
    """CSV and Excel buttons for a table, side by side; the files are made only when clicked."""
    csv_slot, excel_slot = slots if slots is not None else st.columns(2)
    csv_slot.download_button(
        f"{label} (CSV)",
        data=partial(to_csv_bytes, frame),
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )
    excel_slot.download_button(
        f"{label} (Excel)",
        data=partial(to_excel_bytes, frame, sheet_name=sheet_name),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
    )
