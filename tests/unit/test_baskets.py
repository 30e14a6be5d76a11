"""Market baskets: exactness against arules, engines agreeing, planted bundles, measures, bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom

from analytics.baskets import (
    Baskets,
    basket_sizes_figure,
    baskets_from_lists,
    build_baskets,
    describe_rule,
    filter_rules,
    mine_itemsets,
    plot_text,
    rule_measures,
    rules_graph,
    rules_matrix,
    rules_scatter,
    run_rules,
    shown_in_words,
    suggest_excludes,
    suggest_support,
    top_items_figure,
)
from analytics.baskets import mining as bk
from analytics.data import (
    BUNDLES,
    build_dataset,
    detect_kind,
    detect_mapping,
    load_table,
    open_dataset,
)
from analytics.errors import AnalyticsError

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ["eclat", "fpgrowth", "apriori"]
# R's arules on Groceries (Hahsler et al.): apriori(Groceries, parameter = list(supp, conf)).
ARULES = {
    (0.001, 0.5): (5668, {2: 11, 3: 1461, 4: 3211, 5: 939, 6: 46}),
    (0.001, 0.8): (410, None),
    (0.005, 0.5): (120, None),
}


@pytest.fixture(scope="module")
def groceries(shared_datasets) -> Baskets:
    return build_baskets(open_dataset(shared_datasets / "groceries.csv").dataset)


@pytest.fixture(scope="module")
def sample_baskets() -> Baskets:
    return build_baskets(open_dataset(ROOT / "data" / "transactions.csv").dataset)


def rule_set(rules) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    return set(zip(rules.table["antecedent"], rules.table["consequent"], strict=True))


@pytest.mark.realdata
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("support", "confidence"), list(ARULES))
def test_groceries_rule_counts_match_arules(groceries, engine, support, confidence):
    rules = run_rules(groceries, min_support=support, min_confidence=confidence, engine=engine)
    expected, by_size = ARULES[(support, confidence)]
    assert (groceries.n_baskets, groceries.n_items) == (9835, 169)
    assert rules.n_rules == expected
    if by_size:
        assert rules.by_size() == by_size


@pytest.mark.realdata
def test_engines_give_identical_rules_and_measures(groceries):
    """Larger consequents too: the fast engine against mlxtend's own rule generation."""
    results = [
        run_rules(groceries, min_support=0.003, min_confidence=0.3, max_consequent=3, engine=e)
        for e in ("eclat", "fpgrowth")
    ]
    tables = [r.table.set_index(["antecedent", "consequent"]).sort_index() for r in results]
    assert results[0].n_rules == results[1].n_rules > 1000
    assert (tables[0].index == tables[1].index).all()
    assert max(len(c) for c in results[0].table["consequent"]) >= 2
    for column in ("support", "confidence", "lift", "conviction", "p_value", "redundant"):
        np.testing.assert_allclose(
            tables[0][column].astype(float), tables[1][column].astype(float), rtol=1e-12
        )


@pytest.mark.realdata
def test_measures_match_mlxtend(groceries):
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    onehot = pd.DataFrame(groceries.matrix.toarray(), columns=list(groceries.items))
    found = fpgrowth(onehot, min_support=0.005, use_colnames=True)
    theirs = association_rules(
        found, num_itemsets=groceries.n_baskets, metric="confidence", min_threshold=0.3
    )
    theirs = theirs[theirs["consequents"].map(len) == 1]
    theirs.index = [
        (tuple(sorted(a)), tuple(sorted(c)))
        for a, c in zip(theirs["antecedents"], theirs["consequents"], strict=True)
    ]
    ours = run_rules(groceries, min_support=0.005, min_confidence=0.3).table
    ours.index = list(zip(ours["antecedent"], ours["consequent"], strict=True))
    assert set(ours.index) == set(theirs.index)
    theirs = theirs.loc[ours.index]
    pairs = {
        "support": "support",
        "confidence": "confidence",
        "lift": "lift",
        "leverage": "leverage",
        "conviction": "conviction",
        "zhang": "zhangs_metric",
        "jaccard": "jaccard",
        "kulczynski": "kulczynski",
        "certainty": "certainty",
    }
    for ours_name, their_name in pairs.items():
        np.testing.assert_allclose(ours[ours_name], theirs[their_name], rtol=1e-9, atol=1e-12)


