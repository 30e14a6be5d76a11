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
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import false_discovery_control, hypergeom

from analytics.data import Dataset, cancellation_mask
from analytics.errors import AnalyticsError
from analytics.params import Constraint, Params

Engine = Literal["eclat", "fpgrowth", "apriori"]
ENGINES: tuple[str, ...] = get_args(Engine)
ENGINE_LABELS = {
    "eclat": "Fast (vectorised Eclat, default)",
    "fpgrowth": "mlxtend FP-Growth",
    "apriori": "mlxtend Apriori",
}
#: mlxtend gets a dense one-hot frame up to this many cells, a sparse one above.
DENSE_CELLS = 10_000_000
#: mlxtend engines refuse data whose one-hot table would exceed this many cells.
MLXTEND_CELLS = 200_000_000
#: Mining stops with a clear message beyond this many frequent itemsets ...
MAX_ITEMSETS = 1_000_000
#: ... or when one level's candidates would need more than this many bytes of bitsets.
MAX_LEVEL_BYTES = 1_500_000_000
#: Candidates are counted in chunks of about this many bytes.
CHUNK_BYTES = 32_000_000
#: At most this many rules are kept (the highest lift), with a note.
MAX_RULES = 100_000

MEASURES: dict[str, str] = {
    "support": "Share of all baskets that contain every item of the rule.",
    "confidence": "Share of baskets with the 'if' items that also contain the 'then' items.",
    "lift": "How many times more likely the 'then' items are with the 'if' items than in an "
    "average basket (1 = no link).",
    "leverage": "Share of baskets with both sides beyond what chance would give (0 = no link).",
    "conviction": "How much more often the rule would be wrong if the two sides were unrelated "
    "(1 = no link; a rule never wrong is shown as if it failed once, to stay finite).",
    "zhang": "Association from -1 (never together) through 0 (unrelated) to 1 (always together).",
    "jaccard": "Share of baskets with either side that contain both sides.",
    "kulczynski": "Average of the confidence in both directions (0.5 = balanced, neutral).",
    "certainty": "How much of the remaining doubt about the 'then' items the 'if' items remove "
    "(0 = none, 1 = all).",
    "count": "Number of baskets that contain every item of the rule.",
    "p_value": "Chance of seeing the pair this often if the sides were unrelated (one-sided "
    "Fisher exact test); small is convincing.",
}
MEASURE_LABELS = {
    "support": "Support",
    "confidence": "Confidence",
    "lift": "Lift",
    "leverage": "Leverage",
    "conviction": "Conviction",
    "zhang": "Zhang's metric",
    "jaccard": "Jaccard",
    "kulczynski": "Kulczynski",
    "certainty": "Certainty",
    "count": "Baskets with the rule",
    "p_value": "p-value (Fisher)",
}
SORTABLE = tuple(MEASURE_LABELS)
_TOLERANCE = 1e-12


