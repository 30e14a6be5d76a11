"""Association rules from itemsets, with their interest measures (support, confidence, lift,
leverage, conviction, Fisher's test …) and redundancy (``association_rules``, ``Rules``)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, hypergeom

from analytics.baskets.mine import Itemsets, _check, _Lookup, _RowIndex
from analytics.errors import AnalyticsError
from analytics.i18n import N_
from analytics.params import Params
from analytics.results import Result

#: At most this many rules are kept (the highest lift), with a note.
MAX_RULES = 100_000

MEASURES: dict[str, str] = {
    "support": N_("Share of all baskets that contain every item of the rule."),
    "confidence": N_("Share of baskets with the 'if' items that also contain the 'then' items."),
    "lift": N_(
        "How many times more likely the 'then' items are with the 'if' items than in an "
        "average basket (1 = no link)."
    ),
    "leverage": N_("Share of baskets with both sides beyond what chance would give (0 = no link)."),
    "conviction": N_(
        "How much more often the rule would be wrong if the two sides were unrelated "
        "(1 = no link; a rule never wrong is shown as if it failed once, to stay finite)."
    ),
    "zhang": N_(
        "Association from -1 (never together) through 0 (unrelated) to 1 (always together)."
    ),
    "jaccard": N_("Share of baskets with either side that contain both sides."),
    "kulczynski": N_("Average of the confidence in both directions (0.5 = balanced, neutral)."),
    "certainty": N_(
        "How much of the remaining doubt about the 'then' items the 'if' items remove "
        "(0 = none, 1 = all)."
    ),
    "count": N_("Number of baskets that contain every item of the rule."),
    "p_value": N_(
        "Chance of seeing the pair this often if the sides were unrelated (one-sided "
        "Fisher exact test); small is convincing."
    ),
}
MEASURE_LABELS = {
    "support": N_("Support"),
    "confidence": N_("Confidence"),
    "lift": N_("Lift"),
    "leverage": N_("Leverage"),
    "conviction": N_("Conviction"),
    "zhang": N_("Zhang's metric"),
    "jaccard": N_("Jaccard"),
    "kulczynski": N_("Kulczynski"),
    "certainty": N_("Certainty"),
    "count": N_("Baskets with the rule"),
    "p_value": N_("p-value (Fisher)"),
}
SORTABLE = tuple(MEASURE_LABELS)
_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Rules(Result):
    """Association rules with their measures.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per rule: ``antecedent`` and ``consequent`` (tuples of items), ``rule`` (text),
        ``size``, the measures of ``MEASURES`` and ``antecedent_count``, ``consequent_count``,
        ``p_adjusted`` (Benjamini–Hochberg) and ``redundant``. Sorted by lift, then confidence.
    n_baskets, n_items, n_itemsets : int
    itemsets_by_size : dict
    min_support, min_confidence : float
    min_lift : float or None
    max_len : int or None
    max_consequent : int
    engine : str
    seconds : float
        Mining plus rules.
    notes : tuple of str
        What was capped or dropped, in words.
    params : RulesParams or None
        Everything the rules were made with (set by :func:`run_rules`; the baskets' options
        included).
    """

    table: pd.DataFrame
    n_baskets: int
    n_items: int
    n_itemsets: int
    itemsets_by_size: dict[int, int]
    min_support: float
    min_confidence: float
    min_lift: float | None
    max_len: int | None
    max_consequent: int
    engine: str
    seconds: float
    notes: tuple[str, ...] = ()
    params: Params | None = None

    @property
    def n_rules(self) -> int:
        return len(self.table)

    def by_size(self) -> dict[int, int]:
        """Rules by number of items (antecedent + consequent), as arules reports them."""
        sizes, counts = np.unique(self.table["size"].to_numpy(), return_counts=True)
        return {int(k): int(v) for k, v in zip(sizes, counts, strict=True)}

    def to_dict(self, top: int = 10) -> dict[str, object]:
        """The JSON the CLI prints, with the ``top`` rules by lift (``n_transactions`` is the
        number of baskets, the name arules gives it; ``n_baskets`` says the same)."""
        best = self.export_table().head(top)
        return {
            "n_transactions": self.n_baskets,
            "n_baskets": self.n_baskets,
            "n_items": self.n_items,
            "n_itemsets": self.n_itemsets,
            "n_rules": self.n_rules,
            "rules_by_size": self.by_size(),
            "engine": self.engine,
            "min_support": self.min_support,
            "min_confidence": self.min_confidence,
            "min_lift": self.min_lift,
            "max_len": self.max_len,
            "seconds": round(self.seconds, 4),
            "notes": list(self.notes),
            "top_rules": best[
                ["antecedent", "consequent", "support", "confidence", "lift"]
            ].to_dict(orient="records"),
            "params": None if self.params is None else self.params.to_dict(),
        }

    def export_table(self) -> pd.DataFrame:
        """The rules as a flat table for CSV/Excel: items joined with ' + '."""
        out = self.table.drop(columns=["rule"]).copy()
        out["antecedent"] = out["antecedent"].map(" + ".join)
        out["consequent"] = out["consequent"].map(" + ".join)
        return out


def association_rules(
    itemsets: Itemsets,
    *,
    min_confidence: float = 0.5,
    min_lift: float | None = None,
    max_consequent: int = 1,
    max_rules: int = MAX_RULES,
) -> Rules:
    """Rules X → Y from frequent itemsets, with every measure of ``MEASURES``.

    Parameters
    ----------
    itemsets : Itemsets
    min_confidence : float
        In [0, 1]: keep rules whose confidence reaches it.
    min_lift : float, optional
        Keep rules whose lift reaches it.
    max_consequent : int
        The largest number of items on the 'then' side (1 = arules' default).
    max_rules : int
        Keep at most this many rules (the highest lift), with a note.

    Returns
    -------
    Rules

    Example
    -------
    >>> rules = association_rules(mine_itemsets(baskets, min_support=0.001), min_confidence=0.5)
    """
    _check("min_confidence", min_confidence, 0.0, 1.0, low_open=False)
    if min_lift is not None and (not np.isfinite(min_lift) or min_lift < 0):
        raise AnalyticsError(f"min_lift must be a number of at least 0, got {min_lift}.")
    if max_consequent < 1:
        raise AnalyticsError(f"max_consequent must be at least 1, got {max_consequent}.")
    started = time.perf_counter()
    if itemsets.engine == "eclat":
        ante, cons, n_ab, n_a, n_b, redundant = _eclat_rules(
            itemsets, min_confidence, max_consequent
        )
    else:
        ante, cons, n_ab, n_a, n_b, redundant = _mlxtend_rules(
            itemsets, min_confidence, max_consequent
        )
    return _finish_rules(
        itemsets,
        ante,
        cons,
        n_ab,
        n_a,
        n_b,
        redundant,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_consequent=max_consequent,
        max_rules=max_rules,
        seconds=itemsets.seconds + time.perf_counter() - started,
    )


_Raw = tuple[
    list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray | None
]


def _eclat_rules(itemsets: Itemsets, min_confidence: float, max_consequent: int) -> _Raw:
    """The rules of every frequent itemset, with their counts; with one item on the 'then' side
    also whether each is redundant (:func:`_redundant`'s question, answered from the itemsets).

    Redundancy with one consequent ``y``: is some proper, non-empty subset ``B`` of the
    antecedent ``A`` as confident, ``conf(B → y) >= conf(A → y)``? Every ``B ∪ {y}`` is a frequent
    itemset, so level by level ``best[S, y]``, the highest ``conf(B → y)`` over non-empty
    ``B ⊆ S ∖ {y}``, is ``conf(S ∖ {y} → y)`` or the ``best`` of ``S`` less one other item: one
    lookup per item of each itemset, where checking each rule's subsets took 2^k − 2 lookups
    (17.8 s of 20.8 s for the 517,112 rules of Online Retail II at support 0.01).
    """
    rank = itemsets.rank
    lookups = [_Lookup(rank[level]) for level in itemsets.levels]
    ante: list[np.ndarray] = []
    cons: list[np.ndarray] = []
    n_ab, n_a, n_b = [], [], []
    flags: list[np.ndarray] = []
    judge = max_consequent == 1  # several items on the 'then' side: _redundant checks the rules
    best: np.ndarray | None = None  # best[i, p] of the previous level's itemsets
    for size in range(2, len(itemsets.levels) + 1):
        level, counts = itemsets.levels[size - 1], itemsets.counts[size - 1]
        if len(level) == 0:
            break  # no larger itemsets either
        columns = range(size)
        # Row of each itemset less its item q in the level below, for every q.
        less = [
            lookups[size - 2].find(rank[level[:, [j for j in columns if j != q]]]) for q in columns
        ]
        if judge:
            confidence = np.column_stack(
                [counts / itemsets.counts[size - 2][less[q]] for q in columns]
            )
            subsets = np.full((len(level), size), -np.inf)
            if best is not None:
                for p in columns:
                    for q in columns:
                        if q != p:
                            np.maximum(subsets[:, p], best[less[q], p - (p > q)], out=subsets[:, p])
            best = np.maximum(confidence, subsets)
        for c in range(1, min(max_consequent, size - 1) + 1):
            for picked in itertools.combinations(columns, c):
                rest = [j for j in columns if j not in picked]
                lhs, rhs = level[:, rest], level[:, list(picked)]
                if c == 1:
                    lhs_count = itemsets.counts[size - 2][less[picked[0]]]
                else:
                    lhs_count = itemsets.counts[size - c - 1][lookups[size - c - 1].find(rank[lhs])]
                ok = counts >= min_confidence * lhs_count - _TOLERANCE * lhs_count
                if not ok.any():
                    continue
                if c == 1:
                    rhs_count = itemsets.item_counts[rhs[ok, 0]]
                    if judge:
                        p = picked[0]
                        flags.append(subsets[ok, p] >= confidence[ok, p] - _TOLERANCE)
                else:
                    rhs_count = itemsets.counts[c - 1][lookups[c - 1].find(rank[rhs[ok]])]
                ante.append(lhs[ok])
                cons.append(rhs[ok])
                n_ab.append(counts[ok])
                n_a.append(lhs_count[ok])
                n_b.append(rhs_count)
    redundant = (np.concatenate(flags) if flags else np.zeros(0, dtype=bool)) if judge else None
    return ante, cons, _cat(n_ab), _cat(n_a), _cat(n_b), redundant


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _mlxtend_rules(itemsets: Itemsets, min_confidence: float, max_consequent: int) -> _Raw:
    from mlxtend.frequent_patterns import association_rules as mlxtend_rules

    if len(itemsets.levels) < 2:
        none = np.zeros(0, dtype=np.int64)
        return [], [], none, none, none, None
    sets = [frozenset(row) for level in itemsets.levels for row in level.tolist()]
    set_counts = np.concatenate(itemsets.counts)
    frame = pd.DataFrame({"support": set_counts / itemsets.n_baskets, "itemsets": sets})
    found = mlxtend_rules(
        frame,
        num_itemsets=itemsets.n_baskets,
        metric="confidence",
        min_threshold=max(min_confidence - 1e-9, 0.0),
    )
    found = found[found["consequents"].map(len) <= max_consequent]
    counts = dict(zip(sets, set_counts.tolist(), strict=True))
    by_shape: dict[tuple[int, int], list[tuple[list[int], list[int], int, int, int]]] = {}
    for a, c in zip(found["antecedents"], found["consequents"], strict=True):
        both = counts[a | c]
        if both < min_confidence * counts[a] - _TOLERANCE * counts[a]:
            continue
        by_shape.setdefault((len(a), len(c)), []).append(
            (_ranked(a, itemsets.rank), _ranked(c, itemsets.rank), both, counts[a], counts[c])
        )
    ante = [np.asarray([r[0] for r in rs], dtype=np.int32) for rs in by_shape.values()]
    cons = [np.asarray([r[1] for r in rs], dtype=np.int32) for rs in by_shape.values()]
    flat = np.asarray([r[2:] for rs in by_shape.values() for r in rs], dtype=np.int64)
    flat = flat.reshape(-1, 3)
    return ante, cons, flat[:, 0], flat[:, 1], flat[:, 2], None


def _ranked(items: frozenset[int], rank: np.ndarray) -> list[int]:
    return sorted(items, key=lambda i: rank[i])


def rule_measures(
    n_ab: np.ndarray, n_a: np.ndarray, n_b: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """Every measure of ``MEASURES`` from counts: both sides, the 'if' side, the 'then' side, all.

    Conviction is infinite when a rule never fails; it is given the value it would have with one
    failure, ``n_a × (1 - s_b)``, so that it stays finite and still ranks such rules first.
    """
    n_ab, n_a, n_b = (np.asarray(x, dtype=np.float64) for x in (n_ab, n_a, n_b))
    s_ab, s_a, s_b = n_ab / n, n_a / n, n_b / n
    confidence = n_ab / n_a
    lift = confidence / s_b
    leverage = s_ab - s_a * s_b
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(
            n_ab < n_a, (1 - s_b) / (1 - confidence), np.maximum(n_a * (1 - s_b), 1.0)
        )
        zhang_den = np.maximum(s_ab * (1 - s_a), s_a * (s_b - s_ab))
        zhang = np.where(zhang_den > 0, leverage / np.where(zhang_den > 0, zhang_den, 1), 0.0)
        certainty = np.where(s_b < 1, (confidence - s_b) / np.where(s_b < 1, 1 - s_b, 1), 0.0)
    jaccard = s_ab / (s_a + s_b - s_ab)
    kulczynski = 0.5 * (n_ab / n_a + n_ab / n_b)
    p_value = np.concatenate(
        [
            fisher_greater(
                n_ab[lo : lo + 100_000], n_a[lo : lo + 100_000], n_b[lo : lo + 100_000], n
            )
            for lo in range(0, len(n_ab), 100_000)
        ]
        or [np.zeros(0)]
    )
    return {
        "support": s_ab,
        "confidence": confidence,
        "lift": lift,
        "leverage": leverage,
        "conviction": conviction,
        "zhang": zhang,
        "jaccard": jaccard,
        "kulczynski": kulczynski,
        "certainty": certainty,
        "count": n_ab.astype(np.int64),
        "p_value": p_value,
    }


def fisher_greater(
    n_ab: np.ndarray, n_a: np.ndarray, n_b: np.ndarray, n: int, *, terms: int = 48
) -> np.ndarray:
    """One-sided Fisher exact test p-values: P(X >= n_ab), X ~ Hypergeometric(n, n_a, n_b).

    Same values as ``scipy.stats.hypergeom.sf(n_ab - 1, n, n_a, n_b)``, but vectorised: the upper
    tail is the probability of ``n_ab`` times a sum of ratios of successive probabilities, which
    fall fast above the mean. Rules whose tail has not become negligible after ``terms`` steps
    (counts near or below what chance gives) go to SciPy.
    """
    n_ab, n_a, n_b = (np.asarray(x, dtype=np.float64) for x in (n_ab, n_a, n_b))
    upper = np.minimum(n_a, n_b)
    x = n_ab[:, None] + np.arange(terms)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = (n - n_a - n_b)[:, None]
        ratio = (n_a[:, None] - x) * (n_b[:, None] - x) / ((x + 1) * (rest + x + 1))
    ratio = np.where(x < upper[:, None], ratio, 0.0)
    steps = np.cumprod(ratio, axis=1)
    tail = 1.0 + steps.sum(axis=1)
    last = ratio[:, -1]
    done = (last == 0) | ((last < 1) & (steps[:, -1] * last / (1 - last) < 1e-14 * tail))
    p = np.exp(hypergeom.logpmf(n_ab, n, n_a, n_b)) * tail
    if not done.all():
        slow = ~done
        p[slow] = hypergeom.sf(n_ab[slow] - 1, n, n_a[slow], n_b[slow])
    return np.clip(p, 0.0, 1.0)


def _finish_rules(
    itemsets: Itemsets,
    ante: list[np.ndarray],
    cons: list[np.ndarray],
    n_ab: np.ndarray,
    n_a: np.ndarray,
    n_b: np.ndarray,
    found_redundant: np.ndarray | None,
    *,
    min_confidence: float,
    min_lift: float | None,
    max_consequent: int,
    max_rules: int,
    seconds: float,
) -> Rules:
    notes: list[str] = []
    width_a = max((a.shape[1] for a in ante), default=1)
    width_c = max((c.shape[1] for c in cons), default=1)
    lhs = _padded(ante, width_a)
    rhs = _padded(cons, width_c)
    n = itemsets.n_baskets
    lift = (n_ab / n_a) / (n_b / n)
    keep = np.ones(len(n_ab), dtype=bool)
    if min_lift is not None:
        keep &= lift >= min_lift - _TOLERANCE
    if keep.sum() > max_rules:
        cut = np.sort(lift[keep])[-max_rules]
        notes.append(
            f"{int(keep.sum()):,} rules passed the thresholds; the {max_rules:,} with the highest "
            "lift are kept. Raise the minimum support or confidence to see fewer, stronger rules."
        )
        keep &= lift >= cut
        keep &= np.cumsum(keep) <= max_rules
    if found_redundant is not None:
        # Judged from the itemsets (_eclat_rules): exact whichever rules are kept.
        redundant = found_redundant[keep]
        lhs, rhs = lhs[keep], rhs[keep]
    elif len(n_ab) <= max_rules:
        # Every rule above the confidence threshold: redundancy is exact.
        redundant = _redundant(lhs, rhs, n_ab / n_a)[keep]
        lhs, rhs = lhs[keep], rhs[keep]
    else:
        lhs, rhs = lhs[keep], rhs[keep]
        redundant = _redundant(lhs, rhs, n_ab[keep] / n_a[keep])
        notes.append("Redundancy was judged among the rules kept, not among all rules found.")
    n_ab, n_a, n_b = n_ab[keep], n_a[keep], n_b[keep]
    columns = rule_measures(n_ab, n_a, n_b, n)
    antecedent = _names(lhs, itemsets.items)
    consequent = _names(rhs, itemsets.items)
    table = pd.DataFrame(
        {
            "antecedent": antecedent,
            "consequent": consequent,
            "rule": [
                f"{' + '.join(a)} → {' + '.join(c)}"
                for a, c in zip(antecedent, consequent, strict=True)
            ],
            "size": (lhs >= 0).sum(axis=1) + (rhs >= 0).sum(axis=1),
            **columns,
            "antecedent_count": n_a,
            "consequent_count": n_b,
        }
    )
    table["p_adjusted"] = false_discovery_control(table["p_value"].to_numpy()) if len(table) else []
    table["redundant"] = redundant
    table = table.sort_values(
        ["lift", "confidence", "support", "rule"], ascending=[False, False, False, True]
    ).reset_index(drop=True)
    return Rules(
        table=table,
        n_baskets=itemsets.n_baskets,
        n_items=len(itemsets.items),
        n_itemsets=itemsets.n_itemsets,
        itemsets_by_size=itemsets.by_size(),
        min_support=itemsets.min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_len=itemsets.max_len,
        max_consequent=max_consequent,
        engine=itemsets.engine,
        seconds=seconds,
        notes=tuple(notes),
    )


def _padded(parts: list[np.ndarray], width: int) -> np.ndarray:
    if not parts:
        return np.zeros((0, width), dtype=np.int32)
    return np.vstack(
        [np.pad(p, ((0, 0), (0, width - p.shape[1])), constant_values=-1) for p in parts]
    )


def _names(rows: np.ndarray, items: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Rows of item indices (padded with -1) -> tuples of item names in alphabetical order.

    Items are numbered in alphabetical order, so sorting the indices sorts the names.
    """
    out: list[tuple[str, ...]] = [()] * len(rows)
    if len(rows) == 0:
        return out
    names = np.asarray([*items, ""], dtype=object)  # -1 -> ""
    ordered = np.sort(np.where(rows < 0, len(items), rows), axis=1)
    counts = (rows >= 0).sum(axis=1)
    for size in np.unique(counts):
        at = np.flatnonzero(counts == size)
        columns = [names[ordered[at, j]] for j in range(size)]
        for i, names_row in zip(at.tolist(), zip(*columns, strict=True), strict=True):
            out[i] = names_row
    return out


def _redundant(lhs: np.ndarray, rhs: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """arules' ``is.redundant``: a rule is redundant when a rule with the same consequent and a
    proper, non-empty subset of its antecedent has the same or a higher confidence.

    Among rules that passed the confidence threshold this is exact: a more general rule below
    the threshold has lower confidence than any rule above it.
    """
    redundant = np.zeros(len(lhs), dtype=bool)
    if len(lhs) == 0:
        return redundant
    width = lhs.shape[1]
    big = int(max(lhs.max(), rhs.max())) + 1  # pads both sides, after every item
    index = _RowIndex(
        np.hstack([np.sort(np.where(lhs < 0, big, lhs)), np.where(rhs < 0, big, rhs)])
    )
    sizes = (lhs >= 0).sum(axis=1)
    for size in range(2, width + 1):
        rows = np.flatnonzero(sizes == size)
        if len(rows) == 0:
            continue
        lhs_rows = np.sort(lhs[rows, :size], axis=1)
        general = np.full((len(rows), width + rhs.shape[1]), big, dtype=np.int64)
        general[:, width:] = np.where(rhs[rows] < 0, big, rhs[rows])
        for sub in range(1, size):
            general[:, sub:width] = big
            for picked in itertools.combinations(range(size), sub):
                general[:, :sub] = lhs_rows[:, list(picked)]
                other = index.find(general)
                hit = other >= 0
                redundant[rows[hit]] |= confidence[other[hit]] >= confidence[rows[hit]] - _TOLERANCE
    return redundant
