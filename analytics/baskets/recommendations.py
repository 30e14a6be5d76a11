"""'Bought together' recommendations from association rules, their honest evaluation, and
similar products by text.

``recommend`` turns the items in a basket into the top-k items to offer: every rule whose 'if'
items are all in the basket votes for its 'then' items, ranked by confidence, lift or a blend;
popular items fill the places rules leave empty. ``evaluate_recommendations`` measures it the way it
will be used: rules from the first 80% of the dates, then, for each later basket, one item hidden
and predicted from the rest (hit rate at k), next to offering the most popular items.
``similar_items`` finds products with similar names (TF-IDF on character n-grams, cosine), for
items too rare to appear in any rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from analytics.baskets.build import Baskets
from analytics.baskets.measures import Rules
from analytics.baskets.mine import Engine
from analytics.baskets.mining import run_rules
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

RankBy = Literal["confidence", "lift", "blend"]
RANK_BY: tuple[str, ...] = get_args(RankBy)
RANK_LABELS = {
    "confidence": N_("Confidence (most likely to be bought)"),
    "lift": N_("Lift (most specific to these items)"),
    "blend": N_("Blend (confidence × lift / (1 + lift))"),
}
_CHUNK = 512


def _scores(rules: Rules, by: str) -> np.ndarray:
    if by not in RANK_BY:
        raise AnalyticsError(f"by must be one of {', '.join(RANK_BY)}, got {by!r}.")
    confidence = rules.table["confidence"].to_numpy(dtype=float)
    lift = rules.table["lift"].to_numpy(dtype=float)
    if by == "confidence":
        return confidence
    if by == "lift":
        return lift
    return confidence * lift / (1 + lift)


@dataclass(frozen=True)
class _RuleIndex:
    """Rules as sparse matrices over the items: which items each rule needs and offers."""

    needs: sparse.csr_matrix  # rules × items
    needs_size: np.ndarray
    offers: list[np.ndarray]  # per rule, item indices of the consequent

    @classmethod
    def build(cls, rules: Rules, items: Sequence[str]) -> _RuleIndex:
        index = {item: i for i, item in enumerate(items)}
        rows, cols = [], []
        for r, antecedent in enumerate(rules.table["antecedent"]):
            for item in antecedent:
                if item in index:
                    rows.append(r)
                    cols.append(index[item])
        needs = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)),
            shape=(rules.n_rules, len(items)),
        )
        size = rules.table["antecedent"].map(len).to_numpy()
        offers = [
            np.asarray([index[i] for i in consequent if i in index], dtype=np.int64)
            for consequent in rules.table["consequent"]
        ]
        return cls(needs, size, offers)


def _recommend_rows(
    index: _RuleIndex,
    scores: np.ndarray,
    baskets: sparse.csr_matrix,
    popular: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k items per basket (row): item indices, scores and the rule behind each (-1 = popular)."""
    n = baskets.shape[0]
    picks = np.full((n, k), -1, dtype=np.int64)
    best = np.full((n, k), np.nan)
    because = np.full((n, k), -1, dtype=np.int64)
    offer_len = np.fromiter((len(o) for o in index.offers), dtype=np.int64, count=len(index.offers))
    offer_flat = np.concatenate(index.offers) if index.offers else np.zeros(0, dtype=np.int64)
    offer_start = np.concatenate([[0], np.cumsum(offer_len)])
    for lo in range(0, n, _CHUNK):
        block = baskets[lo : lo + _CHUNK]
        hits = (block @ index.needs.T).tocoo()
        ok = hits.data == index.needs_size[hits.col]
        row, rule = hits.row[ok], hits.col[ok]
        reps = offer_len[rule]
        row = np.repeat(row, reps)
        rule = np.repeat(rule, reps)
        item = offer_flat[
            np.repeat(offer_start[:-1][hits.col[ok]], reps)
            + np.arange(reps.sum())
            - np.repeat(np.cumsum(reps) - reps, reps)
        ]
        votes = pd.DataFrame({"row": row, "item": item, "score": scores[rule], "rule": rule})
        if len(votes):
            owned = np.asarray(block[votes["row"].to_numpy(), votes["item"].to_numpy()]).ravel()
            votes = votes[owned == 0]
        votes = votes.sort_values(["row", "score", "rule"], ascending=[True, False, True])
        votes = votes.drop_duplicates(["row", "item"]).groupby("row", sort=False).head(k)
        slot = votes.groupby("row", sort=False).cumcount().to_numpy()
        rows_abs = votes["row"].to_numpy() + lo
        picks[rows_abs, slot] = votes["item"].to_numpy()
        best[rows_abs, slot] = votes["score"].to_numpy()
        because[rows_abs, slot] = votes["rule"].to_numpy()
        for r in range(block.shape[0]):
            filled = int((picks[lo + r] >= 0).sum())
            if filled == k:
                continue
            taken = set(block.indices[block.indptr[r] : block.indptr[r + 1]].tolist())
            taken.update(picks[lo + r, :filled].tolist())
            extra = [i for i in popular[: k + len(taken)] if i not in taken][: k - filled]
            picks[lo + r, filled : filled + len(extra)] = extra
    return picks, best, because


