"""Reading a user's file into a table: one entry point for a path or uploaded bytes.

``load_table`` accepts CSV/TSV/TXT (delimiter, encoding and decimal comma detected), Excel and
OpenDocument workbooks (read with calamine; sheets with the same columns are combined) and
Parquet. It refuses anything else, and anything too large, with an :class:`AnalyticsError` that
says what to do. It only reads: naming columns' roles and parsing dates is ``schema``'s job.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.data.table import (
    ACCEPTED_EXTENSIONS,
    ACCEPTED_FORMATS_TEXT,
    EXCEL_EXTENSIONS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    PARQUET_EXTENSIONS,
    LoadedTable,
    SheetInfo,
    _arrow_to_pandas,
    _check_columns,
    _check_not_empty,
    _check_rows,
    _short,
    _tidy_columns,
    _unique_names,
)
from analytics.data.text import _SNIFF_BYTES, _read_text, _Text
from analytics.data.workbook import _load_sheets, _open_workbook, _read_workbook, _sheet_info
from analytics.errors import AnalyticsError


def load_table(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    sheets: Sequence[str] | None = None,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> LoadedTable:
    """Read a CSV/TSV/TXT, Excel/ODS or Parquet file into a table.

    Parameters
    ----------
    source : path or bytes
        A file path, or the file's bytes (an upload).
    name : str, optional
        The file name; required with bytes, since its extension says which reader to try.
    sheets : sequence of str, optional
        Workbooks only: the sheets to read. By default every sheet with the same columns as the
        first sheet is read, and the sheets are stacked into one table.
    max_rows, max_bytes : int
        Refuse tables with more rows, or files with more bytes.

    Returns
    -------
    LoadedTable

    Raises
    ------
    AnalyticsError
        The file is empty, too large, of a format MarketLens does not read, or damaged.

    Example
    -------
    >>> table = load_table(b"order,amount\\n1,2.5\\n", name="orders.csv")
    >>> table.frame.shape, table.delimiter
    ((1, 2), ',')
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if name is None:
            raise AnalyticsError(
                "A file name is needed to read uploaded bytes.", hint="Pass name='file.csv'."
            )
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise AnalyticsError(f"Cannot open {str(source)!r}: {exc.strerror or exc}.") from exc
        _check_size(size, max_bytes, name)
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        if _sniff_format(head, name, whole=path.read_bytes) == "text" and head.strip():
            # A text file on disk is memory-mapped for the parser instead of copied into memory.
            return _read_text(_Text(head, path=path), name, max_rows=max_rows)
        data = path.read_bytes()
    _check_size(len(data), max_bytes, name)
    if not data[:4096].strip() and not data.strip():
        raise AnalyticsError(f"{name} is empty.", hint="Export the table again, with its rows.")

    kind = _sniff_format(data[:_SNIFF_BYTES], name, whole=lambda: data)
    if kind == "excel":
        return _read_workbook(data, name, sheets=sheets, max_rows=max_rows)
    if kind == "parquet":
        return _read_parquet(data, name, max_rows=max_rows)
    return _read_text(_Text(data[:_SNIFF_BYTES], data=data), name, max_rows=max_rows)


