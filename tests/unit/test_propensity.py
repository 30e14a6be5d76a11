"""Propensity: targets, honest cross-validation, no leakage, lift, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.data import build_dataset, detect_mapping, open_dataset
from analytics.errors import AnalyticsError
from analytics.propensity import (
    auc_interval,
    contact_top,
    feature_importance,
    fit_propensity,
    lift_table,
    target_from_column,
    target_from_transactions,
    tree_figure,
)


def customers(frame: pd.DataFrame):
    return build_dataset(frame, "customers", detect_mapping(frame, "customers"), source="c")


def transactions(frame: pd.DataFrame):
    return build_dataset(frame, "transactions", detect_mapping(frame, "transactions"), source="t")


def planted_customers(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Churn driven by support calls (strongly) and contract type; age is noise."""
    rng = np.random.default_rng(seed)
    calls = rng.poisson(2, n)
    contract = rng.choice(["Monthly", "Yearly"], n)
    age = rng.integers(18, 80, n)
    logit = -2.0 + 0.9 * calls + np.where(contract == "Monthly", 0.8, -0.8)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "CustomerID": [f"C{i:05d}" for i in range(n)],
            "SupportCalls": calls,
            "Contract": contract,
            "Age": age,
            "Churn": np.where(churn, "Yes", "No"),
        }
    )


# --- targets ------------------------------------------------------------------------------------


def test_column_target_excludes_identifiers_empty_and_free_text_columns():
    frame = planted_customers()
    frame["Notes"] = [f"note {i}" for i in range(len(frame))]
    frame["Empty"] = np.nan
    frame["AccountRef"] = [f"R{i}" for i in range(len(frame))]
    data = target_from_column(customers(frame), "Churn")
    assert data.positive == "Yes" and data.target.mean() == pytest.approx(
        (frame["Churn"] == "Yes").mean()
    )
    assert list(data.features.columns) == ["SupportCalls", "Contract", "Age"]
    assert set(data.dropped) == {"CustomerID", "Notes", "Empty", "AccountRef"}
    assert "free text" in data.dropped["Notes"] and "missing" in data.dropped["Empty"]


@pytest.mark.parametrize(
    ("values", "message"),
    [(["Yes"] * 40, "only one value"), (["a", "b", "c"] * 14, "3 values")],
)
def test_targets_that_are_not_yes_no_are_refused(values, message):
    frame = pd.DataFrame({"Spend": np.arange(len(values)), "Target": values})
    with pytest.raises(AnalyticsError, match=message):
        target_from_column(customers(frame), "Target")


def test_too_few_rows_and_too_rare_outcomes_are_explained():
    frame = planted_customers(20)
    with pytest.raises(AnalyticsError, match="too few"):
        fit_propensity(target_from_column(customers(frame), "Churn"))
    frame = planted_customers(100)
    frame["Churn"] = "No"
    frame.loc[:2, "Churn"] = "Yes"
    with pytest.raises(AnalyticsError, match="rarer outcome"):
        fit_propensity(target_from_column(customers(frame), "Churn"))


def test_a_text_column_with_50000_distinct_values_is_left_out():
    frame = pd.DataFrame(
        {
            "Last search": [f"query {i}" for i in range(50_000)],
            "Visits": np.arange(50_000) % 7,
            "Bought": np.where(np.arange(50_000) % 7 > 3, "Yes", "No"),
        }
    )
    data = target_from_column(customers(frame), "Bought")
    assert list(data.features.columns) == ["Visits"]
    assert "50,000 different texts" in data.dropped["Last search"]


# --- models -------------------------------------------------------------------------------------


def test_each_model_fits_its_default_setting_unless_a_search_is_asked_for():
    """Issue 17: one good setting per model by default; the grid only with search=True."""
    from sklearn.model_selection import ParameterGrid

    from analytics.propensity import GRIDS, SETTINGS

    data = target_from_column(customers(planted_customers(400)), "Churn")
    plain = fit_propensity(data, model="tree")
    assert plain.scores["tree"].params == SETTINGS["tree"]
    searched = fit_propensity(data, model="tree", search=True)
    assert searched.scores["tree"].params in list(ParameterGrid(GRIDS["tree"]))
    assert searched.scores["tree"].roc_auc >= plain.scores["tree"].roc_auc  # same folds
    # auto with a search compares every model, the forest too.
    assert set(fit_propensity(data, search=True).scores) == {"gbm", "logreg", "tree", "forest"}