def recommend(
    rules: Rules,
    baskets: Baskets,
    basket: Sequence[str],
    *,
    k: int = 5,
    by: RankBy = "confidence",
) -> pd.DataFrame:
    """The top-k items to offer with ``basket``, from the rules, then the most popular items.

    Parameters
    ----------
    rules : Rules
    baskets : Baskets
        The baskets the rules come from (their items and popularity).
    basket : sequence of str
        Items already chosen.
    k : int
        How many items to offer.
    by : {"confidence", "lift", "blend"}
        How rules are ranked.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``score``, ``source`` ("rule" or "popular"), ``because`` (the rule, in words),
        ``confidence``, ``lift``, ``support`` (of the item alone).

    Example
    -------
    >>> recommend(rules, baskets, ["Regency Teacup"], k=5)
    """
    if k < 1:
        raise AnalyticsError(f"k must be at least 1, got {k}.")
    lookup = {item: i for i, item in enumerate(baskets.items)}
    unknown = [item for item in basket if item not in lookup]
    if unknown:
        raise AnalyticsError(f"Not an item of these baskets: {', '.join(map(str, unknown[:3]))}.")
    chosen = sorted({lookup[item] for item in basket})
    row = sparse.csr_matrix(
        (np.ones(len(chosen), dtype=np.int32), ([0] * len(chosen), chosen)),
        shape=(1, baskets.n_items),
    )
    counts = baskets.item_counts
    popular = np.lexsort((np.arange(len(counts)), -counts))
    index = _RuleIndex.build(rules, baskets.items)
    picks, best, because = _recommend_rows(index, _scores(rules, by), row, popular, k)
    out = []
    table = rules.table
    for item, score, rule in zip(picks[0], best[0], because[0], strict=True):
        if item < 0:
            continue
        support = counts[item] / baskets.n_baskets
        if rule >= 0:
            found = table.iloc[int(rule)]
            out.append(
                (
                    baskets.items[item],
                    float(score),
                    "rule",
                    str(found["rule"]),
                    float(found["confidence"]),
                    float(found["lift"]),
                    support,
                )
            )
        else:
            out.append(
                (
                    baskets.items[item],
                    np.nan,
                    "popular",
                    f"in {support:.1%} of all baskets",
                    np.nan,
                    np.nan,
                    support,
                )
            )
    columns = ["item", "score", "source", "because", "confidence", "lift", "support"]
    return pd.DataFrame(out, columns=columns)


@dataclass(frozen=True)
class RecommendationEval:
    """Hit rate at k of rule-based recommendations and of the most popular items.

    Attributes
    ----------
    k : int
    by : str
    hit_rate : float
        Share of test baskets whose hidden item is among the k offered.
    popularity_hit_rate : float
        The same when the k most popular items (not in the basket) are offered.
    n_train, n_test : int
        Baskets used to mine rules; later baskets with at least two items, each tested once.
    split : str
        How the baskets were split, in words.
    n_rules : int
        Rules mined on the training baskets.
    rule_share : float
        Share of test baskets where at least one rule applied.
    """

    k: int
    by: str
    hit_rate: float
    popularity_hit_rate: float
    n_train: int
    n_test: int
    split: str
    n_rules: int
    rule_share: float

    def to_dict(self) -> dict[str, object]:
        return {
            "k": self.k,
            "by": self.by,
            "hit_rate": round(self.hit_rate, 4),
            "popularity_hit_rate": round(self.popularity_hit_rate, 4),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_rules": self.n_rules,
            "rule_share": round(self.rule_share, 4),
            "split": self.split,
        }


