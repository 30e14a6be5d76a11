"""Kinds, column roles, dates and the mapped dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.data import (
    ColumnMapping,
    build_dataset,
    detect_kind,
    detect_mapping,
    fingerprint,
    load_table,
    looks_like_identifier,
    mapping_from_options,
    parse_dates,
    product_names,
)
from analytics.errors import AnalyticsError


def retail_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "InvoiceNo": ["536365", "536365", "C536379", "536380"],
            "StockCode": ["85123A", "71053", "D", "22727"],
            "Description": [
                "WHITE HANGING HEART",
                "WHITE METAL LANTERN",
                "Discount",
                "ALARM CLOCK",
            ],
            "Quantity": [6, 6, -1, 4],
            "InvoiceDate": [
                "12/1/2010 8:26",
                "12/1/2010 8:26",
                "12/1/2010 9:41",
                "12/13/2010 9:41",
            ],
            "UnitPrice": [2.55, 3.39, 27.5, 3.75],
            "CustomerID": [17850.0, 17850.0, 14527.0, None],
            "Country": ["United Kingdom", "United Kingdom", "France", "France"],
        }
    )


def test_online_retail_headers_map_to_roles():
    frame = retail_frame()
    assert detect_kind(frame).kind == "transactions"
    mapping = detect_mapping(frame, "transactions")
    assert mapping.roles() == {
        "order_id": "InvoiceNo",
        "customer_id": "CustomerID",
        "timestamp": "InvoiceDate",
        "product": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "unit_price": "UnitPrice",
    }
    assert mapping.dimensions == ("Country",)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ("order_id", "customer_id", "order_date", "sku", "qty", "price"),
            ("order_id", "customer_id", "timestamp", "product", "quantity", "unit_price"),
        ),
        (
            ("订单号", "客户ID", "下单时间", "商品编码", "数量", "单价"),
            ("order_id", "customer_id", "timestamp", "product", "quantity", "unit_price"),
        ),
        (
            ("Invoice", "Customer ID", "InvoiceDate", "StockCode", "Quantity", "Price"),
            ("order_id", "customer_id", "timestamp", "product", "quantity", "unit_price"),
        ),
        (
            ("Transaction ID", "Client", "Date", "Item Code", "Units", "Sales"),
            ("order_id", "customer_id", "timestamp", "product", "quantity", "revenue"),
        ),
    ],
)
def test_header_variants_in_english_and_chinese(headers, expected):
    frame = pd.DataFrame(
        [["A1", "C1", "2024-01-03", "P1", 2, 9.5], ["A2", "C2", "2024-01-04", "P2", 1, 3.0]],
        columns=list(headers),
    )
    mapping = detect_mapping(frame, "transactions")
    assert {mapping.roles()[role]: role for role in expected} == dict(
        zip(headers, expected, strict=True)
    )


def test_names_that_do_not_fit_their_values_are_not_mapped():
    frame = pd.DataFrame(
        {"Invoice": ["1", "2"], "Date": ["not a date", "nope"], "Price": ["x", "y"]}
    )
    mapping = detect_mapping(frame, "transactions")
    assert mapping.timestamp is None and mapping.unit_price is None


def test_dates_found_by_values_when_names_say_nothing():
    frame = pd.DataFrame(
        {
            "Bon": ["1", "2", "3"],
            "Wann": ["2024-01-03", "2024-02-03", "2024-03-09"],
            "Price": [1.0, 2, 3],
        }
    )
    assert detect_mapping(frame, "transactions").timestamp == "Wann"


@pytest.mark.parametrize(
    ("frame", "kind"),
    [
        (
            pd.DataFrame(
                {"Month": ["1949-01", "1949-02", "1949-03"], "Passengers": [112, 118, 132]}
            ),
            "series",
        ),
        (
            pd.DataFrame(
                {
                    "CustomerID": ["0001", "0002", "0003"],
                    "Genre": ["Male", "Female", "Male"],
                    "Age": [19, 21, 20],
                }
            ),
            "customers",
        ),
        (pd.DataFrame({"basket": ["1", "1", "2"], "item": ["milk", "bread", "milk"]}), "baskets"),
        (pd.DataFrame({"milk": [1, 0, 1], "bread": [1, 1, 0], "eggs": [0, 0, 1]}), "baskets"),
        (pd.DataFrame({"items": ["milk, bread", "eggs, milk, butter", "bread"]}), "baskets"),
        (retail_frame(), "transactions"),
    ],
)
def test_kind_detection(frame, kind):
    assert detect_kind(frame).kind == kind


def test_kind_guess_says_why():
    guess = detect_kind(retail_frame())
    assert "InvoiceNo" in guess.reasons[0] and "InvoiceDate" in guess.reasons[0]


def test_unrecognisable_table_asks_the_user():
    guess = detect_kind(pd.DataFrame({"a": ["x", "y"], "b": ["z", "w"]}))
    assert not guess.confident and "pick the kind" in guess.reasons[0]


@pytest.mark.parametrize(
    ("header", "identifier"),
    [
        ("Customer ID", True),
        ("CustomerID", True),
        ("InvoiceNo", True),
        ("客户ID", True),
        ("zip code", True),
        ("ZIP", True),
        ("Quantity", False),
        ("Price", False),
        ("Age", False),
    ],
)
def test_identifier_headers(header, identifier):
    assert looks_like_identifier(header) is identifier


# --- dates -----------------------------------------------------------------------------------------


def test_iso_dates():
    parsed = parse_dates(pd.Series(["2024-01-03 10:00:00", "2024-02-29 23:59:59", None]))
    assert parsed.format == "ISO 8601" and parsed.dayfirst is None
    assert parsed.values.iloc[1] == pd.Timestamp("2024-02-29 23:59:59")
    assert parsed.values.isna().iloc[2] and parsed.n_unparsed == 0


def test_us_export_with_times_reads_month_first():
    parsed = parse_dates(pd.Series(["12/1/2009 7:45", "1/13/2010 10:05"]))
    assert parsed.values.tolist() == [
        pd.Timestamp("2009-12-01 07:45"),
        pd.Timestamp("2010-01-13 10:05"),
    ]
    assert parsed.dayfirst is False and not parsed.ambiguous


def test_ambiguous_dates_default_to_month_first_and_can_be_flipped():
    values = pd.Series(["1/3/2019", "2/4/2019", "12/11/2019"])
    parsed = parse_dates(values)
    assert parsed.ambiguous and parsed.dayfirst is False
    assert parsed.values.iloc[0] == pd.Timestamp("2019-01-03")
    assert "flip" in parsed.describe()
    flipped = parse_dates(values, dayfirst=True)
    assert flipped.values.iloc[0] == pd.Timestamp("2019-03-01") and flipped.dayfirst is True


def test_day_first_when_the_data_settles_it():
    parsed = parse_dates(pd.Series(["13/02/2019", "01/03/2019"]))
    assert parsed.dayfirst is True and not parsed.ambiguous
    assert parsed.values.tolist() == [pd.Timestamp("2019-02-13"), pd.Timestamp("2019-03-01")]


def test_chinese_dates():
    parsed = parse_dates(pd.Series(["2019年1月3日", "2019年12月30日"]))
    assert parsed.values.tolist() == [pd.Timestamp("2019-01-03"), pd.Timestamp("2019-12-30")]


def test_german_dotted_dates_read_day_first():
    parsed = parse_dates(pd.Series(["03.01.2019", "04.01.2019"]))
    assert parsed.values.iloc[0] == pd.Timestamp("2019-01-03") and parsed.dayfirst is True


def test_month_names_and_year_months():
    assert parse_dates(pd.Series(["Jan 3, 2019", "Feb 4, 2019"])).values.iloc[1] == pd.Timestamp(
        "2019-02-04"
    )
    assert parse_dates(pd.Series(["1949-01", "1949-02"])).values.iloc[1] == pd.Timestamp(
        "1949-02-01"
    )


def test_a_column_of_mixed_formats_is_read_value_by_value():
    parsed = parse_dates(pd.Series(["2024-01-03", "15/03/2024", "2024-02-01", "20/03/2024"]))
    assert parsed.format == "mixed formats" and parsed.n_unparsed == 0
    assert parsed.values.iloc[1] == pd.Timestamp("2024-03-15")


def test_data_that_settles_the_order_wins_over_the_users_choice():
    parsed = parse_dates(pd.Series(["13/02/2019", "01/03/2019"]), dayfirst=False)
    assert parsed.dayfirst is True and parsed.n_unparsed == 0


def test_unreadable_dates_are_counted():
    parsed = parse_dates(pd.Series(["2024-01-03", "2024-01-04", "2024-01-05", "soon"]))
    assert parsed.n_unparsed == 1 and parsed.values.isna().sum() == 1


# --- building datasets -----------------------------------------------------------------------------


def test_build_transactions_types_roles_and_revenue():
    frame = retail_frame()
    dataset = build_dataset(
        frame, "transactions", detect_mapping(frame, "transactions"), source="retail.csv"
    )
    out = dataset.frame
    assert list(out.columns[:8]) == [
        "order_id",
        "customer_id",
        "timestamp",
        "product",
        "product_name",
        "quantity",
        "unit_price",
        "revenue",
    ]
    assert out["customer_id"].tolist()[:3] == ["17850", "17850", "14527"] and pd.isna(
        out["customer_id"].iloc[3]
    )
    assert out["revenue"].round(2).tolist() == [15.3, 20.34, -27.5, 15.0]
    assert out["timestamp"].iloc[3] == pd.Timestamp("2010-12-13 09:41")
    assert "Country" in out.columns
    assert dataset.dates is not None and dataset.dates.dayfirst is False


def test_missing_quantity_counts_one_unit_and_revenue_gives_price():
    frame = pd.DataFrame(
        {"order": ["1", "2"], "date": ["2024-01-01", "2024-01-02"], "amount": [10.0, 4.0]}
    )
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    assert dataset.frame["quantity"].tolist() == [1.0, 1.0]
    assert dataset.frame["unit_price"].tolist() == [10.0, 4.0]
    assert any("one unit" in note for note in dataset.notes)


def test_transactions_without_a_date_are_refused():
    frame = pd.DataFrame({"order": ["1"], "amount": [10.0]})
    with pytest.raises(AnalyticsError, match="needs a date column") as info:
        build_dataset(frame, "transactions", ColumnMapping(order_id="order", revenue="amount"))
    assert "Data page" in info.value.hint


def test_one_column_for_two_roles_is_refused():
    frame = retail_frame()
    mapping = detect_mapping(frame, "transactions").with_roles(customer_id="InvoiceNo")
    with pytest.raises(AnalyticsError, match="two roles"):
        build_dataset(frame, "transactions", mapping)


def test_unknown_column_is_refused():
    frame = retail_frame()
    with pytest.raises(AnalyticsError, match="not in the table"):
        build_dataset(
            frame, "transactions", detect_mapping(frame, "transactions").with_roles(quantity="Qty")
        )


def test_date_column_without_dates_is_refused():
    frame = pd.DataFrame({"order": ["1", "2"], "when": ["soon", "later"], "amount": [1.0, 2.0]})
    with pytest.raises(AnalyticsError, match="holds no dates"):
        build_dataset(
            frame,
            "transactions",
            ColumnMapping(order_id="order", timestamp="when", revenue="amount"),
        )


def test_series_dataset_is_sorted_by_date():
    frame = pd.DataFrame(
        {"Month": ["1949-03", "1949-01", "1949-02"], "Passengers": [132, 112, 118]}
    )
    dataset = build_dataset(frame, "series", detect_mapping(frame, "series"))
    assert dataset.frame["value"].tolist() == [112, 118, 132]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("basket,item\n1,milk\n1,bread\n2,milk\n", "long.csv"),
        ("milk,bread\nmilk\nbread,milk,eggs\n", "lines.csv"),
        ('items\n"milk, bread"\nmilk\n"eggs, milk"\n', "cells.csv"),
    ],
)
def test_baskets_become_long_basket_item_pairs(text, name):
    table = load_table(text.encode(), name=name)
    dataset = build_dataset(
        table.frame, "baskets", detect_mapping(table.frame, "baskets", header=table.header)
    )
    assert list(dataset.frame.columns) == ["basket_id", "item"]
    assert set(dataset.frame["item"]) >= {"milk", "bread"}
    assert dataset.frame.groupby("basket_id").size().max() >= 2


def test_one_hot_baskets():
    frame = pd.DataFrame({"milk": [1, 0, 1], "bread": [True, True, False], "eggs": [0, 0, 1]})
    mapping = detect_mapping(frame, "baskets")
    assert mapping.one_hot
    dataset = build_dataset(frame, "baskets", mapping)
    assert sorted(dataset.frame.loc[dataset.frame["basket_id"] == "2", "item"]) == ["eggs", "milk"]


def test_fingerprint_follows_content():
    a = pd.DataFrame({"x": [1, 2]})
    assert fingerprint(a, "t") == fingerprint(a.copy(), "t")
    assert fingerprint(a, "t") != fingerprint(pd.DataFrame({"x": [1, 3]}), "t")
    assert fingerprint(a, "t") != fingerprint(a, "u")


def test_role_overrides_from_options():
    mapping = mapping_from_options(
        ColumnMapping(order_id="a"), {"customer_id": "b", "order_id": None, "dimensions": "c,d"}
    )
    assert (
        mapping.customer_id == "b" and mapping.order_id is None and mapping.dimensions == ("c", "d")
    )
    with pytest.raises(AnalyticsError, match="Unknown role"):
        mapping_from_options(ColumnMapping(), {"colour": "x"})


def test_text_columns_without_blanks_are_shared_with_the_table_not_copied():
    """A dataset built from a table reuses its text (a 2-million-line upload: 250 MB less)."""
    frame = pd.DataFrame(
        {
            "Invoice": [f"A{i}" for i in range(50)],
            "Customer": [f"C{i % 7}" for i in range(50)],
            "Date": pd.date_range("2025-01-01", periods=50, freq="D"),
            "StockCode": [f"P{i % 5}" for i in range(50)],
            "Description": [f"Item {i % 5}" for i in range(50)],
            "Qty": 1,
            "Price": 2.0,
        }
    ).astype({c: "str" for c in ("Invoice", "Customer", "StockCode", "Description")})
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    for role, column in (("order_id", "Invoice"), ("product_name", "Description")):
        assert dataset.frame[role].array._pa_array.chunk(0).buffers()[2].address == (
            frame[column].array._pa_array.chunk(0).buffers()[2].address
        ), role
    padded = frame.assign(Description=" " + frame["Description"] + " ", Invoice=frame["Invoice"])
    padded.loc[3, "Invoice"] = "  "
    again = build_dataset(padded, "transactions", detect_mapping(padded, "transactions"))
    assert again.frame["product_name"].iloc[0] == "Item 0"
    assert pd.isna(again.frame["order_id"].iloc[3])


def test_dataset_days_and_distinct_values_for_the_pages_filters():
    table = retail_frame()
    dataset = build_dataset(table, "transactions", detect_mapping(table, "transactions"))
    first, last = dataset.days
    assert (str(first), str(last)) == ("2010-12-01", "2010-12-13")
    assert dataset.distinct("product") == sorted(table["StockCode"].astype(str).unique())
    assert dataset.distinct("no such column") == []
    customers = pd.DataFrame({"id": ["a", "b"], "Spend": [1.0, 2.0]})
    assert (
        build_dataset(customers, "customers", detect_mapping(customers, "customers")).days is None
    )


def test_product_names_are_each_codes_most_common_name_as_series_mode_gives():
    rng = np.random.default_rng(7)
    codes = rng.choice([f"P{i}" for i in range(40)], 3_000)
    names = rng.choice(["Mug", "MUG", "Mug ", "Cup", None], 3_000, p=[0.3, 0.3, 0.1, 0.1, 0.2])
    lines = pd.DataFrame({"product": codes, "product_name": names})
    lines.loc[lines["product"] == "P0", "product_name"] = None  # a code without any name
    lines.loc[len(lines)] = ["P99", "Zebra"]  # ties: "Apple" and "Zebra" once each
    lines.loc[len(lines)] = ["P99", "Apple"]
    expected = (
        lines.dropna(subset=["product_name"])
        .groupby("product")["product_name"]
        .agg(lambda s: s.mode().iloc[0])
    )
    got = product_names(lines)
    assert got.sort_index().to_dict() == expected.to_dict()
    assert "P0" not in got and got["P99"] == "Apple"
    assert product_names(lines, ["P1", "P99", "P0"]).sort_index().to_dict() == {
        "P1": expected["P1"],
        "P99": "Apple",
    }


def test_reading_a_file_tries_the_date_formats_on_each_column_once(monkeypatch):
    """Guessing the kind, the roles and their evidence each ask whether a column holds dates;
    every format used to be tried on the same values up to three times (0.4 s of 0.45 s)."""
    from analytics.data import dates, open_table

    dates._text_date_share.cache_clear()
    seen: list[tuple[str, ...]] = []
    real = dates.parse_dates

    def counted(values, **kwargs):
        seen.append(tuple(values.astype(str)))
        return real(values, **kwargs)

    monkeypatch.setattr(dates, "parse_dates", counted)
    table = load_table(retail_frame().to_csv(index=False).encode(), name="retail.csv")
    assert open_table(table).dataset.kind == "transactions"
    assert seen and len(seen) == len(set(seen))
