"""Rules for people: filtering what is shown, and each rule in plain words (``filter_rules``,
``describe_rule``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from analytics.baskets.measures import MEASURES
from analytics.i18n import _, ngettext

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
            _("redundant, hidden (tick 'Show redundant rules' to see them)"),
        ),
        (
            {"significant": significant, "alpha": alpha},
            _("not significant at {alpha} after the Benjamini–Hochberg correction").format(
                alpha=f"{alpha:.0%}"
            ),
        ),
        ({"items": items, "side": side}, _("without the items chosen")),
    ]
    reasons: list[str] = []
    options: dict[str, Any] = {}
    before = found
    for more, why in hiding:
        options.update(more)
        now = len(filter_rules(table, **options))
        if now < before:
            hidden = before - now
            reasons.append(
                ngettext("{n} is {why}", "{n} are {why}", hidden).format(n=f"{hidden:,}", why=why)
            )
        before = now
    if not reasons:
        return ngettext("Showing the {n} rule.", "Showing all {n} rules.", found).format(
            n=f"{found:,}"
        )
    return ngettext(
        "Showing {shown} of {n} rule: {reasons}.", "Showing {shown} of {n} rules: {reasons}.", found
    ).format(shown=f"{before:,}", n=f"{found:,}", reasons=_("; ").join(reasons))


def _share(value: float) -> str:
    return f"{value:.2%}" if value < 0.01 else f"{value:.1%}"


def _p(value: float) -> str:
    return _("below 1e-300") if value < 1e-300 else f"{value:.2g}"


def describe_rule(rule: Mapping[str, Any] | pd.Series, n_baskets: int) -> list[tuple[str, str]]:
    """A rule in words: first ``("Rule", story with counts)``, then one sentence per measure.

    Example
    -------
    >>> describe_rule(rules.table.iloc[0], rules.n_baskets)[1]
    ('Lift 21.60', 'customers who buy Regency Teacup are 21.6 times as likely to buy ...')
    """
    r: dict[str, Any] = dict(rule)
    lhs = _(" and ").join(map(str, r["antecedent"]))
    rhs = _(" and ").join(map(str, r["consequent"]))
    count, a_count, b_count = (int(r[k]) for k in ("count", "antecedent_count", "consequent_count"))
    v = {k: float(r[k]) for k in (*MEASURES, "p_adjusted") if k != "count"}
    extra = abs(v["leverage"]) * n_baskets
    never_wrong = (
        " " + _("It is never wrong in these baskets, so it is shown as if it failed once.")
        if count == a_count
        else ""
    )
    return [
        (
            _("Rule"),
            _(
                "Of the {with_if} baskets with {lhs}, {count} ({confidence}) also hold {rhs}. "
                "Across all {n} baskets, {base} hold {rhs}."
            ).format(
                with_if=f"{a_count:,}",
                lhs=lhs,
                count=f"{count:,}",
                confidence=_share(v["confidence"]),
                rhs=rhs,
                n=f"{n_baskets:,}",
                base=_share(b_count / n_baskets),
            ),
        ),
        (
            _("Lift {value}").format(value=f"{v['lift']:.2f}"),
            _(
                "customers who buy {lhs} are {times} times as likely to buy {rhs} as an average "
                "customer."
            ).format(lhs=lhs, times=f"{v['lift']:.1f}", rhs=rhs),
        ),
        (
            _("Support {value}").format(value=_share(v["support"])),
            _("{count} of {n} baskets hold every item of the rule.").format(
                count=f"{count:,}", n=f"{n_baskets:,}"
            ),
        ),
        (
            _("Confidence {value}").format(value=_share(v["confidence"])),
            _("share of the baskets with {lhs} that also hold {rhs}.").format(lhs=lhs, rhs=rhs),
        ),
        (
            _("Leverage {value}").format(value=f"{v['leverage']:+.4f}"),
            (
                _("about {n} baskets more hold both sides than chance would give.")
                if v["leverage"] >= 0
                else _("about {n} baskets fewer hold both sides than chance would give.")
            ).format(n=f"{extra:,.0f}"),
        ),
        (
            _("Conviction {value}").format(value=f"{v['conviction']:.2f}"),
            _(
                "if the sides were unrelated, the rule would be wrong {times} times as often."
            ).format(times=f"{v['conviction']:.1f}")
            + never_wrong,
        ),
        (
            _("Zhang's metric {value}").format(value=f"{v['zhang']:+.2f}"),
            _("on a scale from -1 (never together) through 0 (unrelated) to +1 (always together)."),
        ),
        (
            _("Jaccard {value}").format(value=f"{v['jaccard']:.3f}"),
            _("{share} of the baskets with either side hold both.").format(
                share=_share(v["jaccard"])
            ),
        ),
        (
            _("Kulczynski {value}").format(value=f"{v['kulczynski']:.3f}"),
            _("the average of the confidence in both directions (0.5 = neutral)."),
        ),
        (
            _("Certainty {value}").format(value=f"{v['certainty']:+.3f}"),
            _("the 'if' items remove {share} of the doubt about the 'then' items.").format(
                share=f"{max(v['certainty'], 0):.0%}"
            ),
        ),
        (
            _("p-value {value}").format(value=_p(v["p_value"])),
            _(
                "the chance of seeing them together this often if they were unrelated (Fisher, "
                "one-sided; {adjusted} after the Benjamini–Hochberg correction)."
            ).format(adjusted=_p(v["p_adjusted"])),
        ),
    ]
