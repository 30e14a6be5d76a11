"""Acquisition cohorts: customers grouped by the period of their first purchase, and what share
of them buy again (or what revenue they bring) in each period after it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics.data import Dataset
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.lifetime.clv import customer_sales

Measure = Literal["active", "revenue", "cumulative"]
MEASURES: dict[str, str] = {
    "active": N_("Share of the cohort that bought"),
    "revenue": N_("Revenue as a share of the first period's"),
    "cumulative": N_("Cumulative revenue per customer"),
}
_PERIODS = {"M": "Month", "Q": "Quarter"}


@dataclass(frozen=True)
class Cohorts:
    """A cohort table: one row per acquisition period, one column per period since it (0 = the
    period of the first purchase). ``partial`` marks cells the data covers only in part (the
    last period runs past the data's end); cells after the data's end are NaN."""

    table: pd.DataFrame
    sizes: pd.Series
    partial: pd.DataFrame
    measure: str
    period: str

    def curve(self) -> pd.Series:
        """The average over cohorts (weighted by size) per period since acquisition, whole
        cells only."""
        whole = self.table.where(~self.partial)
        weights = whole.notna().mul(self.sizes, axis=0)
        return (whole.fillna(0).mul(self.sizes, axis=0).sum() / weights.sum()).dropna()


def acquisition_groups(dataset: Dataset, *, most: int = 50) -> dict[str, list[str]]:
    """What cohorts can be narrowed to: per dimension (country, channel, …) and the product
    category, the values customers' first purchases have, most common first (at most
    ``most``)."""
    lines = customer_sales(dataset, "Cohorts need customer ids and dates.")
    first = _first_day_lines(lines)
    groups: dict[str, list[str]] = {}
    for column in (*dataset.dimensions, *(["category"] if dataset.has("category") else [])):
        customers = first[["customer_id", column]].dropna().drop_duplicates()
        counts = customers[column].astype(str).value_counts()
        if len(counts) > 1:
            groups[column] = counts.index[:most].tolist()
    return groups


def _first_day_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Each customer's lines on the day of their first purchase."""
    day = lines["timestamp"].dt.normalize()
    first = day.groupby(lines["customer_id"], observed=True).transform("min")
    return lines.loc[day == first]


def _acquired_by(lines: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """The lines of the customers whose first purchase had ``by`` = ``value`` (a first day with
    several categories counts for each)."""
    if by not in lines.columns:
        raise AnalyticsError(f"{by!r} is not a column of this dataset.")
    first = _first_day_lines(lines)
    chosen = first.loc[first[by].astype(str) == str(value), "customer_id"].unique()
    if len(chosen) == 0:
        raise AnalyticsError(
            _("No customer's first purchase has {column} = {value!r}.").format(
                column=by, value=value
            ),
            hint=_("Pick another value, or show all customers."),
        )
    return lines.loc[lines["customer_id"].isin(chosen)]


def cohort_table(
    dataset: Dataset,
    period: str = "M",
    measure: str = "active",
    *,
    by: str | None = None,
    value: str | None = None,
) -> Cohorts:
    """Customers by the month (or quarter) of their first purchase, and ``measure`` in each
    later period: the share who bought (``active``), revenue against the first period's
    (``revenue``), or revenue per customer so far (``cumulative``). Returns are left out.

    With ``by`` (a dimension such as country or channel, or ``category``) and ``value``, only
    the customers whose first purchase had that value: customers acquired in France, through
    the web shop, or with a first order from Kitchen. All their later purchases count.
    """
    if period not in _PERIODS:
        raise AnalyticsError(f"The cohort period must be M or Q, got {period!r}.")
    if measure not in MEASURES:
        raise AnalyticsError(f"The measure must be one of {', '.join(MEASURES)}, got {measure!r}.")
    lines = customer_sales(dataset, "Cohorts need customer ids and dates.")
    last = lines["timestamp"].max()  # the data's end, whichever customers are shown
    if by is not None and value is not None:
        lines = _acquired_by(lines, by, value)
    stamps = lines["timestamp"].dt.to_period(period)
    first = stamps.groupby(lines["customer_id"], observed=True).transform("min")
    age = (stamps.astype("int64") - first.astype("int64")).to_numpy()
    frame = pd.DataFrame(
        {
            "cohort": first.dt.start_time.to_numpy(),
            "age": age,
            "customer_id": lines["customer_id"].to_numpy(),
            "revenue": lines["revenue"].to_numpy(float) if dataset.has("revenue") else 1.0,
        }
    )
    sizes = frame.loc[frame["age"] == 0].groupby("cohort")["customer_id"].nunique()
    grouped = frame.groupby(["cohort", "age"])
    cells = grouped["customer_id"].nunique() if measure == "active" else grouped["revenue"].sum()
    return cohorts_from_cells(sizes, cells, measure=measure, period=period, last=last)


def cohorts_from_cells(
    sizes: pd.Series, cells: pd.Series, *, measure: str, period: str, last: pd.Timestamp
) -> Cohorts:
    """The cohort table from its cells, however they were added up (pandas here, SQL in the
    large-source engines): ``sizes`` (customers per cohort start), ``cells`` indexed by
    (cohort start, periods since it) holding the customers who bought (``active``) or the
    revenue; ``last`` is the data's last moment."""
    if measure == "active":
        table = cells.unstack(fill_value=0).div(sizes, axis=0)
    else:
        revenue = cells.unstack(fill_value=0)
        table = (
            revenue.div(revenue[0], axis=0)
            if measure == "revenue"
            else (revenue.cumsum(axis=1).div(sizes, axis=0))
        )
    last_period = last.to_period(period)
    ages = np.asarray(table.columns, dtype=int)
    cohorts = pd.PeriodIndex(table.index, freq=period)
    # The period each cell is about, per cohort and age: after the data's end it is empty; the
    # period the data ends in is partial unless the data reaches its last day.
    cell = np.add.outer(cohorts.astype("int64"), ages)
    beyond = cell > last_period.ordinal
    ends_whole = last.normalize() >= last_period.end_time.normalize()
    partial = pd.DataFrame(
        (cell == last_period.ordinal) & (not ends_whole), index=table.index, columns=table.columns
    )
    table = table.astype(float).mask(beyond)
    table.index.name, table.columns.name = "cohort", f"{_PERIODS[period].lower()}s since first"
    return Cohorts(table, sizes.rename("customers"), partial, measure, period)
