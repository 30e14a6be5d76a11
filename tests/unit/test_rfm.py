"""RFM: values, scores, the named-segment grid."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.data import ColumnMapping, build_dataset, detect_mapping, open_dataset
from analytics.errors import AnalyticsError
from analytics.segments import SEGMENT_GRID, SEGMENTS, compute_rfm, score

MAPPING = ColumnMapping(
    order_id="order", customer_id="customer", timestamp="date", quantity="qty", unit_price="price"
)


@pytest.fixture
def shop():
    rows = [
        ("1", "a", "2024-01-01", 1, 10.0),
        ("2", "a", "2024-01-20", 2, 10.0),
        ("2", "a", "2024-01-20", 1, 5.0),
        ("3", "b", "2024-01-10", 1, 100.0),
        ("C4", "b", "2024-01-12", -1, 100.0),
        ("5", "c", "2024-01-30", 3, 1.0),
        ("6", None, "2024-01-30", 1, 50.0),
    ]
    frame = pd.DataFrame(rows, columns=["order", "customer", "date", "qty", "price"])
    return build_dataset(frame, "transactions", MAPPING)


def test_scores_handle_ties_and_direction():
    assert score(pd.Series([1, 1, 1, 5, 9])).tolist() == [1, 1, 1, 4, 5]
    assert score(pd.Series([0, 10, 300]), higher_is_better=False).tolist() == [5, 4, 2]
    assert score(pd.Series([7.0])).tolist() == [5]


def test_grid_gives_every_cell_exactly_one_named_segment():
    assert len(SEGMENT_GRID) == 25
    assert {(r, f) for r in range(1, 6) for f in range(1, 6)} == set(SEGMENT_GRID)
    assert set(SEGMENT_GRID.values()) == set(SEGMENTS)
    assert len(SEGMENTS) == 11
    assert SEGMENT_GRID[(5, 5)] == "Champions" and SEGMENT_GRID[(1, 1)] == "Lost"
    assert SEGMENT_GRID[(1, 5)] == "Can't Lose Them" and SEGMENT_GRID[(5, 1)] == "New Customers"


def test_recency_frequency_monetary_by_hand(shop):
    rfm = compute_rfm(shop)
    table = rfm.customers.set_index("customer_id")
    assert rfm.analysis_date == pd.Timestamp("2024-01-31")  # the day after the last order
    assert table.loc["a", ["recency", "frequency", "monetary"]].tolist() == [11, 2, 35.0]
    assert table.loc["b", ["recency", "frequency", "monetary"]].tolist() == [21, 1, 100.0]
    assert table.loc["c", ["recency", "frequency", "monetary"]].tolist() == [1, 1, 3.0]
    assert rfm.excluded_lines == 2  # the cancellation and the guest line


def test_cancellations_can_be_kept(shop):
    table = compute_rfm(shop, exclude_cancellations=False).customers.set_index("customer_id")
    assert table.loc["b", "monetary"] == 0.0 and table.loc["b", "frequency"] == 2


def test_analysis_date_cuts_later_orders(shop):
    rfm = compute_rfm(shop, analysis_date=dt.date(2024, 1, 15))
    table = rfm.customers.set_index("customer_id")
    assert set(table.index) == {"a", "b"}
    assert table.loc["a", "recency"] == 14 and table.loc["a", "frequency"] == 1


def test_every_customer_in_exactly_one_segment(sample):
    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    rfm = compute_rfm(dataset)
    assert rfm.customers["segment"].notna().all()
    assert rfm.customers["customer_id"].is_unique
    assert rfm.summary["customers"].sum() == len(rfm.customers)
    assert rfm.rf_grid.to_numpy().sum() == len(rfm.customers)
    champions = rfm.customers[rfm.customers["segment"] == "Champions"]
    assert champions["frequency"].median() > rfm.customers["frequency"].median()


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name", ["online_retail_II_sample_2sheets.xlsx", "online_retail_II_head52516.xlsx"]
)
def test_rfm_on_online_retail_covers_every_customer_once(shared_datasets, name):
    dataset = open_dataset(shared_datasets / name).dataset
    rfm = compute_rfm(dataset)
    frame = dataset.frame
    buyers = frame.loc[
        frame["customer_id"].notna()
        & ~frame["order_id"].str.startswith("C")
        & (frame["quantity"] > 0),
        "customer_id",
    ]
    assert set(rfm.customers["customer_id"]) == set(buyers)
    assert rfm.customers["segment"].notna().all() and rfm.customers["customer_id"].is_unique
    assert rfm.summary["customers"].sum() == buyers.nunique()


def test_rfm_needs_transactions_with_customers():
    series = pd.DataFrame({"Month": ["1949-01", "1949-02"], "Passengers": [1, 2]})
    with pytest.raises(AnalyticsError, match="needs transactions"):
        compute_rfm(build_dataset(series, "series", detect_mapping(series, "series")))
    orders = pd.DataFrame({"order": ["1"], "date": ["2024-01-01"], "price": [1.0]})
    no_customers = build_dataset(
        orders,
        "transactions",
        ColumnMapping(order_id="order", timestamp="date", unit_price="price"),
    )
    with pytest.raises(AnalyticsError, match="customer column") as info:
        compute_rfm(no_customers)
    assert "Data page" in info.value.hint


def test_analysis_date_before_any_order_is_explained(shop):
    with pytest.raises(AnalyticsError, match="No customer has an order before 2023-01-01"):
        compute_rfm(shop, analysis_date=dt.date(2023, 1, 1))
