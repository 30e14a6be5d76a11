"""Saved workspaces: a dataset with its mapping, cleaning and every page's settings, in SQLite.

A workspace holds what it takes to rebuild an analysis exactly: the table as read (stored as
Parquet, once per distinct table however many workspaces use it), the kind, column roles and
cleaning steps, the pages' settings (widget values) and the arguments of the analyses the pages
last ran (which the report and the CLI reuse). Each workspace is known by a random token of 128
bits, never by a counter, so that a token in a URL cannot be guessed from another.

Every change is one SQLite transaction: a process killed in the middle of a save leaves the store
as it was before that save, with every earlier workspace intact.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError
from analytics.io import LoadedTable, SheetInfo
from analytics.quality import CleaningResult, clean
from analytics.schema import KINDS, ColumnMapping, Kind, build_dataset

#: Environment variable naming the store's file; by default ``data/workspaces.sqlite``.
STORE_ENV = "MARKETLENS_WORKSPACES"
DEFAULT_STORE = Path(__file__).resolve().parent.parent / "data" / "workspaces.sqlite"
MAX_NAME = 120
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (
    key TEXT PRIMARY KEY,       -- the table's content fingerprint
    meta TEXT NOT NULL,         -- how it was read (JSON)
    parquet BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS workspaces (
    token TEXT PRIMARY KEY,     -- random, 128 bits
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    table_key TEXT NOT NULL REFERENCES tables(key),
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    state TEXT NOT NULL         -- origin, mapping, steps, settings, analyses (JSON)
);
"""


def default_store_path() -> Path:
    """The store's file: ``$MARKETLENS_WORKSPACES`` if set, else ``data/workspaces.sqlite``."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


def new_token() -> str:
    """A random workspace token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Workspace:
    """One saved analysis.

    Attributes
    ----------
    name : str
        The name the user gave it.
    table : LoadedTable
        The table as read, before mapping.
    origin : str
        ``"sample"``, ``"upload"`` or ``"database"``.
    kind, mapping, steps
        How the table is mapped into a dataset and cleaned.
    settings : dict
        The pages' widget values by key, e.g. ``{"w.seg.k": 4}``.
    analyses : dict
        The arguments of the analysis each page last ran, e.g. ``{"segments": {"k": 4, …}}``.
    token, created, updated : str
        Set by the store.
    """

    name: str
    table: LoadedTable
    origin: str
    kind: Kind
    mapping: ColumnMapping
    steps: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)
    token: str = ""
    created: str = ""
    updated: str = ""

    def cleaned(self) -> CleaningResult:
        """The table mapped and cleaned as saved: the dataset every analysis of it works on."""
        dataset = build_dataset(self.table.frame, self.kind, self.mapping, source=self.table.source)
        return clean(dataset, self.steps)


@dataclass(frozen=True)
class WorkspaceInfo:
    """A workspace as listed: no table, no settings."""

    token: str
    name: str
    created: str
    updated: str
    source: str
    kind: str
    n_rows: int


# --- JSON that keeps dates, tuples and numpy scalars ------------------------------------------------


def encode(value: Any) -> Any:
    """A JSON-ready form of a setting; dates and tuples are tagged so that they come back as such.

    Raises ``TypeError`` for values that are not plain data (widgets' values always are).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime | pd.Timestamp):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dt.time):
        return {"__time__": value.isoformat()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    raise TypeError(f"{type(value).__name__} is not a setting that can be saved")


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    if tag == "__tuple__":
        return tuple(decode(v) for v in inner)
    if tag == "__dict__":
        return {k: decode(v) for k, v in inner.items()}
    if tag == "__date__":
        return dt.date.fromisoformat(inner)
    if tag == "__datetime__":
        return dt.datetime.fromisoformat(inner)
    if tag == "__time__":
        return dt.time.fromisoformat(inner)
    raise ValueError(f"unknown tag {tag!r} in a saved setting")


def savable(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that can be saved (plain data); anything else is left out."""
    kept = {}
    for key, value in settings.items():
        try:
            encode(value)
        except TypeError:
            continue
        kept[key] = value
    return kept


