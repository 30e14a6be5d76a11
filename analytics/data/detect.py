"""Proposing what a table is and which column plays which role, from headers and content
(``detect_kind``, ``detect_mapping``), the evidence behind each role (``role_evidence``), and
whether a customers table holds order lines (``order_lines_problem``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.data.dates import _TIME_OF_DAY, _date_share, _is_date_like, _is_time_of_day
from analytics.data.names import (
    _DIMENSION_ALIASES,
    _is_flag,
    _is_numeric_like,
    _name_score,
    _norm,
    as_number,
    leading_zero_share,
    looks_like_identifier,
    paid_flags,
)
from analytics.data.schema import (
    ID_ROLES,
    KIND_ROLES,
    NUMERIC_ROLES,
    ROLE_LABELS,
    ColumnMapping,
    Dataset,
    Kind,
    KindGuess,
)
from analytics.errors import AnalyticsError
from analytics.i18n import _, ngettext


def _fits(col: pd.Series, role: str) -> bool:
    if col.isna().all():
        return False
    if role in NUMERIC_ROLES:
        return _is_numeric_like(col)
    if role == "timestamp":
        return not _is_time_of_day(col) and _is_date_like(col, named=True)
    if role == "time":
        return _is_time_of_day(col)
    if role == "status":
        return not pd.api.types.is_numeric_dtype(col) and col.dropna().nunique() <= 50
    if role == "paid":
        return _is_date_like(col) or _is_flag(col)
    if role in ("product_name", "category", "item"):
        return not pd.api.types.is_float_dtype(col)
    if role in ID_ROLES:
        # Amounts with cents are not ids ("email_spend" names e-mail, but holds money); ids
        # read as floats (12346.0) have none.
        if pd.api.types.is_float_dtype(col) and bool((np.mod(col.dropna(), 1) != 0).any()):
            return False
        # "Dt_Customer" ends in "customer" but holds the day the customer joined.
        return pd.api.types.is_numeric_dtype(col) or not _is_date_like(col)
    return True


def detect_mapping(
    frame: pd.DataFrame, kind: Kind | None = None, *, header: bool = True
) -> ColumnMapping:
    """Propose which column plays which role, from header names first and values second.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read by :func:`analytics.data.io.load_table`.
    kind : str, optional
        The kind to map for; detected when omitted.
    header : bool
        False for tables read without a header row (one basket per line).

    Returns
    -------
    ColumnMapping

    Example
    -------
    >>> frame = pd.DataFrame({"订单号": ["A1"], "客户ID": ["C1"], "日期": ["2019年1月3日"], "金额": [9.5]})
    >>> detect_mapping(frame, "transactions").roles()["customer_id"]
    '客户ID'
    """
    kind = kind or detect_kind(frame, header=header).kind
    if kind == "baskets":
        return _detect_basket_mapping(frame, header=header)
    roles = KIND_ROLES[kind]
    if kind == "customers":
        roles = ("customer_id",)
    candidates: list[tuple[float, int, str, str]] = []
    for position, column in enumerate(frame.columns):
        for role in roles:
            score = _name_score(column, role)
            if score:
                candidates.append((score, -position, str(column), role))
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for _score, _pos, column, role in sorted(candidates, reverse=True):
        if role in chosen or column in used or not _fits(frame[column], role):
            continue
        chosen[role] = column
        used.add(column)
    # Values, when names say nothing: order numbers written #1001 (Shopify's "Name"), the first
    # date column, the first numeric value.
    if "order_id" in roles and "order_id" not in chosen:
        for column in frame.columns:
            if str(column) not in used and _is_order_number(frame[column]):
                chosen["order_id"] = str(column)
                used.add(str(column))
                break
    if "timestamp" in roles and "timestamp" not in chosen:
        for column in frame.columns:
            if (
                column not in used
                and not looks_like_identifier(str(column))
                and _is_date_like(frame[column])
            ):
                chosen["timestamp"] = str(column)
                used.add(str(column))
                break
    if kind == "transactions" and _generic_names(frame):
        _roles_from_values(frame, chosen, used)
    if kind == "series" and "value" not in chosen:
        for column in frame.columns:
            if column not in used and _is_numeric_like(frame[column]):
                chosen["value"] = str(column)
                used.add(str(column))
                break
    if kind == "customers" and "customer_id" not in chosen:
        for column in frame.columns:
            col = frame[column]
            if looks_like_identifier(str(column)) and col.notna().all() and col.is_unique:
                chosen["customer_id"] = str(column)
                used.add(str(column))
                break
    dimensions: tuple[str, ...] = ()
    if kind == "transactions":
        dimensions = tuple(
            str(c) for c in frame.columns if str(c) not in used and _is_dimension(frame[c], str(c))
        )
    return ColumnMapping(**chosen, dimensions=dimensions)  # type: ignore[arg-type]


_GENERIC_NAME = re.compile(
    r"^(?:column_?\d+|col_?\d+|v\d+|x\d+|unnamed: ?\d+|field_?\d+|\d+)$", re.I
)


def _generic_names(frame: pd.DataFrame) -> bool:
    """Whether the column names say nothing (``column_1``, ``V1``, ``0``): a file without a header,
    whose roles can come from the values only."""
    return frame.shape[1] >= 2 and all(_GENERIC_NAME.match(str(c).strip()) for c in frame.columns)


def _roles_from_values(frame: pd.DataFrame, chosen: dict[str, str], used: set[str]) -> None:
    """Roles of a table without a header, from its values alone (CDNOW's ``00001 19970101 1
    11.77``): amounts with cents are revenue, small whole numbers a quantity, a column of codes
    that repeat (written with leading zeros, or whole numbers many times over) the customer.

    These roles are guesses: :func:`role_evidence` marks them for the user to confirm.
    """
    free = [str(c) for c in frame.columns if str(c) not in used]
    numbers = {c: as_number(frame[c]) for c in free if _is_numeric_like(frame[c])}
    for column, values in numbers.items():
        filled = values.dropna()
        if (
            "revenue" not in chosen
            and len(filled)
            and ((filled.abs() * 100) % 100).ne(0).mean() >= 0.3
        ):
            chosen["revenue"] = column
    for column, values in numbers.items():
        filled = values.dropna()
        if (
            "quantity" not in chosen
            and column not in chosen.values()
            and len(filled)
            and (filled % 1).eq(0).all()
            and filled.median() <= 20
            and not _written_with_leading_zeros(frame[column])
        ):
            chosen["quantity"] = column
    for column in free:
        col = frame[column].dropna()
        if "customer_id" in chosen or column in chosen.values() or col.empty:
            continue
        repeats = len(col) / col.nunique()
        codes = _written_with_leading_zeros(frame[column]) or (
            column in numbers and (numbers[column].dropna() % 1).eq(0).all()
        )
        if codes and repeats >= 1.2 and col.nunique() >= 20:
            chosen["customer_id"] = column
    used.update(chosen.values())


def _written_with_leading_zeros(col: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(col) and leading_zero_share(col.head(500)) >= 0.5


def _is_order_number(col: pd.Series) -> bool:
    """Whether a text column holds order numbers of the form ``#1001``."""
    if not (pd.api.types.is_string_dtype(col) or col.dtype == object):
        return False
    sample = col.dropna().astype("str").head(500)
    return len(sample) > 0 and sample.str.match(r"^#\d+$").mean() >= 0.95


