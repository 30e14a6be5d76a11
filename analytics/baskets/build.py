"""Baskets: the sparse basket × item matrix, from transactions, a baskets dataset or lists
(``build_baskets``, ``baskets_from_lists``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from analytics.data import Dataset, cancellation_mask, product_names, sales_mask
from analytics.errors import AnalyticsError
from analytics.i18n import _


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
        The id of each basket: its text from the data, or its position in the list for baskets
        made by :func:`baskets_from_lists`.
    dates : numpy.ndarray or None
        When each basket was bought (its first line), if the data has dates.
    descriptions : dict
        Item → text describing it (its name, or the item itself), for similar-item search.
    key : str
        A content key: the dataset fingerprint plus the options that built the baskets.
    notes : tuple of str
        What was left out and why.
    options : dict
        The options that built the baskets, as :class:`RulesParams` names them (``item``,
        ``start``, ``end``, ``filters``, ``exclude``), for the rules to repeat.
    """

    matrix: sparse.csr_matrix
    items: tuple[str, ...]
    basket_ids: np.ndarray
    dates: np.ndarray | None
    descriptions: dict[str, str]
    key: str
    notes: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_baskets(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def item_counts(self) -> np.ndarray:
        """How many baskets hold each item."""
        # The matrix holds each (basket, item) once, so its column indices count the baskets.
        return np.bincount(self.matrix.indices, minlength=self.n_items).astype(np.int64)

    @property
    def sizes(self) -> np.ndarray:
        """How many distinct items each basket holds."""
        return np.diff(self.matrix.indptr)

    @property
    def problem(self) -> str | None:
        """Why these baskets cannot show what sells together, in plain words; None if they can."""
        if self.n_baskets < 2:
            return _(
                "There is only one basket, so nothing can be compared: load more orders, or "
                "check that the order column tells purchases apart."
            )
        if self.sizes.max() < 2:
            return _(
                "Every basket holds a single item, so nothing is bought together here. Check "
                "that the order column groups the lines of one purchase."
            )
        counts = self.item_counts
        if np.all((counts == 0) | (counts == self.n_baskets)):
            return _(
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
            self.options,
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


#: Lines that are services or bookkeeping rather than products: postage, fees, carrier bags,
#: discounts, manual adjustments. They sit in many baskets and crowd out the rules worth reading
#: (Online Retail: POSTAGE, DOTCOM POSTAGE, CARRIAGE, Manual, Discount, AMAZON FEE; Groceries:
#: shopping bags). A whole name must match, so "JUMBO BAG RED" or "Rose Gift Wrap" stay products.
NOT_PRODUCTS = re.compile(
    r"(?:\w+ )?(?:postage|shipping|delivery|carriage|surcharge|fees?|charges?|commission|manual|"
    r"discounts?|coupons?|vouchers?|samples?|(?:carrier|shopping|plastic|paper) bags?|"
    r"bag (?:charge|fee)|service charge|gift ?cards?)|adjust\w*(?: \w+){0,3}",
    re.IGNORECASE,
)


def suggest_excludes(
    dataset: Dataset, item: str | None = None, values: Sequence[str] | None = None
) -> list[str]:
    """The items (as :func:`item_values` names them; ``values`` when the caller has them) that
    read as fees, postage or bags rather than products, to leave out of the rules. Product codes
    are judged by their names.

    >>> NOT_PRODUCTS.fullmatch("DOTCOM POSTAGE") is not None, NOT_PRODUCTS.fullmatch("JUMBO BAG RED")
    (True, None)
    """
    values = item_values(dataset, item) if values is None else values
    column = "item" if dataset.kind == "baskets" else item or next(iter(item_options(dataset)), "")
    names = dict.fromkeys(values, "")
    if column == "product" and dataset.has("product_name"):
        pairs = dataset.frame[["product", "product_name"]].dropna().astype("str")
        first = pairs.assign(product=pairs["product"].str.strip()).drop_duplicates("product")
        names.update(zip(first["product"], first["product_name"], strict=True))
    return [
        value
        for value in values
        if NOT_PRODUCTS.fullmatch(" ".join(value.split()))
        or NOT_PRODUCTS.fullmatch(" ".join(str(names.get(value, "")).split()))
    ]


@dataclass(frozen=True)
class _Lines:
    """The transaction lines kept for baskets, the item column, and what was left out."""

    frame: pd.DataFrame
    item: str
    names: pd.Series | None
    notes: list[str]
    key: list[object]
    #: The options as :class:`RulesParams` names them.
    options: dict[str, Any] = field(default_factory=dict)


def _transaction_lines(
    dataset: Dataset,
    item: str | None,
    start: pd.Timestamp | str | None,
    end: pd.Timestamp | str | None,
    filters: dict[str, Sequence[str]],
    customers: Sequence[str] | None,
    exclude_cancellations: bool,
) -> _Lines:
    """The lines of transactions that go into baskets: cancellations, dates, filters and
    customers applied; product names kept to describe product codes."""
    frame = dataset.frame
    choices = item_options(dataset)
    item_col = item or (choices[0] if choices else "product")
    if item_col not in choices:
        raise AnalyticsError(
            f"Baskets need a column that names the items; {item_col!r} is not one.",
            hint="Choose the product column under 'Column roles' on the Data page.",
        )
    if not dataset.has("order_id"):
        raise AnalyticsError(
            "Baskets need an order (invoice) column to know which lines were bought together.",
            hint="Choose the order column under 'Column roles' on the Data page.",
        )
    notes: list[str] = []
    keep = pd.Series(True, index=frame.index)
    if exclude_cancellations:
        cancelled = cancellation_mask(frame)
        if cancelled.any():
            notes.append(
                _("{n} cancelled or returned lines left out.").format(n=f"{int(cancelled.sum()):,}")
            )
        sold = sales_mask(frame, cancelled)
        empty = ~sold & ~cancelled
        if empty.any():
            notes.append(
                _("{n} lines of quantity 0 (nothing sold) left out.").format(
                    n=f"{int(empty.sum()):,}"
                )
            )
        keep &= sold
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
    names: pd.Series | None = None
    if item_col == "product" and dataset.has("product_name"):
        names = product_names(frame)
    key: list[object] = [item_col, start, end, sorted(filters.items()), exclude_cancellations]
    key.append(None if customers is None else sorted(map(str, customers)))
    given = {"item": item_col, "start": start, "end": end, "filters": filters}
    return _Lines(frame, item_col, names, notes, key, given)


def _descriptions(labels: tuple[str, ...], names: pd.Series | None) -> dict[str, str]:
    """Item → its text: the product name of a product code, or the item itself."""
    if names is None:
        return {label: label for label in labels}
    named = {
        str(code): str(name) if name is not None else str(code) for code, name in names.items()
    }
    return {label: named.get(label, label) for label in labels}


def _incidence(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """The boolean basket × item matrix with True at each (row, column); repeats count once."""
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, columns)), shape=shape)
    matrix.sum_duplicates()
    matrix.data[:] = True
    return matrix


