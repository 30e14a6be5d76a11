"""Market baskets: what sells together, as frequent itemsets and association rules.

The steps are separate so that a dashboard can cache each one: ``build_baskets`` (a sparse basket ×
item matrix from transactions or a baskets dataset), ``mine_itemsets`` (frequent itemsets with
exact counts) and ``association_rules`` (rules with their interest measures). ``run_rules`` chains
them.

Three engines give identical itemsets and rules:

* ``"eclat"`` (default): our vectorised miner. Each frequent item's baskets are a row of bits;
  itemsets of size k+1 are joined from pairs of k-itemsets sharing their first k-1 items (Eclat's
  prefix classes), and their support is one AND plus one popcount per candidate, done for a whole
  level at once in NumPy. Rules and measures are computed per level with array operations.
* ``"fpgrowth"`` and ``"apriori"``: mlxtend's miners and its ``association_rules``, for
  cross-checking and for users who know them. Their input is a dense one-hot frame only while it
  stays under ``DENSE_CELLS`` cells, sparse above.

Semantics follow R's arules: support counts baskets (``count >= min_support × n``), rules have a
single-item consequent unless ``max_consequent`` allows more, and every rule keeps its counts so
that the measures are exact.

Modules: ``build`` (baskets), ``mine`` (itemsets), ``measures`` (rules and their measures),
``describe`` (filtering, rules in words), ``mining`` (``run_rules``, ``RulesParams``),
``recommendations`` and ``plots``.
"""

from __future__ import annotations

from analytics.baskets.build import (
    Baskets,
    baskets_from_lists,
    build_baskets,
    item_options,
    item_values,
    suggest_excludes,
)
from analytics.baskets.describe import describe_rule, filter_rules, shown_in_words
from analytics.baskets.measures import MEASURE_LABELS, MEASURES, SORTABLE, Rules, rule_measures
from analytics.baskets.mine import ENGINE_LABELS, ENGINES, mine_itemsets
from analytics.baskets.mining import (
    SUPPORTS,
    RulesParams,
    nearest_support,
    run_rules,
    suggest_support,
)
from analytics.baskets.plots import (
    basket_sizes_figure,
    plot_text,
    rules_graph,
    rules_matrix,
    rules_scatter,
    top_items_figure,
)
from analytics.baskets.recommendations import (
    RANK_BY,
    RANK_LABELS,
    RecommendationEval,
    evaluate_recommendations,
    recommend,
    similar_items,
    temporal_split,
)

__all__ = [
    "ENGINES",
    "ENGINE_LABELS",
    "MEASURES",
    "MEASURE_LABELS",
    "RANK_BY",
    "RANK_LABELS",
    "SORTABLE",
    "SUPPORTS",
    "Baskets",
    "RecommendationEval",
    "Rules",
    "RulesParams",
    "basket_sizes_figure",
    "baskets_from_lists",
    "build_baskets",
    "describe_rule",
    "evaluate_recommendations",
    "filter_rules",
    "item_options",
    "item_values",
    "mine_itemsets",
    "nearest_support",
    "plot_text",
    "recommend",
    "rule_measures",
    "rules_graph",
    "rules_matrix",
    "rules_scatter",
    "run_rules",
    "shown_in_words",
    "similar_items",
    "suggest_excludes",
    "suggest_support",
    "temporal_split",
    "top_items_figure",
]