def _is_dimension(col: pd.Series, name: str) -> bool:
    if _norm(name) in _DIMENSION_ALIASES or any(
        _norm(name).startswith(a) for a in _DIMENSION_ALIASES if len(a) > 4
    ):
        return True
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return False
    filled = col.dropna()
    n_unique = filled.nunique()
    return 1 < n_unique <= min(50, max(2, len(filled) // 20))


def _detect_basket_mapping(frame: pd.DataFrame, *, header: bool) -> ColumnMapping:
    if not header:
        return ColumnMapping(items=tuple(str(c) for c in frame.columns))
    if wide := _wide_basket_columns(frame):
        return ColumnMapping(items=tuple(wide))
    if _one_hot_columns(frame):
        return ColumnMapping(items=tuple(_one_hot_columns(frame)), one_hot=True)
    basket = _best_named(frame, "basket_id")
    item = _best_named(frame, "item", besides=basket)
    text_columns = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if item and (sep := _separator(frame[item])):
        # "tid, items" with the items of a basket in one cell: "burgers,meatballs,eggs".
        return ColumnMapping(items=(item,), item_separator=sep)
    if basket and item is None and _name_score(basket, "basket_id") >= 3:
        # Codes that repeat across baskets name the items when no header does (pizza_id),
        # next to a column the header clearly names as the basket (order_id, not
        # DaysSinceLastOrder).
        item = next(
            (
                c
                for c in text_columns
                if c != basket and frame[c].nunique() <= 0.5 * frame[c].notna().sum()
            ),
            None,
        )
    if basket and item:
        return ColumnMapping(basket_id=basket, item=item)
    if basket is None and item is not None:
        # A member's items per day, no basket id (Groceries: Member_number, Date,
        # itemDescription): a basket is one member's shopping on one day.
        member = _best_named(frame, "customer_id", besides=item)
        day = next(
            (
                str(c)
                for c in frame.columns
                if str(c) not in (member, item) and _is_date_like(frame[c], named=True)
            ),
            None,
        )
        if member and day and frame[member].duplicated().any():
            return ColumnMapping(basket_id=member, item=item, timestamp=day)
    if len(text_columns) == 1 or (len(text_columns) >= 1 and _separator(frame[text_columns[0]])):
        column = text_columns[0]
        return ColumnMapping(items=(column,), item_separator=_separator(frame[column]))
    return ColumnMapping(items=tuple(text_columns))


def _best_named(frame: pd.DataFrame, role: str, *, besides: str | None = None) -> str | None:
    """The column whose header names a role best (``order_id`` before ``order_details_id``)."""
    scored = [
        (_name_score(str(c), role), -i, str(c))
        for i, c in enumerate(frame.columns)
        if str(c) != besides
    ]
    best = max(scored, default=(0, 0, ""))
    return best[2] if best[0] else None


def _wide_basket_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of a one-basket-per-row table with a header (``0,1,…,6`` or ``Item 1,…``):
    text columns sharing one vocabulary of items, rows ending in blanks as baskets do."""
    if frame.shape[1] < 3 or any(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns):
        return []
    sample = frame.head(2000)
    filled = sample.notna().to_numpy()
    # Padded at the end: no value after the first blank of a row.
    ragged_end = (np.diff(filled.astype(np.int8), axis=1) <= 0).all(axis=1)
    if ragged_end.mean() < 0.95 or filled.all(axis=1).mean() > 0.7:
        return []
    vocab = [set(sample[c].dropna().astype("str")) for c in sample.columns]
    shared = [
        len(v & set().union(*(w for j, w in enumerate(vocab) if j != i))) / len(v)
        for i, v in enumerate(vocab)
        if v
    ]
    return [str(c) for c in frame.columns] if shared and np.mean(shared) >= 0.5 else []


def _separator(col: pd.Series) -> str | None:
    sample = col.dropna().astype(str).head(300)
    for sep in (",", ";", "|", "/"):
        if len(sample) and sample.str.contains(re.escape(sep)).mean() >= 0.3:
            return sep
    return None


def _one_hot_columns(frame: pd.DataFrame) -> list[str]:
    columns = []
    for column in frame.columns:
        col = frame[column]
        if pd.api.types.is_bool_dtype(col) or (
            pd.api.types.is_numeric_dtype(col)
            and col.dropna().isin([0, 1]).all()
            and col.notna().any()
        ):
            columns.append(str(column))
    return columns if len(columns) >= 3 and len(columns) >= frame.shape[1] - 1 else []


def _customers_guess(frame: pd.DataFrame, roles: dict[str, str], numeric: list) -> KindGuess:
    """The guess when a table is neither transactions, a series nor baskets: customers, sure only
    when a customer column is found and the rows are not order lines."""
    customers = detect_mapping(frame, "customers")
    problem = _order_lines_problem(frame, customers.customer_id, roles)
    if problem:
        return KindGuess("customers", (problem,), confident=False)
    if customers.customer_id:
        return KindGuess(
            "customers",
            (
                ngettext(
                    "One row per customer ({column}) with {n} attribute.",
                    "One row per customer ({column}) with {n} attributes.",
                    frame.shape[1] - 1,
                ).format(column=customers.customer_id, n=frame.shape[1] - 1),
            ),
        )
    if len(numeric) >= 2:
        return KindGuess(
            "customers",
            (_("No dates or orders; rows read as customers with numeric attributes."),),
            confident=False,
        )
    return KindGuess(
        "customers",
        (
            _(
                "No order, date or amount columns were recognised; pick the kind and the columns "
                "yourself."
            ),
        ),
        confident=False,
    )


def detect_kind(frame: pd.DataFrame, *, header: bool = True) -> KindGuess:
    """Say which of the four kinds a table most likely is, with the reasons.

    Example
    -------
    >>> detect_kind(pd.DataFrame({"Month": ["1949-01", "1949-02"], "Passengers": [112, 118]})).kind
    'series'
    """
    if not header:
        return KindGuess("baskets", (_("Each line is a list of items with no header row."),))
    if _one_hot_columns(frame):
        return KindGuess(
            "baskets", (_("Columns hold only 0/1 or yes/no values: one column per item."),)
        )
    if _wide_basket_columns(frame):
        return KindGuess(
            "baskets",
            (
                _(
                    "Each row lists items across the columns, which share one set of values and "
                    "end in blanks as baskets do."
                ),
            ),
        )
    tx = detect_mapping(frame, "transactions")
    roles = tx.roles()
    money = [r for r in ("unit_price", "revenue", "quantity") if r in roles]
    if (
        "timestamp" in roles
        and money
        and any(r in roles for r in ("order_id", "product", "product_name", "customer_id"))
    ):
        found = _(", ").join(
            f"{_(ROLE_LABELS[r]).lower()} ({roles[r]})"
            for r in ("order_id", "customer_id", "product", "timestamp")
            if r in roles
        )
        if _generic_names(frame):
            return KindGuess(
                "transactions",
                (
                    _(
                        "The file has no header; from the values alone: {found} and amounts "
                        "({amounts}). Check the roles before analysing."
                    ).format(found=found, amounts=", ".join(roles[r] for r in money)),
                ),
                confident=False,
            )
        return KindGuess(
            "transactions",
            (
                _("Found {found} and amounts ({amounts}).").format(
                    found=found, amounts=", ".join(roles[r] for r in money)
                ),
            ),
        )
    series = detect_mapping(frame, "series")
    if "timestamp" in series.roles() and "value" in series.roles() and frame.shape[1] <= 3:
        stamps = frame[series.timestamp]
        if stamps.nunique() >= 0.9 * stamps.notna().sum():
            return KindGuess(
                "series",
                (
                    _("One date per row ({date}) with a value ({value}).").format(
                        date=series.timestamp, value=series.value
                    ),
                ),
            )
    basket = _detect_basket_mapping(frame, header=True)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    # Transactions need a price or an amount; without one, item-per-row lines are baskets.
    priced = [r for r in ("unit_price", "revenue") if r in roles]
    if (
        basket.basket_id
        and basket.item
        and (not priced or "timestamp" not in roles)
        and frame[basket.basket_id].duplicated().any()
    ):
        if basket.timestamp:
            grouped = _("grouped by {basket} and day ({date})").format(
                basket=basket.basket_id, date=basket.timestamp
            )
        else:
            grouped = _("grouped by transaction ({basket})").format(basket=basket.basket_id)
        return KindGuess(
            "baskets",
            (
                (
                    _("One item per row ({item}), {grouped}, with no amounts.")
                    if not priced
                    else _(
                        "One item per row ({item}), {grouped}, with no dates for sales analyses."
                    )
                ).format(item=basket.item, grouped=grouped),
            ),
        )
    if basket.item_separator and frame.shape[1] <= 2:
        return KindGuess(
            "baskets",
            (
                _("Each row lists items separated by {separator!r}.").format(
                    separator=basket.item_separator
                ),
            ),
        )
    return _customers_guess(frame, roles, numeric)


def _order_lines_problem(
    frame: pd.DataFrame, customer_id: str | None, tx: Mapping[str, str] | None = None
) -> str | None:
    """Why rows of this table look like order lines rather than one row per customer, if so.

    ``tx`` is the table's transactions mapping (role → column) when the caller has it already.
    """
    if customer_id is not None and customer_id in frame:
        ids = frame[customer_id].dropna()
        repeats = int(ids.duplicated().sum())
        if repeats:
            return _(
                "{column} repeats ({repeats} of {n} rows share an id with an earlier row), so "
                "rows are not one per customer: if they are order lines, read the file as "
                "transactions and map the date and amount columns."
            ).format(column=customer_id, repeats=f"{repeats:,}", n=f"{len(ids):,}")
    if tx is None:
        tx = detect_mapping(frame, "transactions").roles()
    if "timestamp" in tx and any(r in tx for r in ("order_id", "product", "product_name")):
        found = ", ".join(
            tx[r] for r in ("order_id", "timestamp", "product", "product_name") if r in tx
        )
        return _(
            "The table has order-like columns ({found}): if each row is an order line, read it "
            "as transactions and map the amount column."
        ).format(found=found)
    return None


def order_lines_problem(dataset: Dataset) -> AnalyticsError | None:
    """An error to raise when a customers dataset holds order lines, not one row per customer.

    Segments and Propensity treat each row of a customers table as a customer; clustering 6,577
    pharmacy order lines as if they were 6,577 customers gives figures that mean nothing.
    """
    if dataset.kind != "customers":
        return None
    column = "customer_id" if "customer_id" in dataset.frame else None
    problem = _order_lines_problem(dataset.frame, column)
    if problem is None:
        return None
    return AnalyticsError(
        _("These rows look like order lines, not one row per customer.")
        + " "
        + problem.replace("customer_id", dataset.mapping.customer_id or "customer_id", 1),
        hint=_("On the Data page, choose 'Transactions' as the kind of data."),
    )


@dataclass(frozen=True)
class RoleEvidence:
    """Why a column was given a role, in words, and whether that is sure enough to analyse.

    ``confident`` is False when the header does not name the role (the values alone chose it),
    when another column fits the role as well, or when the values contradict the role; the Data
    page then asks the user to confirm before any analysis runs on a guess.
    """

    role: str
    column: str
    evidence: str
    confident: bool


def role_evidence(
    frame: pd.DataFrame, kind: Kind, mapping: ColumnMapping
) -> tuple[RoleEvidence, ...]:
    """The evidence behind each role of a mapping: header and values, e.g. ``"the header names
    it; values repeat 3.2 times on average"`` or ``"chosen from the values; 100% parse as dates"``.

    Example
    -------
    >>> frame = pd.DataFrame({"Invoice": ["1", "1", "2"], "Day": ["2024-01-02"] * 3, "x": [1.5, 2.0, 3.0]})
    >>> [e.confident for e in role_evidence(frame, "transactions", detect_mapping(frame, "transactions"))]
    [True, True, False]
    """
    if kind == "baskets" and mapping.items:
        return ()
    roles = mapping.roles()
    out: list[RoleEvidence] = []
    for role, column in roles.items():
        if column not in frame:
            continue
        col = frame[column]
        score = _name_score(column, role)
        header = (
            _("the header names it")
            if score >= 3
            else (_("the header contains a word for it") if score else _("chosen from the values"))
        )
        facts, fits = _content_facts(col, role)
        rivals = [
            str(other)
            for other in frame.columns
            if str(other) != column
            and str(other) not in roles.values()
            and _name_score(str(other), role) >= max(score, 2)
            and _fits(frame[other], role)
        ]
        parts = [header, *facts]
        if rivals:
            parts.append(_("{columns} would fit too").format(columns=", ".join(rivals[:2])))
        confident = fits and not rivals and (score >= 3 or (score == 2 and bool(facts)))
        out.append(RoleEvidence(role, column, _("; ").join(parts), confident))
    return tuple(out)


def _content_facts(col: pd.Series, role: str) -> tuple[list[str], bool]:
    """What the values of a column say about a role, and whether they fit it."""
    filled = col.dropna()
    if filled.empty:
        return [_("the column is empty")], False
    if role == "timestamp":
        share = _date_share(filled, named=True)
        return [_("{share} parse as dates").format(share=f"{share:.0%}")], share >= 0.9
    if role == "time":
        share = filled.astype("str").str.match(_TIME_OF_DAY).mean()
        return [_("{share} are times of day").format(share=f"{share:.0%}")], share >= 0.9
    if role in NUMERIC_ROLES:
        numbers = as_number(filled)
        share = float(numbers.notna().mean())
        facts = [_("{share} are numbers").format(share=f"{share:.0%}")]
        if role in ("unit_price", "revenue", "refund") and share:
            cents = float((np.mod(numbers.dropna().abs() * 100, 100) != 0).mean())
            if cents:
                facts.append(_("{share} have cents").format(share=f"{cents:.0%}"))
        return facts, share >= 0.9
    if role in ("order_id", "customer_id", "basket_id"):
        repeats = len(filled) / max(1, filled.nunique())
        facts = [_("values repeat {n} times on average").format(n=f"{repeats:.1f}")]
        text = filled.astype("str")
        if text.str.match(r"^0\d").any():
            facts.append(_("leading zeros kept"))
        return facts, True
    if role == "paid":
        return [
            _("{share} of rows are paid").format(share=f"{float(paid_flags(col).mean()):.0%}")
        ], True
    return [_("{n} distinct values").format(n=f"{filled.nunique():,}")], True