@pytest.mark.realdata
def test_fisher_p_values_match_scipy(groceries):
    table = run_rules(groceries, min_support=0.002, min_confidence=0.1, min_lift=0).table
    expected = hypergeom.sf(
        table["count"] - 1,
        groceries.n_baskets,
        table["antecedent_count"],
        table["consequent_count"],
    )
    assert (table["lift"] < 1).any()  # the slow path (tails near the mean) is exercised too
    np.testing.assert_allclose(table["p_value"], expected, rtol=1e-8, atol=1e-300)
    assert (table["p_adjusted"] >= table["p_value"]).all()


def test_rules_recover_planted_bundles(sample_baskets):
    rules = run_rules(sample_baskets, min_support=0.005, min_confidence=0.2)
    kept = filter_rules(rules.table, redundant=False)
    top = kept.head(50)
    inside = {
        (x, y) for bundle in BUNDLES for x, y in itertools.permutations(bundle, 2)
    }  # every planted single-item rule
    found = {
        (a[0], c[0])
        for a, c in zip(top["antecedent"], top["consequent"], strict=True)
        if len(a) == 1
    }
    assert inside <= found
    # And no strong rule without a bundle behind it: every rule with lift > 3 predicts a bundle
    # item from another item of the same bundle.
    bundle_of = {item: n for n, bundle in enumerate(BUNDLES) for item in bundle}
    strong = kept[kept["lift"] > 3]
    for a, c in zip(strong["antecedent"], strong["consequent"], strict=True):
        assert c[0] in bundle_of and any(bundle_of.get(i) == bundle_of[c[0]] for i in a)
    pairs = rules.table[rules.table["size"] == 2]
    for x, y in inside:
        lift = pairs.loc[
            (pairs["antecedent"] == (x,)) & (pairs["consequent"] == (y,)), "lift"
        ].item()
        assert lift > 3


def test_build_baskets_filters_and_items(sample_baskets):
    dataset = open_dataset(ROOT / "data" / "transactions.csv").dataset
    frame = dataset.frame
    assert "cancelled" in sample_baskets.notes[0]
    assert (
        sample_baskets.n_baskets
        == frame.loc[~frame["order_id"].astype(str).str.startswith("C"), "order_id"].nunique()
    )
    codes = build_baskets(dataset, item="product")
    assert codes.n_items == frame["product"].nunique()
    assert set(codes.descriptions.values()) <= set(frame["product_name"])
    france = build_baskets(dataset, filters={"Country": ["France"]})
    french_orders = frame.loc[frame["Country"] == "France", "order_id"].astype(str)
    assert set(france.basket_ids) <= set(french_orders)
    start = pd.Timestamp("2025-01-01")
    recent = build_baskets(dataset, start=start)
    assert pd.to_datetime(pd.Series(recent.dates)).min() >= start
    some = frame["customer_id"].dropna().astype(str).unique()[:50]
    few = build_baskets(dataset, customers=list(some))
    assert 0 < few.n_baskets < sample_baskets.n_baskets / 5  # their orders only
    with pytest.raises(AnalyticsError, match="No baskets"):
        build_baskets(dataset, filters={"Country": ["Atlantis"]})


def test_basket_file_formats_give_the_same_baskets():
    lists = [["milk", "bread"], ["milk", "eggs", "bread"], ["beer"]]
    one_per_line = "\n".join(",".join(b) for b in lists).encode()
    table = load_table(one_per_line, name="b.csv")
    guess = detect_kind(table.frame, header=table.header)
    dataset = build_dataset(
        table.frame, "baskets", detect_mapping(table.frame, "baskets", header=table.header)
    )
    long = pd.DataFrame(
        [(i, item) for i, b in enumerate(lists) for item in b], columns=["basket", "item"]
    )
    long_dataset = build_dataset(long, "baskets", detect_mapping(long, "baskets"))
    assert guess.kind == "baskets"
    for built in (build_baskets(dataset), build_baskets(long_dataset), baskets_from_lists(lists)):
        assert built.items == ("beer", "bread", "eggs", "milk")
        assert sorted(built.sizes.tolist()) == [1, 2, 3]


