"""Campaigns (issue 21): experiment effects against plain pandas and statsmodels, the sample-ratio
check, the planning calculator, and uplift models recovering a planted heterogeneous effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
)
from statsmodels.stats.proportion import test_proportions_2indep as score_test

from analytics.campaigns import (
    arm_effects,
    balance_table,
    detect_design,
    detectable_rate,
    fit_uplift,
    holdout_qini,
    qini_coefficient,
    ratio_check,
    sample_size_mean,
    sample_size_rate,
)
from analytics.errors import AnalyticsError

COVARIATES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie"]
COVARIATES += ["channel"]


@pytest.fixture(scope="module")
def hillstrom(shared_datasets) -> pd.DataFrame:
    return pd.read_csv(shared_datasets / "hillstrom_email.csv")


def test_the_design_of_hillstroms_test_is_detected(hillstrom):
    design = detect_design(hillstrom)
    assert (design.group, design.control) == ("segment", "No E-Mail")
    assert set(design.arms) == {"Mens E-Mail", "Womens E-Mail", "No E-Mail"}
    assert design.outcomes == {"visit": "rate", "conversion": "rate", "spend": "mean"}
    assert set(design.covariates) == set(COVARIATES)


def test_hillstrom_rates_and_means_per_arm_equal_plain_pandas(hillstrom):
    effects = arm_effects(hillstrom, "segment", "No E-Mail", ["visit", "conversion", "spend"])
    table = effects.table.set_index(["outcome", "arm"])
    pandas = hillstrom.groupby("segment")[["visit", "conversion", "spend"]].mean()
    for outcome in ("visit", "conversion", "spend"):
        for arm in ("Mens E-Mail", "Womens E-Mail"):
            # Equal to the last bits of a float (numpy and pandas add in different orders).
            assert table.loc[(outcome, arm), "value"] == pytest.approx(
                pandas.loc[arm, outcome], rel=1e-12
            )
            assert table.loc[(outcome, arm), "control_value"] == pytest.approx(
                pandas.loc["No E-Mail", outcome], rel=1e-12
            )
    published = {
        ("visit", "Mens E-Mail"): 0.18276,
        ("visit", "Womens E-Mail"): 0.15140,
        ("conversion", "Mens E-Mail"): 0.01253,
        ("conversion", "Womens E-Mail"): 0.00884,
        ("spend", "Mens E-Mail"): 1.4226,
        ("spend", "Womens E-Mail"): 1.0772,
    }
    for key, value in published.items():
        assert table.loc[key, "value"] == pytest.approx(value, abs=5e-6 if value < 0.5 else 5e-5)
    assert pandas.loc["No E-Mail"].round(5).tolist() == [0.10617, 0.00573, 0.65279]
    words = effects.words()
    assert words[1].startswith("Mens E-Mail raised visit from 10.6% to 18.3%: +7.7 points")
    assert "significant after Holm's correction" in words[1]
    # What it adds up to: the difference times the group, and times everyone in the test.
    assert "1,632 more customers with a visit in this group, 4,902 if all 64,000" in words[1]
    assert "adds 16,403 to the group's total spend" in words[5]


def test_intervals_and_tests_are_statsmodels_and_scipy_on_the_same_numbers(hillstrom):
    effects = arm_effects(hillstrom, "segment", "No E-Mail", {"visit": "rate", "spend": "mean"})
    row = effects.table.set_index(["outcome", "arm"]).loc[("visit", "Mens E-Mail")]
    mens = hillstrom.loc[hillstrom["segment"] == "Mens E-Mail"]
    none = hillstrom.loc[hillstrom["segment"] == "No E-Mail"]
    counts = (mens["visit"].sum(), len(mens), none["visit"].sum(), len(none))
    low, high = confint_proportions_2indep(*counts, method="newcomb")
    assert (row["low"], row["high"]) == pytest.approx((low, high), abs=1e-12)
    assert row["p_value"] == pytest.approx(score_test(*counts, method="score").pvalue, rel=1e-9)
    spend = effects.table.set_index(["outcome", "arm"]).loc[("spend", "Mens E-Mail")]
    welch = stats.ttest_ind(mens["spend"], none["spend"], equal_var=False)
    interval = welch.confidence_interval(0.95)
    assert (spend["low"], spend["high"]) == pytest.approx((interval.low, interval.high), rel=1e-6)
    assert spend["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    # The bootstrap interval of skewed spend lies near Welch's (both about ±0.28).
    assert (
        abs(spend["boot_low"] - spend["low"]) < 0.05
        and abs(spend["boot_high"] - spend["high"]) < 0.05
    )
    holm = effects.table["p_holm"]
    assert (holm >= effects.table["p_value"]).all() and (holm <= 1).all()
    assert spend["incremental"] == pytest.approx(spend["difference"] * len(mens))


def test_the_sample_ratio_check_passes_hillstrom_and_flags_a_broken_split(hillstrom):
    sizes = hillstrom["segment"].value_counts()
    assert sorted(sizes.tolist()) == [21306, 21307, 21387]
    check = ratio_check(sizes)
    assert not check.mismatch and check.p_value > 0.5
    assert "match the intended split" in check.words()
    # 2% of the customers (1,280) lost from one arm: a sample ratio mismatch.
    broken = hillstrom.drop(hillstrom.index[hillstrom["segment"] == "Womens E-Mail"][:1280])
    flagged = ratio_check(broken["segment"].value_counts())
    assert flagged.mismatch and flagged.p_value < 1e-6
    assert flagged.words().startswith("Sample ratio mismatch")
    # 2% of one group's own rows (428 of 21,387) is within chance at this size (p = 0.15): no
    # sound test of the sizes can tell it from luck, so none is raised.
    slight = hillstrom.drop(hillstrom.index[hillstrom["segment"] == "Womens E-Mail"][:428])
    within = ratio_check(slight["segment"].value_counts())
    assert not within.mismatch and 0.1 < within.p_value < 0.2
    # An intended 50/25/25 split is judged against its own shares.
    assert ratio_check(pd.Series({"A": 500, "B": 250, "C": 250}), [2, 1, 1]).p_value == 1.0


def test_the_balance_table_finds_a_covariate_the_groups_differ_on(hillstrom):
    design = detect_design(hillstrom)
    table = balance_table(hillstrom, "segment", "No E-Mail", design.covariates)
    assert not table["unbalanced"].any()  # a randomised test
    biased = hillstrom.loc[(hillstrom["segment"] == "No E-Mail") | (hillstrom["history"] > 200)]
    skewed = balance_table(biased, "segment", "No E-Mail", ["history", "channel"])
    assert skewed.set_index("covariate").loc["history", "unbalanced"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"g": ["a"] * 50, "y": [0, 1] * 25}), "one group only"),
        (
            pd.DataFrame({"g": ["Mens E-Mail", "mens email", "No E-Mail"] * 40, "y": [0, 1] * 60}),
            "'Mens E-Mail' and 'mens email' look like one group",
        ),
        (pd.DataFrame({"g": ["a", "b"] * 50, "y": [1] * 100}), "the same for everyone"),
        (pd.DataFrame({"g": ["a"] * 95 + ["b"] * 5, "y": [0, 1] * 50}), "fewer than 30"),
        (pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1, 2, 1] * 25}), "holds other values"),
    ],
)
def test_awkward_experiments_are_explained(frame, message):
    with pytest.raises(AnalyticsError, match=message):
        arm_effects(frame, "g", "a", {"y": "rate"})


def test_a_control_that_is_not_a_group_is_refused():
    frame = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1] * 50})
    with pytest.raises(AnalyticsError, match="'c' is not a group"):
        arm_effects(frame, "g", "c", ["y"])


def test_planning_matches_statsmodels_and_round_trips():
    plan = sample_size_rate(0.10617, 0.01)
    expected = NormalIndPower().solve_power(
        effect_size=abs(proportion_effectsize(0.11617, 0.10617)), alpha=0.05, power=0.8
    )
    assert plan.per_group == int(np.ceil(expected)) and plan.control == plan.per_group
    back = detectable_rate(0.10617, plan.per_group)
    assert back.effect == pytest.approx(0.01, abs=2e-5)
    assert "send the treatment to" in plan.words() and "10.6%" in plan.words()
    uneven = sample_size_rate(0.10617, 0.01, ratio=2.0)
    assert uneven.control == pytest.approx(2 * uneven.per_group, abs=1)
    assert uneven.per_group < plan.per_group
    spend = sample_size_mean(sd=15.0, effect=0.5)
    assert 14_000 < spend.per_group < 14_200  # (1.96 + 0.84)² · 2 · (15 / 0.5)² ≈ 14,130
    with pytest.raises(AnalyticsError, match="Power"):
        sample_size_rate(0.1, 0.01, power=0.3)


# --- uplift --------------------------------------------------------------------------------------


def planted_experiment(n: int = 20_000, seed: int = 4) -> pd.DataFrame:
    """A 50/50 test whose effect grows with ``score`` and is negative for region C: the true
    uplift of each customer is in ``true_uplift``."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 1, n)
    region = rng.choice(["A", "B", "C"], n, p=[0.4, 0.4, 0.2])
    noise = rng.normal(0, 1, n)
    base = 0.08 + 0.10 * score
    effect = np.where(region == "C", -0.06, 0.20 * score)
    treated = rng.random(n) < 0.5
    converted = rng.random(n) < base + treated * effect
    return pd.DataFrame(
        {
            "group": np.where(treated, "Offer", "Control"),
            "score": score,
            "region": region,
            "noise": noise,
            "converted": converted.astype(int),
            "true_uplift": effect,
        }
    )


