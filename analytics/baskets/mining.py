"""The whole mining step in one call (``run_rules``) and the market-basket analysis's typed
parameters (``RulesParams``)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from analytics.baskets.build import Baskets
from analytics.baskets.measures import MAX_RULES, Rules, association_rules
from analytics.baskets.mine import ENGINES, MAX_ITEMSETS, Engine, mine_itemsets
from analytics.budget import Budget, check
from analytics.errors import AnalyticsError
from analytics.params import Constraint, Params

#: The minimum supports the page offers.
SUPPORTS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2)


def nearest_support(value: float) -> float:
    """The step of :data:`SUPPORTS` nearest to a typed support, on a log scale (0.4% → 0.5%).

    >>> nearest_support(0.004), nearest_support(0.7)
    (0.005, 0.2)
    """
    return min(SUPPORTS, key=lambda step: abs(math.log(step) - math.log(max(value, 1e-9))))


#: How many rules a first view should show: fewer says little, many more is noise (58,847 rules
#: opened Online Retail once).
READABLE_RULES = (50, 500)
#: A support whose itemsets pass this is not tried for a suggestion: lower ones only find more.
SUGGEST_ITEMSETS = 100_000


@dataclass(frozen=True)
class RulesParams(Params):
    """Everything the market-basket analysis takes, with the defaults of the page, the report and
    the command line (one place).

    Stages: ``baskets`` (:func:`build_baskets`), ``customers`` (RFM segments whose orders count;
    the caller turns them into customer ids), ``mining`` (:func:`run_rules`) and ``display``
    (:func:`filter_rules`).

    Example
    -------
    >>> params = RulesParams(min_support=0.01, filters=(("Country", ("France",)),))
    >>> baskets = build_baskets(dataset, **params.options("baskets"))  # doctest: +SKIP
    >>> rules = run_rules(baskets, **params.options("mining"))  # doctest: +SKIP
    """

    item: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    min_support: float = 0.005
    min_confidence: float = 0.2
    min_lift: float = 1.0
    max_len: int | None = None
    max_consequent: int = 1
    engine: str = "eclat"
    redundant: bool = False
    significant: bool = False

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "item": Constraint("column", "the column that names an item", "baskets", optional=True),
        "start": Constraint("date", "first day of orders (YYYY-MM-DD)", "baskets", optional=True),
        "end": Constraint("date", "last day of orders (YYYY-MM-DD)", "baskets", optional=True),
        "filters": Constraint("pairs", "column → values to keep", "baskets", cli=False),
        "exclude": Constraint("texts", "an item to leave out of every basket", "baskets"),
        "segments": Constraint("texts", "RFM segments whose orders count", "customers", cli=False),
        "min_support": Constraint("share", "least share of baskets with a rule's items", "mining"),
        "min_confidence": Constraint("number", "least confidence", "mining", low=0, high=1),
        "min_lift": Constraint("number", "least lift; 0 keeps every rule", "mining", low=0),
        "max_len": Constraint(
            "count", "largest itemset (default: any)", "mining", low=1, optional=True
        ),
        "max_consequent": Constraint("count", "items on the 'then' side", "mining", low=1, high=4),
        "engine": Constraint("choice", "mining engine", "mining", choices=ENGINES),
        # The command line prints and exports every rule (as before these parameters existed).
        "redundant": Constraint("flag", "show redundant rules", "display", cli=False),
        "significant": Constraint(
            "flag", "only significant rules (Fisher, BH)", "display", cli=False
        ),
    }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RulesParams:
        """As :meth:`Params.from_dict`; a minimum lift of None (saved before 2026-12) is 0."""
        if "min_lift" in values and values["min_lift"] is None:
            values = {**values, "min_lift": 0.0}
        return super().from_dict(values)


def run_rules(
    baskets: Baskets,
    *,
    min_support: float = 0.01,
    min_confidence: float = 0.5,
    min_lift: float | None = None,
    max_len: int | None = None,
    max_consequent: int = 1,
    engine: Engine = "eclat",
    max_itemsets: int = MAX_ITEMSETS,
    max_rules: int = MAX_RULES,
    progress: Callable[[str], None] | None = None,
    budget: Budget | None = None,
) -> Rules:
    """Frequent itemsets, then rules: the whole mining step in one call.

    ``max_itemsets`` and ``max_rules`` are the guards of ``mine_itemsets`` and
    ``association_rules``; the defaults suit a dashboard. ``progress`` hears each step;
    ``budget`` is checked before each (see :mod:`analytics.budget`).

    Example
    -------
    >>> rules = run_rules(baskets, min_support=0.001, min_confidence=0.5)
    >>> rules.n_rules
    """
    check(budget)
    if progress is not None:
        progress(f"Finding frequent itemsets in {baskets.n_baskets:,} baskets")
    itemsets = mine_itemsets(
        baskets,
        min_support=min_support,
        max_len=max_len,
        engine=engine,
        max_itemsets=max_itemsets,
    )
    check(budget)
    if progress is not None:
        progress(f"Making rules from {itemsets.n_itemsets:,} itemsets")
    rules = association_rules(
        itemsets,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_consequent=max_consequent,
        max_rules=max_rules,
    )
    params = RulesParams.from_dict(
        {
            **baskets.options,
            "min_support": min_support,
            "min_confidence": min_confidence,
            "min_lift": min_lift,
            "max_len": max_len,
            "max_consequent": max_consequent,
            "engine": engine,
        }
    )
    return replace(rules, params=params)


def suggest_support(
    baskets: Baskets,
    *,
    min_confidence: float = RulesParams.min_confidence,
    min_lift: float = RulesParams.min_lift,
    max_len: int | None = None,
    supports: tuple[float, ...] = SUPPORTS,
    wanted: tuple[int, int] = READABLE_RULES,
) -> tuple[float, int]:
    """The minimum support to open on, and how many rules it shows (redundant ones hidden, as
    the page does): from the highest of ``supports`` down, the first whose rules reach
    ``wanted[0]``; when that one overshoots ``wanted[1]``, whichever of it and the one before
    is nearer the range (by ratio). With no support reaching it, the lowest that mines without
    exploding.

    Example
    -------
    >>> support, rules = suggest_support(baskets)  # e.g. (0.02, 137)
    """
    low, high = wanted
    tried: list[tuple[float, int]] = []
    for support in sorted(supports, reverse=True):
        try:
            itemsets = mine_itemsets(
                baskets, min_support=support, max_len=max_len, max_itemsets=SUGGEST_ITEMSETS
            )
            rules = association_rules(
                itemsets, min_confidence=min_confidence, min_lift=min_lift, max_rules=MAX_RULES
            )
        except AnalyticsError:  # too many itemsets: lower supports would find more still
            break
        shown = int((~rules.table["redundant"]).sum())
        if shown >= low:
            if shown <= high or not tried or tried[-1][1] == 0:
                return support, shown
            before = tried[-1]
            over, under = math.log(shown / high), math.log(low / before[1])
            return (support, shown) if over <= under else before
        tried.append((support, shown))
    if not tried:
        return max(supports), 0
    return tried[-1]
