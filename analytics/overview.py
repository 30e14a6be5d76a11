"""The KPIs a marketing dashboard opens with, for a period and the period before it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from analytics.data import Dataset, cancellation_mask, product_names, sales_mask
from analytics.display import Display
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, day
from analytics.params import Constraint, Params
from analytics.results import Result, json_number

Freq = Literal["D", "W", "M", "Q"]
FREQ_LABELS: dict[str, str] = {
    "D": N_("day"),
    "W": N_("week"),
    "M": N_("month"),
    "Q": N_("quarter"),
}


@dataclass(frozen=True)
class Kpi:
    """One headline figure with the same figure for the previous period of equal length."""

    name: str
    value: float
    previous: float | None
    unit: Literal["money", "count", "ratio"]
    help: str

    @property
    def change(self) -> float | None:
        """Relative change against the previous period (0.12 = +12%), or None without one."""
        if self.previous is None or self.previous == 0 or np.isnan(self.previous):
            return None
        return (self.value - self.previous) / abs(self.previous)


@dataclass(frozen=True)
class OverviewParams(Params):
    """What the overview takes, with the page's defaults (stage ``overview``: :func:`run_overview`).

    Example
    -------
    >>> run_overview(dataset, **OverviewParams(freq="M").options("overview"))  # doctest: +SKIP
    """

    start: dt.date | None = None
    end: dt.date | None = None
    freq: str = "W"
    dimension: str | None = None

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "start": Constraint("date", "first day (YYYY-MM-DD)", "overview", optional=True),
        "end": Constraint("date", "last day (YYYY-MM-DD)", "overview", optional=True),
        "freq": Constraint("choice", "trend by", "overview", choices=get_args(Freq)),
        "dimension": Constraint("column", "the column to rank", "overview", optional=True),
    }


@dataclass(frozen=True)
class OverviewResult(Result):
    """KPIs, trend and top lists for one period.

    Attributes
    ----------
    start, end : Timestamp
        The period shown (``end`` inclusive, whole days).
    previous_start, previous_end : Timestamp
        The period of equal length just before, which KPI changes compare with.
    freq : str
        Trend granularity: ``"D"``, ``"W"``, ``"M"`` or ``"Q"``.
    kpis : tuple of Kpi
        Revenue, orders, customers, average order value, items per order.
    trend : pandas.DataFrame
        Per period: ``period``, ``revenue``, ``orders``, ``customers``, ``complete`` (False for a
        period the data covers only in part).
    top_products : pandas.DataFrame
        ``product``, ``name``, ``revenue``, ``quantity``, ``orders``, ``revenue_share``.
    dimension : str or None
        The dimension ranked in ``top_values``.
    top_values : pandas.DataFrame or None
        ``value``, ``revenue``, ``orders``, ``customers``, ``revenue_share``.
    customers_by_period : pandas.DataFrame
        Per period: ``period``, ``new`` and ``returning`` customers (new = first order ever).
    notes : tuple of str
    params : OverviewParams
        The period and trend granularity as asked for, and the ranked dimension (the first
        when none was asked for).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    previous_start: pd.Timestamp
    previous_end: pd.Timestamp
    freq: str
    kpis: tuple[Kpi, ...]
    trend: pd.DataFrame
    top_products: pd.DataFrame
    dimension: str | None
    top_values: pd.DataFrame | None
    customers_by_period: pd.DataFrame
    notes: tuple[str, ...]
    params: OverviewParams = field(default_factory=OverviewParams)

    def kpi(self, name: str) -> Kpi:
        """The KPI with this name, e.g. ``result.kpi("Revenue").value``."""
        for kpi in self.kpis:
            if kpi.name == name:
                return kpi
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        """The period's KPIs (with the previous period's and the change), trend and top lists."""
        return {
            "start": f"{self.start:%Y-%m-%d}",
            "end": f"{self.end:%Y-%m-%d}",
            "previous_start": f"{self.previous_start:%Y-%m-%d}",
            "previous_end": f"{self.previous_end:%Y-%m-%d}",
            "freq": self.freq,
            "kpis": {
                kpi.name: {
                    "value": json_number(kpi.value),
                    "previous": json_number(kpi.previous),
                    "change": json_number(kpi.change),
                }
                for kpi in self.kpis
            },
            "trend": _records(self.trend),
            "top_products": _records(self.top_products),
            "dimension": self.dimension,
            "top_values": None if self.top_values is None else _records(self.top_values),
            "customers_by_period": _records(self.customers_by_period),
            "notes": list(self.notes),
            "params": self.params.to_dict(),
        }

    def summary(self, display: Display | None = None) -> pd.DataFrame:
        """The KPIs as a dashboard writes them: ``figure``, ``value``, ``previous`` (the period
        before) and ``change``, in ``display``'s locale and currency."""
        shown = display or Display()
        return pd.DataFrame(
            {
                "figure": [_(k.name) for k in self.kpis],
                "value": [shown.kpi(k.value, k.unit) for k in self.kpis],
                "previous": [
                    "—" if k.previous is None else shown.kpi(k.previous, k.unit) for k in self.kpis
                ],
                "change": [shown.change(k.change) or "—" for k in self.kpis],
            }
        )


