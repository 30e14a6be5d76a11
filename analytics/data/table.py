"""What reading gives: ``LoadedTable`` and ``SheetInfo``, the limits on size, rows and columns,
and the checks and tidying every reader shares."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.data.mapped import map_text
from analytics.data.names import leading_zero_share, looks_like_identifier, parse_numbers
from analytics.data.privacy import PrivacyStep
from analytics.data.schema import fingerprint
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

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
ACCEPTED_FORMATS_TEXT = N_(
    "CSV, TSV or TXT text tables, Excel (.xlsx, .xlsm, .xls, .xlsb), OpenDocument (.ods) or Parquet"
)


_DELIMITER_NAMES = {
    ",": N_("comma"),
    ";": N_("semicolon"),
    "\t": N_("tab"),
    "|": N_("vertical bar"),
}


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
    privacy : tuple of PrivacyStep
        What was done to its personal columns (``analytics.data.pipeline.protect_table``); empty
        when none was found or the table was not checked.
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
    privacy: tuple[PrivacyStep, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of the table (with its source name), computed once."""
        return fingerprint(self.frame, self.source)

    def text_mapped(self, threshold: int | None = None) -> LoadedTable:
        """The table with its text columns memory-mapped (:func:`analytics.data.mapped.map_text`);
        itself when its text is small."""
        frame = map_text(self.frame, "t-" + self.fingerprint, threshold=threshold)
        if frame is self.frame:
            return self
        mapped = replace(self, frame=frame)
        mapped.__dict__["fingerprint"] = self.fingerprint  # the same content
        return mapped

    def describe(self) -> str:
        """One line saying what was read, e.g. ``"34,766 rows × 8 columns from 2 sheets"``."""
        shape = _("{rows} rows × {columns} columns").format(
            rows=f"{len(self.frame):,}", columns=self.frame.shape[1]
        )
        if self.sheets:
            return shape + (
                _(" from {n} sheets").format(n=len(self.sheets))
                if len(self.sheets) > 1
                else _(" from sheet {name!r}").format(name=self.sheets[0])
            )
        if self.format == "csv":
            separator = self.delimiter or ","
            name = _DELIMITER_NAMES.get(separator)
            return shape + _(" ({encoding}, {separator}-separated)").format(
                encoding=_(self.encoding or ""), separator=_(name) if name else separator
            )
        return shape


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
        if leading_zero_share(probe) >= 0.1:
            continue  # written with leading zeros: an identifier ("0001"), not a number
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


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
