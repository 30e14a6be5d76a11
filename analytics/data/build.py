"""Building the mapped ``Dataset`` from a table and its roles: typed columns, order-level
exports, paid and refunded orders, currency, and the checks that refuse a wrong mapping
(``build_dataset``, ``validate_mapping``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, replace

import numpy as np
import pandas as pd

from analytics.data.cleaning import _RETURN_WORDS, PARTIAL_WORDS, _status_matches
from analytics.data.dates import parse_dates, parse_times
from analytics.data.names import (
    _is_numeric_like,
    _name_score,
    _norm,
    as_identifier,
    as_number,
    paid_flags,
    tidy_text,
)
from analytics.data.schema import (
    ID_ROLES,
    KIND_ROLES,
    KINDS,
    NUMERIC_ROLES,
    ORDER_ROLES,
    ROLE_LABELS,
    ColumnMapping,
    Dataset,
    DateParse,
    Kind,
    fingerprint,
)
from analytics.errors import AnalyticsError
from analytics.i18n import _


def validate_mapping(frame: pd.DataFrame, kind: Kind, mapping: ColumnMapping) -> None:
    """Raise :class:`AnalyticsError` when the mapping cannot make a dataset of this kind."""
    if kind not in KINDS:
        raise AnalyticsError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    columns = set(map(str, frame.columns))
    for role, column in mapping.roles().items():
        if column not in columns:
            raise AnalyticsError(
                _("Column {column!r} (chosen as {role}) is not in the table.").format(
                    column=column, role=_(ROLE_LABELS.get(role, role))
                )
            )
    used = list(mapping.roles().values())
    duplicates = {c for c in used if used.count(c) > 1}
    if duplicates and kind != "baskets":
        raise AnalyticsError(
            _("Column {column!r} is chosen for two roles.").format(column=sorted(duplicates)[0]),
            hint=_("Give each role its own column."),
        )
    missing = [c for c in (*mapping.items, *mapping.dimensions) if c not in columns]
    if missing:
        raise AnalyticsError(_("Column {column!r} is not in the table.").format(column=missing[0]))
    required: dict[str, list[tuple[str, ...]]] = {
        "transactions": [("timestamp",), ("unit_price", "revenue")],
        "series": [("timestamp",), ("value",)],
        "customers": [],
        "baskets": [],
    }
    need = required[kind]
    roles = mapping.roles()
    for options in need:
        if not any(role in roles for role in options):
            labels = _(" or ").join(_(ROLE_LABELS[r]).lower() for r in options)
            raise AnalyticsError(
                _("A {kind} dataset needs a {labels} column.").format(kind=_(kind), labels=labels),
                hint=_("Choose it under 'Column roles' on the Data page."),
            )
    if kind == "baskets" and not mapping.items and not (mapping.basket_id and mapping.item):
        raise AnalyticsError(
            _(
                "A baskets dataset needs either a basket id and an item column, or the columns "
                "that hold the items."
            ),
            hint=_("Choose them under 'Column roles' on the Data page."),
        )


def _numbers(values: pd.Series, column: str, notes: list[str]) -> pd.Series:
    """A column read as numbers; values that are not numbers are left empty, and counted."""
    numbers = as_number(values)
    lost = int(numbers.isna().sum() - values.isna().sum())
    if lost:
        notes.append(
            _("{column}: {n} value(s) are not numbers and were left empty.").format(
                column=column, n=f"{lost:,}"
            )
        )
    return numbers


def _dates(values: pd.Series, column: str, dayfirst: bool | None, notes: list[str]) -> DateParse:
    """A column read as dates; refused when no value is one, the others left empty."""
    dates = parse_dates(values, dayfirst=dayfirst)
    if dates.n_unparsed and dates.n_unparsed == values.notna().sum():
        raise AnalyticsError(
            _("Column {column!r} holds no dates MarketLens can read.").format(column=column),
            hint=_("Choose another date column, or export dates as YYYY-MM-DD."),
        )
    if dates.n_unparsed:
        notes.append(
            _("{column}: {n} value(s) are not dates and were left empty.").format(
                column=column, n=f"{dates.n_unparsed:,}"
            )
        )
    notes.append(dates.describe())
    return dates


def _typed_roles(
    frame: pd.DataFrame, kind: Kind, mapping: ColumnMapping, notes: list[str]
) -> tuple[pd.DataFrame, DateParse | None]:
    """One column per mapped role of the kind, each read as its role needs; the dates read."""
    roles = mapping.roles()
    keep = [r for r in KIND_ROLES[kind] if r in roles]
    out = pd.DataFrame({role: frame[roles[role]] for role in keep}, index=frame.index)
    dates: DateParse | None = None
    for role in keep:
        if role in ID_ROLES:
            out[role] = as_identifier(out[role])
        elif role in NUMERIC_ROLES:
            out[role] = _numbers(out[role], roles[role], notes)
        elif role == "timestamp":
            dates = _dates(out[role], roles[role], mapping.dayfirst, notes)
            out[role] = dates.values
        elif role == "time":
            out = _add_times(out, roles, notes)
        elif role == "paid":
            out[role] = paid_flags(out[role])
        else:
            out[role] = tidy_text(out[role])
    return out, dates


def _table(
    frame: pd.DataFrame, kind: Kind, mapping: ColumnMapping, notes: list[str]
) -> tuple[pd.DataFrame, DateParse | None]:
    """A transactions, series or customers table: typed roles, transactions completed and
    checked, the dimensions (and a row number) kept alongside."""
    out, dates = _typed_roles(frame, kind, mapping, notes)
    roles = mapping.roles()
    extra = [c for c in frame.columns if str(c) not in roles.values()]
    if kind == "transactions":
        extra = [c for c in extra if str(c) in mapping.dimensions]
        out = _complete_transactions(out, notes)
        out = _without_total_row(out, notes)
        out = _order_level(out, roles, notes)
        notes.extend(_revenue_notes(frame, roles))
    for column in extra:
        name = str(column) if str(column) not in out.columns else f"{column} (column)"
        out[name] = frame[column]
    row_ids = row_id_column(frame) if kind == "transactions" else None
    if row_ids is not None and "row_id" not in out:
        # Lines equal in every mapped column are still different lines of the file.
        out["row_id"] = frame[row_ids].to_numpy()
    if kind == "series":
        out = out.dropna(subset=["timestamp"]).sort_values("timestamp", kind="stable")
    return out.reset_index(drop=True), dates


def build_dataset(
    frame: pd.DataFrame,
    kind: Kind,
    mapping: ColumnMapping,
    *,
    source: str = "data",
) -> Dataset:
    """Turn a table into a typed, fingerprinted :class:`Dataset` of the given kind.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as read.
    kind : str
        One of ``KINDS``.
    mapping : ColumnMapping
        Which column plays which role (see :func:`detect_mapping`).
    source : str
        A name for where the data came from.

    Returns
    -------
    Dataset

    Raises
    ------
    AnalyticsError
        A required role is missing, or a column cannot be read as its role needs.

    Example
    -------
    >>> table = pd.DataFrame({"Invoice": [1, 1], "Date": ["2024-01-02", "2024-01-02"], "Price": [2.0, 3.0]})
    >>> ds = build_dataset(table, "transactions", detect_mapping(table, "transactions"))
    >>> ds.frame["revenue"].sum()
    np.float64(5.0)
    """
    validate_mapping(frame, kind, mapping)
    notes: list[str] = []
    if kind == "baskets":
        out, dates = _baskets_long(frame, mapping, notes)
    else:
        out, dates = _table(frame, kind, mapping, notes)
    if out.empty:
        raise AnalyticsError(
            "No rows are left after reading the chosen columns.", hint="Check the column roles."
        )
    return Dataset(
        frame=out,
        kind=kind,
        mapping=mapping,
        source=source,
        fingerprint=fingerprint(out, kind),
        notes=tuple(notes),
        dates=dates,
        currency=detect_currency(frame, mapping) if kind == "transactions" else None,
    )


_ROW_ID_HEADERS = frozenset(
    {
        "rowid",
        "row",
        "rownumber",
        "rowno",
        "index",
        "unnamed0",
        "序号",
        "行号",
        "行",
        # Tableau's localized Superstore: "Id. de la fila", "ID da linha", "Zeilen-ID".
        "idfila",
        "idlinha",
        "idligne",
        "zeilenid",
        "zeilennummer",
    }
)


def row_id_column(frame: pd.DataFrame) -> str | None:
    """A column numbering the file's rows (Superstore's ``Row ID``), if there is one."""
    for column in frame.columns:
        col = frame[column]
        if _norm(column) in _ROW_ID_HEADERS and col.notna().all() and col.is_unique:
            return str(column)
    return None


def _without_total_row(out: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Drop a totals line at the end of an export: no date, and an amount equal to the sum of
    the lines above it (a supermarket till report ends with one)."""
    if len(out) < 3 or pd.notna(out["timestamp"].iloc[-1]):
        return out
    last, body = out.iloc[-1], out.iloc[:-1]
    for column in ("revenue", "quantity"):
        value, total = last.get(column), body[column].sum() if column in body else np.nan
        if (
            pd.notna(value)
            and pd.notna(total)
            and abs(value - total) <= max(0.01, 1e-6 * abs(total))
        ):
            notes.append(
                _(
                    "The last row is a total ({value} = the sum of the {n} lines above) and was "
                    "left out."
                ).format(value=f"{value:,.2f}", n=f"{len(body):,}")
            )
            return body
    return out


