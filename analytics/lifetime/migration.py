"""Segment migration: each customer's RFM segment at two cut-off dates, who moved where, and
who moved down.

Both snapshots are :func:`analytics.segments.compute_rfm` as of their day: scores are quintiles
among the customers known on that day, so a segment means the same thing at both dates (the
best fifth by recency, …) even when the customer base grows. A move *down* is a move to a
segment lower on :data:`~analytics.segments.SEGMENTS` (Champions first, Lost last).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics.data import Dataset
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, day
from analytics.segments import SEGMENTS, compute_rfm

#: The "segment before" of customers whose first order came after the earlier date.
NEW = N_("Not yet a customer")
#: What a Sankey or matrix can count: customers, or what those customers spent up to the later
#: date.
Weight = Literal["customers", "revenue"]
_RANK = {name: i for i, name in enumerate(SEGMENTS)}


@dataclass(frozen=True)
class Migration:
    """Customers' segments at ``before`` and ``after`` (both days included in their snapshot).

    ``customers`` has one row per customer known at ``after``: ``customer_id``,
    ``segment_before`` (:data:`NEW` for customers who first bought after ``before``),
    ``segment_after``, ``move`` (``up``, ``down``, ``same`` or ``new``), ``revenue`` (spent in
    all up to ``after``), ``revenue_between`` (spent after ``before``), ``recency`` and
    ``frequency`` at ``after``.
    """

    before: pd.Timestamp
    after: pd.Timestamp
    customers: pd.DataFrame

    def matrix(self, weight: Weight = "customers") -> pd.DataFrame:
        """Rows: the segment at ``before`` (and :data:`NEW`); columns: the segment at
        ``after``; cells: customers (or their revenue). Segments nobody is in are left out."""
        frame = self.customers
        values = frame["revenue"] if weight == "revenue" else pd.Series(1, index=frame.index)
        table = pd.crosstab(
            frame["segment_before"], frame["segment_after"], values=values, aggfunc="sum"
        ).fillna(0)
        rows = [s for s in (*SEGMENTS, NEW) if s in table.index]
        columns = [s for s in SEGMENTS if s in table.columns]
        table = table.reindex(index=rows, columns=columns, fill_value=0)
        table = table.astype(int) if weight == "customers" else table.astype(float)
        table.index.name, table.columns.name = "segment_before", "segment_after"
        return table

    def shares(self) -> pd.DataFrame:
        """The customer matrix as shares of each row: where each segment's customers went."""
        counts = self.matrix("customers")
        return counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)

    def moved_down(self) -> pd.DataFrame:
        """The customers who moved to a lower segment, the most valuable first: the list to win
        back."""
        frame = self.customers
        down = frame.loc[frame["move"] == "down"]
        return down.sort_values(["revenue", "customer_id"], ascending=[False, True]).reset_index(
            drop=True
        )

    def counts(self) -> dict[str, int]:
        """Customers per kind of move: up, down, same and new."""
        found = self.customers["move"].value_counts()
        return {move: int(found.get(move, 0)) for move in ("up", "down", "same", "new")}

    def biggest_flow(self) -> tuple[str, str, int] | None:
        """The largest move between two different segments: (from, to, customers)."""
        counts = self.matrix("customers")
        best: tuple[str, str, int] | None = None
        for source, row in counts.iterrows():
            for target, n in row.items():
                if source != target and source != NEW and n and (best is None or n > best[2]):
                    best = (str(source), str(target), int(n))
        return best


def default_dates(dataset: Dataset) -> tuple[dt.date, dt.date]:
    """The default comparison: segments a quarter (three months) before the last order, and
    on the day of the last order."""
    if not dataset.has("timestamp") or dataset.frame["timestamp"].notna().sum() == 0:
        raise AnalyticsError("Segment migration needs dates.")
    last = pd.Timestamp(dataset.frame["timestamp"].max()).normalize()
    return (last - pd.DateOffset(months=3)).date(), last.date()


def segment_migration(
    dataset: Dataset,
    before: dt.date | str | pd.Timestamp | None = None,
    after: dt.date | str | pd.Timestamp | None = None,
) -> Migration:
    """RFM segments as of ``before`` and as of ``after`` (default: a quarter before the last
    order, and the last order's day), and each customer's move between them."""
    first_default, last_default = default_dates(dataset)
    start = pd.Timestamp(before if before is not None else first_default).normalize()
    end = pd.Timestamp(after if after is not None else last_default).normalize()
    if start >= end:
        raise AnalyticsError(
            _("The earlier date ({start}) must come before the later one ({end}).").format(
                start=day(start), end=day(end)
            ),
            hint=_("Pick an earlier 'from' date."),
        )
    data_start = pd.Timestamp(dataset.frame["timestamp"].min()).normalize()
    if start < data_start:
        raise AnalyticsError(
            _(
                "The earlier date ({start}) is before the data starts ({first}): nobody had a "
                "segment yet."
            ).format(start=day(start), first=day(data_start)),
            hint=_("Pick a 'from' date inside the data's range."),
        )
    earlier = compute_rfm(dataset, analysis_date=start).customers.set_index("customer_id")
    later = compute_rfm(dataset, analysis_date=end).customers.set_index("customer_id")
    was = earlier["segment"].astype(str).reindex(later.index)
    spent_before = earlier["monetary"].reindex(later.index).fillna(0.0)
    now = later["segment"].astype(str)
    rank_was = was.map(_RANK)
    rank_now = now.map(_RANK)
    move = np.select(
        [was.isna(), rank_now > rank_was, rank_now < rank_was],
        ["new", "down", "up"],
        default="same",
    )
    customers = pd.DataFrame(
        {
            "segment_before": was.fillna(NEW).to_numpy(),
            "segment_after": now.to_numpy(),
            "move": move,
            "revenue": later["monetary"].to_numpy(float),
            "revenue_between": (later["monetary"] - spent_before).to_numpy(float),
            "recency": later["recency"].to_numpy(),
            "frequency": later["frequency"].to_numpy(),
        },
        index=later.index,
    ).reset_index()
    return Migration(start, end, customers)