def test_planted_drivers_are_learned_and_rank_first():
    data = target_from_column(customers(planted_customers(1200)), "Churn")
    shown: list[str] = []
    result = fit_propensity(data, on_score=lambda score: shown.append(score.model))
    assert shown == ["logreg", "gbm", "tree"]  # the quickest first, each as soon as scored
    board = result.leaderboard()
    assert set(board.index) == {"logreg", "tree", "gbm"}  # the forest only when chosen or searched
    assert result.model == board.index[0]
    assert board["roc_auc"].max() > 0.75  # the planted logit caps what any model can reach
    importance = feature_importance(result)
    assert importance["feature"].iloc[0] == "SupportCalls"
    assert importance.set_index("feature").loc["Age", "importance"] < 0.02
    scored = result.scored()
    assert scored["decile"].iloc[0] == 1 and scored["probability"].is_monotonic_decreasing
    assert len(scored) == 1200


def test_the_bank_marketing_file_suggests_its_outcome_y_not_the_credit_default_column():
    from pathlib import Path

    from analytics.propensity import yes_no_columns

    path = Path(__file__).resolve().parents[1] / "data" / "real" / "bank-full.csv"
    found = yes_no_columns(open_dataset(path).dataset)
    assert found.columns == ["default", "housing", "loan", "y"]
    assert found.likeliest == "y"  # 'default' (1.8% yes) comes first but is an attribute


def test_the_auc_interval_is_mann_whitneys_at_chance_and_covers_a_random_ranking():
    from scipy.stats import mannwhitneyu, norm
    from sklearn.metrics import roc_auc_score

    # At 0.5 the half width is 1.96 times the Mann-Whitney null sd, sqrt((n1 + n2 + 1) / 12 n1 n2).
    low, high = auc_interval(0.5, 40, 160)
    assert (high - low) / 2 == pytest.approx(norm.ppf(0.975) * np.sqrt(201 / (12 * 40 * 160)))
    # Random scores of a random outcome: the 95% interval holds 0.5 about 95 times in 100, and
    # lies above it exactly when the one-sided Mann-Whitney test says p < 0.025 (nearly always).
    rng = np.random.default_rng(3)
    held, agree = 0, 0
    for _ in range(300):
        target = rng.random(300) < 0.2
        scores = rng.random(300)
        auc = roc_auc_score(target, scores)
        low, high = auc_interval(auc, int(target.sum()), int((~target).sum()))
        held += low <= 0.5 <= high
        p = mannwhitneyu(scores[target], scores[~target], alternative="greater").pvalue
        agree += (low > 0.5) == (p < 0.025)
    assert 0.90 <= held / 300 <= 0.99
    assert agree >= 297
    assert all(np.isnan(auc_interval(0.7, 0, 10)))


def test_the_folds_interval_is_nadeau_and_bengios_corrected_t():
    from scipy.stats import t

    from analytics.propensity.results import fold_auc_interval

    low, high = fold_auc_interval(0.6, 0.05, 5)  # population sd over 5 folds
    half = t.ppf(0.975, 4) * 0.05 * np.sqrt(5 / 4) * np.sqrt(1 / 5 + 1 / 4)
    assert (low, high) == pytest.approx((0.6 - half, 0.6 + half))
    assert half == pytest.approx(0.1041, abs=1e-4)  # 1.5 times the uncorrected t's half width
    assert all(np.isnan(fold_auc_interval(0.6, float("nan"), 5)))


def test_a_random_outcome_is_no_better_than_chance_and_a_planted_one_is():
    rng = np.random.default_rng(11)
    noise = planted_customers(500, seed=11).assign(Churn=rng.choice(["Yes", "No"], 500))
    result = fit_propensity(target_from_column(customers(noise), "Churn"))
    low, high = result.auc_interval
    assert low <= 0.5 <= high and not result.better_than_chance
    assert result.to_dict()["better_than_chance"] is False
    planted = fit_propensity(target_from_column(customers(planted_customers(500)), "Churn"))
    assert planted.auc_interval[0] > 0.5 and planted.better_than_chance