def _order_level(out: pd.DataFrame, roles: Mapping[str, str], notes: list[str]) -> pd.DataFrame:
    """Spread order-level roles over every line of their order, and take refunds off revenue.

    Shopify writes Financial Status, Paid at and Refunded Amount on an order's first line only;
    the other lines of the order take the status and the paid flag over. Refunds are not
    spread (that would count them once per line): a refund on any line marks the order.
    """
    present = [r for r in ORDER_ROLES if r in out]
    if not present:
        return out
    by_order = out.groupby("order_id", sort=False, dropna=False) if "order_id" in out else None
    if "status" in out and by_order is not None:
        out["status"] = out["status"].fillna(by_order["status"].transform("first"))
    if "paid" in out and by_order is not None:
        out["paid"] = by_order["paid"].transform("max").astype(bool)
    if "status" in out and "refund" not in out and "revenue" in out:
        # A cancelled or returned order whose file records no refunded amount (Sample Sales
        # Data's STATUS = Cancelled) brought no money: its lines count no revenue. Partial
        # refunds without an amount cannot be netted and stay as they are.
        voided = _status_matches(out, _RETURN_WORDS) & ~_status_matches(out, PARTIAL_WORDS)
        voided &= out["revenue"].gt(0).fillna(False).astype(bool)
        if voided.any():
            out.loc[voided, "revenue"] = 0.0
            notes.append(
                _(
                    "{n} line(s) of orders that {status} marks cancelled or returned count no "
                    "revenue (the file records no refund amount for them)."
                ).format(n=f"{int(voided.sum()):,}", status=roles["status"])
            )
    if "refund" in out:
        refund = out["refund"].fillna(0.0)
        out["refund"] = refund
        if refund.ne(0).any():
            out["revenue"] = out["revenue"] - refund.abs()
            notes.append(
                _("Revenue is net of refunds: {refund} is taken off {revenue}.").format(
                    refund=roles["refund"], revenue=roles.get("revenue") or _("revenue")
                )
            )
    return out