def _basket_lines(
    frame: pd.DataFrame, basket_col: str, item_col: str, exclude: Sequence[str], notes: list[str]
) -> pd.DataFrame:
    """The basket and item of every line that has both, the excluded items left out."""
    lines = frame[[basket_col, item_col]].dropna()
    if len(lines) < len(frame):
        notes.append(
            _("{n} lines without an order or item left out.").format(
                n=f"{len(frame) - len(lines):,}"
            )
        )
    if exclude:
        excluded = lines[item_col].astype("str").str.strip().isin(set(exclude))
        notes.append(
            _("{n} lines of {items} excluded items left out.").format(
                n=f"{int(excluded.sum()):,}", items=f"{len(set(exclude)):,}"
            )
        )
        lines = lines.loc[~excluded]
    if lines.empty:
        raise AnalyticsError(
            "No baskets are left to analyse.",
            hint="Widen the date range or the filters, or check the item and order columns.",
        )
    return lines


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
    if dataset.kind == "baskets":
        selected = _Lines(dataset.frame, "item", None, [], [])
        basket_col = "basket_id"
    else:
        selected = _transaction_lines(
            dataset, item, start, end, dict(filters or {}), customers, exclude_cancellations
        )
        basket_col = "order_id"
    frame, item_col, notes = selected.frame, selected.item, selected.notes
    key_parts: list[object] = [dataset.fingerprint, *selected.key]
    lines = _basket_lines(frame, basket_col, item_col, exclude, notes)
    if exclude:
        key_parts.append(sorted(set(exclude)))
    basket_codes, basket_ids = pd.factorize(lines[basket_col].astype("str"), sort=False)
    item_codes, items = pd.factorize(lines[item_col].astype("str").str.strip(), sort=True)
    matrix = _incidence(basket_codes, item_codes, (len(basket_ids), len(items)))
    dates: np.ndarray | None = None
    if dataset.kind == "transactions" and "timestamp" in frame:
        first = pd.Series(frame.loc[lines.index, "timestamp"].to_numpy())
        dates = first.groupby(basket_codes, sort=True).min().to_numpy()
    labels = tuple(str(i) for i in items)
    return Baskets(
        matrix=matrix,
        items=labels,
        basket_ids=np.asarray(basket_ids, dtype=object),
        dates=dates,
        descriptions=_descriptions(labels, selected.names),
        key=repr(key_parts),
        notes=tuple(notes),
        options={**selected.options, "exclude": tuple(exclude)},
    )


def baskets_from_lists(baskets: Sequence[Sequence[str]], *, key: str = "lists") -> Baskets:
    """Baskets from plain lists of items (the input of pyfim and mlxtend's TransactionEncoder).

    Example
    -------
    >>> baskets_from_lists([["bread", "milk"], ["milk", "eggs"]]).items
    ('bread', 'eggs', 'milk')
    """
    # Every item in one flat array; pandas' hash table numbers them in alphabetical order. Items
    # are made text only when some are not (str() on each of a million items took 0.04 s).
    flat = np.fromiter(chain.from_iterable(baskets), dtype=object)
    if len(flat) == 0:
        raise AnalyticsError("No baskets are left to analyse.")
    try:
        codes, names = pd.factorize(flat, sort=True)
        text = all(type(name) is str for name in names)
    except TypeError:  # items that do not sort together (numbers and text)
        text = False
    if not text:
        codes, names = pd.factorize(np.fromiter(map(str, flat), dtype=object), sort=True)
    sizes = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
    rows = np.repeat(np.arange(len(baskets)), sizes)
    matrix = _incidence(rows, codes, (len(baskets), len(names)))
    labels = tuple(names)
    return Baskets(
        matrix,
        labels,
        np.arange(len(baskets)),  # positions (made text, a million ids took 0.06 s)
        None,
        {label: label for label in labels},
        key,
    )
