"""Rules for people: filtering what is shown, and each rule in plain words (``filter_rules``,
``describe_rule``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analytics.baskets.measures import MEASURES

Side = Literal["either", "antecedent", "consequent"]


def filter_rules(
    table: pd.DataFrame,
    *,
    items: Sequence[str] = (),
    side: Side = "either",
    redundant: bool = True,
    significant: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The rules of ``Rules.table`` that hold any of ``items`` on ``side``.

    Parameters
    ----------
    items : sequence of str
        Keep rules with at least one of these items (all rules when empty).
    side : {"either", "antecedent", "consequent"}
        Where the items must be.
    redundant : bool
        Keep redundant rules (default); False drops them.
    significant : bool
        Keep only rules whose Benjamini–Hochberg adjusted p-value is at most ``alpha``.
    """
    keep = np.ones(len(table), dtype=bool)
    if not redundant:
        keep &= ~table["redundant"].to_numpy(dtype=bool)
    if significant:
        keep &= table["p_adjusted"].to_numpy() <= alpha
    if items:
        wanted = set(items)
        lhs = np.fromiter((bool(wanted.intersection(s)) for s in table["antecedent"]), bool)
        rhs = np.fromiter((bool(wanted.intersection(s)) for s in table["consequent"]), bool)
        keep &= {"antecedent": lhs, "consequent": rhs}.get(side, lhs | rhs)
    return table.loc[keep]


def shown_in_words(
    table: pd.DataFrame,
    *,
    items: Sequence[str] = (),
    side: Side = "either",
    redundant: bool = True,
    significant: bool = False,
    alpha: float = 0.05,
) -> str:
    """How many of ``Rules.table``'s rules :func:`filter_rules` shows with these options, and
    what hid the others, in words ("Showing 62 of 76 rules: 14 are redundant …").

    Example
    -------
    >>> shown_in_words(rules.table, redundant=False)  # doctest: +SKIP
    """
    found = len(table)
    hiding: list[tuple[dict[str, Any], str]] = [
        (
            {"redundant": redundant},
            "redundant, hidden (tick 'Show redundant rules' to see them)",
        ),
        (
            {"significant": significant, "alpha": alpha},
            f"not significant at {alpha:.0%} after the Benjamini–Hochberg correction",
        ),
        ({"items": items, "side": side}, "without the items chosen"),
    ]
    reasons: list[str] = []
    options: dict[str, Any] = {}
    before = found
    for more, why in hiding:
        options.update(more)
        now = len(filter_rules(table, **options))
        if now < before:
            hidden = before - now
            reasons.append(f"{hidden:,} {'is' if hidden == 1 else 'are'} {why}")
        before = now
    rules = "rule" if found == 1 else "rules"
    if not reasons:
        return f"Showing all {found:,} {rules}."
    return f"Showing {before:,} of {found:,} {rules}: " + "; ".join(reasons) + "."


def _share(value: float) -> str:
    return f"{value:.2%}" if value < 0.01 else f"{value:.1%}"


def _p(value: float) -> str:
    return "below 1e-300" if value < 1e-300 else f"{value:.2g}"


def describe_rule(rule: Mapping[str, Any] | pd.Series, n_baskets: int) -> list[tuple[str, str]]:
    """A rule in words: first ``("Rule", story with counts)``, then one sentence per measure.

    Example
    -------
    >>> describe_rule(rules.table.iloc[0], rules.n_baskets)[1]
    ('Lift 21.60', 'customers who buy Regency Teacup are 21.6 times as likely to buy ...')
    """
    r: dict[str, Any] = dict(rule)
    lhs = " and ".join(map(str, r["antecedent"]))
    rhs = " and ".join(map(str, r["consequent"]))
    count, a_count, b_count = (int(r[k]) for k in ("count", "antecedent_count", "consequent_count"))
    v = {k: float(r[k]) for k in (*MEASURES, "p_adjusted") if k != "count"}
    extra = abs(v["leverage"]) * n_baskets
    return [
        (
            "Rule",
            f"Of the {a_count:,} baskets with {lhs}, {count:,} ({_share(v['confidence'])}) also "
            f"hold {rhs}. Across all {n_baskets:,} baskets, {_share(b_count / n_baskets)} hold "
            f"{rhs}.",
        ),
        (
            f"Lift {v['lift']:.2f}",
            f"customers who buy {lhs} are {v['lift']:.1f} times as likely to buy {rhs} as an "
            "average customer.",
        ),
        (
            f"Support {_share(v['support'])}",
            f"{count:,} of {n_baskets:,} baskets hold every item of the rule.",
        ),
        (
            f"Confidence {_share(v['confidence'])}",
            f"share of the baskets with {lhs} that also hold {rhs}.",
        ),
        (
            f"Leverage {v['leverage']:+.4f}",
            f"about {extra:,.0f} baskets {'more' if v['leverage'] >= 0 else 'fewer'} hold both "
            "sides than chance would give.",
        ),
        (
            f"Conviction {v['conviction']:.2f}",
            f"if the sides were unrelated, the rule would be wrong {v['conviction']:.1f} times "
            "as often."
            + (
                " It is never wrong in these baskets, so it is shown as if it failed once."
                if count == a_count
                else ""
            ),
        ),
        (
            f"Zhang's metric {v['zhang']:+.2f}",
            "on a scale from -1 (never together) through 0 (unrelated) to +1 (always together).",
        ),
        (
            f"Jaccard {v['jaccard']:.3f}",
            f"{_share(v['jaccard'])} of the baskets with either side hold both.",
        ),
        (
            f"Kulczynski {v['kulczynski']:.3f}",
            "the average of the confidence in both directions (0.5 = neutral).",
        ),
        (
            f"Certainty {v['certainty']:+.3f}",
            f"the 'if' items remove {max(v['certainty'], 0):.0%} of the doubt about the 'then' "
            "items.",
        ),
        (
            f"p-value {_p(v['p_value'])}",
            f"the chance of seeing them together this often if they were unrelated (Fisher, "
            f"one-sided; {_p(v['p_adjusted'])} after the Benjamini–Hochberg correction).",
        ),
    ]