def test_plain_lists_count_an_item_once_per_basket_and_read_every_item_as_text():
    built = baskets_from_lists([["milk", "bread", "milk"], [7, "7", "Zed"], ["apple"]])
    assert built.items == ("7", "Zed", "apple", "bread", "milk")  # as text, sorted like str
    assert built.matrix.toarray().astype(int).tolist() == [
        [0, 0, 0, 1, 1],
        [1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0],
    ]
    assert built.basket_ids.tolist() == [0, 1, 2]  # positions in the list
    numbers = baskets_from_lists([[1, 2], [2, 10]])  # sort together, but as numbers
    assert numbers.items == ("1", "10", "2")
    assert numbers.matrix.toarray().astype(int).tolist() == [[1, 0, 1], [0, 1, 1]]
    with pytest.raises(AnalyticsError, match="No baskets"):
        baskets_from_lists([[], []])


def test_the_count_line_says_what_hid_each_rule_not_shown():
    table = pd.DataFrame(
        {
            "antecedent": [("a",), ("a", "b"), ("c",), ("c", "d"), ("e",)],
            "consequent": [("x",), ("x",), ("y",), ("y",), ("x",)],
            "redundant": [False, True, False, True, False],
            "p_adjusted": [0.001, 0.2, 0.3, 0.01, 0.02],
        }
    )
    assert shown_in_words(table) == "Showing all 5 rules."
    hidden = shown_in_words(
        table, redundant=False, significant=True, items=["x"], side="consequent"
    )
    assert hidden.startswith("Showing 2 of 5 rules: 2 are redundant, hidden")
    assert "; 1 is not significant at 5%" in hidden  # (c) -> (y), p 0.3
    assert "without the items chosen" not in hidden  # both left hold x
    only_y = shown_in_words(table, items=["y"])
    assert only_y == "Showing 2 of 5 rules: 3 are without the items chosen."
    assert len(filter_rules(table, items=["y"])) == 2


def test_measures_on_a_hand_example():
    # 10 baskets: A in 4, B in 5, both in 3.
    m = rule_measures(np.array([3]), np.array([4]), np.array([5]), 10)
    assert m["support"][0] == pytest.approx(0.3)
    assert m["confidence"][0] == pytest.approx(0.75)
    assert m["lift"][0] == pytest.approx(1.5)
    assert m["leverage"][0] == pytest.approx(0.3 - 0.4 * 0.5)
    assert m["conviction"][0] == pytest.approx((1 - 0.5) / (1 - 0.75))
    assert m["jaccard"][0] == pytest.approx(3 / 6)
    assert m["kulczynski"][0] == pytest.approx(0.5 * (3 / 4 + 3 / 5))
    assert m["certainty"][0] == pytest.approx((0.75 - 0.5) / 0.5)
    assert m["zhang"][0] == pytest.approx(0.1 / max(0.3 * 0.6, 0.4 * 0.2))
    assert m["p_value"][0] == pytest.approx(hypergeom.sf(2, 10, 4, 5))


def test_conviction_is_finite_when_a_rule_never_fails():
    rules = run_rules(
        baskets_from_lists([["a", "b"]] * 4 + [["b"]] * 4 + [["c"]] * 2),
        min_support=0.1,
        min_confidence=0.5,
    )
    rule = rules.table.set_index("rule").loc["a → b"]
    assert rule["confidence"] == 1
    # As if it failed once: n_a × (1 - s_b) = 4 × 0.2, but never below 1 (no link).
    assert np.isfinite(rule["conviction"]) and rule["conviction"] == 1.0
    bigger = run_rules(
        baskets_from_lists([["a", "b"]] * 40 + [["b"]] * 10 + [["c"]] * 50),
        min_support=0.1,
        min_confidence=0.5,
    )
    perfect = bigger.table.set_index("rule").loc["a → b", "conviction"]
    assert perfect == pytest.approx(40 * (1 - 0.5))
    words = dict(describe_rule(rule, rules.n_baskets))
    assert any("never wrong" in text for text in words.values())