@pytest.mark.parametrize("approach", ["two_model", "class_transformation"])
def test_uplift_recovers_the_planted_effect_and_calls_out_the_harmful_segment(approach):
    frame = planted_experiment()
    covariates = ["score", "region", "noise"]
    qini, test, predicted = holdout_qini(
        frame, "group", "Control", "Offer", "converted", covariates, approach=approach
    )
    truth = frame["true_uplift"].to_numpy()[test]
    assert np.corrcoef(predicted, truth)[0, 1] >= 0.5
    assert qini > 0
    result = fit_uplift(
        frame, "group", "Control", "Offer", "converted", covariates, approach=approach
    )
    harmful = result.harmful()
    assert len(harmful) >= 1 and harmful["segment"].str.contains("region = C").any()
    assert any("Leave out" in line and "region = C" in line for line in result.words())
    deciles = result.deciles()
    assert deciles["observed"].iloc[0] > deciles["observed"].iloc[-1]
    assert deciles["observed"].iloc[-1] < 0  # the last tenth is region C: the offer hurts


def test_targeting_and_profit_follow_the_predicted_uplift():
    frame = planted_experiment()
    result = fit_uplift(frame, "group", "Control", "Offer", "converted", ["score", "region"])
    everyone = result.target(1.0)
    assert everyone["customers"] == len(frame)
    assert everyone["incremental"] == pytest.approx(result.scores["uplift"].sum())
    best = result.best_share(cost=0.0, value=10.0)
    assert 0.5 < best["share"] < 1.0  # stop before region C, whose uplift is negative
    assert best["profit"] >= result.target(1.0, 0.0, 10.0)["profit"]
    assert result.best_share(cost=10.0, value=1.0)["share"] == 0.0  # nothing pays
    curve = result.curve()
    assert curve["model"].iloc[0] == 0 and curve["random"].iloc[-1] == pytest.approx(
        curve["model"].iloc[-1]
    )


