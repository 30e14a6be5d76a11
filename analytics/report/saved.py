"""What a workspace holds and how it is written: ``Workspace`` and ``WorkspaceInfo``, settings
encoded as JSON (``encode``, ``decode``, ``savable``) and tables as Parquet with their dtypes."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from analytics.data import (
    CleaningResult,
    ColumnMapping,
    Kind,
    LoadedTable,
    PrivacyStep,
    SheetInfo,
    build_dataset,
    clean,
)


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
    """A workspace as listed: no table, no settings.

    ``owners`` is filled for the operator's listing (:meth:`WorkspaceStore.list_workspaces`
    without an owner): each owner's id and label.
    """

    token: str
    name: str
    created: str
    updated: str
    source: str
    kind: str
    n_rows: int
    view_token: str = ""
    owners: tuple[tuple[str, str], ...] = ()


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
        privacy=tuple(PrivacyStep(*step) for step in meta.get("privacy", ())),
    )


def _mapping_to_json(mapping: ColumnMapping) -> dict[str, Any]:
    return {f.name: encode(getattr(mapping, f.name)) for f in fields(mapping)}


def _mapping_from_json(data: Mapping[str, Any]) -> ColumnMapping:
    known = {f.name for f in fields(ColumnMapping)}
    return ColumnMapping(**{k: decode(v) for k, v in data.items() if k in known})