def temporal_split(baskets: Baskets, *, train_share: float = 0.8) -> tuple[np.ndarray, str]:
    """Training baskets (True) and test baskets: the first ``train_share`` of the dates.

    Without dates, the first ``train_share`` of the baskets in file order train.
    """
    if not 0 < train_share < 1:
        raise AnalyticsError(f"train_share must be in (0, 1), got {train_share}.")
    if baskets.dates is not None and len(baskets.dates):
        dates = pd.to_datetime(pd.Series(baskets.dates))
        cut = dates.min() + (dates.max() - dates.min()) * train_share
        train = (dates <= cut).to_numpy()
        return train, _("rules from baskets up to {cut}, tested on later baskets").format(
            cut=f"{cut:%Y-%m-%d %H:%M}"
        )
    n_train = round(baskets.n_baskets * train_share)
    train = np.arange(baskets.n_baskets) < n_train
    return train, (
        _("no dates: rules from the first {n} baskets in file order, tested on the rest").format(
            n=f"{n_train:,}"
        )
    )


def evaluate_recommendations(
    baskets: Baskets,
    *,
    min_support: float = 0.01,
    min_confidence: float = 0.1,
    min_lift: float | None = None,
    max_len: int | None = None,
    k: int = 5,
    by: RankBy = "confidence",
    train_share: float = 0.8,
    engine: Engine = "eclat",
    random_state: int = 0,
) -> RecommendationEval:
    """Hide one item of each later basket and predict it from the rest: hit rate at k.

    Rules come from the training baskets only (see ``temporal_split``); each test basket with two
    or more items loses one item drawn at random, and the recommendation from the other items
    hits when the hidden item is among the k offered. The same for the k most popular items
    (from the training baskets) gives the baseline.

    Raises
    ------
    AnalyticsError
        When either side of the split has too few baskets.

    Example
    -------
    >>> evaluate_recommendations(baskets, min_support=0.005, k=5).hit_rate
    """
    train, split = temporal_split(baskets, train_share=train_share)
    matrix = baskets.matrix
    sizes = baskets.sizes
    test_rows = np.flatnonzero(~train & (sizes >= 2))
    if train.sum() < 10 or len(test_rows) < 10:
        raise AnalyticsError(
            "Too few baskets to test recommendations: the evaluation needs at least 10 baskets "
            "to learn from and 10 later baskets with two or more items.",
            hint="Use a wider date range or more data.",
        )
    training = baskets.rows(train, key=f"{baskets.key}|train{train_share}")
    rules = run_rules(
        training,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_len=max_len,
        engine=engine,
    )
    rng = np.random.default_rng(random_state)
    test = matrix[test_rows].tocsr().astype(np.int32)
    hidden = np.empty(len(test_rows), dtype=np.int64)
    for r in range(len(test_rows)):
        members = test.indices[test.indptr[r] : test.indptr[r + 1]]
        hidden[r] = members[rng.integers(len(members))]
    test[np.arange(len(test_rows)), hidden] = 0
    test.eliminate_zeros()
    counts = training.item_counts
    popular = np.lexsort((np.arange(len(counts)), -counts))
    index = _RuleIndex.build(rules, baskets.items)
    picks, _ignored, because = _recommend_rows(index, _scores(rules, by), test, popular, k)
    no_rules = _RuleIndex(
        sparse.csr_matrix((0, baskets.n_items), dtype=np.int32), np.zeros(0, dtype=np.int64), []
    )
    baseline, _ignored, _ignored = _recommend_rows(no_rules, np.zeros(0), test, popular, k)
    return RecommendationEval(
        k=k,
        by=by,
        hit_rate=float((picks == hidden[:, None]).any(axis=1).mean()),
        popularity_hit_rate=float((baseline == hidden[:, None]).any(axis=1).mean()),
        n_train=int(train.sum()),
        n_test=len(test_rows),
        split=split,
        n_rules=rules.n_rules,
        rule_share=float((because >= 0).any(axis=1).mean()),
    )


def similar_items(baskets: Baskets, item: str, *, k: int = 5) -> pd.DataFrame:
    """Items whose names read alike (TF-IDF of character n-grams, cosine similarity).

    Useful for items too rare to appear in any rule: 'Paper Lantern Red' finds 'Paper Lantern
    White'. Returns ``item``, ``description``, ``similarity`` (0–1), best first.

    Example
    -------
    >>> similar_items(baskets, "whole milk", k=3)
    """
    if item not in baskets.descriptions:
        raise AnalyticsError(f"Not an item of these baskets: {item}.")
    items = list(baskets.items)
    texts = [baskets.descriptions.get(i, i) for i in items]
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=True).fit_transform(
        texts
    )
    at = items.index(item)
    similarity = linear_kernel(vectors[at], vectors).ravel()
    similarity[at] = -1
    order = np.lexsort((np.arange(len(items)), -similarity))[:k]
    order = order[similarity[order] > 0]
    return pd.DataFrame(
        {
            "item": [items[i] for i in order],
            "description": [texts[i] for i in order],
            "similarity": similarity[order],
        }
    )
