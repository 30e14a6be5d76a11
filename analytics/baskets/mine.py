"""Frequent itemsets with exact counts: our vectorised Eclat, or mlxtend's FP-Growth and
Apriori (``mine_itemsets``)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import sparse

from analytics.baskets.build import Baskets
from analytics.errors import AnalyticsError
from analytics.i18n import N_

Engine = Literal["eclat", "fpgrowth", "apriori"]
ENGINES: tuple[str, ...] = get_args(Engine)
ENGINE_LABELS = {
    "eclat": N_("Fast (vectorised Eclat, default)"),
    "fpgrowth": N_("mlxtend FP-Growth"),
    "apriori": N_("mlxtend Apriori"),
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
    levels = [np.arange(len(frequent), dtype=np.int32)[:, None]]  # ranks among frequent items
    level_counts = [counts[frequent].astype(np.int64)]
    if len(frequent) < 2 or max_len == 1:
        return _to_items(levels, frequent), level_counts
    # Only baskets with two or more frequent items can hold a pair. Largest baskets first:
    # itemsets of size k can only be in baskets with k or more frequent items, a prefix of the
    # bits, so each level works on fewer words.
    m = len(frequent)
    sub = _frequent_columns(matrix, frequent)
    sizes = np.diff(sub.indptr)
    # A stable sort of 16-bit keys is a radix sort; sizes past 32,767 only need to come first.
    by_size = np.argsort(-np.minimum(sizes, 32_767).astype(np.int16), kind="stable")
    by_size = by_size[sizes[by_size] >= 2]
    sub, sizes = sub[by_size], sizes[by_size]
    # One row per item: the baskets holding it, in order. It gives the bitsets and, times the
    # baskets, the pairs.
    baskets_of = sub.T.tocsr()
    baskets_of.sort_indices()
    bits = _pack_rows(baskets_of)
    min_support = min_count / matrix.shape[0]
    # Pairs come from one sparse product, which counts every pair that occurs at once.
    together = sparse.triu(baskets_of @ sub, k=1).tocoo()
    ok = together.data >= min_count
    first, second = together.row[ok].astype(np.int64), together.col[ok].astype(np.int64)
    pair_codes = np.sort(first * m + second)
    if len(pair_codes) == 0:
        return _to_items(levels, frequent), level_counts
    sets = np.column_stack([pair_codes // m, pair_codes % m]).astype(np.int32)
    bits = bits[sets[:, 0]] & bits[sets[:, 1]]
    levels.append(sets)
    level_counts.append(np.bitwise_count(bits).sum(axis=1, dtype=np.int64))
    if len(pair_codes) > max_itemsets:
        raise _explosion(len(pair_codes), 2, min_support, f"{len(pair_codes):,} pairs")
    size = 2
    while max_len is None or size < max_len:
        found = sum(map(len, levels))
        grown = _next_level(
            sets, bits, pair_codes, m, sizes, min_count, max_itemsets, found, min_support
        )
        if grown is None:
            break
        sets, set_counts, bits = grown
        size += 1
        levels.append(sets)
        level_counts.append(set_counts)
        if bits.nbytes > MAX_LEVEL_BYTES:
            found = sum(map(len, levels))
            raise _explosion(found, size, min_support, f"{bits.nbytes / 1e9:.1f} GB of itemsets")
    return _to_items(levels, frequent), level_counts


def _next_level(
    sets: np.ndarray,
    bits: np.ndarray,
    pair_codes: np.ndarray,
    m: int,
    sizes: np.ndarray,
    min_count: int,
    max_itemsets: int,
    found: int,
    min_support: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The frequent itemsets one item longer than ``sets`` (whose baskets ``bits`` holds), their
    counts and bits; None when there are none. Stops with an error past ``max_itemsets``."""
    size = sets.shape[1]
    left, right = _join_candidates(sets)
    # Apriori's check, for the one pair the join has not seen: the last items of both sides.
    codes = sets[left, -1].astype(np.int64) * m + sets[right, -1]
    at = np.searchsorted(pair_codes, codes).clip(0, len(pair_codes) - 1)
    possible = pair_codes[at] == codes
    left, right = left[possible], right[possible]
    if len(left) == 0:
        return None
    words = max(1, -(-int((sizes >= size + 1).sum()) // 64))
    if words < bits.shape[1]:
        bits = bits[:, :words]
    width = bits.shape[1] * 8
    if len(left) * width > MAX_LEVEL_BYTES * 8 or len(left) > 50 * max_itemsets:
        raise _explosion(found, size + 1, min_support, f"{len(left):,} candidates")
    step = max(1, CHUNK_BYTES // max(width, 1))
    kept_rows, kept_counts, kept_bits = [], [], []
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
        return None
    grown = np.hstack([sets[left[keep]], sets[right[keep], -1:]])
    joined_bits = np.concatenate(kept_bits) if len(kept_bits) > 1 else kept_bits[0]
    return grown, np.concatenate(kept_counts), joined_bits


def _to_items(levels: list[np.ndarray], frequent: np.ndarray) -> list[np.ndarray]:
    """Ranks among frequent items -> item indices (rows stay in ascending frequency order)."""
    return [frequent[level].astype(np.int32) for level in levels]


def _frequent_columns(matrix: sparse.csr_matrix, frequent: np.ndarray) -> sparse.csr_matrix:
    """The basket matrix on the ``frequent`` columns only, renumbered 0.. in that order, with
    0/1 counts as int32 for sparse products (indices need not be sorted)."""
    renumber = np.full(matrix.shape[1], -1, dtype=np.int32)
    renumber[frequent] = np.arange(len(frequent), dtype=np.int32)
    columns = renumber[matrix.indices]
    kept = columns >= 0
    # Kept entries before each row's start: the new row pointers.
    indptr = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])[matrix.indptr]
    columns = columns[kept]
    return sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.int32), columns, indptr),
        shape=(matrix.shape[0], len(frequent)),
    )


def _pack_rows(matrix: sparse.csr_matrix) -> np.ndarray:
    """Row i of a 0/1 item × basket matrix (sorted indices) -> row i of 64-bit words, bit b of
    word w set when basket 64w + b holds item i."""
    words = max(1, -(-matrix.shape[1] // 64))
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = rows * words + (matrix.indices >> 6)  # ascending: rows in order, indices sorted
    masks = np.left_shift(np.uint64(1), (matrix.indices & 63).astype(np.uint64))
    bits = np.zeros(matrix.shape[0] * words, dtype=np.uint64)
    if len(keys):
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        bits[keys[starts]] = np.bitwise_or.reduceat(masks, starts)
    return bits.reshape(matrix.shape[0], words)


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