def test_redundant_rule_is_flagged_like_arules():
    # {a} -> c holds in 4 of 5; adding b does not help ({a, b} -> c: 2 of 3): redundant.
    lists = [["a", "c"]] * 2 + [["a", "b", "c"]] * 2 + [["a", "b"]] + [["b"]] * 3
    table = run_rules(baskets_from_lists(lists), min_support=0.1, min_confidence=0.5).table
    flags = dict(zip(table["rule"], table["redundant"], strict=True))
    assert flags["a + b → c"] and not flags["a → c"]
    assert "a + b → c" not in set(filter_rules(table, redundant=False)["rule"])


def test_filter_rules_by_item_and_side(sample_baskets):
    table = run_rules(sample_baskets, min_support=0.005, min_confidence=0.2).table
    lhs = filter_rules(table, items=["Cake Stand"], side="antecedent")
    rhs = filter_rules(table, items=["Cake Stand"], side="consequent")
    either = filter_rules(table, items=["Cake Stand"])
    assert len(lhs) and len(rhs)
    assert all("Cake Stand" in a for a in lhs["antecedent"])
    assert all(c == ("Cake Stand",) for c in rhs["consequent"])
    assert len(either) == len(lhs) + len(rhs)
    significant = filter_rules(table, significant=True)
    assert (significant["p_adjusted"] <= 0.05).all() and len(significant) < len(table)


@pytest.mark.parametrize(
    ("lists", "problem"),
    [
        ([["a"], ["b"], ["a"], ["c"]], "single item"),
        ([["a", "b", "c"]], "only one basket"),
        ([["a", "b", "c"]] * 20, "exactly the same items"),
    ],
)
def test_degenerate_baskets_are_explained(lists, problem):
    baskets = baskets_from_lists(lists)
    assert problem in baskets.problem
    rules = run_rules(baskets, min_support=0.01, min_confidence=0.1)  # no crash
    assert (rules.table["lift"].round(9) == 1).all()


@pytest.mark.realdata
def test_support_so_low_it_would_explode_stops_with_a_message(groceries):
    with pytest.raises(AnalyticsError, match="too many itemsets") as error:
        run_rules(groceries, min_support=0.0001, min_confidence=0.5)
    assert "Raise the minimum support" in error.value.hint


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_itemsets_are_every_frequent_set_counted_by_hand(seed):
    """Eclat against plain counting, on baskets with empty and rare-only rows at both ends and
    in the middle (the rows and columns the miner drops before packing its bitsets)."""
    rng = np.random.default_rng(seed)
    common = [f"c{i}" for i in range(9)]
    lists = [["rare 0"]]  # no frequent item, first
    for _ in range(300):
        size = int(rng.integers(0, 7))
        lists.append(list(rng.choice(common, size=size, replace=False)))
    lists[150:150] = [[], ["rare 1"], ["rare 2", "rare 3"]]
    lists += [["rare 4"], []]  # last
    min_support = 0.03
    itemsets = mine_itemsets(baskets_from_lists(lists), min_support=min_support)
    found = {
        tuple(sorted(itemsets.items[i] for i in row)): int(count)
        for level, counts in zip(itemsets.levels, itemsets.counts, strict=True)
        for row, count in zip(level, counts, strict=True)
    }
    sets = [set(basket) for basket in lists]
    by_hand = {}
    for size in range(1, 8):
        for combo in itertools.combinations(sorted({i for b in lists for i in b}), size):
            count = sum(set(combo) <= basket for basket in sets)
            if count >= itemsets.min_count:
                by_hand[combo] = count
    assert found == by_hand
    assert max(map(len, found)) >= 3


def test_the_opening_support_shows_a_readable_number_of_rules(sample_baskets):
    support, shown = suggest_support(sample_baskets)
    assert 50 <= shown <= 500
    rules = run_rules(sample_baskets, min_support=support, min_confidence=0.2, min_lift=1.0)
    assert int((~rules.table["redundant"]).sum()) == shown
    higher = [s for s in bk.SUPPORTS if s > support]
    if higher:  # the highest support that reaches 50
        fewer = run_rules(sample_baskets, min_support=min(higher), min_confidence=0.2, min_lift=1.0)
        assert int((~fewer.table["redundant"]).sum()) < 50
    # No pairs at all: the lowest support, no rules. Baskets that explode: no error.
    single = baskets_from_lists([[f"item {i % 7}"] for i in range(100)])
    assert suggest_support(single) == (min(bk.SUPPORTS), 0)
    dense = baskets_from_lists([[f"item {i}" for i in range(40)]] * 30)
    assert suggest_support(dense)[0] in bk.SUPPORTS