# --- Tables as Parquet ------------------------------------------------------------------------------


def _table_meta(table: LoadedTable) -> dict[str, Any]:
    meta = {f.name: getattr(table, f.name) for f in fields(table) if f.name != "frame"}
    meta["workbook_sheets"] = [asdict(s) for s in table.workbook_sheets]
    # Parquet has no seconds unit: datetime64[s] comes back as [ms] unless cast back.
    meta["datetime_units"] = {
        str(column): str(dtype)
        for column, dtype in table.frame.dtypes.items()
        if str(dtype).startswith("datetime64")
    }
    return meta


def table_to_parquet(table: LoadedTable) -> bytes:
    """The table's frame as Parquet bytes (column names must be text, as the loader makes them)."""
    buffer = io.BytesIO()
    table.frame.to_parquet(buffer, index=True)
    return buffer.getvalue()


def table_from_parquet(data: bytes, meta: Mapping[str, Any]) -> LoadedTable:
    """A table back from :func:`table_to_parquet` and its metadata."""
    frame = pd.read_parquet(io.BytesIO(data))
    for column, dtype in meta.get("datetime_units", {}).items():
        if str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    sheets = tuple(
        SheetInfo(s["name"], int(s["rows"]), tuple(s["columns"])) for s in meta["workbook_sheets"]
    )
    return LoadedTable(
        frame=frame,
        source=meta["source"],
        format=meta["format"],
        encoding=meta.get("encoding"),
        delimiter=meta.get("delimiter"),
        decimal=meta.get("decimal"),
        header=bool(meta.get("header", True)),
        sheets=tuple(meta.get("sheets", ())),
        workbook_sheets=sheets,
        notes=tuple(meta.get("notes", ())),
    )


def _mapping_to_json(mapping: ColumnMapping) -> dict[str, Any]:
    return {f.name: encode(getattr(mapping, f.name)) for f in fields(mapping)}


def _mapping_from_json(data: Mapping[str, Any]) -> ColumnMapping:
    known = {f.name for f in fields(ColumnMapping)}
    return ColumnMapping(**{k: decode(v) for k, v in data.items() if k in known})


# --- The store --------------------------------------------------------------------------------------


