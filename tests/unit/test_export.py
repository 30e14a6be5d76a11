"""Exports neutralise spreadsheet formulas (OWASP CSV injection) and keep numbers numeric."""

from __future__ import annotations

import csv
import io

import pandas as pd
from python_calamine import CalamineWorkbook

from analytics.data import neutralize_formulas, to_csv_bytes, to_excel_bytes

HOSTILE = pd.DataFrame(
    {
        "name": ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "plain", None, "\tTAB"],
        "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    }
)


def test_formula_cells_get_a_quote_and_numbers_stay_numbers():
    safe = neutralize_formulas(HOSTILE)
    assert safe["name"].tolist()[:5] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "plain",
    ]
    assert pd.isna(safe["name"].iloc[5])
    assert safe["amount"].tolist()[0] == -5.0


def test_csv_export_is_safe_and_excel_friendly():
    data = to_csv_bytes(HOSTILE)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\n=HYPERLINK" not in text and "'=HYPERLINK" in text
    assert pd.read_csv(io.StringIO(text))["amount"].iloc[0] == -5.0


def test_excel_export_writes_text_not_formulas():
    workbook = CalamineWorkbook.from_filelike(
        io.BytesIO(to_excel_bytes(HOSTILE, sheet_name="scores"))
    )
    rows = workbook.get_sheet_by_name("scores").to_python()
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][1] == -5.0


def test_headers_are_neutralised_too():
    assert list(neutralize_formulas(pd.DataFrame({"=cmd": [1]})).columns) == ["'=cmd"]


def test_a_carriage_return_inside_a_cell_cannot_start_a_formula_row():
    # Excel starts a new row at a bare CR; unquoted, "x\r=1+1" became a formula cell "=1+1".
    data = to_csv_bytes(pd.DataFrame({"name": ["x\r=1+1", "\r=2+2"], "n": [1, 2]}))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["name", "n"], ["x\r=1+1", "1"], ["'\r=2+2", "2"]]
    assert b'"x\r=1+1"' in data


def test_blanks_or_full_width_signs_before_a_formula_are_neutralised():
    safe = neutralize_formulas(pd.DataFrame({"name": [" =1+1", "\uff1d1+1", "a=b", "\n=1"]}))
    assert safe["name"].tolist() == ["' =1+1", "'\uff1d1+1", "a=b", "'\n=1"]