def test_a_feature_that_is_the_answer_is_flagged_as_leakage():
    frame = planted_customers(300)
    frame["CancelledOn"] = np.where(frame["Churn"] == "Yes", "2024-05-01", "")
    frame["ClosedFlag"] = (frame["Churn"] == "Yes").astype(int)
    data = target_from_column(customers(frame), "Churn")
    result = fit_propensity(data, model="logreg")
    assert "ClosedFlag" in result.leakage
    assert any("leakage" in note for note in result.notes)


def test_lift_gains_and_contact_top():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0] * 10)
    perfect = np.where(y == 1, 0.9, 0.1) + np.linspace(0, 0.01, len(y))
    table = lift_table(y, perfect)
    assert table["customers"].sum() == 100 and table["positives"].sum() == 30
    assert table.loc[0, "rate"] == 1.0 and table.loc[0, "lift"] == pytest.approx(1 / 0.3)
    assert table["cumulative_gain"].iloc[2] == 1.0
    top = contact_top(y, perfect, 0.2)
    assert top["contacted"] == 20 and top["positives_reached"] == 20
    assert top["random_expected"] == pytest.approx(6.0) and top["lift"] == pytest.approx(20 / 6)


# --- derived targets ------------------------------------------------------------------------------


def test_derived_churn_on_the_sample_learns_the_lapsed_customers(sample):
    """The generator's Lapsed persona stops buying: recency must carry the churn signal."""
    dataset = transactions(sample.transactions)
    data = target_from_transactions(dataset, kind="churn", days=90)
    assert data.cutoff is not None and 0.1 < data.positive_share < 0.6
    assert {"recency_days", "orders", "tenure_days", "Country"} <= set(data.features.columns)
    result = fit_propensity(data, model="tree")
    assert result.validation.startswith("trained on customers as of")  # the temporal split
    assert result.chosen.roc_auc > 0.85 and np.isnan(result.chosen.roc_auc_sd)
    assert feature_importance(result)["feature"].iloc[0] == "recency_days"
    now = result.scored_now()
    customers = sample.transactions["Customer ID"].dropna().nunique()
    assert now is not None and len(now) == customers and now["probability"].is_monotonic_decreasing
    cv = fit_propensity(data, model="tree", validation="cv")
    assert cv.validation.startswith("5-fold") and cv.chosen.roc_auc > 0.85


def test_derived_features_never_see_data_after_the_cutoff(sample):
    frame = sample.transactions
    dataset = transactions(frame)
    cutoff = pd.Timestamp("2025-07-01")
    first = target_from_transactions(dataset, kind="buy", days=60, cutoff=cutoff)
    later = frame["InvoiceDate"] >= cutoff
    changed = frame.copy()
    changed.loc[later, "Quantity"] *= 50  # everything after the cutoff changes
    changed.loc[later, "Country"] = "Atlantis"
    second = target_from_transactions(transactions(changed), kind="buy", days=60, cutoff=cutoff)
    pd.testing.assert_frame_equal(first.features, second.features)
    np.testing.assert_array_equal(first.target, second.target)
    # Removing the orders after the cutoff changes the target, never the features.
    third = target_from_transactions(
        transactions(frame.loc[~later]), kind="buy", days=60, cutoff=cutoff
    )
    pd.testing.assert_frame_equal(first.features, third.features)
    assert third.target.sum() == 0 and first.target.sum() > 0


@pytest.mark.realdata
def test_telco_churn_auto_reaches_the_reference_auc(shared_datasets):
    dataset = open_dataset(shared_datasets / "WA_Fn-UseC_-Telco-Customer-Churn.csv").dataset
    data = target_from_column(dataset, "Churn", positive="Yes")
    assert "customerID" in data.dropped and "customerID" not in data.features
    assert data.features["TotalCharges"].isna().sum() == 11  # the blanks, as numbers
    result = fit_propensity(data, model="auto")
    assert result.chosen.roc_auc >= 0.845, result.leaderboard()
    assert result.scores["logreg"].roc_auc >= 0.84