def _records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: dates as YYYY-MM-DD, numbers rounded, NaN as None."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(4)
    out = out.astype(object).where(out.notna(), None)
    return [{str(k): v for k, v in row.items()} for row in out.to_dict(orient="records")]


PERIOD_PRESETS: dict[str, int | None] = {
    N_("Last 30 days"): 30,
    N_("Last 90 days"): 90,
    N_("Last 12 months"): 365,
    N_("All"): None,
}


def preset_period(first: dt.date, last: dt.date, preset: str) -> tuple[dt.date, dt.date]:
    """The period a preset names, ending on the last day of data and clipped to the first."""
    if preset not in PERIOD_PRESETS:
        raise AnalyticsError(f"preset must be one of {', '.join(PERIOD_PRESETS)}, got {preset!r}.")
    days = PERIOD_PRESETS[preset]
    if days is None:
        return first, last
    return max(first, last - dt.timedelta(days=days - 1)), last


def natural_freq(start: dt.date, end: dt.date) -> str:
    """The trend's natural step for a period: days up to two months, weeks up to a year, months
    up to three years, then quarters. (Thirty days by month is one bar.)"""
    days = (end - start).days + 1
    if days <= 62:
        return "D"
    if days <= 366:
        return "W"
    return "M" if days <= 3 * 366 else "Q"


