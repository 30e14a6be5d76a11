"""The display layer: locale-aware money, numbers, percentages and dates (Babel), and every
table column's label, kind and format."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.display import COLUMNS, Column, Display, column_kind, column_label
from analytics.errors import AnalyticsError


@pytest.mark.parametrize(
    ("locale", "currency", "big", "small"),
    [
        ("en_US", "USD", "$1,234,568", "$12.50"),
        ("en_GB", "GBP", "£1,234,568", "£12.50"),
        ("de_DE", "EUR", "1.234.568\xa0€", "12,50\xa0€"),
        ("fr_FR", "EUR", "1\u202f234\u202f568\xa0€", "12,50\xa0€"),
        ("ja_JP", "JPY", "￥1,234,568", "￥12"),  # the yen has no minor unit
        ("zh_CN", "CNY", "¥1,234,568", "¥12.50"),
    ],
)
def test_money_in_the_locale_whole_units_from_a_hundred(locale, currency, big, small):
    shown = Display(locale, currency)
    assert shown.money(1_234_567.891) == big
    assert shown.money(12.5) == small


def test_numbers_percentages_changes_and_dates_follow_the_locale():
    us, de = Display("en_US", "USD"), Display("de_DE", "EUR")
    assert us.percent(0.0493) == "4.9%" and de.percent(0.0493) == "4,9\xa0%"
    assert us.percent(0.000012) == "0.0012%"  # a tiny share keeps its digits, not "0.0%"
    assert us.change(0.123) == "+12.3%" and us.change(-0.05) == "-5.0%" and us.change(None) is None
    assert us.number(1234.5, 1) == "1,234.5" and de.number(1234.5, 1) == "1.234,5"
    assert us.date(dt.date(2024, 1, 5)) == "Jan 5, 2024"
    assert de.date(pd.Timestamp("2024-01-05")) == "05.01.2024"
    assert Display("zh_CN", "CNY").date("2024-01-05") == "2024年1月5日"
    for missing in (None, np.nan, pd.NaT):
        assert us.value(missing, "money") == "—" and us.date(missing) == "—"


def test_a_browser_locale_and_its_countrys_currency():
    assert Display.for_locale("en-GB") == Display("en_GB", "GBP")
    assert Display.for_locale("de-DE") == Display("de_DE", "EUR")
    assert Display.for_locale(None) == Display("en_US", "USD")
    assert Display.for_locale("xx-??") == Display("en_US", "USD")  # unknown: a safe default
    assert Display.for_locale("ja", "USD") == Display("ja_JP", "USD")


def test_unknown_locale_or_currency_is_refused_in_words():
    with pytest.raises(AnalyticsError, match="currency"):
        Display("en_US", "DOLLARS")
    with pytest.raises(AnalyticsError, match="locale"):
        Display("klingon", "USD")


def test_headers_in_words():
    assert column_label("revenue_share") == "Share of revenue"
    assert column_label("mean_monetary") == "Mean monetary"
    assert column_label("recency_median") == "Median recency (days)"
    assert column_label("avg_order_value") == "Average order value"  # a propensity feature
    assert column_label("avg_basket_price") == "Avg basket price"  # unknown: written out
    assert column_label("share_Stationery") == "Share of Stationery"  # a category, as written
    assert column_label("MonthlyCharges") == "MonthlyCharges"  # a user's name, as written
    assert column_label("mean_MonthlyCharges") == "Mean MonthlyCharges"
    assert column_label("tenure") == "Tenure"
    assert column_label("column_3") == "Column 3"
    assert all(not column.label[:1].islower() for column in COLUMNS.values())


def test_kinds_from_names_and_values():
    assert column_kind("revenue", pd.Series([1.5])) == "money"
    assert column_kind("MonthlyCharges", pd.Series([70.35])) == "money"
    assert column_kind("tenure", pd.Series([1.0, 12.0])) == "count"
    assert column_kind("quantity", pd.Series([0.25, 1.5])) == "number"  # kilograms, not counts
    assert column_kind("mean_frequency", pd.Series([2.4])) == "number"  # a mean of counts
    assert column_kind("churn_rate", pd.Series([0.1, 0.3])) == "percent"
    assert column_kind("Missing %", pd.Series([0.0, 0.4])) == "number"  # already percentages
    assert column_kind("x", pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"]))) == "date"
    assert column_kind("x", pd.Series(pd.to_datetime(["2024-01-01 10:30"]))) == "datetime"
    assert column_kind("x", pd.Series([True])) == "flag"
    assert column_kind("segment", pd.Series(["A"])) == "text"


def test_columns_settle_decimals_and_keep_the_users_own_headers():
    frame = pd.DataFrame(
        {
            "revenue": [1234.5, 20_000.0],
            "unit_price": [2.5, 3.75],
            "Some_Col": [0.123, 0.5],
            "forecast": [12.3, 15.1],
        }
    )
    specs = Display().columns(frame, {"forecast": Column("Orders", "count")}, own={"Some_Col"})
    assert specs["revenue"] == Column("Revenue", "money", None, 0)
    assert specs["unit_price"].decimals == 2 and specs["unit_price"].kind == "money"
    assert specs["Some_Col"].label == "Some_Col"  # as the file writes it
    assert specs["forecast"] == Column("Orders", "count", None, 0)


def test_table_formats_for_streamlit():
    us, de = Display("en_US", "USD"), Display("de_DE", "EUR")
    assert us.table_format("money", 2) == ("$%,.2f", "")
    assert Display("en_US", "JPY").table_format("money", 2) == ("¥%,.0f", "")
    assert de.table_format("money", 2) == ("localized", " (€)")  # a printf cannot write 1.234,50
    assert us.table_format("count", None) == ("%,d", "")
    assert us.table_format("percent", 1) == ("%.1f%%", "")  # of values times 100
    assert us.table_format("date", None) == ("MMM D, YYYY", "")
    assert Display("en_GB", "GBP").table_format("datetime", None) == ("D MMM YYYY HH:mm", "")
    assert us.table_format("text", None) == (None, "")


def test_text_table_is_every_cell_a_string_in_words():
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "revenue": [1234.5, np.nan],
            "revenue_share": [0.25, 0.75],
            "orders": [3, 4],
        }
    )
    text = Display("en_GB", "GBP").text_table(frame)
    assert list(text.columns) == ["Period", "Revenue", "Share of revenue", "Orders"]
    assert text.iloc[0].tolist() == ["1 Jan 2024", "£1,234", "25.0%", "3"]
    assert text.iloc[1, 1] == "—"


def test_charts_take_the_locales_digits_and_the_currency_on_money_axes():
    import plotly.graph_objects as go

    fig = Display("de_DE", "EUR").chart(go.Figure(go.Bar(x=["a"], y=[1234.5])), money="y")
    assert fig.layout.separators == ",."
    assert fig.layout.yaxis.ticksuffix == "\xa0€" and not fig.layout.yaxis.tickprefix
    assert not fig.layout.xaxis.tickprefix
    us = Display("en_US", "USD").chart(go.Figure(go.Bar(x=[1.0], y=["a"])), money="x")
    assert us.layout.separators == ".," and us.layout.xaxis.tickprefix == "$"
