"""Dataset kinds, column roles and the mapped dataset every analysis takes.

A table read by :mod:`analytics.data.io` becomes a :class:`Dataset` in two steps:
``detect_kind`` / ``detect_mapping`` propose what the table is and which column plays which role
(from header names in English and Chinese, and from the values); the user confirms or overrides;
``build_dataset`` then renames the role columns to their role names, gives them one type each
(identifiers as text, amounts as numbers, dates as timestamps) and fingerprints the result.

This module holds the kinds, the roles and the types the steps produce (``ColumnMapping``,
``KindGuess``, ``DateParse``, ``Dataset``); the steps are in ``detect``, ``names`` (header
synonyms and cell values), ``dates`` and ``build``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Literal, get_args

import pandas as pd

from analytics.i18n import N_, _

Kind = Literal["transactions", "baskets", "customers", "series"]
KINDS: tuple[Kind, ...] = get_args(Kind)
KIND_LABELS: dict[str, str] = {
    "transactions": N_("Transactions (one row per order line)"),
    "baskets": N_("Baskets (one row per basket, or basket id + item)"),
    "customers": N_("Customers (one row per customer with attributes)"),
    "series": N_("Series (one row per period with a value)"),
}

#: The single-column roles of each kind, in the order the Data page shows them.
KIND_ROLES: dict[str, tuple[str, ...]] = {
    "transactions": (
        "order_id",
        "customer_id",
        "timestamp",
        "time",
        "product",
        "product_name",
        "category",
        "quantity",
        "unit_price",
        "revenue",
        "status",
        "paid",
        "refund",
    ),
    # With a date, a basket is one id's items on one day (a member's shopping trip).
    "baskets": ("basket_id", "item", "timestamp"),
    "customers": ("customer_id",),
    "series": ("timestamp", "value"),
}
ROLE_LABELS: dict[str, str] = {
    "order_id": N_("Order / invoice"),
    "customer_id": N_("Customer"),
    "timestamp": N_("Date"),
    "time": N_("Time of day (own column)"),
    "product": N_("Product id"),
    "product_name": N_("Product name"),
    "category": N_("Category"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price"),
    "revenue": N_("Revenue (line total)"),
    "basket_id": N_("Basket id"),
    "item": N_("Item"),
    "value": N_("Value"),
    "status": N_("Order / payment status"),
    "paid": N_("Paid at (payment time or flag)"),
    "refund": N_("Refunded amount"),
}
NUMERIC_ROLES = frozenset({"quantity", "unit_price", "revenue", "value", "refund"})
#: Roles that describe a whole order: in exports that write them on an order's first line only
#: (Shopify), the other lines of the order take them over.
ORDER_ROLES = ("status", "paid", "refund")
ID_ROLES = frozenset({"customer_id", "order_id", "product", "basket_id"})


@dataclass(frozen=True)
class ColumnMapping:
    """Which of the user's columns plays which role.

    Roles not in use are ``None``. Transactions use ``order_id`` … ``revenue`` and ``dimensions``;
    customers use ``customer_id`` (every other column is an attribute); series use ``timestamp``
    and ``value``; baskets use either ``basket_id`` + ``item`` (long format) or ``items`` (one basket
    per row, items spread over these columns, or in one column split by ``item_separator``, or
    one 0/1 column per item when ``one_hot``).

    ``dayfirst`` says how to read dates such as 1/3/2019: ``None`` decides from the data,
    ``False`` reads month first (January 3), ``True`` day first (1 March). ``time`` is a column of
    times of day (``09:58:11``) added to the dates of ``timestamp`` when a file keeps them apart.
    ``status`` (Shopify's Financial Status, 订单状态), ``paid`` (a payment time, or a paid flag)
    and ``refund`` (退款金额) describe whole orders: they mark returns and unpaid orders.
    """

    order_id: str | None = None
    customer_id: str | None = None
    timestamp: str | None = None
    product: str | None = None
    product_name: str | None = None
    category: str | None = None
    quantity: str | None = None
    unit_price: str | None = None
    revenue: str | None = None
    value: str | None = None
    basket_id: str | None = None
    item: str | None = None
    items: tuple[str, ...] = ()
    item_separator: str | None = None
    one_hot: bool = False
    dimensions: tuple[str, ...] = ()
    dayfirst: bool | None = None
    time: str | None = None
    status: str | None = None
    paid: str | None = None
    refund: str | None = None

    def roles(self) -> dict[str, str]:
        """The single-column roles in use, role → column."""
        return {
            f.name: value
            for f in fields(self)
            if f.name in ROLE_LABELS and (value := getattr(self, f.name)) is not None
        }

    def with_roles(self, **changes: object) -> ColumnMapping:
        """A copy with some roles changed, e.g. ``mapping.with_roles(customer_id="Client")``."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> list[str]:
        """Lines such as ``"Invoice → Order / invoice"`` for reports and the CLI."""
        lines = [
            f"{column} → {_(ROLE_LABELS.get(role, role))}" for role, column in self.roles().items()
        ]
        lines += [f"{column} → {_('dimension')}" for column in self.dimensions]
        if self.items:
            lines.append(_("{n} item column(s) → items").format(n=len(self.items)))
        return lines


@dataclass(frozen=True)
class KindGuess:
    """The proposed kind of a table and why."""

    kind: Kind
    reasons: tuple[str, ...]
    confident: bool = True


@dataclass(frozen=True)
class DateParse:
    """How a date column was read.

    Attributes
    ----------
    values : pandas.Series
        Timestamps (NaT where a cell could not be read).
    format : str
        The format that matched, e.g. ``"%m/%d/%Y %H:%M"``, or ``"ISO 8601"``.
    dayfirst : bool or None
        Day before month (True), month before day (False), or not applicable.
    ambiguous : bool
        Whether every value read equally well both ways, so the order was a choice.
    n_unparsed : int
        Filled cells that are not dates.
    """

    values: pd.Series
    format: str
    dayfirst: bool | None
    ambiguous: bool
    n_unparsed: int

    def describe(self) -> str:
        if self.format == "dates":
            return _("Dates are stored as dates in the file.")
        if self.dayfirst is None:
            return _("Dates read as {format}.").format(format=self.format)
        text = (
            _("Dates read day first (1/3/2019 = 1 March 2019).")
            if self.dayfirst
            else _("Dates read month first (1/3/2019 = January 3, 2019).")
        )
        if self.ambiguous:
            text += " " + _("The data fits both orders; flip it if that is wrong.")
        return text


@dataclass(frozen=True, eq=False)
class Dataset:
    """A mapped dataset: the one object every analysis takes.

    Attributes
    ----------
    frame : pandas.DataFrame
        Role columns renamed to their role names and typed (transactions always have ``revenue``;
        baskets are long: ``basket_id``, ``item``); other columns keep their names. Read-only.
    kind : str
        One of ``KINDS``.
    mapping : ColumnMapping
        The user's columns behind the roles.
    source : str
        Where the data came from (a file name).
    fingerprint : str
        A content hash of ``frame`` and ``kind``; it keys every cache.
    notes : tuple of str
        What a user should know about how the columns were read.
    dates : DateParse or None
        How the date column was read.
    currency : str or None
        The ISO code of the money columns' currency where the file says it (a currency column
        with one value, or a symbol or code in the amount's header), else None.
    """

    frame: pd.DataFrame
    kind: Kind
    mapping: ColumnMapping
    source: str
    fingerprint: str
    notes: tuple[str, ...] = ()
    dates: DateParse | None = field(default=None, repr=False)
    currency: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(d for d in self.mapping.dimensions if d in self.frame.columns)

    def has(self, *roles: str) -> bool:
        """Whether the frame has every one of these role columns with at least one value."""
        return all(role in self.frame.columns and self.frame[role].notna().any() for role in roles)

    @property
    def days(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day of the data (readable dates only); None without dates."""
        if "timestamp" not in self.frame.columns:
            return None
        stamps = self.frame["timestamp"].dropna()
        return None if stamps.empty else (stamps.min().date(), stamps.max().date())

    def distinct(self, column: str) -> list[str]:
        """A column's distinct values as text, sorted: the choices of a filter on it."""
        if column not in self.frame.columns:
            return []
        return sorted(self.frame[column].dropna().astype("str").unique())

    def replace_frame(self, frame: pd.DataFrame, *, notes: Iterable[str] = ()) -> Dataset:
        """The same dataset with other rows (after cleaning or filtering), fingerprinted anew."""
        return Dataset(
            frame=frame,
            kind=self.kind,
            mapping=self.mapping,
            source=self.source,
            fingerprint=fingerprint(frame, self.kind),
            notes=self.notes + tuple(notes),
            dates=self.dates,
            currency=self.currency,
        )


def fingerprint(frame: pd.DataFrame, kind: str = "") -> str:
    """A content hash of a frame: equal frames give equal fingerprints, in any session."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(kind.encode())
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def product_names(lines: pd.DataFrame, products: Iterable[object] | None = None) -> pd.Series:
    """Each product code's name: the ``product_name`` its lines give most often.

    Exports spell one code's name in several ways (a typo fixed halfway through the year); ties go
    to the first name in sort order, as ``Series.mode`` does. A code whose lines give no name is
    left out. ``products`` limits the answer to those codes. One count over (code, name) pairs,
    not a ``mode`` per code: 0.56 s of the Overview's 0.66 s on 47,000 lines of Online Retail went
    to that per-code loop.
    """
    pairs = lines[["product", "product_name"]].dropna(subset=["product_name"])
    if products is not None:
        pairs = pairs[pairs["product"].isin(list(products))]
    counts = (
        pairs.groupby(["product", "product_name"], sort=False, observed=True)
        .size()
        .reset_index(name="lines")
    )
    order = counts.sort_values(["lines", "product_name"], ascending=[False, True], kind="stable")
    first = order.drop_duplicates("product", keep="first")
    return pd.Series(
        first["product_name"].to_numpy(),
        index=pd.Index(first["product"], name="product"),
        name="product_name",
    )