def default_period(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The period a dashboard opens on: the longest preset that fits twice into the history.

    Twice, so that the previous period of equal length exists and every KPI shows a change.
    With less than 60 days of data, the whole history.
    """
    history = (last - first).days + 1
    for preset in ("Last 12 months", "Last 90 days", "Last 30 days"):
        days = PERIOD_PRESETS[preset]
        if days is not None and 2 * days <= history:
            return preset_period(first, last, preset)
    return first, last


def _figures(lines: pd.DataFrame) -> dict[str, float]:
    """Revenue net of returns; orders, AOV and items from sales lines (cancellations excluded)."""
    sales = lines[sales_mask(lines)]
    orders = sales["order_id"].nunique()
    customers = sales["customer_id"].nunique() if "customer_id" in sales else np.nan
    gross = float(sales["revenue"].sum())
    return {
        "Revenue": float(lines["revenue"].sum()),
        "Orders": float(orders),
        "Customers": float(customers),
        "Average order value": gross / orders if orders else np.nan,
        "Items per order": float(sales["quantity"].sum()) / orders if orders else np.nan,
    }


_KPI_HELP: dict[str, tuple[Literal["money", "count", "ratio"], str]] = {
    N_("Revenue"): ("money", N_("Sum of line revenue, net of cancellations and returns.")),
    N_("Orders"): ("count", N_("Distinct orders, cancellations not counted.")),
    N_("Customers"): ("count", N_("Distinct customers with an order in the period.")),
    N_("Average order value"): (
        "money",
        N_("Revenue of orders (before returns) divided by the number of orders."),
    ),
    N_("Items per order"): ("ratio", N_("Units sold divided by the number of orders.")),
}


def _period_start(stamps: pd.Series, freq: str) -> pd.Series:
    return stamps.dt.to_period(freq).dt.start_time


def _kpis(frame: pd.DataFrame, current: pd.DataFrame, previous: pd.DataFrame) -> tuple[Kpi, ...]:
    """The headline figures of the period, each with the previous period's (if it has data)."""
    before = _figures(previous) if len(previous) else None
    return kpis_from(_figures(current), before, has_customers="customer_id" in frame)


def kpis_from(
    now: Mapping[str, float], before: Mapping[str, float] | None, *, has_customers: bool
) -> tuple[Kpi, ...]:
    """The KPIs from the figures of the period and of the previous one (None without data):
    Revenue, Orders, Customers (when the data has customers), Average order value, Items per
    order."""
    return tuple(
        Kpi(
            name,
            value,
            None if before is None else before[name],
            _KPI_HELP[name][0],
            _KPI_HELP[name][1],
        )
        for name, value in now.items()
        if not (name == "Customers" and not has_customers)
    )


def _trend(
    current: pd.DataFrame,
    sales: pd.DataFrame,
    freq: str,
    covered_from: pd.Timestamp,
    covered_to: pd.Timestamp,
) -> pd.DataFrame:
    """Revenue, orders and customers per period; ``complete`` is False for a period that
    starts before ``covered_from`` or ends on or after ``covered_to`` (exclusive)."""
    period = _period_start(current["timestamp"], freq)
    trend = (
        pd.DataFrame({"period": period, "revenue": current["revenue"]})
        .groupby("period")["revenue"]
        .sum()
        .to_frame()
    )
    sales_period = _period_start(sales["timestamp"], freq)
    trend["orders"] = sales.groupby(sales_period)["order_id"].nunique()
    if "customer_id" in sales:
        trend["customers"] = sales.groupby(sales_period)["customer_id"].nunique()
    return mark_complete(trend.fillna(0).reset_index(), freq, covered_from, covered_to)


def mark_complete(
    trend: pd.DataFrame, freq: str, covered_from: pd.Timestamp, covered_to: pd.Timestamp
) -> pd.DataFrame:
    """``trend`` with ``complete``: False for a period that starts before ``covered_from`` or
    ends on or after ``covered_to`` (exclusive)."""
    period_end = trend["period"].dt.to_period(freq).dt.end_time
    trend["complete"] = (trend["period"] >= covered_from) & (period_end < covered_to)
    return trend


def _dated_transactions(dataset: Dataset, freq: str, top_n: int) -> pd.DataFrame:
    """The transactions with a readable date; refuses other data and bad options."""
    if dataset.kind != "transactions":
        raise AnalyticsError(
            _("The overview needs transactions; this dataset is {kind}.").format(kind=dataset.kind),
            hint=_("Load a sales export with one row per order line on the Data page."),
        )
    if freq not in FREQ_LABELS:
        raise AnalyticsError(f"freq must be one of {', '.join(FREQ_LABELS)}, got {freq!r}.")
    if top_n < 1:
        raise AnalyticsError(f"top_n must be at least 1, got {top_n}.")
    frame = dataset.frame[dataset.frame["timestamp"].notna()]
    if frame.empty:
        raise AnalyticsError(
            _("No row has a readable date."), hint=_("Check the date column on the Data page.")
        )
    return frame


def _days(
    frame: pd.DataFrame, start: dt.date | pd.Timestamp | None, end: dt.date | pd.Timestamp | None
) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """The first and last day of the data, then of the period (default: the whole history)."""
    first, last = frame["timestamp"].min().normalize(), frame["timestamp"].max().normalize()
    start_ts = pd.Timestamp(start) if start is not None else first
    end_ts = pd.Timestamp(end) if end is not None else last
    if end_ts < start_ts:
        raise AnalyticsError(
            _("The period ends ({end}) before it starts ({start}).").format(
                end=day(end_ts), start=day(start_ts)
            )
        )
    return first, last, start_ts, end_ts


def _dimension(dataset: Dataset, dimension: str | None) -> str | None:
    """The dimension to rank: the one asked for (refused if not a dimension), else the first."""
    dims = dataset.dimensions
    if dimension is not None and dimension not in dims:
        raise AnalyticsError(
            _("{column!r} is not a dimension of this dataset.").format(column=dimension),
            hint=_("Dimensions: {names}.").format(names=", ".join(dims) or _("none")),
        )
    return dimension or (dims[0] if dims else None)


def period_notes(first: pd.Timestamp, prev_start: pd.Timestamp, *, has_previous: bool) -> list[str]:
    """What the KPI changes compare with, in words, when the previous period is missing or
    only partly covered by the data."""
    if not has_previous:
        return [_("No data in the previous period of equal length, so no changes are shown.")]
    if prev_start < first:
        return [
            _(
                "The data starts on {first}, inside the previous period: changes compare with "
                "part of it."
            ).format(first=day(first))
        ]
    return []


def incomplete_note(freq: str) -> str:
    """The note under a trend whose last period the data covers only in part."""
    return _("The last {step} is incomplete in the data; its bar is shown lighter.").format(
        step=_(FREQ_LABELS[freq])
    )


def run_overview(
    dataset: Dataset,
    *,
    start: dt.date | pd.Timestamp | None = None,
    end: dt.date | pd.Timestamp | None = None,
    freq: Freq = "W",
    dimension: str | None = None,
    top_n: int = 10,
) -> OverviewResult:
    """Compute the overview KPIs of a transactions dataset for a period.

    Parameters
    ----------
    dataset : Dataset
        A transactions dataset.
    start, end : date, optional
        First and last day (inclusive); default the whole history.
    freq : {"D", "W", "M", "Q"}
        Trend granularity.
    dimension : str, optional
        A dimension column to rank (e.g. ``"Country"``); default the first dimension.
    top_n : int
        Length of the top lists.

    Raises
    ------
    AnalyticsError
        The dataset is not transactions, or the period holds no orders.

    Example
    -------
    >>> result = run_overview(dataset, freq="M")  # doctest: +SKIP
    >>> result.kpi("Orders").value  # doctest: +SKIP
    16492.0
    """
    frame = _dated_transactions(dataset, freq, top_n)
    first, last, start_ts, end_ts = _days(frame, start, end)
    stop = end_ts + pd.Timedelta(days=1)
    prev_start = start_ts - (stop - start_ts)
    stamps = frame["timestamp"]
    current = frame[(stamps >= start_ts) & (stamps < stop)]
    if current.empty:
        raise AnalyticsError(
            _("No orders between {start} and {end}.").format(start=day(start_ts), end=day(end_ts)),
            hint=_("The data runs from {first} to {last}.").format(
                first=day(first), last=day(last)
            ),
        )
    previous = frame[(stamps >= prev_start) & (stamps < start_ts)]
    notes = period_notes(first, prev_start, has_previous=not previous.empty)
    sales = current[sales_mask(current)]
    trend = _trend(
        current, sales, freq, max(start_ts, first), min(stop, last + pd.Timedelta(days=1))
    )
    if not trend["complete"].iloc[-1]:
        notes.append(incomplete_note(freq))
    dimension = _dimension(dataset, dimension)
    return OverviewResult(
        start=start_ts,
        end=end_ts,
        previous_start=prev_start,
        previous_end=start_ts - pd.Timedelta(days=1),
        freq=freq,
        kpis=_kpis(frame, current, previous),
        trend=trend,
        top_products=_top_products(sales, current, top_n),
        dimension=dimension,
        top_values=_top_values(current, sales, dimension, top_n) if dimension else None,
        customers_by_period=_new_and_returning(frame, sales, freq),
        notes=tuple(notes),
        params=OverviewParams.from_dict(
            {"start": start, "end": end, "freq": freq, "dimension": dimension}
        ),
    )


def _top_products(sales: pd.DataFrame, current: pd.DataFrame, top_n: int) -> pd.DataFrame:
    key = "product" if "product" in sales else "product_name" if "product_name" in sales else None
    if key is None or sales.empty:
        return pd.DataFrame(
            columns=["product", "name", "revenue", "quantity", "orders", "revenue_share"]
        )
    grouped = sales.groupby(key).agg(
        revenue=("revenue", "sum"), quantity=("quantity", "sum"), orders=("order_id", "nunique")
    )
    total = sales["revenue"].sum()
    grouped["revenue_share"] = grouped["revenue"] / total if total else np.nan
    grouped = grouped.nlargest(top_n, "revenue")
    if "product_name" in sales and key == "product":
        grouped["name"] = product_names(sales, grouped.index)
    else:
        grouped["name"] = grouped.index
    top = grouped.reset_index().rename(columns={key: "product"})
    return top[["product", "name", "revenue", "quantity", "orders", "revenue_share"]]


def _top_values(
    current: pd.DataFrame, sales: pd.DataFrame, dimension: str, top_n: int
) -> pd.DataFrame:
    values = current[dimension].astype("str").where(current[dimension].notna(), "(blank)")
    revenue = current["revenue"].groupby(values).sum()
    sales_values = values.loc[sales.index]
    out = pd.DataFrame({"revenue": revenue})
    out["orders"] = sales.groupby(sales_values)["order_id"].nunique()
    if "customer_id" in sales:
        out["customers"] = sales.groupby(sales_values)["customer_id"].nunique()
    total = revenue.sum()
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    out = out.fillna(0).nlargest(top_n, "revenue").reset_index(names="value")
    return out


def _new_and_returning(frame: pd.DataFrame, sales: pd.DataFrame, freq: str) -> pd.DataFrame:
    if "customer_id" not in sales or sales["customer_id"].isna().all():
        return pd.DataFrame(columns=["period", "new", "returning"])
    all_sales = frame[sales_mask(frame)].dropna(subset=["customer_id"])
    first_period = _period_start(all_sales.groupby("customer_id")["timestamp"].min(), freq)
    known = sales.dropna(subset=["customer_id"])
    visits = pd.DataFrame(
        {"period": _period_start(known["timestamp"], freq), "customer_id": known["customer_id"]}
    ).drop_duplicates()
    visits["new"] = (
        visits["period"].to_numpy() == first_period.reindex(visits["customer_id"]).to_numpy()
    )
    counts = visits.groupby(["period", "new"]).size().unstack(fill_value=0)
    return pd.DataFrame(
        {
            "period": counts.index,
            "new": counts.get(True, pd.Series(0, index=counts.index)).to_numpy(),
            "returning": counts.get(False, pd.Series(0, index=counts.index)).to_numpy(),
        }
    )


def whole_file_summary(dataset: Dataset) -> dict[str, object]:
    """The Overview's KPIs over the whole history, as plain values (``python -m analytics overview``).

    ``dataset`` is the dataset the Overview page shows: the file as mapped, after the Data page's
    cleaning steps (by default: exact duplicates and rows without a readable or plausible date
    removed). Revenue is net of cancellations and returns, to the cent; orders and customers
    count sales lines only, as on the page.

    Example
    -------
    >>> whole_file_summary(dataset)["orders"]  # doctest: +SKIP
    5009
    """
    result = run_overview(dataset)
    frame = dataset.frame[dataset.frame["timestamp"].notna()]
    cancelled = cancellation_mask(frame)
    customers = result.kpi("Customers").value if "customer_id" in frame else None
    said_dates = dataset.dates.describe() if dataset.dates is not None else None
    notes = [n for n in dataset.notes if n != said_dates]
    if cancelled.any():
        notes.append(
            f"{int(cancelled.sum()):,} returned or cancelled lines count as no order; their "
            "refunds or negative amounts are taken off revenue."
        )
    return {
        "orders": int(result.kpi("Orders").value),
        "customers": None if customers is None else int(customers),
        "revenue": round(float(frame["revenue"].sum()), 2),
        "lines": len(frame),
        "first_date": f"{frame['timestamp'].min():%Y-%m-%d}",
        "last_date": f"{frame['timestamp'].max():%Y-%m-%d}",
        "currency": dataset.currency,
        "notes": notes,
    }
