"""RFM: recency, frequency and monetary value per customer, scores 1–5 and named segments.

Scores are quintiles of the customers' ranks: tied values share a score (every one-order customer
gets F 1) and small data works (three customers get scores spread over 1–5). Named segments follow the standard R×F grid used by
commercial RFM tools; every one of the 25 (R, F) cells belongs to exactly one segment:

=================== ===========================================
Segment             R score, F score
=================== ===========================================
Champions           R 5, F 4–5
Loyal               R 3–4, F 4–5
Potential Loyalist  R 4–5, F 2–3
New Customers       R 5, F 1
Promising           R 4, F 1
Need Attention      R 3, F 3
About to Sleep      R 3, F 1–2
At Risk             R 1–2, F 3–4
Can't Lose Them     R 1–2, F 5
Hibernating         R 2, F 1–2; R 1, F 2
Lost                R 1, F 1
=================== ===========================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.data import Dataset, sales_mask
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

#: Named segments in the order a marketer reads them, best first.
SEGMENTS: tuple[str, ...] = (
    N_("Champions"),
    N_("Loyal"),
    N_("Potential Loyalist"),
    N_("New Customers"),
    N_("Promising"),
    N_("Need Attention"),
    N_("About to Sleep"),
    N_("At Risk"),
    N_("Can't Lose Them"),
    N_("Hibernating"),
    N_("Lost"),
)
SEGMENT_ACTIONS: dict[str, str] = {
    "Champions": N_("Reward them; ask for reviews; early access to new products."),
    "Loyal": N_("Upsell higher-value products; loyalty programme."),
    "Potential Loyalist": N_("Offer membership or a loyalty programme; recommend products."),
    "New Customers": N_("Onboard well; build the relationship early."),
    "Promising": N_("Create brand awareness; free trials."),
    "Need Attention": N_("Limited-time offers based on past purchases."),
    "About to Sleep": N_("Share valuable resources; recommend popular products."),
    "At Risk": N_("Send personalised emails to reconnect; offer renewals."),
    "Can't Lose Them": N_("Win them back with new products or deals; talk to them."),
    "Hibernating": N_("Offer other relevant products and special discounts."),
    "Lost": N_("Try to revive interest with a campaign, or let them go."),
}


def _grid() -> dict[tuple[int, int], str]:
    rules = {
        "Champions": ([5], [4, 5]),
        "Loyal": ([3, 4], [4, 5]),
        "Potential Loyalist": ([4, 5], [2, 3]),
        "New Customers": ([5], [1]),
        "Promising": ([4], [1]),
        "Need Attention": ([3], [3]),
        "About to Sleep": ([3], [1, 2]),
        "At Risk": ([1, 2], [3, 4]),
        "Can't Lose Them": ([1, 2], [5]),
        "Hibernating": ([2], [1, 2]),
        "Lost": ([1], [1]),
    }
    grid = {(r, f): name for name, (rs, fs) in rules.items() for r in rs for f in fs}
    grid[(1, 2)] = "Hibernating"
    return grid


#: (R score, F score) → segment name, for all 25 cells.
SEGMENT_GRID: dict[tuple[int, int], str] = _grid()


@dataclass(frozen=True)
class RFMResult:
    """RFM values, scores and named segments per customer.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id``, ``recency`` (days since the last order as of
        ``analysis_date``), ``frequency`` (distinct orders), ``monetary`` (revenue),
        ``first_order``, ``last_order``, ``r_score``, ``f_score``, ``m_score`` (1–5),
        ``rfm_score`` (e.g. ``"545"``) and ``segment``.
    analysis_date : Timestamp
        The day recency counts from.
    excluded_lines : int
        Order lines left out: cancellations/returns (when excluded) and lines without a customer.
    """

    customers: pd.DataFrame
    analysis_date: pd.Timestamp
    excluded_lines: int

    @property
    def summary(self) -> pd.DataFrame:
        """Per named segment: customers, share, revenue, revenue share, median R/F/M, action."""
        c = self.customers
        total_revenue = c["monetary"].clip(lower=0).sum()
        grouped = c.groupby("segment", observed=False).agg(
            customers=("customer_id", "size"),
            revenue=("monetary", "sum"),
            recency_median=("recency", "median"),
            frequency_median=("frequency", "median"),
            monetary_median=("monetary", "median"),
        )
        grouped = grouped.reindex(list(SEGMENTS)).fillna({"customers": 0, "revenue": 0.0})
        grouped["customers"] = grouped["customers"].astype(int)
        grouped["share"] = grouped["customers"] / max(len(c), 1)
        grouped["revenue_share"] = (
            grouped["revenue"].clip(lower=0) / total_revenue if total_revenue else np.nan
        )
        grouped["action"] = [_(SEGMENT_ACTIONS[s]) for s in grouped.index]
        grouped.index = [_(s) for s in grouped.index]  # the names read in the visitor's language
        return grouped.reset_index(names="segment")

    def members(self, segments: Sequence[str]) -> list[str] | None:
        """The ids of the customers in these named segments; ``None`` (everyone) if none named."""
        if not segments:
            return None
        c = self.customers
        return c.loc[c["segment"].isin(segments), "customer_id"].astype("str").tolist()

    @property
    def rf_grid(self) -> pd.DataFrame:
        """Customers per (R score, F score): rows R 5…1, columns F 1…5."""
        counts = pd.crosstab(self.customers["r_score"], self.customers["f_score"])
        return counts.reindex(index=[5, 4, 3, 2, 1], columns=[1, 2, 3, 4, 5], fill_value=0)


def score(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Scores 1–5 by quintile of rank; tied values share the score of the lowest among them.

    Ties matter: most customers order once, and they must all get F score 1, not a middle score.

    Example
    -------
    >>> score(pd.Series([1, 1, 1, 5, 9])).tolist()
    [1, 1, 1, 4, 5]
    """
    ordered = values if higher_is_better else -values
    pct = ordered.rank(method="min", pct=True)
    return (pct * 5).apply(np.ceil).clip(1, 5).astype(int)


