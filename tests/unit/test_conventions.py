"""Issue 15: each source's own conventions, never one global rule.

Cancellations, unpaid orders, gross and net amounts, dates in their many spellings, headerless and
padded basket files, item-per-row till logs, and order lines loaded as customers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.__main__ import main
from analytics.baskets import build_baskets, run_rules
from analytics.data import (
    DEFAULT_STEPS,
    ColumnMapping,
    build_dataset,
    cancellation_mask,
    cancelled_orders,
    clean,
    default_steps,
    detect_currency,
    detect_kind,
    detect_mapping,
    load_table,
    open_dataset,
    parse_dates,
    role_evidence,
    sales_mask,
    unpaid_mask,
)
from analytics.errors import AnalyticsError
from analytics.overview import whole_file_summary
from analytics.propensity import propensity_data, yes_no_columns
from analytics.segments import customer_features


def opened(tmp_path, text: str, name: str = "export.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return open_dataset(path)


# --- cancellations -------------------------------------------------------------------------------


def test_a_c_before_an_invoice_number_of_the_files_form_is_a_cancellation():
    ids = pd.Series(["536365", "C536379", "536366", None, "c536380", "A563185"])
    assert cancelled_orders(ids).tolist() == [False, True, False, False, True, False]


@pytest.mark.parametrize(
    "ids",
    [
        ["CA-2016-152156", "US-2016-108966", "CA-2017-100006"],  # Superstore: CA is a prefix
        ["C1001", "C1002", "C1003"],  # every id starts with C: the C is part of the id
        ["C12", "536365", "536366"],  # C + 2 digits is not the form of the other ids
    ],
)
def test_an_id_that_merely_starts_with_c_is_an_order(ids):
    assert not cancelled_orders(pd.Series(ids)).any()


def test_superstore_like_orders_are_all_sales(tmp_path):
    text = (
        "Row ID,Order ID,Order Date,Customer ID,Product ID,Sales,Quantity\n"
        "1,CA-2016-152156,11/8/2016,CG-12520,FUR-BO-1,261.96,2\n"
        "2,CA-2016-152156,11/8/2016,CG-12520,FUR-CH-2,731.94,3\n"
        "3,US-2015-108966,10/11/2015,SO-20335,FUR-TA-3,957.5775,5\n"
        "4,CA-2015-115812,6/9/2015,BH-11710,FUR-FU-4,48.86,7\n"
    )
    summary = whole_file_summary(opened(tmp_path, text).dataset)
    assert (summary["orders"], summary["customers"], summary["revenue"]) == (3, 3, 2000.34)


def test_a_negative_quantity_is_a_return():
    frame = pd.DataFrame({"order_id": ["1", "2"], "quantity": [2.0, -1.0]})
    assert cancellation_mask(frame).tolist() == [False, True]


@pytest.mark.parametrize(
    ("status", "returned", "unpaid"),
    [
        ("refunded", True, False),
        ("partially_refunded", True, False),
        ("voided", True, False),
        ("Returned", True, False),
        ("交易关闭-退款", True, False),
        ("已取消", True, False),
        ("Remboursé", True, False),
        ("storniert", True, False),
        ("pending", False, True),
        ("等待买家付款", False, True),
        ("paid", False, False),
        ("已付款", False, False),
    ],
)
def test_a_status_column_says_what_is_a_return_and_what_is_unpaid(status, returned, unpaid):
    frame = pd.DataFrame({"order_id": ["1"], "status": [status]})
    assert cancellation_mask(frame).tolist() == [returned]
    assert unpaid_mask(frame).tolist() == [unpaid]


SHOPIFY = (
    "Name,Email,Financial Status,Paid at,Currency,Subtotal,Total,Refunded Amount,Created at,"
    "Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku\n"
    "#1001,a@x.org,paid,2024-03-01 10:00:00 +0100,EUR,30.00,35.00,0.00,2024-03-01 09:58:00 +0100,1,Mug,10.00,MUG\n"
    "#1001,a@x.org,,,,,,,2024-03-01 09:58:00 +0100,2,Cup,10.00,CUP\n"
    "#1002,b@x.org,refunded,2024-03-02 10:00:00 +0100,EUR,10.00,15.00,15.00,2024-03-02 09:00:00 +0100,1,Mug,10.00,MUG\n"
    "#1003,c@x.org,pending,,EUR,20.00,25.00,0.00,2024-03-03 09:00:00 +0100,2,Cup,10.00,CUP\n"
    "#1004,a@x.org,partially_refunded,2024-03-04 10:00:00 +0100,EUR,40.00,45.00,5.00,2024-03-04 09:00:00 +0100,4,Mug,10.00,MUG\n"
)


def test_a_shopify_export_counts_paid_orders_net_of_refunds(tmp_path):
    result = opened(tmp_path, SHOPIFY)
    roles = result.dataset.mapping.roles()
    assert roles["order_id"] == "Name"
    assert roles["customer_id"] == "Email"
    assert (roles["status"], roles["paid"], roles["refund"]) == (
        "Financial Status",
        "Paid at",
        "Refunded Amount",
    )
    assert roles["revenue"] == "Total"
    frame = result.dataset.frame
    # The order's second line takes over its first line's status and payment.
    assert frame.loc[1, "status"] == "paid" and bool(frame.loc[1, "paid"])
    cleaned = clean(result.dataset, DEFAULT_STEPS)
    assert [e.rows_removed for e in cleaned.log if e.step == "drop_unpaid"] == [1]
    summary = whole_file_summary(cleaned.dataset)
    # #1001 paid; #1002 fully and #1004 partly refunded (returns); #1003 pending (unpaid).
    assert summary["orders"] == 1
    assert summary["revenue"] == 35.00 + (15.00 - 15.00) + (45.00 - 5.00)
    assert summary["currency"] == "EUR"
    # The switch: keeping unpaid orders puts #1003 back into revenue.
    kept = clean(result.dataset, [s for s in DEFAULT_STEPS if s != "drop_unpaid"])
    assert whole_file_summary(kept.dataset)["revenue"] == summary["revenue"] + 25.00


def test_a_tmall_order_export_leaves_out_unpaid_orders_and_takes_refunds_off(tmp_path):
    text = (
        "订单编号,总金额,买家实际支付金额,收货地址 ,订单创建时间,订单付款时间 ,退款金额\n"
        "1,178.8,0.0,上海,2020-02-21 00:00:00,,0.0\n"
        "2,21.0,21.0,内蒙古自治区,2020-02-20 23:59:54,2020-02-21 00:00:02,0.0\n"
        "3,37.0,37.0,安徽省,2020-02-20 23:59:35,2020-02-20 23:59:40,37.0\n"
        "4,157.0,150.0,湖南省,2020-02-20 23:58:34,2020-02-20 23:58:44,0.0\n"
    )
    result = opened(tmp_path, text)
    assert result.dataset.mapping.revenue == "买家实际支付金额"
    assert any("总金额" in note for note in result.dataset.notes)
    summary = whole_file_summary(clean(result.dataset, DEFAULT_STEPS).dataset)
    assert (summary["orders"], summary["revenue"], summary["lines"]) == (2, 171.0, 3)


def test_the_amount_received_is_revenue_when_the_file_also_has_the_amount_due(tmp_path):
    text = (
        "购药时间,社保卡号,商品编码,商品名称,销售数量,应收金额,实收金额\n"
        "2018-01-01 星期五,001616528,236701,强力VC银翘片,6,82.8,69\n"
        "2018-01-02 星期六,001616528,236701,强力VC银翘片,1,28,24.64\n"
        "2018-01-06 星期三,0012697828,861464,复方利血平片(降压0号),4,56,56\n"
    )
    result = opened(tmp_path, text)
    assert result.dataset.kind == "transactions"
    roles = result.dataset.mapping.roles()
    assert roles == {
        "customer_id": "社保卡号",
        "timestamp": "购药时间",
        "product": "商品编码",
        "product_name": "商品名称",
        "quantity": "销售数量",
        "revenue": "实收金额",
    }
    frame = result.dataset.frame
    assert frame["customer_id"].tolist()[:2] == ["001616528", "001616528"]  # zeros kept
    assert frame["timestamp"].dt.strftime("%Y-%m-%d").tolist() == [
        "2018-01-01",
        "2018-01-02",
        "2018-01-06",
    ]
    assert any("应收金额" in note for note in result.dataset.notes)
    summary = whole_file_summary(result.dataset)
    assert (summary["customers"], summary["revenue"]) == (2, 149.64)


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        ["2016-01-01 星期五", "2016-01-02 星期六"],
        ["2016-01-01 周五", "2016-01-02 周六"],
        ["Fri, 01 Jan 2016", "Sat, 02 Jan 2016"],
        ["Friday 2016-01-01", "Saturday 2016-01-02"],
        ["2016年1月1日", "2016年1月2日"],
    ],
)
def test_dates_with_weekdays_or_chinese_units_are_read(values):
    read = parse_dates(pd.Series(values))
    assert read.n_unparsed == 0
    assert read.values.dt.strftime("%Y-%m-%d").tolist() == ["2016-01-01", "2016-01-02"]


def test_yyyymmdd_numbers_and_excel_day_numbers_are_dates():
    assert parse_dates(pd.Series([19970101, 19970218])).values.dt.day.tolist() == [1, 18]
    excel = parse_dates(pd.Series([42370, 42371.75]))
    assert excel.format == "Excel day numbers"
    assert excel.values.tolist() == [pd.Timestamp("2016-01-01"), pd.Timestamp("2016-01-02 18:00")]


def test_excel_day_numbers_need_a_date_header_but_yyyymmdd_numbers_do_not():
    frame = pd.DataFrame(
        {
            "Invoice": ["1", "2", "3"],
            "Amount": [42370.0, 42371.0, 42372.0],
            "Day": [42370, 42371, 42372],
            "When": [20160101, 20160102, 20160103],
        }
    )
    assert detect_mapping(frame, "transactions").timestamp == "Day"
    no_date_header = frame.drop(columns="Day").rename(columns={"When": "Col"})
    assert detect_mapping(no_date_header, "transactions").timestamp == "Col"
    assert detect_mapping(frame.drop(columns=["Day", "When"]), "transactions").timestamp is None


def test_a_date_and_a_time_in_two_columns_are_combined(tmp_path):
    text = (
        "Date,Time,Invoice,Customer,Price\n"
        "2016-10-30,09:58:11,1,a,2.5\n"
        "2016-10-30,7:05 PM,2,b,3.0\n"
    )
    result = opened(tmp_path, text)
    assert result.dataset.mapping.time == "Time"
    assert result.dataset.frame["timestamp"].tolist() == [
        pd.Timestamp("2016-10-30 09:58:11"),
        pd.Timestamp("2016-10-30 19:05:00"),
    ]
    assert "time" not in result.dataset.frame
    assert any("combined" in note for note in result.dataset.notes)


# --- baskets -------------------------------------------------------------------------------------


def test_a_till_log_of_transaction_and_item_is_baskets(tmp_path):
    text = (
        "Date,Time,Transaction,Item\n"
        "2016-10-30,09:58:11,1,Bread\n"
        "2016-10-30,10:05:34,2,Scandinavian\n"
        "2016-10-30,10:05:34,2,Scandinavian\n"
        "2016-10-30,10:07:57,3,Hot chocolate\n"
        "2016-10-30,10:07:57,3,Jam\n"
    )
    result = opened(tmp_path, text)
    assert result.dataset.kind == "baskets"
    assert (result.dataset.mapping.basket_id, result.dataset.mapping.item) == (
        "Transaction",
        "Item",
    )
    assert result.dataset.frame.groupby("basket_id")["item"].nunique().to_dict() == {
        "1": 1,
        "2": 1,
        "3": 2,
    }


def test_a_padded_headerless_basket_file_loses_no_basket(tmp_path):
    ragged = "olive oil,bread\nmilk,bread,butter,eggs\nbread,milk\nbutter\nmilk,olive oil\n"
    width = max(line.count(",") for line in ragged.splitlines())
    padded = "".join(line + "," * (width - line.count(",")) + "\n" for line in ragged.splitlines())
    (tmp_path / "ragged.csv").write_text(ragged)
    (tmp_path / "padded.csv").write_text(padded)
    a, b = load_table(tmp_path / "ragged.csv"), load_table(tmp_path / "padded.csv")
    assert not b.header
    pd.testing.assert_frame_equal(a.frame, b.frame)
    baskets = open_dataset(tmp_path / "padded.csv").dataset
    assert baskets.frame["basket_id"].nunique() == 5
    assert "olive oil" in set(baskets.frame["item"])


def test_an_equal_width_table_with_blank_trailing_cells_keeps_its_header(tmp_path):
    text = (
        "Invoice,Date,Price,Note,\n1,2024-01-01,2.0,,\n2,2024-01-02,3.0,gift,\n3,2024-01-03,1.0,,\n"
    )
    table = load_table(text.encode(), name="t.csv")
    assert table.header and list(table.frame.columns[:3]) == ["Invoice", "Date", "Price"]


@pytest.mark.realdata
def test_groceries_padded_with_trailing_commas_gives_the_same_5668_rules(shared_datasets, tmp_path):
    lines = (shared_datasets / "groceries.csv").read_text().splitlines()
    width = max(line.count(",") for line in lines)
    padded = tmp_path / "groceries_padded.csv"
    padded.write_text("".join(line + "," * (width - line.count(",")) + "\n" for line in lines))
    dataset = open_dataset(padded).dataset
    rules = run_rules(build_baskets(dataset), min_support=0.001, min_confidence=0.5)
    assert (rules.to_dict()["n_transactions"], rules.n_rules) == (9835, 5668)


# --- order lines as customers --------------------------------------------------------------------


def test_order_lines_loaded_as_customers_are_questioned_and_refused():
    frame = pd.DataFrame(
        {
            "Customer ID": ["001", "001", "002", "003", "003", "003"],
            "Spend": [10.0, 12.0, 3.0, 4.0, 8.0, 1.0],
            "Visits": [1, 2, 1, 3, 1, 2],
        }
    )
    guess = detect_kind(frame)
    assert guess.kind == "customers" and not guess.confident
    assert "repeats" in guess.reasons[0] and "transactions" in guess.reasons[0]
    dataset = build_dataset(frame, "customers", ColumnMapping(customer_id="Customer ID"))
    with pytest.raises(AnalyticsError, match="order lines"):
        customer_features(dataset, features=["Spend", "Visits"])
    with pytest.raises(AnalyticsError, match="order lines"):
        propensity_data(dataset, target="Visits")


def test_a_real_customer_table_is_not_questioned():
    frame = pd.DataFrame(
        {"CustomerID": ["0001", "0002", "0003"], "Age": [19, 21, 20], "Income": [15, 15, 16]}
    )
    guess = detect_kind(frame)
    assert guess.kind == "customers" and guess.confident


# --- headers in other languages, currencies, row numbers ----------------------------------------


def test_a_german_export_with_decimal_commas_maps_every_role(tmp_path):
    text = (
        "Bestellnummer;Kundennummer;Bestelldatum;Artikelnummer;Artikelbezeichnung;Menge;Einzelpreis\n"
        "1001;0042;03.01.2024;A-1;Kaffeebecher;2;4,50\n"
        "1001;0042;03.01.2024;A-2;Teller;1;12,00\n"
        "1002;0077;15.01.2024;A-1;Kaffeebecher;3;4,50\n"
    )
    result = opened(tmp_path, text, "bestellungen.csv")
    assert result.dataset.mapping.roles() == {
        "order_id": "Bestellnummer",
        "customer_id": "Kundennummer",
        "timestamp": "Bestelldatum",
        "product": "Artikelnummer",
        "product_name": "Artikelbezeichnung",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
    }
    summary = whole_file_summary(result.dataset)
    assert (summary["orders"], summary["customers"], summary["revenue"]) == (2, 2, 34.5)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["N° commande", "Client", "Date", "Désignation", "Quantité", "Prix unitaire"], "fr"),
        (["Número pedido", "Cliente", "Fecha", "Producto", "Cantidad", "Precio"], "es"),
        (["Número pedido", "Cliente", "Data", "Produto", "Quantidade", "Preço"], "pt"),
    ],
)
def test_french_spanish_and_portuguese_headers_are_read(headers, expected):
    frame = pd.DataFrame(
        [["1", "c1", "2024-01-02", "x", 2, 3.5], ["2", "c2", "2024-01-03", "y", 1, 1.0]],
        columns=headers,
    )
    roles = detect_mapping(frame, "transactions").roles()
    assert set(roles) == {
        "order_id",
        "customer_id",
        "timestamp",
        "product_name",
        "quantity",
        "unit_price",
    }, expected


@pytest.mark.parametrize(
    ("columns", "mapping", "currency"),
    [
        ({"Total (€)": [1.0]}, ColumnMapping(revenue="Total (€)"), "EUR"),
        ({"Total": [1.0, 2.0], "Currency": ["GBP", "gbp"]}, ColumnMapping(revenue="Total"), "GBP"),
        ({"Total": [1.0, 2.0], "Currency": ["GBP", "USD"]}, ColumnMapping(revenue="Total"), None),
        ({"amount_usd": [1.0]}, ColumnMapping(revenue="amount_usd"), "USD"),
        ({"Net sales": [1.0]}, ColumnMapping(revenue="Net sales"), None),
    ],
)
def test_the_currency_is_read_where_the_file_says_it(columns, mapping, currency):
    assert detect_currency(pd.DataFrame(columns), mapping) == currency


def test_lines_with_their_own_row_number_are_never_duplicates(tmp_path):
    text = "Row ID,Order ID,Order Date,Sales\n1,A-1,2024-01-02,5.00\n2,A-1,2024-01-02,5.00\n"
    result = opened(tmp_path, text)
    cleaned = clean(result.dataset, DEFAULT_STEPS)
    assert cleaned.rows_removed == 0
    assert whole_file_summary(cleaned.dataset)["revenue"] == 10.0


# --- the overview command ------------------------------------------------------------------------


def test_overview_prints_the_whole_file_kpis_as_json(tmp_path, capsys):
    path = tmp_path / "shop.csv"
    path.write_text(SHOPIFY)
    assert main(["overview", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {
        "orders",
        "customers",
        "revenue",
        "lines",
        "first_date",
        "last_date",
        "currency",
        "notes",
    } <= set(out)
    assert (out["orders"], out["customers"], out["revenue"], out["currency"]) == (1, 1, 75.0, "EUR")
    assert (out["first_date"], out["last_date"]) == ("2024-03-01", "2024-03-04")
    assert any("unpaid" in note for note in out["notes"])
    assert np.isfinite(out["revenue"])


# --- whitespace-aligned text, duplicates without an order id -------------------------------------

CDNOW_STYLE = (
    " customer_id  date number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00003 19970102  2   20.76\r\n"
)


def test_whitespace_aligned_text_with_yyyymmdd_dates_is_read_as_transactions(tmp_path):
    result = opened(tmp_path, CDNOW_STYLE, "CDNOW_style.txt")
    assert result.table.delimiter == "\t"
    assert any("runs of spaces" in note for note in result.table.notes)
    assert result.dataset.kind == "transactions"
    assert result.dataset.mapping.roles() == {
        "customer_id": "customer_id",
        "timestamp": "date",
        "quantity": "number_of_cds",
        "revenue": "dollar_value",
    }
    assert result.dataset.frame["customer_id"].tolist()[0] == "00001"
    # No order id: two equal lines are two purchases, kept unless the user removes them.
    steps = default_steps(result.dataset)
    assert "drop_duplicates" not in steps
    summary = whole_file_summary(clean(result.dataset, steps).dataset)
    assert (summary["customers"], summary["revenue"], summary["lines"]) == (3, 56.53, 4)


def test_equal_lines_of_one_invoice_are_duplicates_by_default(tmp_path):
    text = "Invoice,Date,Price\n1,2024-01-02,5.00\n1,2024-01-02,5.00\n2,2024-01-03,1.00\n"
    result = opened(tmp_path, text)
    assert "drop_duplicates" in default_steps(result.dataset)
    cleaned = clean(result.dataset, default_steps(result.dataset))
    assert whole_file_summary(cleaned.dataset)["revenue"] == 6.0


@pytest.mark.realdata
def test_customers_without_an_id_keep_their_equal_rows(shared_datasets):
    """Hillstrom's e-mail test has no customer id: 6,562 rows equal an earlier one, and each is a
    customer of its own (the published arm sizes count them)."""
    dataset = open_dataset(shared_datasets / "hillstrom_email.csv").dataset
    assert dataset.kind == "customers" and dataset.mapping.customer_id is None
    assert "drop_duplicates" not in default_steps(dataset)
    cleaned = clean(dataset, default_steps(dataset)).dataset
    assert len(cleaned.frame) == 64_000
    assert cleaned.frame["segment"].value_counts().to_dict() == {
        "Womens E-Mail": 21_387,
        "Mens E-Mail": 21_307,
        "No E-Mail": 21_306,
    }


@pytest.mark.realdata
def test_cdnow_master_gives_the_published_totals(shared_datasets):
    dataset = open_dataset(shared_datasets / "CDNOW_master.txt").dataset
    summary = whole_file_summary(clean(dataset, default_steps(dataset)).dataset)
    assert (summary["customers"], summary["lines"], summary["revenue"]) == (
        23570,
        69659,
        2500315.63,
    )
    assert (summary["first_date"], summary["last_date"]) == ("1997-01-01", "1998-06-30")


# --- files without a header, and roles from the values --------------------------------------------

HEADERLESS_CDNOW = (
    " 00001 19970101  1   11.77\n"
    " 00002 19970112  1   12.00\n"
    " 00002 19970112  5   77.00\n"
    " 00003 19970102  2   20.76\n"
    " 00003 19970330  2   20.76\n"
    " 00003 19970402  2   19.54\n"
)


def test_a_table_whose_first_line_is_data_keeps_that_line_and_its_leading_zeros(tmp_path):
    result = opened(tmp_path, HEADERLESS_CDNOW, "CDNOW_master.txt")
    assert list(result.table.frame.columns) == ["column_1", "column_2", "column_3", "column_4"]
    assert len(result.table.frame) == 6  # the first purchase is not a header
    assert any("first line holds values" in note for note in result.table.notes)
    assert result.table.frame["column_1"].tolist()[:2] == ["00001", "00002"]


def test_roles_of_a_headerless_table_come_from_the_values_and_wait_for_confirmation(tmp_path):
    lines = "".join(
        f" {i % 40:05d} 1997{1 + i % 12:02d}{1 + i % 28:02d}  {1 + i % 3}   {5 + i * 0.37:.2f}\n"
        for i in range(200)
    )
    result = opened(tmp_path, lines, "purchases.txt")
    assert result.dataset.kind == "transactions"
    assert not result.guess.confident  # a guess from the values: the user confirms it
    assert result.dataset.mapping.roles() == {
        "customer_id": "column_1",
        "timestamp": "column_2",
        "quantity": "column_3",
        "revenue": "column_4",
    }
    evidence = role_evidence(result.table.frame, "transactions", result.dataset.mapping)
    assert evidence and not any(e.confident for e in evidence)
    assert all("chosen from the values" in e.evidence for e in evidence)


def test_a_header_of_names_and_years_stays_a_header(tmp_path):
    text = "Region,2019,2020\nNorth,1.5,2.5\nSouth,3.0,4.0\nEast,5.0,6.5\n"
    result = opened(tmp_path, text)
    assert list(result.table.frame.columns) == ["Region", "2019", "2020"]
    assert len(result.table.frame) == 3


def test_a_one_column_file_of_item_lists_keeps_its_first_basket(tmp_path):
    text = '"MILK,BREAD,BISCUIT"\n"BREAD,MILK,TEA"\n"BISCUIT,TEA"\n"BREAD,TEA,MILK"\n'
    result = opened(tmp_path, text, "GroceryStoreDataSet.csv")
    assert result.dataset.kind == "baskets"
    assert build_baskets(result.dataset).n_baskets == 4


def test_codes_written_with_leading_zeros_stay_text_whatever_the_header(tmp_path):
    text = "card,day,amount\n001616528,2016-01-01,10.5\n0010070343428,2016-01-02,3.25\n42,2016-01-03,1\n"
    frame = opened(tmp_path, text).table.frame
    assert frame["card"].tolist() == ["001616528", "0010070343428", "42"]


# --- what counts as a sale ------------------------------------------------------------------------


def test_a_line_of_zero_units_is_no_order_and_no_customer(tmp_path):
    text = (
        "Invoice,Customer,Date,Quantity,Price\n"
        "1,A,2024-01-02,2,5.00\n"
        "2,B,2024-01-03,0,5.00\n"  # a voided till line: nothing sold
        "3,C,2024-01-04,-1,5.00\n"  # a return
    )
    dataset = opened(tmp_path, text).dataset
    assert sales_mask(dataset.frame).tolist() == [True, False, False]
    summary = whole_file_summary(clean(dataset, default_steps(dataset)).dataset)
    assert (summary["orders"], summary["customers"], summary["revenue"]) == (1, 1, 5.0)


def test_a_cancelled_status_without_a_refund_amount_counts_no_revenue(tmp_path):
    text = (
        "ORDERNUMBER,CUSTOMERNAME,ORDERDATE,SALES,STATUS\n"
        "10100,Toys Inc,02/24/03,100.00,Shipped\n"
        "10101,Toys Inc,02/25/03,40.00,Cancelled\n"
        "10102,Reims SA,02/26/03,60.00,Partially refunded\n"
    )
    result = opened(tmp_path, text)
    assert result.dataset.mapping.status == "STATUS"
    assert result.dataset.frame["revenue"].tolist() == [100.0, 0.0, 60.0]
    assert any("count no revenue" in note for note in result.dataset.notes)
    summary = whole_file_summary(clean(result.dataset, default_steps(result.dataset)).dataset)
    # The partial refund has no amount to take off: it stays, and is no sale.
    assert (summary["orders"], summary["revenue"]) == (1, 160.0)


# --- baskets in other shapes ----------------------------------------------------------------------


def test_a_basket_id_and_a_cell_of_items_is_baskets(tmp_path):
    text = (
        'tid,items\n1,"burgers,meatballs,eggs"\n2,chutney\n3,"turkey,avocado"\n4,"eggs,burgers"\n'
    )
    result = opened(tmp_path, text)
    assert result.dataset.kind == "baskets"
    assert result.dataset.mapping.item_separator == ","
    baskets = build_baskets(result.dataset)
    assert (baskets.n_baskets, baskets.n_items) == (4, 6)


def test_item_codes_next_to_an_order_id_are_the_items_without_a_header_naming_them(tmp_path):
    rows = [(1, 1, "hawaiian_m"), (2, 2, "classic_dlx_m"), (3, 2, "five_cheese_l")]
    rows += [(4 + i, 3 + i // 2, ("hawaiian_m", "bbq_ckn_s")[i % 2]) for i in range(20)]
    text = "order_details_id,order_id,pizza_id,quantity\n" + "".join(
        f"{a},{b},{c},1\n" for a, b, c in rows
    )
    result = opened(tmp_path, text)
    assert result.dataset.kind == "baskets"
    assert result.dataset.mapping.roles() == {"basket_id": "order_id", "item": "pizza_id"}


def test_a_column_merely_ending_in_order_is_no_basket(tmp_path):
    text = "CustomerID,Country,DaysSinceLastOrder,Orders\n" + "".join(
        f"{i},{('UK', 'FR', 'DE')[i % 3]},{i % 7},{i % 5}\n" for i in range(60)
    )
    assert opened(tmp_path, text).dataset.kind == "customers"


def test_a_yes_no_revenue_column_is_the_outcome_rather_than_weekend():
    frame = pd.DataFrame(
        {
            "PageValues": np.arange(40.0),
            "Weekend": [True, False] * 20,
            "Revenue": [False] * 30 + [True] * 10,
        }
    )
    dataset = build_dataset(frame, "customers", ColumnMapping())
    assert yes_no_columns(dataset).likeliest == "Revenue"


def test_a_members_items_per_day_without_a_basket_id_are_baskets_of_one_day(tmp_path):
    text = "Member_number,Date,itemDescription\n" + "".join(
        f"{1000 + i % 7},{1 + i % 3:02d}/07/2015,{('milk', 'bread', 'eggs', 'jam')[i % 4]}\n"
        for i in range(42)
    )
    result = opened(tmp_path, text)
    assert result.dataset.kind == "baskets"
    assert result.dataset.mapping.roles() == {
        "basket_id": "Member_number",
        "item": "itemDescription",
        "timestamp": "Date",
    }
    assert any("bought on one day" in note for note in result.dataset.notes)
    frame = pd.read_csv(tmp_path / "export.csv")
    expected = len(frame.groupby(["Member_number", "Date"]))
    assert build_baskets(result.dataset).n_baskets == expected == 21


@pytest.mark.parametrize(
    "headers",
    [
        # Tableau's Superstore in Spanish, Portuguese, French and German.
        ("Id. de la fila", "Id. del pedido", "Fecha del pedido", "Id. del cliente",
         "Id. del producto", "Nombre del producto", "Cantidad", "Ventas"),
        ("ID da linha", "ID do pedido", "Data do pedido", "ID do cliente", "ID do produto",
         "Nome do produto", "Quantidade", "Vendas"),
        ("ID de ligne", "ID commande", "Date de commande", "ID client", "ID produit",
         "Nom du produit", "Quantité", "Montant des ventes"),
        ("Zeilen-ID", "Bestell-ID", "Bestelldatum", "Kunden-ID", "Produkt-ID", "Produktname",
         "Menge", "Umsatz"),
    ],
)  # fmt: skip
def test_localized_superstore_headers_map_every_role_and_number_the_rows(tmp_path, headers):
    _row_id, order, date, customer, product, name, quantity, sales = headers
    body = "".join(
        f"{i},MX-{100 + i // 2},2023-0{1 + i % 9}-1{i % 9},C{i % 3},P{i % 4},Item {i % 4},1,9.5\n"
        for i in range(12)
    )
    text = ",".join(headers) + "\n" + body + body.splitlines()[0].replace("0,", "99,", 1) + "\n"
    result = opened(tmp_path, text)
    assert result.dataset.mapping.roles() == {
        "order_id": order,
        "customer_id": customer,
        "timestamp": date,
        "product": product,
        "product_name": name,
        "quantity": quantity,
        "revenue": sales,
    }
    # Row 99 repeats row 0 in every other column; its own row number makes it a line of its own.
    summary = whole_file_summary(clean(result.dataset, default_steps(result.dataset)).dataset)
    assert summary["revenue"] == 13 * 9.5