def test_hillstrom_uplift_beats_random_targeting_on_held_out_customers(hillstrom):
    qini, test, _ = holdout_qini(
        hillstrom, "segment", "No E-Mail", "Womens E-Mail", "visit", COVARIATES
    )
    assert qini > 0 and len(test) == round(0.3 * 42_693)


def test_the_qini_coefficient_is_one_for_the_perfect_ranking_and_about_zero_at_random():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    treated = rng.integers(0, 2, 4000)
    perfect = y * treated - y * (1 - treated)
    assert qini_coefficient(y, perfect.astype(float), treated) == pytest.approx(1.0)
    assert abs(qini_coefficient(y, rng.random(4000), treated)) < 0.2


def test_the_bundled_e_mail_test_holds_its_planted_effects():
    """The sample campaign (data/campaign.csv): the discount works, most of all on lapsing
    customers; the newsletter puts off frequent buyers, and the uplift model says so."""
    from analytics.data import generate_campaign

    frame = generate_campaign()
    design = detect_design(frame)
    assert (design.group, design.control) == ("group", "No E-Mail")
    assert design.outcomes == {"visit": "rate", "conversion": "rate", "spend": "mean"}
    assert "customer_id" not in design.covariates and "spend_last_year" in design.covariates
    effects = arm_effects(frame, design.group, design.control, design.outcomes)
    visit = effects.table.set_index(["outcome", "arm"]).loc[("visit", "Discount E-Mail")]
    assert visit["p_holm"] < 0.01 and 0.03 < visit["difference"] < 0.10
    covariates = [c for c in design.covariates if not c.startswith("true_")]
    news = fit_uplift(frame, "group", "No E-Mail", "News E-Mail", "visit", covariates)
    truth = frame.loc[news.scores.index, "true_news_uplift"]
    assert np.corrcoef(news.scores["uplift"], truth)[0, 1] >= 0.5
    assert news.harmful()["segment"].str.contains("orders_last_year over").any()
