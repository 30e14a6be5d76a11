"""Predicted lifetime value (issue 20, first part): BG/NBD and Gamma-Gamma against Fader, Hardie
& Lee's published CDNOW figures (as lifetimes' tests and Quickstart print them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.data import build_dataset, detect_mapping, open_dataset
from analytics.errors import AnalyticsError
from analytics.lifetime import (
    BGNBD,
    cohort_heatmap,
    cohort_table,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
)

ROOT = Path(__file__).resolve().parents[2]
CALIBRATION_END, OBSERVATION_END = "1997-09-30", "1998-06-30"  # 39 weeks, then 39 more


@pytest.fixture(scope="module")
def cdnow(shared_datasets) -> pd.DataFrame:
    dataset = open_dataset(shared_datasets / "CDNOW_sample.txt").dataset
    return customer_summary(dataset, CALIBRATION_END, OBSERVATION_END)


def test_the_summary_is_the_published_calibration_summary(cdnow, shared_datasets):
    reference = pd.read_csv(
        shared_datasets / "cdnow_customers_summary_with_transactions.csv", dtype={"ID": str}
    )
    assert len(cdnow) == 2357 and int((cdnow["frequency"] > 0).sum()) == 946
    mine = cdnow.sort_values(["frequency", "recency", "T"]).reset_index(drop=True)
    theirs = reference.sort_values(["x", "t_x", "T"]).reset_index(drop=True)
    assert np.allclose(mine["frequency"], theirs["x"])
    assert np.allclose(mine["recency"], theirs["t_x"], atol=0.01)
    assert np.allclose(mine["T"], theirs["T"], atol=0.01)
    assert np.allclose(mine["monetary"], theirs["zbar"], atol=0.006)  # zbar is to the cent


def test_bgnbd_recovers_the_published_parameters_within_one_percent(cdnow):
    fit = fit_bgnbd(cdnow)
    assert fit.converged
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.43, abs=0.05)


def test_bgnbd_conditional_expectation_matches_lifetimes_reference():
    model = BGNBD(0.242593, 4.413532, 0.792886, 2.425752, 0.0, True)
    assert float(model.expected_purchases(39, 2, 30.43, 38.86)) == pytest.approx(1.226, abs=0.001)
    assert float(model.p_alive(0, 0, 38.86)) == 1.0  # no repeat purchase: never seen leaving
    assert float(model.p_alive(5, 5.0, 38.0)) < float(model.p_alive(5, 37.0, 38.0))


def test_gamma_gamma_recovers_the_published_parameters_and_expected_spend(cdnow, shared_datasets):
    fit = fit_gamma_gamma(cdnow)
    assert fit.converged
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.01), name
    reference = pd.read_csv(shared_datasets / "cdnow_customers_summary_with_transactions.csv")
    first_ten = fit.expected_spend(reference["x"].iloc[:10], reference["zbar"].iloc[:10])
    assert np.round(first_ten, 2).tolist() == pytest.approx(
        [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17], abs=0.02
    )


def test_holdout_repeat_purchases_predicted_against_actual(cdnow):
    """The 39 weeks after calibration: BG/NBD predicts 1,653 repeat purchase days where the
    sample made 1,882 (−12%). Issue 20 asks for 5%; the published parameters themselves give
    1,653 (the reference summary, same figure), so the gap is the model's on this data."""
    fit = fit_bgnbd(cdnow)
    predicted = fit.expected_purchases(39, cdnow["frequency"], cdnow["recency"], cdnow["T"]).sum()
    actual = cdnow["holdout_purchases"].sum()
    assert actual == 1882
    assert predicted == pytest.approx(1653.4, abs=1.0)


def test_clv_ranks_valuable_customers_and_discounts_the_future(cdnow):
    purchases, spend = fit_bgnbd(cdnow), fit_gamma_gamma(cdnow)
    year = predict_clv(cdnow, purchases, spend, horizon_weeks=52, annual_discount=0.1)
    flat = predict_clv(cdnow, purchases, spend, horizon_weeks=52, annual_discount=0.0)
    assert year["clv"].is_monotonic_decreasing and len(year) == 2357
    assert (year["clv"] <= flat.loc[year.index, "clv"] + 1e-9).all()
    undiscounted = flat["expected_purchases"] * flat["expected_spend"]
    assert np.allclose(flat["clv"], undiscounted.loc[flat.index], rtol=1e-9)
    with pytest.raises(AnalyticsError, match="horizon"):
        predict_clv(cdnow, purchases, spend, horizon_weeks=0)