@pytest.mark.realdata
def test_groceries_opens_on_a_support_with_a_readable_rule_count(groceries):
    # At the page's old fixed 0.5%, Groceries showed far more; 2% shows 69.
    assert suggest_support(groceries) == (0.02, 69)


def test_identical_large_baskets_stop_quickly():
    baskets = baskets_from_lists([[f"item {i}" for i in range(40)]] * 30)
    with pytest.raises(AnalyticsError, match="too many itemsets"):
        mine_itemsets(baskets, min_support=0.5)


@pytest.mark.realdata
def test_rule_cap_keeps_the_highest_lift(groceries):
    itemsets = mine_itemsets(groceries, min_support=0.001)
    rules = bk.association_rules(itemsets, min_confidence=0.5, max_rules=100)
    full = bk.association_rules(itemsets, min_confidence=0.5)
    assert rules.n_rules == 100 and "highest lift" in rules.notes[0]
    assert rules.table["lift"].min() >= full.table["lift"].nlargest(100).min()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_support": 1.5}, "min_support must be in \\(0.0, 1.0\\], got 1.5"),
        ({"min_support": 0}, "min_support must be in"),
        ({"min_confidence": -0.1}, "min_confidence must be in"),
        ({"max_len": 0}, "max_len must be at least 1"),
        ({"engine": "magic"}, "engine must be one of"),
    ],
)
def test_bad_parameters_name_the_parameter(sample_baskets, kwargs, message):
    with pytest.raises(AnalyticsError, match=message):
        run_rules(sample_baskets, **kwargs)


def test_names_with_commas_quotes_and_html_survive():
    csv = (
        b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price\n"
        b'1,A,"Mug, large",1,2024-01-01 10:00,2\n'
        b'1,B,"<b>Bold</b> ""tea"" <script>alert(1)</script>",1,2024-01-01 10:00,2\n'
        b'2,A,"Mug, large",1,2024-01-02 10:00,2\n'
        b'2,B,"<b>Bold</b> ""tea"" <script>alert(1)</script>",1,2024-01-02 10:00,2\n'
        b"3,C,Plate,1,2024-01-03 10:00,2\n"
    )
    dataset = open_dataset(csv, name="odd.csv").dataset
    baskets = build_baskets(dataset)
    html_name = '<b>Bold</b> "tea" <script>alert(1)</script>'
    assert set(baskets.items) == {"Mug, large", html_name, "Plate"}
    rules = run_rules(baskets, min_support=0.3, min_confidence=0.5)
    assert ("Mug, large",) in set(rules.table["antecedent"])
    exported = rules.export_table()
    assert html_name in set(exported["consequent"]) | set(exported["antecedent"])
    for figure in (rules_scatter(rules.table), rules_graph(rules.table), rules_matrix(rules.table)):
        text = figure.to_json()
        assert "<script>" not in text and "<b>Bold" not in text
        assert "&lt;b&gt;Bold" in text
    assert plot_text("<a href='x'>y</a>") == "&lt;a href='x'&gt;y&lt;/a&gt;"


def test_figures_build_from_results(sample_baskets):
    rules = run_rules(sample_baskets, min_support=0.005, min_confidence=0.2)
    scatter = rules_scatter(rules.table)
    assert len(scatter.data[0].x) == rules.n_rules
    assert "lift" in scatter.data[0].hovertext[0]
    assert rules_matrix(rules.table).data[0].z.shape[0] > 5
    graph = rules_graph(rules.table, top=10)
    assert len(graph.data[1].x) == 10
    top = sample_baskets.top_items(15)
    assert top["baskets"].is_monotonic_decreasing and top["baskets"].iloc[0] == max(
        sample_baskets.item_counts
    )
    assert len(top_items_figure(sample_baskets, n=15).data[0].y) == 15
    sizes = basket_sizes_figure(sample_baskets)
    assert sum(sizes.data[0].y) == sample_baskets.n_baskets
    empty = rules.table.iloc[:0]
    assert rules_matrix(empty).layout.title.text == "No rules to show"
    assert rules_graph(empty).layout.title.text == "No rules to show"


