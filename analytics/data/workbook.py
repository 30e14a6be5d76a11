"""Reading Excel and OpenDocument workbooks with calamine: sheets, their sizes unzipped, and
cells into typed columns."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from python_calamine import CalamineSheet, CalamineWorkbook

from analytics.data.table import (
    MAX_COLUMNS,
    MAX_UNZIPPED_BYTES,
    LoadedTable,
    SheetInfo,
    _check_columns,
    _check_not_empty,
    _check_rows,
    _short,
    _tidy_columns,
    _unique_names,
)
from analytics.errors import AnalyticsError


def _open_workbook(data: bytes, name: str) -> CalamineWorkbook:
    if data[:4] == b"PK\x03\x04":
        _check_unzipped_size(data, name)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise AnalyticsError(
            f"{name} could not be opened as a workbook: {_short(exc)}",
            hint="Open it in Excel or LibreOffice and save it again as .xlsx or .csv.",
        ) from exc


def _check_unzipped_size(data: bytes, name: str) -> None:
    """Refuse a zip that expands beyond MAX_UNZIPPED_BYTES, measured, not as its headers claim.

    The sizes in a zip's headers are written by whoever made the file: a hostile one states 1 KB
    for a sheet of gigabytes. So each member is inflated here, in pieces and without keeping the
    output, until the limit is passed (about a second per gigabyte).
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise AnalyticsError(f"{name} is damaged: {_short(exc)}", hint="Export it again.") from exc
    declared = total = sum(info.file_size for info in infos)
    if declared <= MAX_UNZIPPED_BYTES:  # honest headers say too much is enough to refuse
        total = 0
        for info in infos:
            total += _inflated_size(data, info, MAX_UNZIPPED_BYTES - total + 1)
            if total > MAX_UNZIPPED_BYTES:
                break
    if total > MAX_UNZIPPED_BYTES:
        raise AnalyticsError(
            f"{name} would expand to {'more than ' if total != declared else ''}"
            f"{total / 1024**3:,.1f} GB when opened; MarketLens refuses workbooks "
            f"above {MAX_UNZIPPED_BYTES / 1024**3:,.0f} GB.",
            hint="Save the sheet you need as CSV or Parquet and upload that.",
        )


def _inflated_size(data: bytes, info: zipfile.ZipInfo, limit: int) -> int:
    """Bytes a zip member really inflates to, counted up to just past ``limit``."""
    (name_length, extra_length) = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    raw = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return info.file_size  # other methods are rare in workbooks; calamine refuses most
    inflater, size, chunk = zlib.decompressobj(-zlib.MAX_WBITS), 0, 1 << 20
    for offset in range(0, len(raw), chunk):
        pending = raw[offset : offset + chunk].tobytes()
        while pending and size <= limit:
            size += len(inflater.decompress(pending, 64 << 20))
            pending = inflater.unconsumed_tail
        if size > limit:
            break
    return size


def _load_sheets(workbook: CalamineWorkbook) -> dict[str, CalamineSheet | None]:
    """Parse every sheet once; a sheet calamine cannot read counts as empty."""
    sheets: dict[str, CalamineSheet | None] = {}
    for sheet in workbook.sheet_names:
        try:
            sheets[sheet] = workbook.get_sheet_by_name(sheet)
        except Exception:
            sheets[sheet] = None
    return sheets


def _sheet_info(sheet: str, content: CalamineSheet | None) -> SheetInfo:
    head = content.to_python(nrows=1) if content is not None else []
    columns = tuple(_unique_names([_cell_text(v) for v in head[0]])[0]) if head else ()
    return SheetInfo(
        sheet, max(content.height - 1, 0) if content is not None and head else 0, columns
    )


def _read_workbook(
    data: bytes, name: str, *, sheets: Sequence[str] | None, max_rows: int
) -> LoadedTable:
    workbook = _open_workbook(data, name)
    contents = _load_sheets(workbook)
    infos = tuple(_sheet_info(sheet, content) for sheet, content in contents.items())
    with_data = [info for info in infos if info.columns]
    if not with_data:
        raise AnalyticsError(
            f"{name} has no sheet with data.", hint="Check that you exported the right workbook."
        )
    notes: list[str] = []
    if sheets:
        unknown = [s for s in sheets if s not in workbook.sheet_names]
        if unknown:
            raise AnalyticsError(
                f"{name} has no sheet named {unknown[0]!r}.",
                hint="Its sheets are: " + ", ".join(repr(s) for s in workbook.sheet_names) + ".",
            )
        chosen = [info for info in infos if info.name in sheets]
        first = chosen[0]
        different = [info.name for info in chosen if info.columns != first.columns]
        if different:
            raise AnalyticsError(
                f"Sheets {first.name!r} and {different[0]!r} have different columns, so they cannot be stacked.",
                hint="Pick sheets with the same columns, or one sheet.",
            )
    else:
        first = with_data[0]
        chosen = [info for info in with_data if info.columns == first.columns]
        left_out = [info.name for info in with_data if info.columns != first.columns]
        if left_out:
            notes.append(
                "Sheet(s) "
                + ", ".join(repr(s) for s in left_out)
                + " have other columns and were left out; "
                "pick them on their own to read them."
            )
    if len(chosen) > 1:
        notes.append(
            f"Sheets {', '.join(repr(c.name) for c in chosen)} have the same columns and were stacked."
        )
    _check_rows(sum(info.rows for info in chosen), max_rows, name)
    _check_columns(len(first.columns), MAX_COLUMNS, name)
    frames = [_sheet_frame(_rows(contents[info.name])) for info in chosen]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    _check_not_empty(frame, name)
    frame, tidy_notes = _tidy_columns(frame, header=True)
    return LoadedTable(
        frame=frame,
        source=name,
        format="excel",
        sheets=tuple(info.name for info in chosen),
        workbook_sheets=infos,
        notes=tuple(notes + tidy_notes),
    )


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _rows(content: CalamineSheet | None) -> Sequence[Sequence[object]]:
    return content.to_python() if content is not None else []


def _sheet_frame(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    names, _ = _unique_names([_cell_text(v) for v in rows[0]])
    body = rows[1:]
    columns = list(zip(*body, strict=True)) if body else [() for _ in names]
    return pd.DataFrame(
        {
            n: _column_from_cells(np.array(cells, dtype=object))
            for n, cells in zip(names, columns, strict=True)
        }
    )


def _column_from_cells(cells: np.ndarray) -> pd.Series:
    """Give a workbook column one type; calamine returns empty cells as ``""``."""
    cells = cells.copy()
    cells[cells == ""] = None
    kind = pd.api.types.infer_dtype(cells, skipna=True)
    if kind == "empty":
        return pd.Series(np.full(len(cells), np.nan))
    if kind in ("floating", "integer", "mixed-integer-float"):
        numbers = pd.Series(cells.astype(float))
        if numbers.notna().all() and np.all(np.mod(numbers.to_numpy(), 1) == 0):
            return numbers.astype("int64")
        return numbers
    if kind in ("datetime", "date", "datetime64"):
        return pd.Series(pd.to_datetime(cells, errors="coerce"))
    if kind == "boolean":
        return pd.Series(cells, dtype="boolean")
    if kind == "string":
        return pd.Series(cells, dtype="str")
    # Mixed (invoice numbers with "C" prefixes, IDs stored as numbers): text, with 12417.0 → "12417".
    text = [
        None
        if v is None
        else _cell_text(v)
        if isinstance(v, float)
        else v.isoformat(sep=" ")
        if isinstance(v, dt.datetime)
        else str(v)
        for v in cells
    ]
    return pd.Series(text, dtype="str")
