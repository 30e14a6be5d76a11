"""Overview KPIs against hand-computed figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.data import ColumnMapping, build_dataset, detect_mapping
from analytics.errors import AnalyticsError
from analytics.overview import default_period, natural_freq, preset_period, run_overview
from analytics.plots import customers_figure, top_products_figure, top_values_figure, trend_figure

MAPPING = ColumnMapping(
    order_id="order",
    customer_id="customer",
    timestamp="date",
    product="sku",
    product_name="name",
    quantity="qty",
    unit_price="price",
    dimensions=("country",),
)


@pytest.fixture
def shop():
    rows = [
        # previous period: 1–10 Jan
        ("1", "a", "2024-01-02", "P1", "Mug", 2, 5.0, "UK"),
        ("2", "b", "2024-01-05", "P2", "Lamp", 1, 20.0, "FR"),
        # current period: 11–20 Jan
        ("3", "a", "2024-01-11", "P1", "Mug", 4, 5.0, "UK"),
        ("3", "a", "2024-01-11", "P2", "Lamp", 1, 20.0, "UK"),
        ("4", "c", "2024-01-15", "P1", "Mug", 1, 5.0, "FR"),
        ("C5", "a", "2024-01-16", "P2", "Lamp", -1, 20.0, "UK"),
        ("6", None, "2024-01-20", "P3", "Card", 10, 1.0, "UK"),
    ]
    frame = pd.DataFrame(
        rows, columns=["order", "customer", "date", "sku", "name", "qty", "price", "country"]
    )
    return build_dataset(frame, "transactions", MAPPING, source="shop.csv")


def test_kpis_for_a_period_and_the_one_before(shop):
    result = run_overview(shop, start=dt.date(2024, 1, 11), end=dt.date(2024, 1, 20), freq="D")
    # Revenue is net of the return: 20 + 20 + 5 - 20 + 10 = 35; sales-only revenue is 55.
    assert result.kpi("Revenue").value == 35
    assert result.kpi("Orders").value == 3
    assert result.kpi("Customers").value == 2
    assert result.kpi("Average order value").value == pytest.approx(55 / 3)
    assert result.kpi("Items per order").value == pytest.approx(16 / 3)
    assert result.previous_start == pd.Timestamp(
        "2024-01-01"
    ) and result.previous_end == pd.Timestamp("2024-01-10")
    assert result.kpi("Revenue").previous == 30
    assert result.kpi("Revenue").change == pytest.approx(5 / 30)
    assert result.kpi("Orders").change == pytest.approx(0.5)


def test_top_products_and_dimension(shop):
    result = run_overview(shop, start=dt.date(2024, 1, 11), end=dt.date(2024, 1, 20))
    top = result.top_products.set_index("product")
    assert (
        top.index[0] == "P1" and top.loc["P1", "revenue"] == 25 and top.loc["P1", "name"] == "Mug"
    )
    assert top.loc["P1", "orders"] == 2
    assert result.dimension == "country"
    values = result.top_values.set_index("value")
    assert values.loc["UK", "revenue"] == 30 and values.loc["FR", "revenue"] == 5


def test_new_and_returning_customers(shop):
    result = run_overview(shop, freq="M")
    january = result.customers_by_period.iloc[0]
    assert (january["new"], january["returning"]) == (3, 0)
    weekly = run_overview(shop, freq="W").customers_by_period.set_index("period")
    # Customer a first bought in the week of 1 Jan and came back in the week of 8 Jan.
    assert weekly.loc[pd.Timestamp("2024-01-08"), "returning"] == 1
    assert weekly.loc[pd.Timestamp("2024-01-15"), "new"] == 1  # customer c, first order on 15 Jan


def test_trend_marks_incomplete_periods(shop):
    result = run_overview(shop, freq="M")
    assert result.trend["complete"].tolist() == [False]
    assert any("incomplete" in note for note in result.notes)
    daily = run_overview(shop, freq="D")
    assert daily.trend["complete"].all()
    assert daily.trend["revenue"].sum() == pytest.approx(shop.frame["revenue"].sum())


def test_the_trend_step_follows_the_period_and_one_bar_keeps_a_date_axis(sample):
    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    day = dt.date(2025, 1, 1)
    assert [natural_freq(day, day + dt.timedelta(days=n - 1)) for n in (1, 30, 62, 63)] == [
        "D",
        "D",
        "D",
        "W",
    ]
    assert natural_freq(day, day + dt.timedelta(days=365)) == "W"
    assert natural_freq(day, day + dt.timedelta(days=730)) == "M"
    assert natural_freq(day, day + dt.timedelta(days=3000)) == "Q"
    # Thirty days by month: one bar, whose axis once ran over a millisecond ("23:59:59.9996").
    result = run_overview(dataset, start=dt.date(2025, 12, 1), end=dt.date(2025, 12, 30), freq="M")
    axis = trend_figure(result).layout.xaxis
    assert len(result.trend) == 1 and list(axis.tickvals) == [pd.Timestamp("2025-12-01")]
    low, high = (pd.Timestamp(v) for v in axis.range)
    assert pd.Timedelta(days=14) <= high - low <= pd.Timedelta(days=32)
    assert axis.tickformat == "%b %Y"
    long = trend_figure(run_overview(dataset, freq="D")).layout.xaxis
    assert long.range is None and long.tickformat == "%d %b %Y"  # many bars: plotly's own ticks


def test_long_product_names_are_cut_on_the_axis_and_whole_in_the_hover():
    long = "REGENCY CAKESTAND 3 TIER WITH EXTRA LONG DESCRIPTION"
    frame = pd.DataFrame(
        [
            ("1", "a", "2024-01-02", "P1", long + " RED", 2, 5.0, "UK"),
            ("2", "b", "2024-01-05", "P2", long + " BLUE", 1, 20.0, "FR"),
            ("3", "b", "2024-01-06", "P3", "Mug", 1, 2.0, "FR"),
        ],
        columns=["order", "customer", "date", "sku", "name", "qty", "price", "country"],
    )
    result = run_overview(build_dataset(frame, "transactions", MAPPING, source="s.csv"), freq="D")
    bars = top_products_figure(result).data[0]
    assert max(len(label.rstrip("\u200b")) for label in bars.y) <= 36
    assert len(set(bars.y)) == 3  # the two cut names that start alike stay two bars
    assert {row[0] for row in bars.customdata} == {
        f"{long} RED (P1)",
        f"{long} BLUE (P2)",
        "Mug (P3)",
    }
    assert "%{customdata[0]}" in bars.hovertemplate


def test_no_previous_data_means_no_change(shop):
    result = run_overview(shop, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 20))
    assert all(k.change is None for k in result.kpis)
    assert any("No data in the previous period" in note for note in result.notes)


def test_period_without_orders_is_explained(shop):
    with pytest.raises(AnalyticsError, match="No orders between") as info:
        run_overview(shop, start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 1))
    assert "2024-01-02" in info.value.hint


def test_overview_needs_transactions():
    frame = pd.DataFrame({"Month": ["1949-01", "1949-02"], "Passengers": [112, 118]})
    series = build_dataset(frame, "series", detect_mapping(frame, "series"))
    with pytest.raises(AnalyticsError, match="needs transactions"):
        run_overview(series)


def test_bad_parameters_are_named(shop):
    with pytest.raises(AnalyticsError, match="freq"):
        run_overview(shop, freq="Y")  # type: ignore[arg-type]
    with pytest.raises(AnalyticsError, match="before it starts"):
        run_overview(shop, start=dt.date(2024, 1, 5), end=dt.date(2024, 1, 1))
    with pytest.raises(AnalyticsError, match="not a dimension"):
        run_overview(shop, dimension="colour")


def test_default_period_leaves_room_for_a_comparison():
    assert default_period(dt.date(2024, 1, 1), dt.date(2025, 12, 31)) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert default_period(dt.date(2009, 12, 1), dt.date(2010, 1, 31)) == (
        dt.date(2010, 1, 2),
        dt.date(2010, 1, 31),
    )
    assert default_period(dt.date(2024, 1, 1), dt.date(2024, 1, 20)) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 20),
    )
    assert preset_period(dt.date(2024, 1, 1), dt.date(2024, 1, 20), "Last 90 days") == (
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 20),
    )


def test_sample_overview_shows_growth(sample):
    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    stamps = dataset.frame["timestamp"]
    result = run_overview(dataset, start=dt.date(2025, 1, 1), end=stamps.max().date(), freq="M")
    assert result.kpi("Revenue").change > 0.1  # +25% a year is planted
    assert len(result.trend) == 12


def test_figures_carry_the_data(shop):
    result = run_overview(shop, freq="D")
    assert trend_figure(result).data[0].y.tolist() == result.trend["revenue"].tolist()
    assert trend_figure(result, "orders").layout.title.text == "Orders per day"
    assert "Mug (P1)" in top_products_figure(result).data[0].y
    assert set(top_values_figure(result).data[0].y) == {"UK", "FR"}
    assert [t.name for t in customers_figure(result).data] == [
        "Returning",
        "New (first order ever)",
    ]


def test_every_figure_takes_the_white_template_with_the_palette_once(shop):
    from analytics.plots import PALETTE, TEMPLATE

    fig = trend_figure(run_overview(shop))
    assert fig.layout.template.layout.colorway == PALETTE
    assert fig.layout.template.layout.plot_bgcolor == "white"
    # Set as the default, not per figure (validating a template on each figure was a third
    # of a warm Segments rerun).
    import plotly.io as pio

    assert pio.templates.default == TEMPLATE


def test_figures_keep_the_palette_when_streamlit_made_its_template_the_default(shop):
    import plotly.io as pio

    from analytics.plots import PALETTE, TEMPLATE

    pio.templates.default = "plotly"  # what importing streamlit after analytics.plots does
    try:
        fig = trend_figure(run_overview(shop))
        assert fig.layout.template.layout.colorway == PALETTE
        assert pio.templates.default == TEMPLATE
    finally:
        pio.templates.default = TEMPLATE
