"""Ingestion: every awkward file a sales export comes as, written here in the tests."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from analytics.data import io as aio
from analytics.data import list_sheets, load_table
from analytics.data import text as atext
from analytics.data import workbook as aworkbook
from analytics.errors import AnalyticsError

ORDERS = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
ROWS = [
    "489434,85048,LED LIGHT,12,2009-12-01 07:45,6.95,13085,United Kingdom",
    "489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45,6.75,13085,United Kingdom",
    "C489449,22087,PAPER BUNTING,-12,2009-12-01 10:33,2.95,16321,Australia",
]


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def test_plain_csv_reads_types_and_keeps_ids_as_text():
    table = load_table(csv_bytes(ORDERS + "\n".join(ROWS) + "\n"), name="orders.csv")
    frame = table.frame
    assert table.format == "csv" and table.delimiter == "," and table.encoding == "UTF-8"
    assert frame.shape == (3, 8)
    assert frame["Invoice"].tolist() == ["489434", "489434", "C489449"]
    assert frame["StockCode"].tolist()[1] == "79323P"
    assert frame["Quantity"].tolist() == [12, 12, -12]
    assert frame["Customer ID"].tolist() == ["13085", "13085", "16321"]


def test_identifier_keeps_leading_zeros():
    frame = load_table(b"CustomerID,Age\n0001,19\n0002,21\n", name="mall.csv").frame
    assert frame["CustomerID"].tolist() == ["0001", "0002"]
    assert frame["Age"].tolist() == [19, 21]


def test_utf8_bom_is_not_part_of_the_first_header():
    table = load_table(b"\xef\xbb\xbfInvoice,Price\n1,2.5\n", name="bom.csv")
    assert list(table.frame.columns) == ["Invoice", "Price"]
    assert table.encoding == "UTF-8 with BOM"


def test_upload_gbk_csv_shows_chinese_headers():
    text = "订单号,客户ID,商品名称,数量,单价,日期\nA001,C1,苹果,2,3.5,2019年1月3日\nA002,C2,香蕉,1,2.0,2019年1月4日\n"
    table = load_table(csv_bytes(text, "gbk"), name="订单.csv")
    assert list(table.frame.columns) == ["订单号", "客户ID", "商品名称", "数量", "单价", "日期"]
    assert table.frame["商品名称"].tolist() == ["苹果", "香蕉"]
    assert table.encoding.startswith("GB18030")


def test_gb18030_only_characters_read():
    text = "客户,金额\n张三,5\n李四𠀀,6\n"  # U+20000 exists only in GB18030, not GBK
    table = load_table(csv_bytes(text, "gb18030"), name="gb.csv")
    assert table.frame["客户"].tolist() == ["张三", "李四𠀀"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(encoding):
    text = "Invoice\tPrice\tCountry\n1\t2.5\tFrance\n2\t3.0\tEspaña\n"
    table = load_table(text.encode(encoding), name="export.txt")
    assert table.delimiter == "\t"
    assert table.frame["Country"].tolist() == ["France", "España"]
    assert table.frame["Price"].tolist() == [2.5, 3.0]


def test_latin1_windows_export_keeps_accents():
    text = "Client,Ville,Prix\nJosé,São Paulo,3\nRenée,Montréal,4\nFrançois,Besançon,5\n"
    table = load_table(csv_bytes(text, "cp1252"), name="clients.csv")
    assert table.frame["Ville"].tolist() == ["São Paulo", "Montréal", "Besançon"]
    assert "1252" in table.encoding


def test_semicolon_file_with_decimal_comma():
    text = "Kunde;Preis;Menge\nMüller;3,50;2\nSchmidt;1.234,75;1\nWeber;0,99;10\n"
    table = load_table(csv_bytes(text), name="de.csv")
    assert table.delimiter == ";" and table.decimal == ","
    assert table.frame["Preis"].tolist() == [3.5, 1234.75, 0.99]
    assert table.frame["Menge"].tolist() == [2, 1, 10]


@pytest.mark.parametrize(
    ("delimiter", "name"), [("\t", "x.tsv"), ("|", "x.txt"), (";", "x.csv"), (",", "x.csv")]
)
def test_delimiter_is_sniffed(delimiter, name):
    text = delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x y", "3"]) + "\n"
    table = load_table(text.encode(), name=name)
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == ["a", "b", "c"]


def test_quoted_newlines_are_kept_across_blocks(monkeypatch):
    monkeypatch.setattr(atext, "_BLOCK_SIZE", 4096)
    lines = [f'{i},"first line {i}\nsecond line",{i * 2}' for i in range(2000)]
    table = load_table(("id,comment,n\n" + "\n".join(lines) + "\n").encode(), name="notes.csv")
    assert len(table.frame) == 2000
    assert table.frame["comment"].iloc[1999] == "first line 1999\nsecond line"


def test_carriage_return_line_endings():
    table = load_table(b"a,b\r1,2\r3,4\r", name="mac.csv")
    assert table.frame.to_numpy().tolist() == [[1, 2], [3, 4]]


def test_text_late_in_a_numeric_column_makes_it_text(monkeypatch):
    monkeypatch.setattr(atext, "_BLOCK_SIZE", 1024)
    rows = [f"{i},{i % 7}" for i in range(3000)] + ["3000,several"]
    table = load_table(("line,Weight\n" + "\n".join(rows) + "\n").encode(), name="late.csv")
    assert len(table.frame) == 3001
    # 3000 of 3001 cells are numbers, so the column is numeric with the odd cell left empty.
    assert pd.api.types.is_numeric_dtype(table.frame["Weight"])
    assert table.frame["Weight"].isna().sum() == 1
    assert any("several" in note for note in table.notes)


def test_blank_text_in_numeric_column_becomes_missing_with_a_note():
    rows = [f"{i},{i * 10.5}" for i in range(100)] + ["100, "]
    table = load_table(("id,TotalCharges\n" + "\n".join(rows) + "\n").encode(), name="t.csv")
    assert table.frame["TotalCharges"].isna().sum() == 1
    assert table.frame["TotalCharges"].iloc[2] == 21.0
    assert any("TotalCharges: 1 value(s) are not numbers" in note for note in table.notes)


def test_thousands_separators_read_as_numbers():
    table = load_table(b'Product,Revenue\nA,"1,234.50"\nB,"12,000"\nC,"999.99"\n', name="rev.csv")
    assert table.frame["Revenue"].tolist() == [1234.5, 12000.0, 999.99]


def test_one_basket_per_line_is_read_without_header():
    text = "citrus fruit,semi-finished bread,margarine,ready soups\ntropical fruit,yogurt,coffee\nwhole milk\npip fruit,yogurt,cream cheese,meat spreads\nother vegetables,whole milk,condensed milk,long life bakery product\nbutter\n"
    table = load_table(text.encode(), name="groceries.csv")
    assert not table.header
    assert table.frame.shape == (6, 4)
    assert table.frame.iloc[2].tolist()[0] == "whole milk"
    assert table.frame.iloc[2].isna().sum() == 3


def test_blank_and_duplicate_headers_are_renamed():
    table = load_table(b"Price,,Price,Country\n1,2,3,FR\n", name="dup.csv")
    assert list(table.frame.columns) == ["Price", "column_2", "Price (2)", "Country"]
    assert any("renamed" in note for note in table.notes)


def test_one_column_file_loads():
    table = load_table(b"email\na@x.org\nb@y.org\n", name="emails.csv")
    assert table.frame.shape == (2, 1)


def test_all_empty_column_is_kept_as_missing():
    table = load_table(b"a,b,c\n1,,x\n2,,y\n", name="e.csv")
    assert table.frame["b"].isna().all()


def test_nul_bytes_are_removed_with_a_note():
    table = load_table(b"a,b\n1,x\x00y\n2,z\n", name="nul.csv")
    assert table.frame["b"].tolist() == ["xy", "z"]
    assert any("NUL" in note for note in table.notes)


# --- workbooks -------------------------------------------------------------------------------------


def workbook(sheets: dict[str, pd.DataFrame], engine: str = "xlsxwriter") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine=engine) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def orders_frame(start: int, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Invoice": [str(start + i) if i % 5 else f"C{start + i}" for i in range(n)],
            "Quantity": np.arange(n) + 1,
            "InvoiceDate": pd.date_range("2010-01-01", periods=n, freq="h"),
            "Price": np.linspace(1, 2, n),
            "Customer ID": [12000.0 + i if i % 4 else np.nan for i in range(n)],
        }
    )


def test_two_sheets_with_the_same_columns_are_stacked():
    data = workbook(
        {
            "Year 1": orders_frame(1000, 30),
            "Year 2": orders_frame(2000, 20),
            "Notes": pd.DataFrame({"text": ["hi"]}),
        }
    )
    table = load_table(data, name="retail.xlsx")
    assert table.format == "excel"
    assert table.sheets == ("Year 1", "Year 2")
    assert len(table.frame) == 50
    assert [s.name for s in table.workbook_sheets] == ["Year 1", "Year 2", "Notes"]
    assert any("'Notes'" in note and "left out" in note for note in table.notes)
    # Mixed numbers and "C…" text stay text; ids stored as numbers lose the ".0".
    assert table.frame["Invoice"].iloc[0] == "C1000" and table.frame["Invoice"].iloc[1] == "1001"
    assert pd.api.types.is_datetime64_any_dtype(table.frame["InvoiceDate"])
    assert table.frame["Quantity"].dtype == "int64"


def test_user_can_pick_one_sheet():
    data = workbook({"Year 1": orders_frame(1000, 30), "Year 2": orders_frame(2000, 20)})
    table = load_table(data, name="retail.xlsx", sheets=["Year 2"])
    assert table.sheets == ("Year 2",) and len(table.frame) == 20


def test_sheets_with_different_columns_cannot_be_stacked():
    data = workbook({"A": orders_frame(1, 5), "B": pd.DataFrame({"x": [1]})})
    with pytest.raises(AnalyticsError, match="different columns"):
        load_table(data, name="wb.xlsx", sheets=["A", "B"])


def test_unknown_sheet_names_the_sheets_there_are():
    data = workbook({"A": orders_frame(1, 5)})
    with pytest.raises(AnalyticsError, match="no sheet named 'Z'") as info:
        load_table(data, name="wb.xlsx", sheets=["Z"])
    assert "'A'" in info.value.hint


def test_list_sheets_gives_rows_and_headers():
    data = workbook({"A": orders_frame(1, 5), "B": orders_frame(1, 7)})
    sheets = list_sheets(data, name="wb.xlsx")
    assert [(s.name, s.rows) for s in sheets] == [("A", 5), ("B", 7)]
    assert sheets[0].columns[0] == "Invoice"


def test_opendocument_spreadsheet_reads():
    data = workbook(
        {"Sheet1": pd.DataFrame({"Invoice": ["1", "2"], "Price": [1.5, 2.5]})}, engine="odf"
    )
    table = load_table(data, name="orders.ods")
    assert table.frame["Price"].tolist() == [1.5, 2.5]


def test_workbook_named_csv_is_read_as_workbook():
    data = workbook({"S": pd.DataFrame({"a": [1, 2]})})
    assert load_table(data, name="really_excel.csv").format == "excel"


def test_decompression_bomb_is_refused_before_opening(monkeypatch):
    monkeypatch.setattr(aworkbook, "MAX_UNZIPPED_BYTES", 10_000)
    data = workbook({"S": pd.DataFrame({"a": np.arange(5000)})})
    with pytest.raises(AnalyticsError, match="expand"):
        load_table(data, name="bomb.xlsx")


def test_zip_of_something_else_named_xlsx_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff" + b"0" * 100)
    with pytest.raises(AnalyticsError, match="zip archive"):
        load_table(buffer.getvalue(), name="report.xlsx")


def test_text_named_xlsx_is_refused_with_a_hint():
    with pytest.raises(AnalyticsError, match="not one") as info:
        load_table(b"a,b\n1,2\n", name="report.xlsx")
    assert "save it again" in info.value.hint


# --- parquet ---------------------------------------------------------------------------------------


def test_parquet_reads_with_nested_columns_as_text():
    frame = pd.DataFrame({"order": ["1", "2"], "amount": [1.5, 2.0], "tags": [["a", "b"], ["c"]]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    table = load_table(buffer.getvalue(), name="orders.parquet")
    assert table.format == "parquet"
    assert table.frame["amount"].tolist() == [1.5, 2.0]
    assert table.frame["tags"].iloc[0].startswith("[")
    assert any("Nested" in note for note in table.notes)


def test_damaged_parquet_is_refused():
    with pytest.raises(AnalyticsError, match="damaged Parquet"):
        load_table(b"PAR1" + b"\x00" * 50, name="broken.parquet")


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"   \n\n  ", "blank.csv", "is empty"),
        (b"Invoice,Price,Date\n", "header.csv", "no rows"),
        (bytes(range(256)) * 40, "junk.csv", "binary"),
        (b"%PDF-1.7 ...", "report.pdf", "does not read .pdf"),
        (b"hello", "notes.docx", "does not read .docx"),
        (b"a,b\n1,2\n", "data.parquet", "not a Parquet file"),
    ],
)
def test_bad_files_get_a_clear_message(data, name, message):
    with pytest.raises(AnalyticsError, match=message):
        load_table(data, name=name)


def test_row_limit_refuses_with_a_plain_message():
    text = "a,b\n" + "".join(f"{i},{i}\n" for i in range(100))
    with pytest.raises(AnalyticsError, match="has 100 rows; MarketLens reads up to 50") as info:
        load_table(text.encode(), name="big.csv", max_rows=50)
    assert "Filter" in info.value.hint


def test_size_limit_refuses_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a\n" + b"1\n" * 1000)
    with pytest.raises(AnalyticsError, match="MB"):
        load_table(path, max_bytes=100)


def test_missing_path_is_a_user_error(tmp_path):
    with pytest.raises(AnalyticsError, match="Cannot open"):
        load_table(tmp_path / "nope.csv")


def test_bytes_without_a_name_are_refused():
    with pytest.raises(AnalyticsError, match="file name"):
        load_table(b"a\n1\n")


def test_latin1_bytes_after_the_sniffed_sample_are_still_read(monkeypatch):
    for module in (aio, atext):  # the format sniffer and the text reader each read a sample
        monkeypatch.setattr(module, "_SNIFF_BYTES", 64)
    rows = [f"{i},plain,{i}" for i in range(50)] + ["50,Café au lait,50"]
    table = load_table(("id,name,n\n" + "\n".join(rows) + "\n").encode("cp1252"), name="late.csv")
    assert table.frame["name"].iloc[50] == "Café au lait"
    assert "1252" in table.encoding