def test_rule_in_words_uses_its_counts(sample_baskets):
    rules = run_rules(sample_baskets, min_support=0.005, min_confidence=0.2)
    row = rules.table.iloc[0]
    story = describe_rule(row, rules.n_baskets)
    assert story[0][0] == "Rule"
    assert f"{row['antecedent_count']:,} baskets" in story[0][1]
    assert story[1][0].startswith("Lift") and "times as likely" in story[1][1]
    assert {label.split()[0] for label, _ in story[1:]} >= {
        "Lift",
        "Support",
        "Confidence",
        "Leverage",
        "Conviction",
        "Zhang's",
        "Jaccard",
        "Kulczynski",
        "Certainty",
        "p-value",
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("max_rules", [100_000, 15])
def test_redundancy_from_the_itemsets_is_arules_definition_counted_by_hand(seed, max_rules):
    """A rule is redundant when a proper, non-empty subset of its antecedent predicts the same
    consequent at least as well. Counted here over the baskets themselves, every subset, also
    those whose own rule is below the thresholds and when only the top rules are kept."""
    rng = np.random.default_rng(seed)
    items = list("abcdefghij")
    weights = rng.dirichlet(np.ones(len(items)) * 0.6)
    lists = [sorted(set(rng.choice(items, size=rng.integers(2, 8), p=weights))) for _ in range(400)]
    rules = run_rules(
        baskets_from_lists(lists), min_support=0.02, min_confidence=0.3, max_rules=max_rules
    )
    baskets = [frozenset(b) for b in lists]

    def confidence(antecedent: frozenset, consequent: str) -> float:
        having = [b for b in baskets if antecedent <= b]
        return sum(consequent in b for b in having) / len(having)

    assert rules.n_rules
    if max_rules > rules.n_rules:
        assert rules.table["antecedent"].map(len).max() >= 3
    for antecedent, (consequent,), flagged in rules.table[
        ["antecedent", "consequent", "redundant"]
    ].itertuples(index=False):
        whole = confidence(frozenset(antecedent), consequent)
        subsets = (
            frozenset(sub)
            for size in range(1, len(antecedent))
            for sub in itertools.combinations(antecedent, size)
        )
        expected = any(confidence(sub, consequent) >= whole - 1e-9 for sub in subsets)
        assert flagged == expected, (antecedent, consequent)


def test_fees_postage_and_bags_are_suggested_for_leaving_out_by_their_names():
    lines = pd.DataFrame(
        {
            "Invoice": ["1", "1", "2", "2", "3", "3", "4"],
            "StockCode": ["POST", "85099B", "M", "22423", "DOT", "23203", "BANK CHARGES"],
            "Description": [
                "POSTAGE",
                "JUMBO BAG RED RETROSPOT",  # a product, although a bag
                "Manual",
                "REGENCY CAKESTAND 3 TIER",
                "DOTCOM POSTAGE",
                "Rose Gift Wrap",  # a product too
                "Bank Charges",
            ],
            "Quantity": [1] * 7,
            "InvoiceDate": ["2024-01-02"] * 7,
            "Price": [1.0] * 7,
        }
    )
    dataset = build_dataset(lines, "transactions", detect_mapping(lines, "transactions"))
    assert suggest_excludes(dataset, "product_name") == [
        "Bank Charges",
        "DOTCOM POSTAGE",
        "Manual",
        "POSTAGE",
    ]
    # Codes are judged by their names: "M" and "DOT" say nothing on their own.
    assert suggest_excludes(dataset, "product") == ["BANK CHARGES", "DOT", "M", "POST"]
    groceries = pd.DataFrame(
        {"basket": ["1", "1", "2"], "item": ["milk", "shopping bags", "bread"]}
    )
    baskets = build_dataset(groceries, "baskets", detect_mapping(groceries, "baskets"))
    assert suggest_excludes(baskets) == ["shopping bags"]
