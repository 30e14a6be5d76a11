"""Reading a user's file into a table: one entry point for a path or uploaded bytes.

``load_table`` accepts CSV/TSV/TXT (delimiter, encoding and decimal comma detected), Excel and
OpenDocument workbooks (read with calamine; sheets with the same columns are combined) and
Parquet. It refuses anything else, and anything too large, with an :class:`AnalyticsError` that
says what to do. It only reads: naming columns' roles and parsing dates is ``schema``'s job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import mmap
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from python_calamine import CalamineSheet, CalamineWorkbook

from analytics.data.schema import fingerprint, looks_like_identifier, parse_numbers
from analytics.errors import AnalyticsError

#: Largest table MarketLens reads, in rows. Bigger exports should be filtered or sampled first.
MAX_ROWS = 2_000_000
#: Largest file read, in bytes; the same figure as ``server.maxUploadSize`` in .streamlit/config.toml.
MAX_BYTES = 200 * 1024**2
#: Largest table MarketLens reads, in columns: more are exports of everything, not tables to analyse.
MAX_COLUMNS = 1_000
#: Largest total a zipped workbook may expand to; a small file above it is a decompression bomb.
MAX_UNZIPPED_BYTES = 1024**3

TEXT_EXTENSIONS = ("csv", "tsv", "txt")
EXCEL_EXTENSIONS = ("xlsx", "xlsm", "xls", "xlsb", "ods")
PARQUET_EXTENSIONS = ("parquet", "pq")
ACCEPTED_EXTENSIONS = TEXT_EXTENSIONS + EXCEL_EXTENSIONS + PARQUET_EXTENSIONS
ACCEPTED_FORMATS_TEXT = (
    "CSV, TSV or TXT text tables, Excel (.xlsx, .xlsm, .xls, .xlsb), OpenDocument (.ods) or Parquet"
)

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SNIFF_BYTES = 256 * 1024
_BLOCK_SIZE = 8 << 20  # pyarrow infers column types from the first block
# A 1 MB cell is text, not an attack on the sniffer: let Python's csv module read fields that long.
csv.field_size_limit(MAX_BYTES)
_DECIMAL_COMMA = re.compile(r"(?:^|;)\s*-?\d{1,3}(?:\.\d{3})*,\d+\s*(?=;|$)", re.MULTILINE)


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook: its name, data rows (header excluded) and header."""

    name: str
    rows: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class LoadedTable:
    """A table read from a file, with how it was read.

    Attributes
    ----------
    frame : pandas.DataFrame
        The rows, with unique, non-blank column names. Treat it as read-only.
    source : str
        The file name the table came from.
    format : str
        ``"csv"``, ``"excel"`` or ``"parquet"``.
    encoding, delimiter, decimal : str or None
        For text files: what was detected.
    header : bool
        Whether the first line held column names (one-basket-per-line files have none).
    sheets : tuple of str
        The sheets combined into ``frame`` (workbooks only).
    workbook_sheets : tuple of SheetInfo
        Every sheet of the workbook, so a user can pick others.
    notes : tuple of str
        What a user should know about how the file was read, in plain words.
    """

    frame: pd.DataFrame
    source: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    header: bool = True
    sheets: tuple[str, ...] = ()
    workbook_sheets: tuple[SheetInfo, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of the table (with its source name), computed once."""
        return fingerprint(self.frame, self.source)

    def describe(self) -> str:
        """One line saying what was read, e.g. ``"34,766 rows × 8 columns from 2 sheets"``."""
        where = ""
        if self.sheets:
            where = (
                f" from {len(self.sheets)} sheets"
                if len(self.sheets) > 1
                else f" from sheet {self.sheets[0]!r}"
            )
        elif self.format == "csv":
            where = f" ({self.encoding}, {_DELIMITER_NAMES.get(self.delimiter or ',', self.delimiter)}-separated)"
        return f"{len(self.frame):,} rows × {self.frame.shape[1]} columns{where}"


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


# --- format --------------------------------------------------------------------------------------


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


def _check_rows(n_rows: int, max_rows: int, name: str) -> None:
    if n_rows > max_rows:
        raise AnalyticsError(
            f"{name} has {n_rows:,} rows; MarketLens reads up to {max_rows:,}.",
            hint="Filter the export to a shorter period or a sample of customers and upload it again.",
        )


def _check_columns(n_columns: int, max_columns: int, name: str) -> None:
    if n_columns > max_columns:
        raise AnalyticsError(
            f"{name} has {n_columns:,} columns; MarketLens reads up to {max_columns:,}.",
            hint="Export only the columns you need (customer, order, date, product, quantity, "
            "price and a few descriptive ones) and upload it again.",
        )


def _check_not_empty(frame: pd.DataFrame, name: str) -> None:
    if frame.shape[1] == 0:
        raise AnalyticsError(
            f"{name} has no columns.", hint="Export the table again, with its header row."
        )
    if len(frame) == 0:
        raise AnalyticsError(
            f"{name} has column names but no rows.", hint="Export the table again, with its rows."
        )
    if not any(_has_values(frame[column]) for column in frame.columns):
        raise AnalyticsError(
            f"{name} has rows, but every cell is empty.",
            hint="Export the table again, with its values.",
        )


def _has_values(column: pd.Series) -> bool:
    filled = column.dropna()
    if pd.api.types.is_string_dtype(filled) or filled.dtype == object:
        return bool(filled.astype("str").str.strip().ne("").any())
    return not filled.empty


# --- text ----------------------------------------------------------------------------------------


class _NotUtf8(Exception):
    """Bytes beyond the sniffed sample turned out not to be UTF-8."""


@dataclass(frozen=True)
class _Text:
    """A text file's bytes: all of them (``data``), or its head and its path on disk."""

    head: bytes
    path: Path | None = None
    data: bytes | None = None

    def _disk(self) -> Path:
        if self.path is None:
            raise ValueError("_Text needs its data or its path")
        return self.path

    def whole(self) -> bytes:
        return self.data if self.data is not None else self._disk().read_bytes()

    def arrow(self) -> pa.NativeFile:
        """The bytes for pyarrow without a copy: a buffer, or the file memory-mapped."""
        if self.data is not None:
            return pa.BufferReader(self.data)
        return pa.memory_map(str(self._disk()))

    def has(self, needle: bytes) -> bool:
        if self.data is not None:
            return needle in self.data
        with (
            self._disk().open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm,
        ):
            return mm.find(needle) != -1


def _read_text(source: _Text, name: str, *, max_rows: int) -> LoadedTable:
    # Plain UTF-8 (the common case) is checked on the first bytes only; pyarrow checks the rest
    # while parsing and raises _NotUtf8 if it finds other bytes. Anything else is decoded whole.
    head = source.head
    plain = (
        _is_utf8(head, cut=len(head) == _SNIFF_BYTES)
        and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
        and _utf16_without_bom(head) is None
        and b"\x00" not in head
    )
    if plain:
        try:
            return _read_decoded(source, name, "UTF-8", [], max_rows=max_rows)
        except _NotUtf8:
            pass
    data = source.whole()
    if not data.strip():
        raise AnalyticsError(f"{name} is empty.", hint="Export the table again, with its rows.")
    encoding, utf8, notes = _decode(data, name)
    return _read_decoded(
        _Text(utf8[:_SNIFF_BYTES], data=utf8), name, encoding, notes, max_rows=max_rows
    )


def _read_decoded(
    source: _Text, name: str, encoding: str, notes: list[str], *, max_rows: int
) -> LoadedTable:
    """Read text known (or assumed) to be UTF-8."""
    if _binary_share(source.head) > 0.05:
        raise AnalyticsError(
            f"{name} does not look like a text table (it holds binary data).",
            hint=f"Upload {ACCEPTED_FORMATS_TEXT}.",
        )
    sample_text = source.head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="ignore")
    truncated = len(source.head) == _SNIFF_BYTES
    delimiter = _sniff_delimiter(sample_text, truncated=truncated)
    sample_rows = _parse_sample(sample_text, delimiter, truncated=truncated)
    notes = list(notes)
    if _is_whitespace_aligned(sample_text, sample_rows, truncated=truncated):
        # CDNOW-style text: columns separated by runs of spaces, made tab-separated once.
        lines = source.whole().removeprefix(b"\xef\xbb\xbf").splitlines()
        data = b"\n".join(_WHITESPACE.sub(b"\t", line.strip()) for line in lines)
        source = _Text(data[:_SNIFF_BYTES], data=data)
        sample_text = source.head.decode("utf-8", errors="ignore")
        delimiter = "\t"
        sample_rows = _parse_sample(sample_text, delimiter, truncated=truncated)
        notes.append("Columns are separated by runs of spaces.")
    if not sample_rows:
        raise AnalyticsError(f"{name} has no readable lines.", hint="Export the table again.")
    if source.head.startswith(b"\xef\xbb\xbf") and encoding == "UTF-8":
        encoding = "UTF-8 with BOM"
        notes.append("Text encoding: UTF-8 with BOM.")

    if _is_ragged(sample_rows):
        frame = _read_ragged(source.whole(), delimiter)
        padded = len({len(row) for row in sample_rows}) == 1
        notes.append(
            (
                "Lines are padded with empty fields to one length and the first line is a basket "
                "(its items recur below), not a header"
                if padded
                else "Lines have different numbers of fields"
            )
            + f", so each line was read as one list of items (no header row), in {frame.shape[1]} columns."
        )
        header = False
        decimal = "."
        _check_columns(frame.shape[1], MAX_COLUMNS, name)
    else:
        _check_columns(len(sample_rows[0]), MAX_COLUMNS, name)
        names, renamed = _unique_names(sample_rows[0])
        if renamed:
            notes.append("Blank or repeated column names were renamed: " + ", ".join(renamed) + ".")
        decimal = "," if delimiter == ";" and _DECIMAL_COMMA.search(sample_text) else "."
        frame, skipped = _read_delimited(source, delimiter, names, decimal)
        if skipped:
            notes.append(
                f"{skipped:,} line(s) had a different number of fields than the header and were skipped."
            )
        if decimal == ",":
            notes.append("Numbers use a decimal comma (3,50 = 3.5).")
        header = True
    _check_rows(len(frame), max_rows, name)
    _check_not_empty(frame, name)
    frame, tidy_notes = _tidy_columns(frame, header=header)
    notes.extend(tidy_notes)
    return LoadedTable(
        frame=frame,
        source=name,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        decimal=decimal,
        header=header,
        notes=tuple(notes),
    )