def list_sheets(
    source: str | os.PathLike[str] | bytes, *, name: str | None = None
) -> tuple[SheetInfo, ...]:
    """List a workbook's sheets with their row counts and headers (empty for non-workbooks)."""
    data = (
        bytes(source)
        if isinstance(source, bytes | bytearray | memoryview)
        else Path(source).read_bytes()
    )
    name = name or (
        Path(source).name if not isinstance(source, bytes | bytearray | memoryview) else "file"
    )
    if _sniff_format(data[:_SNIFF_BYTES], name, whole=lambda: data) != "excel":
        return ()
    return tuple(
        _sheet_info(sheet, content)
        for sheet, content in _load_sheets(_open_workbook(data, name)).items()
    )


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _sniff_format(data: bytes, name: str, *, whole: Callable[[], bytes]) -> str:
    """Say how to read a file from its first bytes, then from its name's extension.

    ``whole`` gives every byte, needed only to look inside a zip archive.
    """
    ext = _extension(name)
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:4] == b"PK\x03\x04" and not _is_workbook_zip(whole(), name):
        raise AnalyticsError(
            f"{name} is a zip archive, not a workbook or a table.",
            hint=f"Unzip it and upload the table inside. MarketLens reads {ACCEPTED_FORMATS_TEXT}.",
        )
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "excel"
    if ext in EXCEL_EXTENSIONS:
        raise AnalyticsError(
            f"{name} is named like a workbook but is not one (it may be damaged or renamed).",
            hint="Open it in Excel or LibreOffice and save it again as .xlsx or .csv.",
        )
    if ext in PARQUET_EXTENSIONS:
        raise AnalyticsError(
            f"{name} is named .{ext} but is not a Parquet file.", hint="Export it again."
        )
    if ext and ext not in ACCEPTED_EXTENSIONS:
        raise AnalyticsError(
            f"MarketLens does not read .{ext} files.", hint=f"Upload {ACCEPTED_FORMATS_TEXT}."
        )
    return "text"


def _is_workbook_zip(data: bytes, name: str) -> bool:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise AnalyticsError(
            f"{name} is damaged: it is a zip file (as workbooks are) that cannot be opened: {_short(exc)}.",
            hint="It may have been cut short while downloading. Export or download it again.",
        ) from exc
    return "[Content_Types].xml" in names or "content.xml" in names


def _check_size(size: int, max_bytes: int, name: str) -> None:
    if size > max_bytes:
        raise AnalyticsError(
            f"{name} is {size / 1024**2:,.0f} MB; MarketLens reads files up to {max_bytes / 1024**2:,.0f} MB.",
            hint="Filter the export to the period or columns you need, or save it as Parquet, which is smaller.",
        )


def _read_parquet(data: bytes, name: str, *, max_rows: int) -> LoadedTable:
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        _check_rows(parquet.metadata.num_rows, max_rows, name)
        _check_columns(len(parquet.schema_arrow), MAX_COLUMNS, name)
        table = parquet.read()
    except AnalyticsError:
        raise
    except Exception as exc:
        raise AnalyticsError(
            f"{name} is a damaged Parquet file: {_short(exc)}", hint="Export it again."
        ) from exc
    notes = []
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    if nested:
        notes.append("Nested column(s) " + ", ".join(nested) + " were turned into text.")
    frame = _arrow_to_pandas(table)
    names, renamed = _unique_names([str(c) for c in frame.columns])
    frame.columns = pd.Index(names)
    if renamed:
        notes.append("Blank or repeated column names were renamed: " + ", ".join(renamed) + ".")
    _check_not_empty(frame, name)
    return LoadedTable(frame=frame, source=name, format="parquet", notes=tuple(notes))


def table_from_frame(
    frame: pd.DataFrame,
    *,
    source: str,
    format: str,
    notes: Sequence[str] = (),
    max_rows: int = MAX_ROWS,
) -> LoadedTable:
    """A table that was not read from a file (a database query), with the loader's checks.

    The same limits as files (rows, columns, not empty), unique non-blank column names, and
    numbers stored as text made numeric.
    """
    _check_rows(len(frame), max_rows, source)
    _check_columns(frame.shape[1], MAX_COLUMNS, source)
    all_notes = list(notes)
    names, renamed = _unique_names([str(c) for c in frame.columns])
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    if renamed:
        all_notes.append("Blank or repeated column names were renamed: " + ", ".join(renamed) + ".")
    frame, tidy_notes = _tidy_columns(frame, header=True)
    _check_not_empty(frame, source)
    return LoadedTable(frame=frame, source=source, format=format, notes=(*all_notes, *tidy_notes))
