"""Quality report and cleaning: counts, findings, the log, undo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.data import (
    DEFAULT_STEPS,
    STEP_NAMES,
    ColumnMapping,
    build_dataset,
    clean,
    cleaning_options,
    detect_mapping,
    quality_report,
)
from analytics.errors import AnalyticsError


@pytest.fixture
def dirty():
    frame = pd.DataFrame(
        {
            "Invoice": ["1", "1", "1", "C2", "3", "4", "5", "6"],
            "Product": ["a", "b", "b", "a", "c", "a", "b", "c"],
            "Quantity": [1, 2, 2, -1, 5, 1, -3, 1],
            "Date": [
                "2024-01-01",
                "2024-01-01",
                "2024-01-01",
                "2024-01-02",
                "2024-01-03",
                "someday",
                "2024-01-05",
                "2024-01-06",
            ],
            "Price": [2.0, 3.0, 3.0, 2.0, 0.0, 2.0, 3.0, -1.0],
            "Customer": ["x", "y", "y", "x", None, "z", "z", None],
        }
    )
    mapping = ColumnMapping(
        order_id="Invoice",
        product="Product",
        quantity="Quantity",
        timestamp="Date",
        unit_price="Price",
        customer_id="Customer",
    )
    return frame, build_dataset(frame, "transactions", mapping, source="dirty.csv")


def test_report_counts_every_problem(dirty):
    table, dataset = dirty
    report = quality_report(dataset, table=table)
    assert report.n_rows == 8 and report.n_columns == 6
    assert report.counts == {
        "drop_duplicates": 1,
        "drop_cancellations": 2,  # "C2" and the negative quantity on invoice 5
        "drop_unpaid": 0,  # no payment column or status: every order counts as paid
        "drop_nonpositive_prices": 2,
        "drop_missing_customers": 2,
        "drop_missing_dates": 1,
        "drop_implausible_dates": 0,
    }
    messages = " ".join(f.message for f in report.findings)
    assert "1 rows are exact duplicates" in messages
    assert "2 lines are cancellations or returns" in messages
    assert "date that could not be read" in messages
    assert report.findings[0].severity == "problem"


def test_column_profile_shows_roles_types_and_missing(dirty):
    table, dataset = dirty
    columns = quality_report(dataset, table=table).columns.set_index("Column")
    assert columns.loc["Customer", "Role"] == "Customer"
    assert columns.loc["Customer", "Missing"] == 2
    assert columns.loc["Quantity", "Type"] == "whole number"
    assert columns.loc["Quantity", "Min"] == "-3" and columns.loc["Quantity", "Max"] == "5"


def test_options_show_rows_each_step_removes(dirty):
    _, dataset = dirty
    options = {o.step.name: o.rows for o in cleaning_options(dataset)}
    assert options["drop_cancellations"] == 2 and options["drop_duplicates"] == 1


def test_cleaning_logs_each_step_in_a_fixed_order(dirty):
    _, dataset = dirty
    result = clean(dataset, ["drop_missing_customers", "drop_duplicates"])
    assert [e.step for e in result.log] == ["drop_duplicates", "drop_missing_customers"]
    assert [(e.rows_before, e.rows_removed) for e in result.log] == [(8, 1), (7, 2)]
    assert result.dataset.n_rows == 5 and result.rows_removed == 3
    assert result.summary["Rows after"].tolist() == [7, 5]


def test_cleaning_changes_the_fingerprint_and_undo_restores_it(dirty):
    _, dataset = dirty
    cleaned = clean(dataset, ["drop_cancellations", "drop_duplicates"])
    assert cleaned.dataset.fingerprint != dataset.fingerprint
    undone = clean(dataset, [])
    assert undone.dataset.fingerprint == dataset.fingerprint and undone.log == ()
    partly = clean(dataset, ["drop_duplicates"])
    assert partly.dataset.fingerprint == clean(dataset, ["drop_duplicates"]).dataset.fingerprint
    assert dataset.n_rows == 8  # the original is never changed


def test_cleaning_everything_away_is_refused():
    frame = pd.DataFrame({"o": ["1"], "d": ["2024-01-01"], "p": [1.0], "q": [-1]})
    dataset = build_dataset(
        frame,
        "transactions",
        ColumnMapping(order_id="o", timestamp="d", unit_price="p", quantity="q"),
    )
    with pytest.raises(AnalyticsError, match="remove every row"):
        clean(dataset, ["drop_cancellations"])


def test_unknown_step_is_named():
    frame = pd.DataFrame({"o": ["1"], "d": ["2024-01-01"], "p": [1.0]})
    dataset = build_dataset(
        frame, "transactions", ColumnMapping(order_id="o", timestamp="d", unit_price="p")
    )
    with pytest.raises(AnalyticsError, match="'tidy'"):
        clean(dataset, ["tidy"])
    assert "drop_duplicates" in STEP_NAMES


def test_extreme_values_are_flagged():
    rng = np.random.default_rng(0)
    quantity = rng.integers(1, 12, 500).astype(float)
    quantity[7] = 80995
    frame = pd.DataFrame(
        {
            "o": [str(i) for i in range(500)],
            "d": ["2024-01-01"] * 500,
            "q": quantity,
            "p": rng.uniform(1, 5, 500),
        }
    )
    dataset = build_dataset(
        frame,
        "transactions",
        ColumnMapping(order_id="o", timestamp="d", quantity="q", unit_price="p"),
    )
    report = quality_report(dataset)
    assert report.extreme["quantity"] == 1
    assert any("80,995" in f.message for f in report.findings)


def test_customers_with_repeated_ids_are_reported():
    frame = pd.DataFrame({"CustomerID": ["1", "2", "2"], "Age": [30, 40, 41]})
    dataset = build_dataset(frame, "customers", detect_mapping(frame, "customers"))
    assert any("appear more than once" in f.message for f in quality_report(dataset).findings)


def test_empty_and_constant_columns_are_reported():
    frame = pd.DataFrame(
        {"CustomerID": ["1", "2", "3"], "Note": [None, None, None], "Shop": ["A", "A", "A"]}
    )
    dataset = build_dataset(frame, "customers", detect_mapping(frame, "customers"))
    messages = " ".join(f.message for f in quality_report(dataset).findings)
    assert "entirely empty: Note" in messages and "Same value in every row: Shop" in messages


def test_sample_quality_matches_what_was_planted(sample):
    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    report = quality_report(dataset)
    assert report.counts["drop_cancellations"] == frame["Invoice"].str.startswith("C").sum()
    assert report.counts["drop_missing_customers"] == frame["Customer ID"].isna().sum()
    assert report.counts["drop_duplicates"] == frame.duplicated().sum()


def test_dates_in_1900_or_2200_are_flagged_and_can_be_removed():
    frame = pd.DataFrame(
        {
            "Invoice": ["1", "2", "3", "4"],
            "Date": ["2024-01-02", "1900-01-01", "2200-12-31", "2024-01-03"],
            "Price": [1.0, 2.0, 3.0, 4.0],
        }
    )
    mapping = ColumnMapping(order_id="Invoice", timestamp="Date", unit_price="Price")
    dataset = build_dataset(frame, "transactions", mapping, source="far.csv")
    report = quality_report(dataset, table=frame)
    assert report.counts["drop_implausible_dates"] == 2
    assert any("before 1990 or more than a year ahead" in f.message for f in report.findings)
    kept = clean(dataset, ["drop_implausible_dates"]).dataset.frame
    assert kept["timestamp"].dt.year.tolist() == [2024, 2024]


# --- memory: what large uploads need (issue 19) -------------------------------------------------------


def test_duplicates_found_by_hashing_equal_pandas():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "a": rng.integers(0, 5, 2000),
            "b": rng.choice(["x", "y", None], 2000),
            "c": rng.choice([1.5, np.nan], 2000),
        }
    ).astype({"b": "str"})
    from analytics.data.cleaning import _duplicates

    assert _duplicates(frame).tolist() == frame.duplicated(keep="first").tolist()
    assert _duplicates(frame.iloc[:0]).tolist() == []
    assert not _duplicates(frame.drop_duplicates()).any()


def test_a_cleaning_step_that_removes_nothing_copies_nothing():
    frame = pd.DataFrame(
        {
            "Invoice": [f"A{i}" for i in range(100)],
            "Customer ID": [f"C{i % 7}" for i in range(100)],
            "InvoiceDate": pd.date_range("2025-01-01", periods=100, freq="D"),
            "StockCode": [f"P{i % 5}" for i in range(100)],
            "Quantity": 1.0,
            "Price": 2.0,
        }
    ).astype({"Invoice": "str", "Customer ID": "str", "StockCode": "str"})
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    cleaned = clean(dataset, DEFAULT_STEPS)
    assert [entry.rows_removed for entry in cleaned.log] == [0, 0, 0, 0]
    for column in ("order_id", "product", "quantity"):
        assert np.shares_memory(
            _values(cleaned.dataset.frame[column]), _values(dataset.frame[column])
        ), column


def _values(column: pd.Series) -> np.ndarray:
    """The memory behind a column: its numbers, or the characters of its text."""
    array = column.array
    if hasattr(array, "_pa_array"):
        chunk = array._pa_array.chunk(0)
        data = chunk.buffers()[2]
        return np.frombuffer(data, dtype=np.uint8)
    return column.to_numpy()
