"""Exports that are safe to open in a spreadsheet.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) are prefixed with a single quote, as OWASP's CSV-injection guidance advises.
Numbers stay numbers.
"""

from __future__ import annotations

import io

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot start a spreadsheet formula."""
    out = frame.copy()
    for column in out.columns:
        col = out[column]
        if pd.api.types.is_string_dtype(col) or col.dtype == object:
            text = col.astype("str")
            risky = col.notna() & text.str.startswith(_FORMULA_START)
            if risky.any():
                out[column] = text.where(~risky, "'" + text).where(col.notna())
    renamed = {c: "'" + str(c) for c in out.columns if str(c).startswith(_FORMULA_START)}
    return out.rename(columns=renamed)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM, so Excel shows accents and Chinese correctly), formulas neutralised."""
    return neutralize_formulas(frame).to_csv(index=False).encode("utf-8-sig")


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
