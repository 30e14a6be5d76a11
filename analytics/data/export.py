"""Exports that are safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) are prefixed with a single quote, as OWASP's CSV-injection guidance advises.
So are cells where blanks come before such a sign (spreadsheets may trim them on import) and the
full-width forms of the signs (East Asian keyboards type them). Numbers stay numbers.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from analytics.errors import AnalyticsError

_FORMULA_START = re.compile(r"^(?:[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could run this text as a formula (or split it into one)."""
    return _FORMULA_START.match(text) is not None


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula."""
    out = frame.copy()
    for column in out.columns:
        col = out[column]
        if pd.api.types.is_string_dtype(col) or col.dtype == object:
            text = col.astype("str")
            risky = col.notna() & text.str.match(_FORMULA_START)
            if risky.any():
                out[column] = text.where(~risky, "'" + text).where(col.notna())
    renamed = {c: "'" + str(c) for c in out.columns if is_formula_like(str(c))}
    return out.rename(columns=renamed)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM, so Excel shows accents and Chinese correctly), formulas neutralised.

    Lines end in CRLF (RFC 4180). That is also what makes Python's writer quote a cell holding a
    lone carriage return: with bare LF endings it does not, and a spreadsheet would start a new
    row at the CR, turning the rest of the cell (``=1+1``) into a formula cell of its own.
    """
    return neutralize_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table as .csv or .xlsx (by the extension), formulas neutralised."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise AnalyticsError(f"--out must end in .csv or .xlsx, got {target.name!r}.")
    try:
        target.write_bytes(to_csv_bytes(frame) if suffix == ".csv" else to_excel_bytes(frame))
    except OSError as exc:
        raise AnalyticsError(f"Cannot write {target}: {exc.strerror or exc}.") from exc


def to_excel_bytes(frame: pd.DataFrame, *, sheet_name: str = "data") -> bytes:
    """An .xlsx workbook of one sheet, formulas neutralised and every string written as text."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        neutralize_formulas(frame).to_excel(writer, sheet_name=sheet_name[:31], index=False)
    return buffer.getvalue()