class WorkspaceStore:
    """Workspaces in one SQLite file.

    Parameters
    ----------
    path : path, optional
        The store's file, created on first use. Default: :func:`default_store_path`.

    Example
    -------
    >>> store = WorkspaceStore("/tmp/ws.sqlite")  # doctest: +SKIP
    >>> token = store.save(workspace)  # doctest: +SKIP
    >>> store.load(token).settings["w.seg.k"]  # doctest: +SKIP
    4
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise AnalyticsError(
                f"The workspace store {self.path} cannot be opened: {exc}.",
                hint=f"Point {STORE_ENV} at a writable file.",
            ) from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise AnalyticsError(
                f"The workspace store {self.path} could not be read or written: {exc}.",
                hint="Check the disk, or point MARKETLENS_WORKSPACES at another file.",
            ) from exc
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: committed whole, or (on an error or a kill) not at all."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def save(self, workspace: Workspace) -> str:
        """Save a workspace, new (empty token) or over the one with its token; return the token."""
        name = _clean_name(workspace.name)
        if workspace.kind not in KINDS:
            raise AnalyticsError(f"kind must be one of {', '.join(KINDS)}, got {workspace.kind!r}.")
        state = json.dumps(
            {
                "origin": workspace.origin,
                "mapping": _mapping_to_json(workspace.mapping),
                "steps": list(workspace.steps),
                "settings": {k: encode(v) for k, v in savable(workspace.settings).items()},
                "analyses": {k: encode(v) for k, v in workspace.analyses.items()},
            }
        )
        table = workspace.table
        key = table.fingerprint
        now = _now()
        token = workspace.token or new_token()
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM tables WHERE key = ?", (key,)).fetchone() is None:
                conn.execute(
                    "INSERT INTO tables (key, meta, parquet) VALUES (?, ?, ?)",
                    (key, json.dumps(_table_meta(table)), table_to_parquet(table)),
                )
            updated = conn.execute(
                "UPDATE workspaces SET name = ?, updated = ?, table_key = ?, source = ?, kind = ?,"
                " n_rows = ?, state = ? WHERE token = ?",
                (name, now, key, table.source, workspace.kind, table.n_rows, state, token),
            ).rowcount
            if not updated:
                conn.execute(
                    "INSERT INTO workspaces (token, name, created, updated, table_key, source,"
                    " kind, n_rows, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (token, name, now, now, key, table.source, workspace.kind, table.n_rows, state),
                )
            _drop_unused_tables(conn)
        return token

    def list_workspaces(self) -> list[WorkspaceInfo]:
        """Every workspace, the most recently changed first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT token, name, created, updated, source, kind, n_rows FROM workspaces"
                " ORDER BY updated DESC, name"
            ).fetchall()
        return [WorkspaceInfo(*row) for row in rows]

    def load(self, token: str) -> Workspace:
        """The workspace with this token.

        Raises
        ------
        AnalyticsError
            If there is none (deleted, or from another store).
        """
        with self._connect() as conn:
            row = conn.execute(
                "SELECT w.name, w.created, w.updated, w.kind, w.state, t.meta, t.parquet"
                " FROM workspaces w JOIN tables t ON t.key = w.table_key WHERE w.token = ?",
                (token,),
            ).fetchone()
        if row is None:
            raise AnalyticsError(
                "There is no saved workspace with this token: it may have been deleted.",
                hint="Open another one from the list of workspaces.",
            )
        name, created, updated, kind, state_json, meta, parquet = row
        state = json.loads(state_json)
        return Workspace(
            name=name,
            table=table_from_parquet(parquet, json.loads(meta)),
            origin=state["origin"],
            kind=kind,
            mapping=_mapping_from_json(state["mapping"]),
            steps=tuple(state["steps"]),
            settings={k: decode(v) for k, v in state["settings"].items()},
            analyses={k: decode(v) for k, v in state["analyses"].items()},
            token=token,
            created=created,
            updated=updated,
        )

    def find(self, token_or_name: str) -> str:
        """The token of the workspace with this token or this exact name (the CLI's argument)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT token FROM workspaces WHERE token = ? OR name = ? ORDER BY updated DESC",
                (token_or_name, token_or_name),
            ).fetchall()
        if not rows:
            raise AnalyticsError(
                f"No workspace is called or has the token {token_or_name!r} in {self.path}.",
                hint="python -m analytics workspaces lists them.",
            )
        return str(rows[0][0])

    def rename(self, token: str, name: str) -> None:
        name = _clean_name(name)
        with self._transaction() as conn:
            changed = conn.execute(
                "UPDATE workspaces SET name = ?, updated = ? WHERE token = ?",
                (name, _now(), token),
            ).rowcount
        if not changed:
            raise AnalyticsError("That workspace no longer exists.")

    def duplicate(self, token: str, name: str) -> str:
        """A copy under a new token (the table is shared, not copied); return the new token."""
        name = _clean_name(name)
        copy = new_token()
        now = _now()
        with self._transaction() as conn:
            changed = conn.execute(
                "INSERT INTO workspaces (token, name, created, updated, table_key, source, kind,"
                " n_rows, state) SELECT ?, ?, ?, ?, table_key, source, kind, n_rows, state"
                " FROM workspaces WHERE token = ?",
                (copy, name, now, now, token),
            ).rowcount
        if not changed:
            raise AnalyticsError("That workspace no longer exists.")
        return copy

    def delete(self, token: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM workspaces WHERE token = ?", (token,))
            _drop_unused_tables(conn)

    def check(self) -> str:
        """SQLite's own integrity check of the file: ``"ok"`` when sound."""
        with self._connect() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _drop_unused_tables(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM tables WHERE key NOT IN (SELECT table_key FROM workspaces)")


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise AnalyticsError("Give the workspace a name.")
    if len(name) > MAX_NAME:
        raise AnalyticsError(f"A workspace name has at most {MAX_NAME} characters.")
    return name


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
