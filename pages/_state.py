"""The session's data in ``st.session_state``: the current :class:`analytics.data.session.DataState`,
the analyses' parameters, and reading samples, uploads and sheets into it.

This module owns the session keys. Keys starting with ``w.`` belong to widgets whose value must
survive switching pages (see ``pages._widgets.kept``); keys starting with ``ml.`` hold the
session's data. The state's steps themselves (propose, change kind, roles or cleaning, confirm)
are the pure model in ``analytics/session.py``; this module stores the result and resets the
widgets a change makes stale."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics.data import (
    SAMPLE_FILES,
    ColumnMapping,
    Dataset,
    DataState,
    Kind,
    LoadedTable,
    QualityReport,
    RoleEvidence,
    load_table,
    privacy_key,
    protect_table,
    quality_report,
    role_evidence,
)
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, current_language, language
from analytics.params import Params
from pages._memory import release_memory, tune_allocator
from pages._widgets import ORIGINALS, md, point_to_data_page

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
    "transactions": N_("Online shop orders (transactions, 2 years)"),
    "baskets": N_("Shopping baskets (one basket per line)"),
    "customers": N_("Customer list with churn flag (customers)"),
    "series": N_("Daily revenue (series)"),
    "campaign": N_("E-mail test results: control and two e-mails (customers)"),
    "mix": N_("Weekly sales and marketing spend per channel"),
}


#: How long a cached result is kept after it was computed. Each cached function also holds a
#: bounded number of entries, and .streamlit/config.toml caps all of them together
#: (server.maxCacheDataSize), so a busy server's memory stays bounded.
CACHE_TTL = "1h"


_STATE = "ml.data"


_FAILED_UPLOAD = "ml.failed_upload"


_ANALYSES = "ml.analyses"


#: The user's privacy choices for the current source: ``(source id, {column: action}, also)``.
_PRIVACY = "ml.privacy"


_ORIGINALS = ORIGINALS


@st.cache_resource(max_entries=1, ttl=CACHE_TTL, show_spinner=False)
def _privacy_key() -> tuple[bytes, str]:
    """The deployment's pseudonym secret: ``[marketlens.privacy] secret`` of secrets.toml, else
    $MARKETLENS_PRIVACY_SECRET, else one generated and kept on the server (read once)."""
    return privacy_key(_configured_secret())


def _configured_secret() -> str | None:
    try:
        return st.secrets.get("marketlens", {}).get("privacy", {}).get("secret")
    except FileNotFoundError:  # also Streamlit's error for a missing secrets.toml
        return None


def privacy_key_source() -> str:
    """Where the pseudonym secret comes from, in words (in the visitor's language)."""
    return privacy_key(_configured_secret())[1]


def privacy_choices(source_id: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """The user's choices (action per column, other columns to pseudonymise) for this source."""
    saved = st.session_state.get(_PRIVACY)
    if saved is None or saved[0] != source_id:
        return {}, ()
    return dict(saved[1]), tuple(saved[2])


def choose_privacy(source_id: str, actions: dict[str, str], also: Sequence[str]) -> None:
    """Remember what the user chose for this source's personal columns (applied on the next read)."""
    st.session_state[_PRIVACY] = (source_id, dict(actions), tuple(also))


def _protect(table: LoadedTable, source_id: str) -> LoadedTable:
    """The table with its personal columns pseudonymised or dropped, as the user chose."""
    actions, also = privacy_choices(source_id)
    protected, pairs = protect_table(table, _privacy_key()[0], actions=actions, also=also)
    _ignored = protected.fingerprint
    if pairs:
        st.session_state[_ORIGINALS] = (protected.fingerprint, pairs)
    else:
        st.session_state.pop(_ORIGINALS, None)
    return protected


def load_sample(kind: str) -> LoadedTable:
    """A bundled sample, read through the same loader as uploads (shared by all sessions)."""
    return _load_sample_file(str(sample_dir() / SAMPLE_FILES[kind]), current_language())


@st.cache_data(max_entries=8, show_spinner=False, ttl=CACHE_TTL)
def _load_sample_file(path: str, lang: str) -> LoadedTable:
    if not Path(path).exists():
        raise AnalyticsError(
            _("The sample file {name} is missing.").format(name=Path(path).name),
            hint=_("Recreate the samples with: {command}").format(
                command=f"python -m analytics sample --out {Path(path).parent}"
            ),
        )
    with language(lang):  # how it was read is said in the visitor's language
        table = load_table(path)
    _ignored = table.fingerprint  # computed once, and cached with the table
    return table


@st.cache_data(max_entries=16, show_spinner=False, ttl=CACHE_TTL)
def _read_file(digest: str, name: str, _data: bytes, lang: str) -> LoadedTable:
    """An uploaded file read, keyed by the SHA-256 of its bytes and its name.

    Two users uploading the same export share the reading, never the session: each gets a copy.
    """
    with language(lang):
        table = load_table(_data, name=name)
    _ignored = table.fingerprint
    return table


@st.cache_data(max_entries=16, show_spinner=False, ttl=CACHE_TTL)
def _proposed_state(table_key: str, _table: LoadedTable, origin: str, lang: str) -> DataState:
    """Kind, roles and default cleaning proposed for a table, keyed by its content fingerprint.

    Every visitor starts on the same sample: its mapping and cleaning are done once, not once per
    session (on a busy server that was the slowest part of opening the app).
    """
    with language(lang):
        return DataState.propose(_table, origin, evidence=cached_evidence)


def _keep(state: DataState) -> DataState:
    """Store the session's data: a large upload's or database table's text is memory-mapped
    (:meth:`DataState.text_mapped`), so the session holds no copy of it on the heap. Samples are
    shared by every session through the cache, and stay as they are."""
    if state.origin != "sample":
        state = state.text_mapped()
    st.session_state[_STATE] = state
    return state


def data_state() -> DataState:
    """The session's data, opening the bundled transactions sample on first use."""
    state = st.session_state.get(_STATE)
    if state is None:
        table = load_sample("transactions")
        state = _proposed_state(table.fingerprint, table, "sample", current_language())
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

    Personal columns are pseudonymised or dropped first (:func:`_protect`), as the user chose for
    this source, so nothing downstream (tables, exports, the report, workspaces) holds them; the
    raw bytes of a workbook with personal data are not kept (its other sheets need a new upload).
    Bundled samples are generated and hold no personal data (a unit test checks every one).

    If the roles found cannot make a dataset, the table is kept with its ``problem`` for the user
    to pick the missing columns: analysis pages wait until then. ``shared=False`` skips the cache
    shared by all sessions (a large table would be held there twice more: pickled, and copied out).
    """
    if origin != "sample":
        protected = _protect(table, upload_id or table.source)
        table = protected.text_mapped()
        shared = shared and table is protected  # a large table is not pickled into the cache
        if any(step.action != "keep" for step in table.privacy):
            workbook = None
    else:
        st.session_state.pop(_ORIGINALS, None)
    proposed = (
        _proposed_state(table.fingerprint, table, origin, current_language())
        if shared
        else DataState.propose(table, origin, evidence=cached_evidence)
    )
    state = _keep(replace(proposed, upload_id=upload_id, workbook=workbook))
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
                _("The server is busy reading other large files."),
                hint=_("Try again in a few minutes."),
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
                _ignored = table.fingerprint
            else:
                table = _read_file(hashlib.sha256(data).hexdigest(), name, data, current_language())
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
                    cached_quality(
                        state.original, table.fingerprint, table.frame, current_language()
                    )
                release_memory()
            return state
    except AnalyticsError as exc:
        st.session_state[_FAILED_UPLOAD] = (file_id, exc)
        raise


def upload_failure(file_id: str) -> AnalyticsError | None:
    """The error of this upload if it already failed."""
    failed = st.session_state.get(_FAILED_UPLOAD)
    return failed[1] if failed and failed[0] == file_id else None


def read_sheets(sheets: Sequence[str]) -> DataState:
    """Read other sheets of the uploaded workbook; kind, roles and cleaning are proposed afresh."""
    state = data_state()
    if state.workbook is None:
        raise AnalyticsError(
            _("Only an uploaded workbook with several sheets offers other sheets.")
        )
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
    """Change the kind, roles or cleaning steps; everything downstream is rebuilt from the table
    (:meth:`DataState.changed`). A new kind clears the mapping widgets: its roles are new."""
    state = data_state()
    new_state = state.changed(kind=kind, mapping=mapping, steps=steps, evidence=cached_evidence)
    if new_state.kind != state.kind:
        _reset_widgets(_MAPPING_WIDGETS)
    return _keep(new_state)


def mapping_evidence(state: DataState) -> tuple[RoleEvidence, ...]:
    """The evidence behind each role of the session's mapping (cached per table and mapping)."""
    return cached_evidence(state.table, state.kind, state.mapping)


def cached_evidence(
    table: LoadedTable, kind: Kind, mapping: ColumnMapping
) -> tuple[RoleEvidence, ...]:
    """:func:`analytics.data.session.table_evidence`, cached per table fingerprint and mapping."""
    return _evidence(
        table.fingerprint, kind, repr(mapping), mapping, table.frame, current_language()
    )


@st.cache_data(max_entries=32, show_spinner=False, ttl=CACHE_TTL)
def _evidence(
    table_key: str,
    kind: str,
    mapping_key: str,
    _mapping: ColumnMapping,
    _frame: pd.DataFrame,
    lang: str,
) -> tuple[RoleEvidence, ...]:
    with language(lang):
        return role_evidence(_frame, kind, _mapping)  # type: ignore[arg-type]


def restate_in(lang: str) -> None:
    """The session's data described again in another language (kind, roles and cleaning kept):
    what detection and reading said is written when the state is built."""
    state = st.session_state.get(_STATE)
    if state is None:
        return
    with language(lang):
        _keep(state.with_table(state.table, evidence=cached_evidence))


def read_again(table: LoadedTable) -> DataState:
    """The session's source read again (a live table with new rows): kind, roles, cleaning and
    the user's confirmation kept."""
    return _keep(data_state().with_table(table.text_mapped(), evidence=cached_evidence))


def confirm_mapping() -> DataState:
    """The user says the proposed kind and roles are right: the analysis pages may run."""
    state = data_state().confirm()
    st.session_state[_STATE] = state
    return state


def current_dataset() -> Dataset:
    """The mapped, cleaned dataset the analysis pages work on.

    While the Data page still waits for the user to pick a column, say so and stop the page.
    """
    state = data_state()
    if state.cleaned is None:
        point_to_data_page(
            _(
                "{source} is read, but not ready to analyse: {problem} Pick the missing column "
                "under **Column roles** on the Data page."
            ).format(
                source=md(state.table.source),
                problem=md(
                    state.problem.message if state.problem else _("its columns are not mapped")
                ),
            )
        )
    if not state.confirmed:
        point_to_data_page(
            _(
                "Some columns of {source} were matched on a guess. Check them under **Column "
                "roles** on the Data page and confirm, so that no figure rests on a wrong column."
            ).format(source=md(state.table.source))
        )
    return state.cleaned.dataset


def _dataset_key(dataset: Dataset) -> str:
    return dataset.fingerprint


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_quality(
    dataset: Dataset, table_fingerprint: str, _table: pd.DataFrame, lang: str = "en"
) -> QualityReport:
    """Quality report keyed by the dataset's and table's content fingerprints (and the language
    of its findings)."""
    with language(lang):
        return quality_report(dataset, table=_table)


def remember(analysis: str, params: Params | dict[str, Any]) -> None:
    """Record the parameters of the analysis a page just ran (or what else a workspace keeps
    under that name, such as the alert rules).

    They are saved with the workspace, and the report runs the same analysis with them.
    """
    entry = params if isinstance(params, dict) else params.to_dict()
    st.session_state.setdefault(_ANALYSES, {})[analysis] = entry


def analyses() -> dict[str, dict[str, Any]]:
    """The arguments of the analyses the pages last ran in this session."""
    return dict(st.session_state.get(_ANALYSES, {}))
