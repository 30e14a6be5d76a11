"""A marketing-mix table from an orders export and a spend table: revenue (and orders) per week
from the orders, each channel's spend per week from the spend table, on the same Monday-based
weeks."""

from __future__ import annotations

import pandas as pd

from analytics.data import Dataset
from analytics.errors import AnalyticsError
from analytics.mix.detect import detect_roles

#: Weeks start on Monday, as Robyn's and PyMC-Marketing's examples do.
WEEK = "W-SUN"


def _weeks(stamps: pd.Series) -> pd.Series:
    return stamps.dt.to_period(WEEK).dt.start_time


def weekly_table(orders: Dataset, spend: pd.DataFrame) -> pd.DataFrame:
    """One row per whole week (Monday to Sunday) both tables cover: ``week``, ``revenue`` (every order line, returns
    netted as on the Overview), ``orders`` and each channel's spend added up over the week
    (a day or week without spend counts as zero)."""
    if orders.kind != "transactions" or not orders.has("timestamp", "revenue"):
        raise AnalyticsError(
            "Building the weekly table needs order lines with dates and amounts.",
            hint="Load the orders export on the Data page first.",
        )
    roles = detect_roles(spend)
    if roles.date is None:
        raise AnalyticsError(
            "The spend table needs a date column (the day or week of each spend).",
            hint="One row per day or week: a date and one column of spend per channel.",
        )
    channels = [c for c in roles.numeric if c != roles.date]
    if not channels:
        raise AnalyticsError("The spend table has no column of amounts: one per channel.")
    lines = orders.frame.loc[orders.frame["timestamp"].notna()]
    week = _weeks(lines["timestamp"])
    sales = lines.groupby(week)["revenue"].sum().rename("revenue")
    counted = (
        lines.groupby(week)["order_id"].nunique().rename("orders")
        if orders.has("order_id")
        else None
    )
    dates = pd.to_datetime(spend[roles.date], errors="coerce", format="mixed")
    if dates.isna().all():
        raise AnalyticsError(f"{roles.date!r} in the spend table holds no dates.")
    amounts = spend.loc[dates.notna(), channels].apply(pd.to_numeric, errors="coerce").fillna(0)
    per_week = amounts.groupby(_weeks(dates[dates.notna()])).sum()
    # Whole weeks only: a week the orders or the spend cover in part would look like a dip.
    first = max(lines["timestamp"].min(), dates.min()).normalize()
    last = min(lines["timestamp"].max(), dates.max()).normalize()
    start = first + pd.Timedelta(days=(7 - first.day_of_week) % 7)
    end = last - pd.Timedelta(days=(last.day_of_week + 1) % 7 + 6)
    if start > end:
        raise AnalyticsError(
            f"The orders run from {sales.index.min():%Y-%m-%d} to {sales.index.max():%Y-%m-%d} "
            f"and the spend from {per_week.index.min():%Y-%m-%d} to "
            f"{per_week.index.max():%Y-%m-%d}: they share no week."
        )
    weeks = pd.date_range(start, end, freq="7D")
    table = pd.DataFrame(index=weeks)
    table["revenue"] = sales.reindex(weeks).fillna(0.0)
    if counted is not None:
        table["orders"] = counted.reindex(weeks).fillna(0).astype(int)
    table = table.join(per_week.reindex(weeks).fillna(0.0))
    table.index.name = "week"
    return table.reset_index().assign(week=lambda f: f["week"].dt.strftime("%Y-%m-%d"))