def test_temporal_split_needs_history_before_the_cutoff(sample):
    dataset = transactions(sample.transactions)
    first = sample.transactions["InvoiceDate"].min().normalize()
    data = target_from_transactions(dataset, days=60, cutoff=first + pd.Timedelta(days=40))
    assert data.earlier is None
    with pytest.raises(AnalyticsError, match="temporal split needs"):
        fit_propensity(data, model="logreg", validation="temporal")
    assert fit_propensity(data, model="logreg").validation.startswith("5-fold")


def test_outcome_values_and_the_default_positive_are_what_the_model_reads():
    from analytics.propensity import default_positive, outcome_values

    table = pd.DataFrame(
        {
            "id": [str(i) for i in range(6)],
            "Spend": range(6),
            "Left": [" Y", "N", "Y ", "N", None, "N"],
        }
    )
    dataset = build_dataset(table, "customers", detect_mapping(table, "customers"))
    values = outcome_values(dataset, "Left")
    assert values == ["N", "Y"]
    # The page offers these values with this default, the same the model takes without a choice.
    assert default_positive(values) == "Y"
    assert default_positive(["false", "true"]) == "true"
    assert default_positive(["a", "b"]) == "b"


def test_cross_validated_figures_say_when_they_include_the_choice_of_model():
    table = pd.DataFrame(
        {
            "id": [str(i) for i in range(200)],
            "Spend": np.arange(200) % 37,
            "Visits": np.arange(200) % 11,
            "Left": np.where(np.arange(200) % 37 < 12, "Yes", "No"),
        }
    )
    dataset = build_dataset(table, "customers", detect_mapping(table, "customers"))
    data = target_from_column(dataset, "Left")
    chosen = fit_propensity(data, model="auto", folds=3, validation="cv")
    assert "chosen on the same folds" in chosen.validation
    single = fit_propensity(data, model="logreg", folds=3, validation="cv")
    assert "chosen" not in single.validation, "one model, one setting: nothing was chosen"


def test_most_frequent_value_per_customer_ties_and_missing():
    """Each customer's usual country: the commonest, a tie to the first in sort order (as
    Series.mode), missing values ignored, a customer with none left out."""
    from analytics.propensity.targets import _most_frequent

    keys = pd.Series(["a", "a", "a", "b", "b", "c", "c"], index=[10, 11, 12, 13, 14, 15, 16])
    values = pd.Series(["UK", "FR", "FR", "DE", "AT", None, None], index=keys.index)
    assert _most_frequent(keys, values).to_dict() == {"a": "FR", "b": "AT"}


def test_a_history_with_no_line_sold_is_refused_in_words():
    frame = pd.DataFrame(
        {
            "Invoice": ["A1", "A2", "A3"],
            "Customer": ["C1", "C2", "C1"],
            "Date": ["2024-01-02", "2024-02-03", "2024-03-04"],
            "Quantity": [0, 0, 0],
            "Price": [2.0, 3.0, 4.0],
        }
    )
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    with pytest.raises(AnalyticsError, match="no purchase history"):
        target_from_transactions(dataset)


def test_the_readable_tree_splits_first_on_the_planted_driver_and_counts_its_boxes():
    frame = planted_customers(1200)
    result = fit_propensity(target_from_column(customers(frame), "Churn"), model="logreg")
    fig = tree_figure(result)
    boxes = [a.text for a in fig.layout.annotations if "of customers" in a.text]
    root = boxes[0]
    assert root.startswith("<b>SupportCalls ≤ ") and "100% of customers" in root
    churned = (frame["Churn"] == "Yes").mean()
    assert f"<b>{churned:.0%} positive</b>" in root  # the real share, not the weighted one
    leaves = [b for b in boxes if "≤" not in b]
    assert 2 <= len(leaves) <= 8 and len(boxes) == 2 * len(leaves) - 1  # a binary tree
    shares = [int(b.split("<b>")[-1].split("%")[0]) for b in leaves]
    assert max(shares) - min(shares) >= 40  # the splits separate churners from stayers