def test_lapsed_customers_rank_below_active_ones_on_p_alive():
    """Planted: half the customers buy every two weeks for a year and stop at week 20; the
    other half go on. P(alive) at week 52 tells them apart."""
    rng = np.random.default_rng(5)
    rows = []
    for customer in range(300):
        lapses = customer % 2 == 0
        week = rng.uniform(0, 4)
        while week < (20 if lapses else 52):
            rows.append((f"C{customer}", pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=week)))
            week += rng.exponential(2.0)
    frame = pd.DataFrame(rows, columns=["Customer", "Date"]).assign(
        Invoice=lambda f: [f"I{i}" for i in range(len(f))], Product="Mug", Qty=1, Price=4.0
    )
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    summary = customer_summary(dataset, "2024-12-29")
    alive = fit_bgnbd(summary).p_alive(summary["frequency"], summary["recency"], summary["T"])
    lapsed = np.array([int(c[1:]) % 2 == 0 for c in summary.index])
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(~lapsed, alive) >= 0.8


def test_missing_roles_and_too_little_history_are_explained():
    frame = pd.DataFrame(
        {"Invoice": ["1", "2"], "Date": ["2024-01-01", "2024-02-01"], "Price": [1, 2]}
    )
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    with pytest.raises(AnalyticsError, match="customer ids"):
        customer_summary(dataset)


# --- cohorts ------------------------------------------------------------------------------------

#: Planted: the share of a cohort that buys again 1, 2, ... months after its first month.
RETENTION = [1.0, 0.40, 0.30, 0.25, 0.22, 0.20]


def planted_cohorts(seed: int = 11) -> pd.DataFrame:
    """600 customers a month for six months, each buying in month k after their first with the
    planted probability (and always in their first month)."""
    rng = np.random.default_rng(seed)
    rows = []
    for cohort in range(6):
        for n in range(600):
            customer = f"C{cohort}-{n}"
            for age, share in enumerate(RETENTION):
                month = cohort + age
                if month < 9 and (age == 0 or rng.random() < share):
                    day = pd.Timestamp(2024, 1 + month, 1) + pd.Timedelta(
                        days=int(rng.integers(28))
                    )
                    rows.append((customer, day, 10.0))
    frame = pd.DataFrame(rows, columns=["Customer", "Date", "Price"])
    return frame.assign(Invoice=[f"I{i}" for i in range(len(frame))], Product="Mug", Qty=1)


def test_cohort_retention_recovers_the_planted_curve_within_two_points():
    frame = planted_cohorts()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    cohorts = cohort_table(dataset, "M", "active")
    assert cohorts.sizes.tolist() == [600] * 6
    curve = cohorts.curve()
    for age, share in enumerate(RETENTION):
        assert abs(curve[age] - share) <= 0.02, (age, curve[age], share)
    # The data ends on the last day it has, part way through September: that month is partial.
    last = frame["Date"].max()
    assert last.month == 9 and last.day < 30
    assert cohorts.partial.to_numpy().sum() == 3  # the April, May and June cohorts' September
    assert np.isnan(cohorts.table.iloc[-1, 5])  # June's cohort has no November yet


def test_cohort_active_shares_match_plain_pandas_on_a_real_export():
    path = ROOT / "tests" / "data" / "real" / "Sample - Superstore (2014-2017).csv"
    dataset = open_dataset(path).dataset
    cohorts = cohort_table(dataset, "Q", "active")
    # A few lines of pandas: first quarter per customer, then customers active per quarter.
    raw = pd.read_csv(path, encoding="latin-1", usecols=["Customer ID", "Order Date"])
    quarter = pd.to_datetime(raw["Order Date"]).dt.to_period("Q")
    first = quarter.groupby(raw["Customer ID"]).transform("min")
    age = (quarter - first).map(lambda offset: offset.n)
    active = raw.assign(first=first, age=age).groupby(["first", "age"])["Customer ID"].nunique()
    sizes = raw.assign(first=first).groupby("first")["Customer ID"].nunique()
    q1 = pd.Period("2014Q1")
    assert cohorts.sizes.iloc[0] == sizes[q1]
    for lag in (1, 4, 8):
        assert cohorts.table.iloc[0, lag] == pytest.approx(active[(q1, lag)] / sizes[q1])


def test_cumulative_revenue_per_customer_grows_and_bad_options_are_refused():
    frame = planted_cohorts()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    cumulative = cohort_table(dataset, "M", "cumulative").table
    first_row = cumulative.iloc[0].dropna()
    assert first_row.is_monotonic_increasing and first_row.iloc[0] == pytest.approx(10.0)
    assert cohort_table(dataset, "M", "revenue").table[0].eq(1.0).all()
    with pytest.raises(AnalyticsError, match="M or Q"):
        cohort_table(dataset, "W")
    with pytest.raises(AnalyticsError, match="measure"):
        cohort_table(dataset, "M", "profit")


def test_the_heatmap_greys_the_periods_not_over_yet():
    frame = planted_cohorts()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    cohorts = cohort_table(dataset, "M", "active")
    fig = cohort_heatmap(cohorts)
    whole, grey = fig.data
    assert int(np.isfinite(np.asarray(grey.z, float)).sum()) == 3  # the three Septembers
    assert (
        int(np.isfinite(np.asarray(whole.z, float)).sum())
        == int(cohorts.table.notna().sum().sum()) - 3
    )
    assert "100%" in np.asarray(whole.text).ravel().tolist()
