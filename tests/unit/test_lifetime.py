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
    NEW,
    GammaGamma,
    acquisition_groups,
    cohort_heatmap,
    cohort_table,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_notes,
    holdout_check,
    holdout_figure,
    migration_sankey,
    predict_clv,
    segment_migration,
    slipping_away,
    spend_check,
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


def test_the_holdout_check_gives_the_standard_plot_and_says_the_error(shared_datasets):
    """Fader, Hardie & Lee's figure 4: customers with no repeat purchase in the 39 calibration
    weeks made 0.24 purchases each in the 39 after, and the model expects 0.23."""
    dataset = open_dataset(shared_datasets / "CDNOW_sample.txt").dataset
    check = holdout_check(dataset, CALIBRATION_END)
    assert check.observation_end == pd.Timestamp(OBSERVATION_END) and check.weeks == 39.0
    assert (round(check.predicted, 1), check.actual) == (1653.4, 1882)
    groups = check.groups
    assert groups.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert groups["customers"].sum() == 2357
    assert groups.loc["0", "actual"] == pytest.approx(0.237, abs=0.001)
    assert groups.loc["0", "predicted"] == pytest.approx(0.225, abs=0.001)
    words = check.words()
    assert "Sep 30, 1997" in words and "1,653" in words and "1,882" in words
    assert "12% fewer than happened" in words and "rough guide" in words
    actual, predicted = holdout_figure(check).data
    assert list(actual.x) == groups.index.tolist()
    assert np.allclose(predicted.y, groups["predicted"])
    with pytest.raises(AnalyticsError, match="must end before"):
        holdout_check(dataset, OBSERVATION_END)


def test_the_default_holdout_splits_the_history_in_half_at_most_a_year(sample):
    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    check = holdout_check(dataset)
    # Three years of history: the last year is held out.
    assert check.calibration_end == pd.Timestamp("2024-12-31")
    assert check.observation_end == pd.Timestamp("2025-12-31")
    assert abs(check.error) < 0.25, check.words()


def test_planted_lapsed_customers_of_the_bundled_sample_rank_below_the_active(sample):
    """The sample's Lapsed persona stops buying at a known day (330 days or more before the
    end); every other persona buys to the end. P(alive) tells them apart."""
    from sklearn.metrics import roc_auc_score

    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    summary = customer_summary(dataset)
    alive = fit_bgnbd(summary).p_alive(summary["frequency"], summary["recency"], summary["T"])
    persona = sample.customers.set_index("customer_id")["persona"]
    lapsed = persona.reindex(summary.index.astype(str)).eq("Lapsed").to_numpy()
    assert 0.15 < lapsed.mean() < 0.35
    assert roc_auc_score(~lapsed, alive) >= 0.8


def test_spend_checks_leave_out_zero_spend_and_read_the_correlation():
    summary = pd.DataFrame(
        {
            "frequency": [0, 1, 2, 3, 4, 5, 2],
            "monetary": [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 0.0],
        }
    )
    check = spend_check(summary)
    assert (check.repeat_buyers, check.left_out) == (6, 1)
    assert check.correlation == pytest.approx(1.0)
    notes = check.notes()
    assert "1 repeat buyer(s) with a zero or negative spend" in notes[0]
    assert "spend more per purchase" in notes[1] and "rough" in notes[1]
    unrelated = spend_check(summary.assign(monetary=[0.0, 30, 48, 10, 40, 32, 0.0]))
    assert abs(unrelated.correlation) < 0.1
    assert "hardly related" in unrelated.notes()[-1]
    # A zero or negative mean spend is no evidence: such a customer gets the population mean.
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, converged=True)
    assert spend.expected_spend([3, 3], [0.0, -5.0]).tolist() == [spend.population_mean] * 2


def test_fits_that_do_not_converge_or_have_no_finite_mean_are_said_plainly():
    purchases = BGNBD(0.2, 4.0, 0.8, 2.4, log_likelihood=0.0, converged=False)
    spend = GammaGamma(p=1.0, q=0.8, gamma=10.0, log_likelihood=0.0, converged=True)
    notes = fit_notes(purchases, spend)
    assert len(notes) == 2
    assert "BG/NBD) did not converge" in notes[0] and "no finite average" in notes[1]
    assert spend.population_mean == float("inf")
    good = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, converged=True)
    assert fit_notes(BGNBD(0.2, 4.0, 0.8, 2.4, 0.0, True), good) == []


def test_cohorts_narrowed_to_a_first_purchase_value_match_plain_pandas(sample):
    frame = sample.transactions
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    groups = acquisition_groups(dataset)
    assert {"Country", "Channel", "category"} <= set(groups)
    assert groups["Country"][0] == "United Kingdom"
    cohorts = cohort_table(dataset, "Q", by="Channel", value="App")
    # Plain pandas on the cleaned lines: customers with an App line on their first day.
    lines = dataset.frame.loc[
        dataset.frame["customer_id"].notna() & (dataset.frame["quantity"] > 0)
    ]
    day = lines["timestamp"].dt.normalize()
    first_day = day.groupby(lines["customer_id"]).transform("min")
    firsts = lines.loc[day == first_day]
    app = set(firsts.loc[firsts["Channel"] == "App", "customer_id"])
    assert int(cohorts.sizes.sum()) == len(app)
    everyone = cohort_table(dataset, "Q")
    assert everyone.table.columns.size == cohorts.table.columns.size  # the same data end
    with pytest.raises(AnalyticsError, match="No customer's first purchase"):
        cohort_table(dataset, "Q", by="Channel", value="Fax")