def _decode(data: bytes, name: str) -> tuple[str, bytes, list[str]]:
    """Detect the encoding of a whole file; return its name, the text as UTF-8 bytes and notes."""
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, text, utf8 = "UTF-8 with BOM", None, data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, text, utf8 = "UTF-16", _strict(data, "utf-16", name), b""
    elif (utf16 := _utf16_without_bom(data)) is not None:
        encoding, text, utf8 = "UTF-16 (no byte-order mark)", _strict(data, utf16, name), b""
    elif _is_utf8(data, cut=False):
        encoding, text, utf8 = "UTF-8", None, data
    else:
        encoding, text = _legacy_encoding(data)
        utf8 = b""
    if text is not None:
        utf8 = text.encode("utf-8")
    if b"\x00" in utf8:
        n_nul = utf8.count(b"\x00")
        if n_nul > max(16, len(utf8) // 100):
            raise AnalyticsError(
                f"{name} does not look like a text table (it holds binary data).",
                hint=f"Upload {ACCEPTED_FORMATS_TEXT}.",
            )
        utf8 = utf8.replace(b"\x00", b"")
        notes.append(f"{n_nul:,} NUL character(s) were removed.")
    if encoding != "UTF-8":
        notes.append(f"Text encoding: {encoding}.")
    return encoding, utf8, notes


def _is_utf8(data: bytes, *, cut: bool) -> bool:
    """Whether the bytes decode as UTF-8; with ``cut``, they may end inside a character."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return cut and exc.start >= len(data) - 3
    return True


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise AnalyticsError(
            f"{name} looks like {encoding.upper()} text but has bytes that are not valid in it.",
            hint="Save it again as CSV UTF-8 from your spreadsheet program.",
        ) from exc


def _utf16_without_bom(data: bytes) -> str | None:
    head = data[:4096]
    if len(head) < 4:
        return None
    even_nul = head[0::2].count(0) / len(head[0::2])
    odd_nul = head[1::2].count(0) / len(head[1::2])
    if odd_nul > 0.3 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _legacy_encoding(data: bytes) -> tuple[str, str]:
    """Tell GBK/GB18030 (Chinese Windows) from Windows-1252/Latin-1 (Western Windows).

    In Chinese text, bytes above 0x7F come in runs of pairs (GB18030's rare four-byte
    characters interleave two digits); in Western text a byte above 0x7F is mostly a lone
    accented letter between ASCII ones.
    """
    head = re.sub(
        rb"[\x81-\xfe][\x30-\x39][\x81-\xfe][\x30-\x39]", b"\xa1\xa1", data[: _SNIFF_BYTES * 4]
    )
    runs = re.findall(rb"[\x80-\xff]+", head)
    high = sum(len(run) for run in runs)
    paired = sum(len(run) for run in runs if len(run) % 2 == 0 and min(run) >= 0x81)
    if high and paired / high >= 0.8:
        try:
            return "GB18030 (Chinese)", data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    try:
        return "Windows-1252 (Western European)", data.decode("cp1252")
    except UnicodeDecodeError:
        return "Latin-1", data.decode("latin-1")


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _binary_share(sample: bytes) -> float:
    """Share of control bytes (tab and line ends excepted): text has next to none."""
    if not sample:
        return 0.0
    return (len(sample) - len(sample.translate(None, _CONTROL_BYTES))) / len(sample)


def _parse_sample(text: str, delimiter: str, *, truncated: bool) -> list[list[str]]:
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    if truncated and len(rows) > 1:
        rows = rows[:-1]  # the last line of a cut sample is incomplete
    return rows


def _sniff_delimiter(text: str, *, truncated: bool) -> str:
    """Pick the delimiter that splits the first lines into the same number (≥ 2) of fields."""
    best, best_score = ",", (-1.0, -1.0, 0)
    for delimiter in DELIMITERS:
        rows = _parse_sample(text, delimiter, truncated=truncated)[:200]
        if not rows:
            continue
        counts = np.array([len(row) for row in rows])
        multi = float(np.mean(counts > 1))
        consistent = float(np.mean(counts == counts[0])) if counts[0] > 1 else 0.0
        score = (consistent, multi, int(counts[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _filled_length(row: list[str]) -> int:
    """Fields up to the last non-blank one: ``a,b,,,`` has 2."""
    n = len(row)
    while n and not row[n - 1].strip():
        n -= 1
    return n


_WHITESPACE = re.compile(rb"[ \t]+")


def _is_whitespace_aligned(text: str, rows: list[list[str]], *, truncated: bool) -> bool:
    """Whether no delimiter splits the lines, but runs of spaces split every line alike."""
    if not rows or any(len(row) > 1 for row in rows[:200]):
        return False
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    counts = {len(fields) for fields in lines[:200]}
    return len(counts) == 1 and counts.pop() >= 2 and '"' not in text


def _is_ragged(rows: list[list[str]]) -> bool:
    """One-basket-per-line files: most lines have a different field count from the first, or
    (lines padded with trailing delimiters to one length) a different count of filled fields.

    A padded file has as many fields on every line, but most lines end in blanks, their filled
    lengths vary as the baskets do, and the first line's values are values of the body too (a
    basket, not a header of names).
    """
    if len(rows) < 3:
        return False
    counts = np.array([len(row) for row in rows])
    if counts.max() != counts.min():
        like_header = float(np.mean(counts == counts[0]))
        return like_header < 0.5 or (like_header < 0.8 and len(set(counts.tolist())) >= 3)
    filled = np.array([_filled_length(row) for row in rows])
    padded = float(np.mean(filled < counts))
    return padded >= 0.5 and len(set(filled.tolist())) >= 3 and _first_row_reappears(rows)


def _first_row_reappears(rows: list[list[str]]) -> bool:
    """Whether the first line's values are values of the body too (a basket, not names)."""
    first = {cell.strip() for cell in rows[0] if cell.strip()}
    body = {cell.strip() for row in rows[1:] for cell in row}
    return bool(first) and len(first & body) >= 0.5 * len(first)