def _revenue_notes(frame: pd.DataFrame, roles: Mapping[str, str]) -> list[str]:
    """Say which amount column revenue comes from when the file has several (gross and net)."""
    if "revenue" not in roles:
        return (
            [
                _("Revenue is {quantity} × {price}.").format(
                    quantity=roles.get("quantity", _("quantity")), price=roles["unit_price"]
                )
            ]
            if ("unit_price" in roles)
            else []
        )
    others = [
        str(c)
        for c in frame.columns
        if str(c) not in roles.values()
        and _name_score(str(c), "revenue")
        and _is_numeric_like(frame[c])
    ]
    if not others:
        return []
    return [
        _(
            "Revenue is read from {revenue}; the file also has {others} (other amounts, not used "
            "for revenue). Change it under Column roles if that is wrong."
        ).format(revenue=roles["revenue"], others=", ".join(others[:4]))
    ]


def _add_times(out: pd.DataFrame, roles: Mapping[str, str], notes: list[str]) -> pd.DataFrame:
    """Add the times of day of the ``time`` column to the dates, then drop it."""
    times = parse_times(out.pop("time"))
    if "timestamp" not in out:
        return out
    stamps = out["timestamp"]
    if (stamps.dropna() != stamps.dropna().dt.normalize()).any():
        notes.append(
            _(
                "{column}: the dates already have times of day, so this column was not added."
            ).format(column=roles["time"])
        )
        return out
    out["timestamp"] = stamps + times.fillna(pd.Timedelta(0))
    missing = int((times.isna() & stamps.notna()).sum())
    notes.append(
        (
            _(
                "Date and time combined: {date} + {time} ({n} line(s) without a time count as "
                "midnight)."
            )
            if missing
            else _("Date and time combined: {date} + {time}.")
        ).format(date=roles["timestamp"], time=roles["time"], n=f"{missing:,}")
    )
    return out


