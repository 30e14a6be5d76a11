"""'Bought together' recommendations, their temporal evaluation, and similar names."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.baskets import (
    baskets_from_lists,
    build_baskets,
    evaluate_recommendations,
    recommend,
    run_rules,
    similar_items,
    temporal_split,
)
from analytics.data import open_dataset
from analytics.errors import AnalyticsError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample_baskets():
    return build_baskets(open_dataset(ROOT / "data" / "transactions.csv").dataset)


@pytest.fixture(scope="module")
def sample_rules(sample_baskets):
    return run_rules(sample_baskets, min_support=0.005, min_confidence=0.2)


def test_recommend_offers_the_planted_partner_first(sample_rules, sample_baskets):
    offers = recommend(sample_rules, sample_baskets, ["Regency Teacup"], k=5)
    assert offers["item"].iloc[0] == "Regency Saucer"
    assert offers["source"].iloc[0] == "rule"
    assert "Regency Teacup" in offers["because"].iloc[0]
    assert len(offers) == 5 and "Regency Teacup" not in set(offers["item"])
    triple = recommend(sample_rules, sample_baskets, ["Cake Stand", "Recipe Box"], k=3)
    assert triple["item"].iloc[0] == "Baking Cases Set"
    assert triple["confidence"].iloc[0] == 1


@pytest.mark.parametrize("by", ["confidence", "lift", "blend"])
def test_rule_offers_are_ranked_by_the_chosen_score(sample_rules, sample_baskets, by):
    offers = recommend(sample_rules, sample_baskets, ["Eraser Pack", "Woodland Snow Globe"], by=by)
    scored = offers[offers["source"] == "rule"]["score"].tolist()
    assert scored == sorted(scored, reverse=True) and scored


def test_items_without_rules_get_the_most_popular(sample_rules, sample_baskets):
    rare = sample_baskets.top_items(sample_baskets.n_items)["item"].iloc[-1]
    offers = recommend(sample_rules, sample_baskets, [rare], k=4)
    assert (offers["source"] == "popular").all()
    expected = [i for i in sample_baskets.top_items(10)["item"] if i != rare][:4]
    assert offers["item"].tolist() == expected


def test_unknown_items_and_bad_k_are_refused(sample_rules, sample_baskets):
    with pytest.raises(AnalyticsError, match="Not an item"):
        recommend(sample_rules, sample_baskets, ["Flux Capacitor"])
    with pytest.raises(AnalyticsError, match="k must be at least 1"):
        recommend(sample_rules, sample_baskets, ["Cake Stand"], k=0)


def test_rules_beat_popularity_on_later_baskets(sample_baskets):
    result = evaluate_recommendations(sample_baskets, min_support=0.002, min_confidence=0.05, k=5)
    assert "later baskets" in result.split
    assert result.n_test > 1000 and result.n_train > 4 * result.n_test * 0.5
    assert result.hit_rate > result.popularity_hit_rate + 0.03
    assert 0 < result.popularity_hit_rate < 1
    assert result.to_dict()["k"] == 5


def test_temporal_split_uses_dates_then_file_order(sample_baskets):
    train, text = temporal_split(sample_baskets)
    dates = sample_baskets.dates
    assert dates[train].max() < dates[~train].min()
    lists = [["a", "b"], ["b", "c"]] * 50
    train, text = temporal_split(baskets_from_lists(lists))
    assert train[:80].all() and not train[80:].any() and "file order" in text


def test_evaluation_needs_enough_baskets():
    with pytest.raises(AnalyticsError, match="Too few baskets"):
        evaluate_recommendations(baskets_from_lists([["a", "b"]] * 12), min_support=0.1)


def test_similar_items_find_names_alike(sample_baskets):
    similar = similar_items(sample_baskets, "Paper Lantern Red", k=3)
    assert similar["item"].iloc[0] == "Paper Lantern White"
    assert similar["similarity"].is_monotonic_decreasing
    assert "Paper Lantern Red" not in set(similar["item"])
    with pytest.raises(AnalyticsError):
        similar_items(sample_baskets, "nothing like it")


def test_similar_items_use_product_names_for_codes():
    dataset = open_dataset(ROOT / "data" / "transactions.csv").dataset
    codes = build_baskets(dataset, item="product")
    code = next(c for c, name in codes.descriptions.items() if name == "Paper Lantern Red")
    similar = similar_items(codes, code, k=1)
    assert similar["description"].iloc[0] == "Paper Lantern White"