# --- segment migration ------------------------------------------------------------------------


def planted_migration(seed: int = 3) -> pd.DataFrame:
    """Steady customers buy about weekly all year; Leavers the same until 30 September and never
    again; Newcomers first buy in November."""
    rng = np.random.default_rng(seed)
    rows = []
    for kind, count, start, stop in (
        ("steady", 120, "2024-01-01", "2024-12-31"),
        ("leaver", 80, "2024-01-01", "2024-09-30"),
        ("newcomer", 40, "2024-11-01", "2024-12-31"),
    ):
        for n in range(count):
            day = pd.Timestamp(start) + pd.Timedelta(days=int(rng.integers(7)))
            while day <= pd.Timestamp(stop):
                rows.append((f"{kind}-{n}", day, float(rng.uniform(5, 50))))
                day += pd.Timedelta(days=int(rng.integers(5, 10)))
    frame = pd.DataFrame(rows, columns=["Customer", "Date", "Price"])
    return frame.assign(Invoice=[f"I{i}" for i in range(len(frame))], Product="Mug", Qty=1)


def test_segment_migration_finds_the_planted_leavers_and_newcomers():
    frame = planted_migration()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    migration = segment_migration(dataset, "2024-09-30", "2024-12-31")
    customers = migration.customers.set_index("customer_id")
    kind = customers.index.str.split("-").str[0]
    # Scores are quintiles: on 30 September everyone had bought within ten days, so who was
    # R 5 or R 3 then is a matter of days. What the plant fixes: on 31 December the leavers are
    # the third of customers who bought longest ago (recency score 1-2), and most of them fell.
    leavers, steady = customers.loc[kind == "leaver"], customers.loc[kind == "steady"]
    lapsing = {"At Risk", "Can't Lose Them", "Hibernating", "Lost"}  # recency score 1-2
    assert leavers["segment_after"].isin(lapsing).all()
    assert not steady["segment_after"].isin({"Hibernating", "Lost"}).any()
    fell, steady_fell = (leavers["move"] == "down").mean(), (steady["move"] == "down").mean()
    assert fell >= 0.6 and steady_fell <= 0.2 and fell >= 4 * steady_fell, (fell, steady_fell)
    assert (customers.loc[kind == "newcomer", "segment_before"] == NEW).all()
    assert (customers.loc[kind == "newcomer", "move"] == "new").all()
    assert migration.counts()["new"] == 40
    matrix = migration.matrix()
    assert int(matrix.to_numpy().sum()) == 240
    assert matrix.loc[NEW].sum() == 40
    revenue = migration.matrix("revenue")
    assert revenue.to_numpy().sum() == pytest.approx(frame["Price"].sum())
    down = migration.moved_down()
    assert len(down) == migration.counts()["down"] and down["revenue"].is_monotonic_decreasing
    gone = down.loc[down["customer_id"].str.startswith("leaver")]
    assert (gone["revenue_between"] == 0).all()  # the leavers bought nothing after September
    assert migration.shares().sum(axis=1).round(9).eq(1).all()
    source, target, n = migration.biggest_flow()
    assert n == int(matrix.loc[source, target]) and source != target


def test_migration_defaults_to_the_last_quarter_and_refuses_bad_dates():
    frame = planted_migration()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    last = frame["Date"].max()
    migration = segment_migration(dataset)
    assert migration.after == last.normalize()
    assert migration.before == (last - pd.DateOffset(months=3)).normalize()
    with pytest.raises(AnalyticsError, match="must come before"):
        segment_migration(dataset, "2024-12-31", "2024-06-30")
    with pytest.raises(AnalyticsError, match="before the data starts"):
        segment_migration(dataset, "2023-06-30", "2024-12-31")


def test_the_sankey_draws_every_move_with_its_customers_or_revenue():
    frame = planted_migration()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    migration = segment_migration(dataset, "2024-09-30", "2024-12-31")
    matrix = migration.matrix()
    sankey = migration_sankey(migration).data[0]
    left = len(matrix.index)
    assert list(sankey.node.label) == [*matrix.index, *matrix.columns]
    assert sum(sankey.link.value) == 240
    assert len(sankey.link.value) == int((matrix.to_numpy() > 0).sum())
    assert all(
        source < left <= target
        for source, target in zip(sankey.link.source, sankey.link.target, strict=True)
    )
    by_revenue = migration_sankey(migration, "revenue").data[0]
    assert sum(by_revenue.link.value) == pytest.approx(frame["Price"].sum())


def test_valuable_customers_slipping_away_are_the_planted_leavers():
    """Leavers bought weekly until 30 September: a quarter before the data ends they were as
    alive as anyone, now they are not. Steady customers bought on."""
    frame = planted_migration()
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    summary = customer_summary(dataset)
    purchases = fit_bgnbd(summary)
    values = predict_clv(summary, purchases, fit_gamma_gamma(summary))
    slipping = slipping_away(dataset, values, purchases, top_share=1.0)
    kinds = slipping.index.str.split("-").str[0]
    assert set(kinds) == {"leaver"} and len(slipping) == 80
    assert (slipping["p_alive_before"] > 0.8).all() and (slipping["p_alive"] < 0.2).all()
    assert slipping["p_alive"].is_monotonic_increasing
    quarter = slipping_away(dataset, values, purchases)
    assert quarter.index.isin(values.index[values["clv"] >= values["clv"].quantile(0.75)]).all()
    with pytest.raises(AnalyticsError, match="top share"):
        slipping_away(dataset, values, purchases, top_share=0)