# --- Baskets --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Baskets:
    """Baskets as a sparse basket × item matrix.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        One row per basket, one column per item, ``True`` where the basket holds the item.
    items : tuple of str
        The item of each column, in alphabetical order.
    basket_ids : numpy.ndarray
        The id of each basket (text).
    dates : numpy.ndarray or None
        When each basket was bought (its first line), if the data has dates.
    descriptions : dict
        Item → text describing it (its name, or the item itself), for similar-item search.
    key : str
        A content key: the dataset fingerprint plus the options that built the baskets.
    notes : tuple of str
        What was left out and why.
    """

    matrix: sparse.csr_matrix
    items: tuple[str, ...]
    basket_ids: np.ndarray
    dates: np.ndarray | None
    descriptions: dict[str, str]
    key: str
    notes: tuple[str, ...] = ()

    @property
    def n_baskets(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def item_counts(self) -> np.ndarray:
        """How many baskets hold each item."""
        return np.asarray(self.matrix.sum(axis=0)).ravel().astype(np.int64)

    @property
    def sizes(self) -> np.ndarray:
        """How many distinct items each basket holds."""
        return np.diff(self.matrix.indptr)

    @property
    def problem(self) -> str | None:
        """Why these baskets cannot show what sells together, in plain words; None if they can."""
        if self.n_baskets < 2:
            return (
                "There is only one basket, so nothing can be compared: load more orders, or "
                "check that the order column tells purchases apart."
            )
        if self.sizes.max() < 2:
            return (
                "Every basket holds a single item, so nothing is bought together here. Check "
                "that the order column groups the lines of one purchase."
            )
        counts = self.item_counts
        if np.all((counts == 0) | (counts == self.n_baskets)):
            return (
                "Every basket holds exactly the same items, so every rule has lift 1: there is "
                "nothing to learn about what sells together."
            )
        return None

    def top_items(self, n: int = 20) -> pd.DataFrame:
        """The most frequent items: ``item``, ``baskets``, ``support``."""
        counts = self.item_counts
        order = np.lexsort((np.arange(len(counts)), -counts))[:n]
        return pd.DataFrame(
            {
                "item": np.asarray(self.items, dtype=object)[order],
                "baskets": counts[order],
                "support": counts[order] / max(self.n_baskets, 1),
            }
        )

    def rows(self, mask: np.ndarray, *, key: str) -> Baskets:
        """The same items on a subset of baskets (for a temporal split)."""
        return Baskets(
            self.matrix[mask],
            self.items,
            self.basket_ids[mask],
            None if self.dates is None else self.dates[mask],
            self.descriptions,
            key,
            self.notes,
        )


def item_options(dataset: Dataset) -> list[str]:
    """The columns that can serve as the item of a basket, best first."""
    if dataset.kind == "baskets":
        return ["item"]
    return [c for c in ("product_name", "product", "category") if dataset.has(c)]


def item_values(dataset: Dataset, item: str | None = None) -> list[str]:
    """The items a basket can hold (as rules name them), in order, for picking some to exclude."""
    column = "item" if dataset.kind == "baskets" else item or next(iter(item_options(dataset)), "")
    if column not in dataset.frame:
        return []
    return sorted(dataset.frame[column].dropna().astype("str").str.strip().unique())


def build_baskets(
    dataset: Dataset,
    *,
    item: str | None = None,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    filters: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | None = None,
    customers: Sequence[str] | None = None,
    exclude_cancellations: bool = True,
    exclude: Sequence[str] = (),
) -> Baskets:
    """Turn transactions (order × item) or a baskets dataset into a sparse basket × item matrix.

    Parameters
    ----------
    dataset : Dataset
        Transactions or baskets.
    item : str, optional
        Transactions: the column that names an item (``product_name``, ``product`` or
        ``category``); default the product name when there is one.
    start, end : date-like, optional
        Transactions: keep orders on or after ``start`` and on or before ``end`` (whole days).
    filters : mapping or (column, values) pairs, optional
        Column → values to keep, e.g. ``{"Country": ["France"]}``.
    customers : sequence of str, optional
        Keep only these customers' orders (e.g. one segment).
    exclude_cancellations : bool
        Leave out cancellations and returns (default).
    exclude : sequence of str
        Items to leave out of every basket (a carrier bag, postage), as :func:`item_values`
        names them.

    Returns
    -------
    Baskets

    Raises
    ------
    AnalyticsError
        When the data is not transactions or baskets, or no basket is left.

    Example
    -------
    >>> baskets = build_baskets(dataset, item="product_name", filters={"Country": ["France"]})
    """
    if dataset.kind not in ("transactions", "baskets"):
        raise AnalyticsError(
            f"Market baskets need transactions or baskets, and this dataset is {dataset.kind}.",
            hint="Load a sales export or a file with one basket per line on the Data page.",
        )
    frame = dataset.frame
    filters = dict(filters or {})
    notes: list[str] = []
    key_parts: list[object] = [dataset.fingerprint]
    dates: np.ndarray | None = None
    if dataset.kind == "baskets":
        basket_col, item_col = "basket_id", "item"
        names: pd.Series | None = None
    else:
        options = item_options(dataset)
        item_col = item or (options[0] if options else "product")
        if item_col not in options:
            raise AnalyticsError(
                f"Baskets need a column that names the items; {item_col!r} is not one.",
                hint="Choose the product column under 'Column roles' on the Data page.",
            )
        if not dataset.has("order_id"):
            raise AnalyticsError(
                "Baskets need an order (invoice) column to know which lines were bought together.",
                hint="Choose the order column under 'Column roles' on the Data page.",
            )
        basket_col = "order_id"
        keep = pd.Series(True, index=frame.index)
        if exclude_cancellations:
            cancelled = cancellation_mask(frame)
            if cancelled.any():
                notes.append(f"{int(cancelled.sum()):,} cancelled or returned lines left out.")
            keep &= ~cancelled
        if "timestamp" in frame and (start is not None or end is not None):
            day = frame["timestamp"].dt.normalize()
            if start is not None:
                keep &= day >= pd.Timestamp(start)
            if end is not None:
                keep &= day <= pd.Timestamp(end)
        for column, values in filters.items():
            if column not in frame:
                raise AnalyticsError(f"There is no column {column!r} to filter on.")
            if values:
                keep &= frame[column].astype("str").isin([str(v) for v in values])
        if customers is not None and "customer_id" in frame:
            keep &= frame["customer_id"].astype("str").isin(set(map(str, customers)))
        frame = frame.loc[keep]
        names = None
        if item_col == "product" and dataset.has("product_name"):
            names = frame.groupby("product", sort=False, observed=True)["product_name"].agg(
                lambda s: s.mode().iat[0] if s.notna().any() else None
            )
        key_parts += [item_col, start, end, sorted(filters.items()), exclude_cancellations]
        key_parts.append(None if customers is None else sorted(map(str, customers)))
    lines = frame[[basket_col, item_col]].dropna()
    if len(lines) < len(frame):
        notes.append(f"{len(frame) - len(lines):,} lines without an order or item left out.")
    if exclude:
        excluded = lines[item_col].astype("str").str.strip().isin(set(exclude))
        notes.append(
            f"{int(excluded.sum()):,} lines of {len(set(exclude)):,} excluded items left out."
        )
        lines = lines.loc[~excluded]
        key_parts.append(sorted(set(exclude)))
    if lines.empty:
        raise AnalyticsError(
            "No baskets are left to analyse.",
            hint="Widen the date range or the filters, or check the item and order columns.",
        )
    basket_codes, basket_ids = pd.factorize(lines[basket_col].astype("str"), sort=False)
    item_text = lines[item_col].astype("str").str.strip()
    item_codes, items = pd.factorize(item_text, sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(lines), dtype=bool), (basket_codes, item_codes)),
        shape=(len(basket_ids), len(items)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = True
    if dataset.kind == "transactions" and "timestamp" in frame:
        first = (
            pd.Series(frame.loc[lines.index, "timestamp"].to_numpy())
            .groupby(basket_codes, sort=True)
            .min()
        )
        dates = first.to_numpy()
    labels = tuple(str(i) for i in items)
    if names is not None:
        descriptions = {
            str(code): str(name) if name is not None else str(code) for code, name in names.items()
        }
    else:
        descriptions = {label: label for label in labels}
    descriptions = {label: descriptions.get(label, label) for label in labels}
    return Baskets(
        matrix=matrix,
        items=labels,
        basket_ids=np.asarray(basket_ids, dtype=object),
        dates=dates,
        descriptions=descriptions,
        key=repr(key_parts),
        notes=tuple(notes),
    )


def baskets_from_lists(baskets: Sequence[Sequence[str]], *, key: str = "lists") -> Baskets:
    """Baskets from plain lists of items (the input of pyfim and mlxtend's TransactionEncoder).

    Example
    -------
    >>> baskets_from_lists([["bread", "milk"], ["milk", "eggs"]]).items
    ('bread', 'eggs', 'milk')
    """
    index: dict[str, int] = {}
    codes = [index.setdefault(str(item), len(index)) for basket in baskets for item in basket]
    if not codes:
        raise AnalyticsError("No baskets are left to analyse.")
    sizes = np.fromiter((len(basket) for basket in baskets), dtype=np.int64, count=len(baskets))
    names = np.asarray(list(index), dtype=object)
    alphabetical = np.argsort(names, kind="stable")
    position = np.empty(len(names), dtype=np.int64)
    position[alphabetical] = np.arange(len(names))
    matrix = sparse.csr_matrix(
        (
            np.ones(len(codes), dtype=bool),
            (np.repeat(np.arange(len(baskets)), sizes), position[np.asarray(codes)]),
        ),
        shape=(len(baskets), len(names)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = True
    labels = tuple(str(n) for n in names[alphabetical])
    return Baskets(
        matrix,
        labels,
        np.arange(len(baskets)).astype(str).astype(object),
        None,
        {label: label for label in labels},
        key,
    )


# --- Frequent itemsets ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Itemsets:
    """Frequent itemsets with exact counts, by size.

    ``levels[k - 1]`` holds the k-itemsets as rows of item indices (columns of the basket matrix),
    each row in ascending ``order`` rank and the rows sorted; ``counts[k - 1]`` their basket counts.
    """

    levels: tuple[np.ndarray, ...]
    counts: tuple[np.ndarray, ...]
    items: tuple[str, ...]
    item_counts: np.ndarray
    n_baskets: int
    min_support: float
    min_count: int
    max_len: int | None
    engine: str
    seconds: float
    rank: np.ndarray = field(repr=False)  # item index -> position in the mining order

    @property
    def n_itemsets(self) -> int:
        return sum(len(level) for level in self.levels)

    def by_size(self) -> dict[int, int]:
        return {k + 1: len(level) for k, level in enumerate(self.levels) if len(level)}

    def table(self) -> pd.DataFrame:
        """One row per itemset: ``itemset`` (tuple of items), ``size``, ``count``, ``support``."""
        names = np.asarray(self.items, dtype=object)
        rows = [
            (tuple(sorted(names[row])), len(row), int(count))
            for level, counts in zip(self.levels, self.counts, strict=True)
            for row, count in zip(level, counts, strict=True)
        ]
        out = pd.DataFrame(rows, columns=["itemset", "size", "count"])
        out["support"] = out["count"] / self.n_baskets
        return out


def min_count_for(min_support: float, n_baskets: int) -> int:
    """The smallest basket count with support >= ``min_support`` (arules' rule)."""
    return max(1, math.ceil(min_support * n_baskets - 1e-9))


def _check(name: str, value: float, low: float, high: float, *, low_open: bool = True) -> None:
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok or not np.isfinite(value):
        bracket = "(" if low_open else "["
        raise AnalyticsError(f"{name} must be in {bracket}{low}, {high}], got {value}.")


def mine_itemsets(
    baskets: Baskets,
    *,
    min_support: float = 0.01,
    max_len: int | None = None,
    engine: Engine = "eclat",
    max_itemsets: int = MAX_ITEMSETS,
) -> Itemsets:
    """Frequent itemsets: every set of items in at least ``min_support`` of the baskets.

    Parameters
    ----------
    baskets : Baskets
    min_support : float
        In (0, 1]: the share of baskets an itemset must appear in.
    max_len : int, optional
        The largest itemset size (default: no limit).
    engine : {"eclat", "fpgrowth", "apriori"}
        All three give the same itemsets; see the module notes.
    max_itemsets : int
        Stop with a message rather than mine more itemsets than this.

    Returns
    -------
    Itemsets

    Raises
    ------
    AnalyticsError
        When the parameters are out of range or the support is so low that the itemsets would
        explode (the message says how far mining got and what support to try).

    Example
    -------
    >>> itemsets = mine_itemsets(baskets, min_support=0.001)
    """
    _check("min_support", min_support, 0.0, 1.0)
    if max_len is not None and max_len < 1:
        raise AnalyticsError(f"max_len must be at least 1, got {max_len}.")
    if engine not in ENGINES:
        raise AnalyticsError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
    if baskets.n_baskets == 0:
        raise AnalyticsError("There are no baskets to mine.")
    started = time.perf_counter()
    n = baskets.n_baskets
    min_count = min_count_for(min_support, n)
    counts = baskets.item_counts
    # Mine in order of ascending frequency: prefix classes of rare items stay small.
    order = np.lexsort((np.arange(len(counts)), counts))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    # Our miner runs for every engine: it is also the guard that stops an explosion with a
    # message, which mlxtend has no way to do (it mines until memory runs out).
    levels, level_counts = _eclat(baskets.matrix, counts, order, min_count, max_len, max_itemsets)
    if engine != "eclat":
        levels, level_counts = _mlxtend_itemsets(
            baskets.matrix, counts, rank, min_count, max_len, engine
        )
    return Itemsets(
        levels=tuple(levels),
        counts=tuple(level_counts),
        items=baskets.items,
        item_counts=counts,
        n_baskets=n,
        min_support=min_support,
        min_count=min_count,
        max_len=max_len,
        engine=engine,
        seconds=time.perf_counter() - started,
        rank=rank,
    )


def _explosion(found: int, size: int, min_support: float, what: str) -> AnalyticsError:
    return AnalyticsError(
        f"A minimum support of {min_support:.4%} finds too many itemsets ({what} by size {size}): "
        f"more than a dashboard can show. Mining stopped after {found:,} itemsets.",
        hint="Raise the minimum support (try doubling it), or lower the largest itemset size.",
    )


def _eclat(
    matrix: sparse.csr_matrix,
    counts: np.ndarray,
    order: np.ndarray,
    min_count: int,
    max_len: int | None,
    max_itemsets: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Level-wise Eclat on bitsets: returns itemsets in mining-order ranks, mapped back to items."""
    frequent = order[counts[order] >= min_count]  # item indices, ascending frequency
    sets = np.arange(len(frequent), dtype=np.int32)[:, None]  # ranks among frequent items
    set_counts = counts[frequent].astype(np.int64)
    levels = [sets]
    level_counts = [set_counts]
    if len(frequent) < 2 or max_len == 1:
        return _to_items(levels, frequent), level_counts
    # Only baskets with two or more frequent items can hold a pair.
    sub = matrix[:, frequent].tocsr()
    # Largest baskets first: itemsets of size k can only be in baskets with k or more frequent
    # items, a prefix of the bits, so each level works on fewer words.
    sizes = np.diff(sub.indptr)
    by_size = np.argsort(-sizes, kind="stable")
    by_size = by_size[sizes[by_size] >= 2]
    sub = sub[by_size]
    sizes = sizes[by_size]
    bits = _pack_columns(sub, len(frequent))
    min_support = min_count / matrix.shape[0]
    # Pairs come from one sparse product, which counts every pair that occurs at once.
    m = len(frequent)
    ones = sub.astype(np.int32)
    together = sparse.triu(ones.T @ ones, k=1).tocoo()
    ok = together.data >= min_count
    first, second = together.row[ok].astype(np.int64), together.col[ok].astype(np.int64)
    pair_codes = np.sort(first * m + second)
    if len(pair_codes) == 0:
        return _to_items(levels, frequent), level_counts
    sets = np.column_stack([pair_codes // m, pair_codes % m]).astype(np.int32)
    set_counts = np.bitwise_count(bits[sets[:, 0]] & bits[sets[:, 1]]).sum(axis=1, dtype=np.int64)
    levels.append(sets)
    level_counts.append(set_counts)
    if len(pair_codes) > max_itemsets:
        raise _explosion(len(pair_codes), 2, min_support, f"{len(pair_codes):,} pairs")
    size = 2
    while max_len is None or size < max_len:
        if size == 2:
            bits = bits[sets[:, 0]] & bits[sets[:, 1]]
        left, right = _join_candidates(sets)
        # Apriori's check, for the one pair the join has not seen: the last items of both sides.
        codes = sets[left, -1].astype(np.int64) * m + sets[right, -1]
        at = np.searchsorted(pair_codes, codes).clip(0, len(pair_codes) - 1)
        possible = pair_codes[at] == codes
        left, right = left[possible], right[possible]
        if len(left) == 0:
            break
        words = max(1, -(-int((sizes >= size + 1).sum()) // 64))
        if words < bits.shape[1]:
            bits = bits[:, :words]
        width = bits.shape[1] * 8
        if len(left) * width > MAX_LEVEL_BYTES * 8 or len(left) > 50 * max_itemsets:
            raise _explosion(
                sum(map(len, levels)), size + 1, min_support, f"{len(left):,} candidates"
            )
        step = max(1, CHUNK_BYTES // max(width, 1))
        kept_rows, kept_counts, kept_bits = [], [], []
        found = sum(map(len, levels))
        for lo in range(0, len(left), step):
            lft, rgt = left[lo : lo + step], right[lo : lo + step]
            joined = bits[lft]
            joined &= bits[rgt]
            support = np.bitwise_count(joined).sum(axis=1, dtype=np.int64)
            ok = support >= min_count
            kept_rows.append(np.flatnonzero(ok) + lo)
            kept_counts.append(support[ok])
            kept_bits.append(joined[ok])
            found += int(ok.sum())
            if found > max_itemsets:
                raise _explosion(found, size + 1, min_support, f"over {max_itemsets:,} itemsets")
        keep = np.concatenate(kept_rows)
        if len(keep) == 0:
            break
        sets = np.hstack([sets[left[keep]], sets[right[keep], -1:]])
        set_counts = np.concatenate(kept_counts)
        bits = np.concatenate(kept_bits) if len(kept_bits) > 1 else kept_bits[0]
        size += 1
        levels.append(sets)
        level_counts.append(set_counts)
        if bits.nbytes > MAX_LEVEL_BYTES:
            raise _explosion(found, size, min_support, f"{bits.nbytes / 1e9:.1f} GB of itemsets")
    return _to_items(levels, frequent), level_counts


def _to_items(levels: list[np.ndarray], frequent: np.ndarray) -> list[np.ndarray]:
    """Ranks among frequent items -> item indices (rows stay in ascending frequency order)."""
    return [frequent[level].astype(np.int32) for level in levels]


def _pack_columns(matrix: sparse.csr_matrix, n_columns: int) -> np.ndarray:
    """Column j of a boolean basket matrix -> row j of 64-bit words, bit b of word w = basket 64w+b."""
    words = max(1, -(-matrix.shape[0] // 64))
    coo = matrix.tocoo()
    bits = np.zeros((n_columns, words), dtype=np.uint64)
    np.bitwise_or.at(
        bits,
        (coo.col, coo.row >> 6),
        np.left_shift(np.uint64(1), (coo.row & 63).astype(np.uint64)),
    )
    return bits


def _join_candidates(sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of sorted k-itemsets sharing their first k-1 items: Eclat's joins."""
    n, k = sets.shape
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if k == 1:
        starts_new = np.zeros(n - 1, dtype=bool)
    else:
        starts_new = np.any(sets[1:, :-1] != sets[:-1, :-1], axis=1)
    boundaries = np.flatnonzero(np.concatenate([starts_new, [True]]))  # last row of each class
    class_end = np.repeat(boundaries + 1, np.diff(np.concatenate([[-1], boundaries])))
    partners = class_end - np.arange(n) - 1
    total = int(partners.sum())
    left = np.repeat(np.arange(n), partners)
    offsets = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners)
    right = left + 1 + offsets
    return left, right


def _mlxtend_itemsets(
    matrix: sparse.csr_matrix,
    counts: np.ndarray,
    rank: np.ndarray,
    min_count: int,
    max_len: int | None,
    engine: str,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    from mlxtend.frequent_patterns import apriori, fpgrowth

    n = matrix.shape[0]
    cells = n * int((counts >= min_count).sum())
    if cells > MLXTEND_CELLS:
        raise AnalyticsError(
            f"mlxtend's engines would need a table of {cells:,} cells here (its FP-Growth turns "
            "even a sparse table dense), more than this app allows.",
            hint="Use the fast engine: it finds the same rules in a fraction of the memory.",
        )
    frame, frequent = _onehot(matrix, counts, min_count)
    miner = fpgrowth if engine == "fpgrowth" else apriori
    # Half a basket below the threshold: float rounding cannot drop an itemset at the boundary.
    found = miner(frame, min_support=(min_count - 0.5) / n, max_len=max_len, use_colnames=False)
    return _levels_from_frame(found, frequent, rank, n, min_count)


def _onehot(
    matrix: sparse.csr_matrix, counts: np.ndarray, min_count: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """mlxtend's input: frequent items only, dense while small, sparse above ``DENSE_CELLS``."""
    frequent = np.flatnonzero(counts >= min_count)
    sub = matrix[:, frequent]
    columns = [str(i) for i in range(len(frequent))]
    if sub.shape[0] * sub.shape[1] <= DENSE_CELLS:
        return pd.DataFrame(sub.toarray(), columns=columns), frequent
    sparse_frame = pd.DataFrame.sparse.from_spmatrix(sub.tocsc(), columns=columns)  # type: ignore[attr-defined]
    return sparse_frame, frequent


def _levels_from_frame(
    found: pd.DataFrame, frequent: np.ndarray, rank: np.ndarray, n: int, min_count: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """mlxtend's itemsets (frozensets of column positions) -> our sorted levels."""
    if found.empty:
        return [np.zeros((0, 1), dtype=np.int32)], [np.zeros(0, dtype=np.int64)]
    counts = np.rint(found["support"].to_numpy() * n).astype(np.int64)
    by_size: dict[int, tuple[list[list[int]], list[int]]] = {}
    for itemset, count in zip(found["itemsets"], counts, strict=True):
        if count < min_count:
            continue
        members = sorted((int(frequent[int(i)]) for i in itemset), key=lambda i: rank[i])
        rows, cs = by_size.setdefault(len(members), ([], []))
        rows.append(members)
        cs.append(int(count))
    levels, level_counts = [], []
    for size in range(1, max(by_size) + 1):
        rows, cs = by_size.get(size, ([], []))
        level = np.asarray(rows, dtype=np.int32).reshape(-1, size)
        sort = np.lexsort(rank[level].T[::-1]) if len(level) else np.zeros(0, dtype=np.int64)
        levels.append(level[sort])
        level_counts.append(np.asarray(cs, dtype=np.int64)[sort])
    return levels, level_counts


# --- Rules ----------------------------------------------------------------------------------------
_MIX = np.random.default_rng(20261125).integers(1, 2**63, size=(2, 64), dtype=np.uint64) | 1


def _hash_rows(rows: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of integers (equal rows, equal hashes)."""
    values = rows.astype(np.int64).view(np.uint64)
    out = np.zeros(len(rows), dtype=np.uint64)
    for j in range(values.shape[1]):
        out ^= values[:, j] * _MIX[0, j % 64]
        out = (out ^ (out >> np.uint64(31))) * _MIX[1, j % 64]
    return out


class _RowIndex:
    """Find rows of a matrix of non-negative integers, exactly.

    Rows become one integer each: their digits in base ``max + 1`` when that fits in 62 bits,
    otherwise a 64-bit hash that the rows themselves then confirm.
    """

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows.astype(np.int64)
        base = int(self.rows.max()) + 1 if self.rows.size else 1
        width = self.rows.shape[1] if self.rows.ndim == 2 else 1
        self.powers: np.ndarray | None = None
        if width * math.log2(max(base, 2)) < 62:
            self.powers = base ** np.arange(width - 1, -1, -1, dtype=np.int64)
            self.base = base
        keys = self._keys(self.rows)
        self.order = np.argsort(keys, kind="stable")
        self.sorted = keys[self.order]

    def _keys(self, rows: np.ndarray) -> np.ndarray:
        if self.powers is None:
            return _hash_rows(rows)
        keys = rows[:, 0] * self.powers[0]
        for j in range(1, rows.shape[1]):
            keys += rows[:, j] * self.powers[j]
        return keys

    def find(self, query: np.ndarray) -> np.ndarray:
        """The index of each query row among the rows, or -1."""
        query = query.astype(np.int64)
        if len(self.sorted) == 0 or len(query) == 0:
            return np.full(len(query), -1, dtype=np.int64)
        if self.powers is not None and (query.max() >= self.base or query.min() < 0):
            query = np.where((query >= self.base) | (query < 0), -1, query)
            valid = (query >= 0).all(axis=1)
        else:
            valid = np.ones(len(query), dtype=bool)
        keys = self._keys(np.where(query < 0, 0, query))
        at = np.searchsorted(self.sorted, keys).clip(0, len(self.sorted) - 1)
        same_key = (self.sorted[at] == keys) & valid
        found = self.order[at]
        if self.powers is not None:
            return np.where(same_key, found, -1)
        ok = same_key & np.all(self.rows[found] == query, axis=1)
        for i in np.flatnonzero(same_key & ~ok):  # two different rows share a hash: look at all
            lo, hi = (
                np.searchsorted(self.sorted, keys[i], side="left"),
                np.searchsorted(self.sorted, keys[i], side="right"),
            )
            for candidate in self.order[lo:hi]:
                if np.array_equal(self.rows[candidate], query[i]):
                    found[i], ok[i] = candidate, True
        return np.where(ok, found, -1)


class _Lookup(_RowIndex):
    """Find the row of an itemset (in mining-order ranks) within a level; it must be there."""

    def find(self, query: np.ndarray) -> np.ndarray:
        found = super().find(query)
        if (found < 0).any():
            raise RuntimeError("an itemset's subset is missing: the itemsets are not closed")
        return found


@dataclass(frozen=True)
class Rules:
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

    @property
    def n_rules(self) -> int:
        return len(self.table)

    def by_size(self) -> dict[int, int]:
        """Rules by number of items (antecedent + consequent), as arules reports them."""
        sizes, counts = np.unique(self.table["size"].to_numpy(), return_counts=True)
        return {int(k): int(v) for k, v in zip(sizes, counts, strict=True)}

    def summary(self) -> dict[str, object]:
        return {
            "n_transactions": self.n_baskets,
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
        ante, cons, n_ab, n_a, n_b = _eclat_rules(itemsets, min_confidence, max_consequent)
    else:
        ante, cons, n_ab, n_a, n_b = _mlxtend_rules(itemsets, min_confidence, max_consequent)
    return _finish_rules(
        itemsets,
        ante,
        cons,
        n_ab,
        n_a,
        n_b,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_consequent=max_consequent,
        max_rules=max_rules,
        seconds=itemsets.seconds + time.perf_counter() - started,
    )


_Raw = tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]


def _eclat_rules(itemsets: Itemsets, min_confidence: float, max_consequent: int) -> _Raw:
    rank = itemsets.rank
    lookups = [_Lookup(rank[level]) for level in itemsets.levels]
    ante: list[np.ndarray] = []
    cons: list[np.ndarray] = []
    n_ab, n_a, n_b = [], [], []
    for size in range(2, len(itemsets.levels) + 1):
        level, counts = itemsets.levels[size - 1], itemsets.counts[size - 1]
        if len(level) == 0:
            continue
        for c in range(1, min(max_consequent, size - 1) + 1):
            for picked in itertools.combinations(range(size), c):
                rest = [j for j in range(size) if j not in picked]
                lhs, rhs = level[:, rest], level[:, list(picked)]
                lhs_count = itemsets.counts[size - c - 1][lookups[size - c - 1].find(rank[lhs])]
                ok = counts >= min_confidence * lhs_count - _TOLERANCE * lhs_count
                if not ok.any():
                    continue
                if c == 1:
                    rhs_count = itemsets.item_counts[rhs[ok, 0]]
                else:
                    rhs_count = itemsets.counts[c - 1][lookups[c - 1].find(rank[rhs[ok]])]
                ante.append(lhs[ok])
                cons.append(rhs[ok])
                n_ab.append(counts[ok])
                n_a.append(lhs_count[ok])
                n_b.append(rhs_count)
    return ante, cons, _cat(n_ab), _cat(n_a), _cat(n_b)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _mlxtend_rules(itemsets: Itemsets, min_confidence: float, max_consequent: int) -> _Raw:
    from mlxtend.frequent_patterns import association_rules as mlxtend_rules

    if len(itemsets.levels) < 2:
        none = np.zeros(0, dtype=np.int64)
        return [], [], none, none, none
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
    return ante, cons, flat[:, 0], flat[:, 1], flat[:, 2]


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
    if len(n_ab) <= max_rules:
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
                f"{{{', '.join(a)}}} → {{{', '.join(c)}}}"
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
) -> Rules:
    """Frequent itemsets, then rules: the whole mining step in one call.

    ``max_itemsets`` and ``max_rules`` are the guards of ``mine_itemsets`` and
    ``association_rules``; the defaults suit a dashboard.

    Example
    -------
    >>> rules = run_rules(baskets, min_support=0.001, min_confidence=0.5)
    >>> rules.n_rules
    """
    itemsets = mine_itemsets(
        baskets,
        min_support=min_support,
        max_len=max_len,
        engine=engine,
        max_itemsets=max_itemsets,
    )
    return association_rules(
        itemsets,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_consequent=max_consequent,
        max_rules=max_rules,
    )