def _unique_names(raw: Sequence[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    renamed: list[str] = []
    seen: set[str] = set()
    for i, value in enumerate(raw):
        base = str(value).strip().lstrip("\ufeff")
        candidate = base or f"column_{i + 1}"
        k = 2
        while candidate in seen:
            candidate = f"{base or f'column_{i + 1}'} ({k})"
            k += 1
        if candidate != base:
            renamed.append(f"{base or '(blank)'} → {candidate}")
        seen.add(candidate)
        names.append(candidate)
    return names, renamed


def _read_delimited(
    source: _Text, delimiter: str, names: list[str], decimal: str
) -> tuple[pd.DataFrame, int]:
    skipped = 0

    def skip(_row: object) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    # Identifiers stay text: "0001" is not 1, and an invoice column of numbers may hold "C489449"
    # (a cancellation) far below the rows pyarrow infers types from.
    column_types: dict[str, pa.DataType] = {
        n: pa.string() for n in names if looks_like_identifier(n)
    }
    # Quoted line breaks need the slower parser mode (about +40%); most exports have no quotes.
    quoted = source.has(b'"')
    for _attempt in range(len(names) + 1):
        skipped = 0
        try:
            table = pacsv.read_csv(
                source.arrow(),
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=_BLOCK_SIZE
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    newlines_in_values=quoted,
                    invalid_row_handler=skip,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=column_types,
                    decimal_point=decimal,
                    strings_can_be_null=True,
                    timestamp_parsers=[pacsv.ISO8601],
                ),
            )
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) or "UTF-8" in str(exc):
                raise _NotUtf8 from exc
            # Types are inferred from the first block; a later value that does not fit
            # (text in a numeric column) makes that column text, and we read again.
            match = re.search(r"In CSV column #(\d+)", str(exc))
            if not match or names[int(match.group(1))] in column_types:
                raise AnalyticsError(
                    f"The file could not be read as a table: {_short(exc)}"
                ) from exc
            column_types[names[int(match.group(1))]] = pa.string()
            continue
        if any(
            pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in table.schema
        ):
            raise _NotUtf8  # pyarrow infers "binary" for text that is not valid UTF-8
        return _arrow_to_pandas(table), skipped
    raise AnalyticsError("The file could not be read as a table.")  # pragma: no cover


