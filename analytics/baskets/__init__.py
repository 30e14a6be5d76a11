"""Market baskets: building baskets, frequent itemsets and association rules with their measures
and plain-language reading (``mining``, with ``RulesParams``), "bought together"
recommendations and their evaluation (``recommendations``), and the charts (``plots``)."""

from __future__ import annotations

from analytics.baskets.mining import (
    ENGINE_LABELS,
    ENGINES,
    MEASURE_LABELS,
    MEASURES,
    SORTABLE,
    Baskets,
    Rules,
    RulesParams,
    baskets_from_lists,
    build_baskets,
    describe_rule,
    filter_rules,
    item_options,
    item_values,
    mine_itemsets,
    rule_measures,
    run_rules,
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
    "plot_text",
    "recommend",
    "rule_measures",
    "rules_graph",
    "rules_matrix",
    "rules_scatter",
    "run_rules",
    "similar_items",
    "temporal_split",
    "top_items_figure",
]