def compute_rfm(
    dataset: Dataset,
    *,
    analysis_date: dt.date | pd.Timestamp | None = None,
    exclude_cancellations: bool = True,
) -> RFMResult:
    """Recency, frequency and monetary value per customer, with scores and named segments.

    Parameters
    ----------
    dataset : Dataset
        Transactions with a customer, order, date and revenue.
    analysis_date : date, optional
        The day recency is measured from; default the day after the last order.
    exclude_cancellations : bool
        Leave out cancellations and returns (negative quantity, or a C before an invoice number).

    Returns
    -------
    RFMResult

    Raises
    ------
    AnalyticsError
        Not transactions, no customer column, or no customer with an order before the date.

    Example
    -------
    >>> rfm = compute_rfm(dataset)  # doctest: +SKIP
    >>> rfm.summary.loc[0, "segment"]  # doctest: +SKIP
    'Champions'
    """
    if dataset.kind != "transactions":
        raise AnalyticsError(
            f"RFM needs transactions (order lines); this dataset is {dataset.kind}.",
            hint="Pick numeric columns to cluster on instead, or load a sales export.",
        )
    if not dataset.has("customer_id"):
        raise AnalyticsError(
            "RFM needs a customer column, and this dataset has none.",
            hint="Choose the customer column under 'Column roles' on the Data page.",
        )
    frame = dataset.frame
    keep = frame["customer_id"].notna() & frame["timestamp"].notna()
    if exclude_cancellations:
        keep &= sales_mask(frame)
    last_day = frame["timestamp"].max()
    date = (
        pd.Timestamp(analysis_date).normalize()
        if analysis_date is not None
        else (last_day.normalize() + pd.Timedelta(days=1))
    )
    if date + pd.Timedelta(days=1) <= last_day:
        keep &= frame["timestamp"] < date + pd.Timedelta(days=1)
    needed = ["customer_id", "order_id", "timestamp", "revenue"]
    lines = frame[needed] if keep.all() else frame.loc[keep, needed]
    if lines.empty:
        raise AnalyticsError(
            f"No customer has an order before {date:%Y-%m-%d}.",
            hint="Pick a later analysis date, or check the cleaning steps on the Data page.",
        )
    grouped = lines.groupby("customer_id", sort=True)
    customers = pd.DataFrame(
        {
            "first_order": grouped["timestamp"].min(),
            "last_order": grouped["timestamp"].max(),
            "frequency": grouped["order_id"].nunique(),
            "monetary": grouped["revenue"].sum(),
        }
    )
    return RFMResult(scored_customers(customers, date), date, int(len(frame) - keep.sum()))


def scored_customers(customers: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """Recency as of ``date``, the three 1–5 scores and the named segment of each customer
    (``customers`` indexed by customer id, sorted, with ``first_order``, ``last_order``,
    ``frequency`` and ``monetary``). :func:`compute_rfm` and the large-source engines
    (:mod:`analytics.engines`), which add up the same columns in SQL, both score here."""
    customers["recency"] = (date - customers["last_order"].dt.normalize()).dt.days.clip(lower=0)
    customers["r_score"] = score(customers["recency"], higher_is_better=False)
    customers["f_score"] = score(customers["frequency"])
    # Rounded for ranking only: two customers who spent the same must tie, whatever order their
    # lines were added up in (an engine that sums in another order differs in the 12th digit).
    customers["m_score"] = score(customers["monetary"].round(6))
    digits = customers["r_score"] * 100 + customers["f_score"] * 10 + customers["m_score"]
    customers["rfm_score"] = digits.astype("str")
    lookup = np.zeros((6, 6), dtype=np.int64)
    for (r, f), name in SEGMENT_GRID.items():
        lookup[r, f] = SEGMENTS.index(name)
    codes = np.asarray(
        lookup[customers["r_score"].to_numpy(), customers["f_score"].to_numpy()], dtype=np.int64
    )
    customers["segment"] = pd.Categorical.from_codes(codes, categories=pd.Index(SEGMENTS))
    customers = customers.reset_index(names="customer_id")
    columns = ["customer_id", "recency", "frequency", "monetary", "first_order", "last_order"]
    columns += ["r_score", "f_score", "m_score", "rfm_score", "segment"]
    return customers[columns]