#: Currency codes by the symbols and words exports write them with.
_CURRENCY_SIGNS = {
    "£": "GBP", "€": "EUR", "¥": "CNY", "元": "CNY", "人民币": "CNY", "rmb": "CNY", "r$": "BRL",
    "us$": "USD", "$": "USD", "₹": "INR", "₩": "KRW",
}  # fmt: skip
_CURRENCY_CODES = frozenset(
    [
        "USD",
        "EUR",
        "GBP",
        "CNY",
        "JPY",
        "CAD",
        "AUD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "BRL",
        "MXN",
        "INR",
        "KRW",
        "HKD",
        "SGD",
        "NZD",
        "ZAR",
        "TRY",
    ]
)
_CURRENCY_HEADERS = frozenset(
    {"currency", "currencycode", "wahrung", "devise", "moneda", "moeda", "币种", "货币"}
)


def detect_currency(frame: pd.DataFrame, mapping: ColumnMapping) -> str | None:
    """The currency of a file's amounts, where the file says it (see :attr:`Dataset.currency`).

    Example
    -------
    >>> detect_currency(pd.DataFrame({"Total (€)": [1.0]}), ColumnMapping(revenue="Total (€)"))
    'EUR'
    """
    for column in frame.columns:
        if _norm(column) in _CURRENCY_HEADERS:
            values = frame[column].dropna().astype("str").str.strip().str.upper().unique()
            if len(values) == 1 and values[0] in _CURRENCY_CODES:
                return str(values[0])
            return None  # several currencies, or none named: say nothing
    for header in (mapping.revenue, mapping.unit_price):
        if header is None:
            continue
        words = re.findall(r"(?<![A-Za-z])[A-Za-z]{3}(?![A-Za-z])", header)
        codes = {w.upper() for w in words} & _CURRENCY_CODES
        if len(codes) == 1:
            return codes.pop()
        lowered = header.lower()
        for sign in sorted(_CURRENCY_SIGNS, key=len, reverse=True):
            if sign in lowered:
                return _CURRENCY_SIGNS[sign]
    return None


