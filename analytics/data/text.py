"""Reading delimited text: encodings (UTF-8/16, GBK, Windows-1252 …), delimiter and decimal
comma, ragged and padded lines, and whether the first line is a header."""

from __future__ import annotations

import csv
import io
import mmap
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from analytics.data.names import leading_zero_share, looks_like_identifier
from analytics.data.table import (
    ACCEPTED_FORMATS_TEXT,
    MAX_BYTES,
    MAX_COLUMNS,
    LoadedTable,
    _arrow_to_pandas,
    _check_columns,
    _check_not_empty,
    _check_rows,
    _short,
    _tidy_columns,
    _unique_names,
)
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

DELIMITERS = (",", ";", "\t", "|")


_SNIFF_BYTES = 256 * 1024
_BLOCK_SIZE = 8 << 20  # pyarrow infers column types from the first block
# A 1 MB cell is text, not an attack on the sniffer: let Python's csv module read fields that long.
csv.field_size_limit(MAX_BYTES)
_DECIMAL_COMMA = re.compile(r"(?:^|;)\s*-?\d{1,3}(?:\.\d{3})*,\d+\s*(?=;|$)", re.MULTILINE)


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
        notes.append(_("Text encoding: {name}.").format(name=_("UTF-8 with BOM")))

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
        headless = _first_row_is_data(sample_rows)
        if headless:
            names = [f"column_{i + 1}" for i in range(len(sample_rows[0]))]
            named = (
                "the column is named column_1"
                if len(names) == 1
                else f"the columns are named column_1 … column_{len(names)}"
            )
            notes.append(
                "The first line holds values, not column names (its values are like those below "
                f"it), so it was read as data; {named}."
            )
        else:
            names, renamed = _unique_names(sample_rows[0])
            if renamed:
                notes.append(
                    "Blank or repeated column names were renamed: " + ", ".join(renamed) + "."
                )
        decimal = "," if delimiter == ";" and _DECIMAL_COMMA.search(sample_text) else "."
        frame, skipped = _read_delimited(
            source,
            delimiter,
            names,
            decimal,
            skip_rows=0 if headless else 1,
            text_columns=_leading_zero_columns(names, sample_rows[0 if headless else 1 :]),
        )
        if skipped:
            notes.append(
                f"{skipped:,} line(s) had a different number of fields than the "
                + ("first line" if headless else "header")
                + " and were skipped."
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
        notes.append(_("Text encoding: {name}.").format(name=_(encoding)))
    return encoding, utf8, notes


def codec_of(head: bytes) -> str:
    """The Python codec of text that starts with ``head`` (a few megabytes), decided as
    :func:`_decode` decides for a whole file: ``utf-8``, ``utf-8-sig``, ``utf-16``,
    ``utf-16-le``/``-be``, ``gb18030``, ``cp1252`` or ``latin-1``. The large-source engine reads
    files too large to decode at once and converts them to UTF-8 in pieces with it."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if (utf16 := _utf16_without_bom(head)) is not None:
        return utf16
    if _is_utf8(head, cut=True):
        return "utf-8"
    name, _text = _legacy_encoding(head)
    return {
        N_("GB18030 (Chinese)"): "gb18030",
        N_("Windows-1252 (Western European)"): "cp1252",
    }.get(name, "latin-1")


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
            return N_("GB18030 (Chinese)"), data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    try:
        return N_("Windows-1252 (Western European)"), data.decode("cp1252")
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


_DATA_CELL = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$|^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T].*)?$")


def _first_row_is_data(rows: list[list[str]]) -> bool:
    """Whether a table has no header: every cell of its first line is a value like the values
    below it (a number or a date where the column holds numbers or dates, or text that recurs in
    its column), and at least one is a number or a date, which a header of names never is.

    CDNOW's ``00001 19970101 1 11.77`` is data; ``Date,2019,2020`` is a header (Date is no
    value of its column).
    """
    if len(rows) < 3:
        return False
    first, body = rows[0], rows[1:201]
    width = len(first)
    if width == 1:
        return _first_cell_is_a_basket(first[0], [row[0] for row in body if row])
    if any(len(row) != width for row in body[:50]):
        return False
    valued = 0
    for j, cell in enumerate(first):
        cell = cell.strip()
        if not cell:
            continue
        column = [row[j].strip() for row in body if len(row) > j and row[j].strip()]
        if not column:
            return False
        if _DATA_CELL.match(cell):
            if np.mean([bool(_DATA_CELL.match(v)) for v in column]) < 0.9:
                return False
            valued += 1
        elif cell not in set(column):
            return False
    return valued > 0


def _first_cell_is_a_basket(cell: str, body: list[str]) -> bool:
    """One column of item lists (``"MILK,BREAD,BISCUIT"``): a first cell split like the cells
    below it, whose items are items of the body too, is a basket, not a header."""
    for sep in (",", ";", "|"):
        parts = {p.strip() for p in cell.split(sep) if p.strip()}
        if len(parts) < 2:
            continue
        items = {p.strip() for value in body for p in value.split(sep)}
        return len(parts & items) >= 0.5 * len(parts)
    return False


def _leading_zero_columns(names: list[str], rows: list[list[str]]) -> set[str]:
    """Columns written with leading zeros (``0001``, ``00101554328``): identifiers, kept as text."""
    out = set()
    for j, name in enumerate(names):
        values = [row[j].strip() for row in rows[:500] if len(row) > j and row[j].strip()]
        if leading_zero_share(pd.Series(values, dtype="str")) >= 0.1:
            out.add(name)
    return out


def _read_delimited(
    source: _Text,
    delimiter: str,
    names: list[str],
    decimal: str,
    *,
    skip_rows: int = 1,
    text_columns: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[pd.DataFrame, int]:
    skipped = 0

    def skip(_row: object) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    # Identifiers stay text: "0001" is not 1, and an invoice column of numbers may hold "C489449"
    # (a cancellation) far below the rows pyarrow infers types from.
    column_types: dict[str, pa.DataType] = {
        n: pa.string() for n in names if looks_like_identifier(n) or n in text_columns
    }
    # Quoted line breaks need the slower parser mode (about +40%); most exports have no quotes.
    quoted = source.has(b'"')
    for _attempt in range(len(names) + 1):
        skipped = 0
        try:
            table = pacsv.read_csv(
                source.arrow(),
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=skip_rows, block_size=_BLOCK_SIZE
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
