"""What each customer looks like to the clustering: RFM from transactions or chosen numeric
columns of a customers table, checked and scaled (``customer_features``, ``scale_features``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

import numpy as np
import pandas as pd

from analytics.data import Dataset, order_lines_problem
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.segments.rfm import RFMResult, compute_rfm

Scale = Literal["log-standard", "standard", "none"]


SCALES: tuple[str, ...] = get_args(Scale)


RFM_FEATURES = ("recency", "frequency", "monetary")
FEATURE_LABELS = {
    "recency": N_("Days since last order"),
    "frequency": N_("Orders"),
    "monetary": N_("Revenue"),
}


@dataclass(frozen=True)
class CustomerFeatures:
    """What each customer looks like, before scaling.

    Attributes
    ----------
    ids : pandas.Series
        Customer ids (text), one per row of ``values``.
    values : pandas.DataFrame
        The features, in their own units.
    source : str
        ``"rfm"`` or ``"columns"``.
    rfm : RFMResult or None
        The RFM table, when the features are RFM.
    spend : str or None
        The feature holding revenue, for revenue shares.
    notes : tuple of str
        What was left out and why.
    """

    ids: pd.Series
    values: pd.DataFrame
    source: str
    rfm: RFMResult | None = None
    spend: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(map(str, self.values.columns))


def numeric_columns(dataset: Dataset) -> list[str]:
    """Columns of a customers table that can be clustered on (numeric, not the id)."""
    frame = dataset.frame
    return [
        str(c)
        for c in frame.columns
        if c != "customer_id"
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


def customer_features(
    dataset: Dataset,
    *,
    features: str | Sequence[str] = "rfm",
    analysis_date: dt.date | None = None,
    exclude_cancellations: bool = True,
) -> CustomerFeatures:
    """The table to cluster: RFM from transactions, or chosen numeric columns of a customers table.

    Customers with a missing value in a chosen column are left out, with a note; constant columns
    are dropped, with a note; at least two varying features must remain.

    Raises
    ------
    AnalyticsError
        RFM asked of a table without transactions, unknown or non-numeric columns, fewer than two
        usable features, or fewer than three customers.
    """
    if not features:  # the default: RFM of transactions, every numeric column of customers
        features = "rfm" if dataset.kind == "transactions" else numeric_columns(dataset)
    if isinstance(features, str) and features == "rfm":
        if dataset.kind != "transactions":
            raise AnalyticsError(
                f"RFM needs transactions; this dataset is {dataset.kind}.",
                hint="Choose the numeric columns to segment on: "
                + (", ".join(numeric_columns(dataset)) or "this table has none")
                + ".",
            )
        rfm = compute_rfm(
            dataset, analysis_date=analysis_date, exclude_cancellations=exclude_cancellations
        )
        return rfm_features(rfm)
    columns = [features] if isinstance(features, str) else list(features)
    columns = [c.strip() for c in columns if c.strip()]
    frame = dataset.frame
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"There is no column {missing[0]!r}.",
            hint="Numeric columns: " + (", ".join(numeric_columns(dataset)) or "none") + ".",
        )
    not_numeric = [c for c in columns if c not in numeric_columns(dataset)]
    if not_numeric:
        raise AnalyticsError(
            f"Column {not_numeric[0]!r} is not numeric, so it cannot be clustered on.",
            hint="Numeric columns: " + (", ".join(numeric_columns(dataset)) or "none") + ".",
        )
    if dataset.kind == "transactions":
        raise AnalyticsError(
            "Columns of order lines describe orders, not customers.",
            hint="Segment transactions on RFM, or load a customers table.",
        )
    if (problem := order_lines_problem(dataset)) is not None:
        raise problem
    ids = (
        frame["customer_id"]
        if "customer_id" in frame
        else pd.Series(np.arange(1, len(frame) + 1), index=frame.index)
    )
    values = frame[columns].astype(float)
    spend = next((c for c in columns if _is_spend(c)), None)
    return _checked(CustomerFeatures(ids.astype("str"), values, "columns", spend=spend))


def rfm_features(rfm: RFMResult) -> CustomerFeatures:
    """The RFM values of each customer as the table to cluster (the large-source engines compute
    RFM in SQL and cluster through here)."""
    table = rfm.customers
    values = table[list(RFM_FEATURES)].astype(float)
    return _checked(
        CustomerFeatures(
            table["customer_id"].astype("str"), values, "rfm", rfm=rfm, spend="monetary"
        )
    )


_SPEND_NAMES = {
    "revenue",
    "totalrevenue",
    "sales",
    "totalsales",
    "spend",
    "totalspend",
    "monetary",
    "amount",
    "totalamount",
    "charges",
    "totalcharges",
    "clv",
    "ltv",
    "lifetimevalue",
    "customerlifetimevalue",
}


def _is_spend(column: str) -> bool:
    """Whether a column holds what customers spent (for revenue shares); "Spending Score" does not."""
    return "".join(ch for ch in column.lower() if ch.isalnum()) in _SPEND_NAMES


def _checked(features: CustomerFeatures) -> CustomerFeatures:
    values, ids = features.values, features.ids
    notes = list(features.notes)
    complete = values.notna().all(axis=1).to_numpy()
    if not complete.all():
        gaps = int((~complete).sum())
        notes.append(
            _(
                "{n} customer(s) have missing values in the chosen columns and were left out."
            ).format(n=f"{gaps:,}")
        )
        values, ids = values[complete], ids[complete]
    constant = [c for c in values.columns if values[c].nunique() <= 1]
    if constant:
        notes.append(
            _("Same value for every customer, so left out: {names}.").format(
                names=", ".join(map(str, constant))
            )
        )
        values = values.drop(columns=constant)
    if values.shape[1] < 2:
        raise AnalyticsError(
            f"Segmentation needs at least two numeric columns that vary; {values.shape[1]} remain"
            + (f" ({', '.join(map(str, values.columns))})" if values.shape[1] else "")
            + ".",
            hint="Pick more columns (age, income, spend, visits …), or segment transactions on RFM.",
        )
    if len(values) < 3:
        raise AnalyticsError(
            f"Segmentation needs at least 3 customers; there {'is' if len(values) == 1 else 'are'} {len(values)}.",
            hint="Load more data, or undo cleaning steps that removed customers.",
        )
    return replace(
        features,
        ids=ids.reset_index(drop=True),
        values=values.reset_index(drop=True),
        notes=tuple(notes),
        spend=features.spend if features.spend in values.columns else None,
    )


def scale_features(values: pd.DataFrame, scale: Scale) -> np.ndarray:
    """Scale features so that each counts alike.

    ``log-standard``: signed log1p of right-skewed columns (skewness above 1, like money and
    order counts, where 10 vs 20 orders matters as much as 100 vs 200), then z-scores;
    ``standard``: z-scores only; ``none``: as is.
    """
    if scale not in SCALES:
        raise AnalyticsError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}.")
    x = values.to_numpy(dtype=float).copy()
    if scale == "none":
        return x
    if scale == "log-standard":
        skewed = values.skew().to_numpy() > 1
        x[:, skewed] = np.sign(x[:, skewed]) * np.log1p(np.abs(x[:, skewed]))
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