def _complete_transactions(out: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    if "quantity" not in out:
        out["quantity"] = 1.0
        notes.append(_("No quantity column: each line counts as one unit."))
    if "revenue" not in out:
        out["revenue"] = out["quantity"] * out["unit_price"]
    elif "unit_price" not in out:
        out["unit_price"] = out["revenue"] / out["quantity"].where(out["quantity"] != 0)
    if "order_id" not in out:
        key = out["timestamp"].astype("str")
        if "customer_id" in out:
            key = out["customer_id"].fillna("guest").astype("str") + " " + key
        out["order_id"] = key
        notes.append(
            _("No order column: lines with the same customer and time are counted as one order.")
        )
    return out


def _baskets_long(
    frame: pd.DataFrame, mapping: ColumnMapping, notes: list[str]
) -> tuple[pd.DataFrame, DateParse | None]:
    """Baskets as (basket_id, item) pairs, and how the dates were read when a basket is one
    id's items on one day (``Member_number, Date, itemDescription``)."""
    dates = None
    if mapping.basket_id and mapping.item:
        basket = as_identifier(frame[mapping.basket_id])
        if mapping.timestamp:
            dates = parse_dates(frame[mapping.timestamp], dayfirst=mapping.dayfirst)
            day = dates.values.dt.strftime("%Y-%m-%d")
            basket = (basket.astype("str") + " " + day).where(dates.values.notna())
            unread = int(dates.values.isna().sum())
            notes.append(
                (
                    _(
                        "A basket is what one {basket} bought on one day ({date}); {n} line(s) "
                        "without a readable date are left out."
                    )
                    if unread
                    else _("A basket is what one {basket} bought on one day ({date}).")
                ).format(basket=mapping.basket_id, date=mapping.timestamp, n=f"{unread:,}")
            )
        out = pd.DataFrame({"basket_id": basket, "item": frame[mapping.item]}).dropna(
            subset=["basket_id"]
        )
    elif mapping.one_hot:
        matrix = frame[list(mapping.items)].fillna(0).astype(bool).to_numpy()
        rows, cols = np.nonzero(matrix)
        out = pd.DataFrame(
            {"basket_id": rows, "item": np.asarray(mapping.items, dtype=object)[cols]}
        )
    elif mapping.item_separator:
        column = frame[mapping.items[0]].dropna().astype("str")
        split = column.str.split(re.escape(mapping.item_separator), regex=True).explode()
        out = pd.DataFrame({"basket_id": split.index, "item": split.to_numpy()})
    else:
        wide = frame[list(mapping.items)]
        stacked = wide.stack(future_stack=True) if hasattr(wide, "stack") else wide.stack()
        out = stacked.reset_index(level=0).set_axis(["basket_id", "item"], axis=1)
    out["basket_id"] = out["basket_id"].astype("str")
    out["item"] = out["item"].astype("str").str.strip().where(out["item"].notna())
    out = out.dropna(subset=["item"])
    out = out[out["item"] != ""]
    return out.drop_duplicates().reset_index(drop=True), dates


def mapping_from_options(base: ColumnMapping, options: Mapping[str, str | None]) -> ColumnMapping:
    """Apply ``role=column`` overrides (the CLI's ``--role``) to a proposed mapping."""
    known = {f.name for f in fields(ColumnMapping)}
    changes: dict[str, object] = {}
    for role, column in options.items():
        if role == "dimensions":
            changes[role] = tuple(c for c in (column or "").split(",") if c)
        elif role not in known or role in ("items", "item_separator", "one_hot", "dayfirst"):
            raise AnalyticsError(
                f"Unknown role {role!r}.",
                hint="Roles are: " + ", ".join(sorted(ROLE_LABELS)) + ", dimensions.",
            )
        else:
            changes[role] = column or None
    return replace(base, **changes)  # type: ignore[arg-type]