def _read_ragged(data: bytes, delimiter: str) -> pd.DataFrame:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc
    rows = [
        [cell.strip() for cell in row[: _filled_length(row)]]
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        if any(cell.strip() for cell in row)
    ]
    width = max(len(row) for row in rows)
    frame = pd.DataFrame(
        [row + [None] * (width - len(row)) for row in rows],
        columns=[f"item_{i + 1}" for i in range(width)],
        dtype="str",
    )
    return frame.replace("", None)


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas; all-empty columns become float NaN, nested ones text."""
    if not any(pa.types.is_null(f.type) or pa.types.is_nested(f.type) for f in table.schema):
        return table.to_pandas(date_as_object=False)
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_null(column.type):
            columns[name] = pd.Series(np.full(len(column), np.nan), dtype="float64")
        elif pa.types.is_nested(column.type):
            columns[name] = pd.Series(
                [None if v is None else str(v) for v in column.to_pylist()], dtype="str"
            )
        else:
            columns[name] = column.to_pandas(date_as_object=False)
    return pd.DataFrame(columns)


_NUMBER = re.compile(r"^\s*[-+]?(?:\d+|\d{1,3}(?:[,.' ]\d{3})+)(?:[.,]\d+)?\s*$")


def _tidy_columns(frame: pd.DataFrame, *, header: bool) -> tuple[pd.DataFrame, list[str]]:
    """Make text columns that are really numbers numeric (thousands separators, stray blanks).

    A column converts only when at least 95% of its filled cells read as numbers; the cells that
    do not (Telco's 11 blank ``TotalCharges``) become empty, and a note says how many.
    """
    notes: list[str] = []
    if not header:
        return frame, notes
    converted = {}
    for name in frame.columns:
        col = frame[name]
        if not (pd.api.types.is_string_dtype(col) or col.dtype == object) or looks_like_identifier(
            name
        ):
            continue
        filled = col.dropna()
        if filled.empty:
            continue
        probe = filled.iloc[:: max(1, len(filled) // 2000)].astype(str)
        if probe.str.match(_NUMBER).mean() < 0.95:
            continue
        numbers = parse_numbers(filled.astype(str))
        share = numbers.notna().mean()
        if share < 0.95:
            continue
        converted[name] = numbers.reindex(col.index)
        bad = filled[numbers.isna()]
        if len(bad):
            examples = ", ".join(repr(v) for v in bad.astype(str).unique()[:3])
            notes.append(
                f"{name}: {len(bad):,} value(s) are not numbers ({examples}) and were left empty."
            )
    if converted:
        frame = frame.assign(**converted)
    return frame, notes


# --- workbooks -----------------------------------------------------------------------------------


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


# --- parquet -------------------------------------------------------------------------------------


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


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
