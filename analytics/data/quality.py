"""Data-quality report and cleaning of a mapped dataset.

The report counts what a marketer must know before trusting a number (duplicates, cancellations,
prices of zero, orders without a customer, unreadable dates, extreme amounts) and says it in short
findings. Cleaning removes those rows step by step; each step is one named rule, the same rule the
report counts with, so the count shown next to a cleaning option is the number of rows it removes.
Cleaning never changes the original: undoing a step is cleaning the original again without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.data.cleaning import CLEANING_STEPS, CleaningOption, Severity, cleaning_options
from analytics.data.schema import ROLE_LABELS, Dataset
from analytics.i18n import N_, _, day, ngettext


@dataclass(frozen=True)
class Finding:
    """One plain-language observation about the data."""

    severity: Severity
    message: str
    rows: int = 0


@dataclass(frozen=True)
class QualityReport:
    """What is in a dataset and what is wrong with it.

    Attributes
    ----------
    n_rows, n_columns : int
        Size of the table as read.
    columns : pandas.DataFrame
        One row per column of the table: role, type, filled, missing, missing %, distinct values,
        an example, minimum and maximum.
    counts : dict of str to int
        Rows affected by each cleaning rule (``drop_duplicates`` … ``drop_missing_values``).
    extreme : dict of str to int
        Extreme values per amount column (far above the typical range, on a log scale).
    date_range : tuple of Timestamp, optional
        First and last date.
    findings : tuple of Finding
        The observations, most serious first.
    """

    n_rows: int
    n_columns: int
    columns: pd.DataFrame
    counts: dict[str, int]
    extreme: dict[str, int]
    date_range: tuple[pd.Timestamp, pd.Timestamp] | None
    findings: tuple[Finding, ...]

    @property
    def cleaning_options(self) -> tuple[CleaningOption, ...]:
        """The cleaning steps for this dataset with the rows each removes (as ``cleaning_options``)."""
        return tuple(
            CleaningOption(step, self.counts[step.name])
            for step in CLEANING_STEPS
            if step.name in self.counts
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (the CLI prints it)."""
        return {
            "rows": self.n_rows,
            "columns": self.n_columns,
            **{k.removeprefix("drop_"): v for k, v in self.counts.items()},
            "extreme_values": self.extreme,
            "date_range": [f"{d:%Y-%m-%d %H:%M}" for d in self.date_range]
            if self.date_range
            else None,
            "findings": [
                {"severity": f.severity, "message": f.message, "rows": f.rows}
                for f in self.findings
            ],
        }


def quality_report(dataset: Dataset, *, table: pd.DataFrame | None = None) -> QualityReport:
    """Profile a dataset: per-column statistics and plain-language findings.

    Parameters
    ----------
    dataset : Dataset
        The mapped dataset (counts of cancellations etc. use its roles).
    table : pandas.DataFrame, optional
        The table as read, so that columns without a role are profiled too.

    Returns
    -------
    QualityReport

    Example
    -------
    >>> report = quality_report(dataset)  # doctest: +SKIP
    >>> report.findings[0].message  # doctest: +SKIP
    '2,153 lines are cancellations or returns (6.2%).'
    """
    frame = dataset.frame
    source = table if table is not None else frame
    role_of = {column: role for role, column in dataset.mapping.roles().items()}
    role_of.update({d: "dimension" for d in dataset.mapping.dimensions})
    columns = _column_profile(source, role_of)
    counts = {option.step.name: option.rows for option in cleaning_options(dataset)}
    extreme = {
        role: int(_extreme(frame[role]).sum())
        for role in ("quantity", "unit_price", "revenue", "value")
        if role in frame and pd.api.types.is_numeric_dtype(frame[role])
    }
    date_range = None
    if "timestamp" in frame and frame["timestamp"].notna().any():
        date_range = (frame["timestamp"].min(), frame["timestamp"].max())
    findings = _findings(dataset, source, columns, counts, extreme, date_range)
    return QualityReport(
        n_rows=len(source),
        n_columns=source.shape[1],
        columns=columns,
        counts=counts,
        extreme=extreme,
        date_range=date_range,
        findings=findings,
    )


def _type_name(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col):
        return _("yes/no")
    if pd.api.types.is_integer_dtype(col):
        return _("whole number")
    if pd.api.types.is_float_dtype(col):
        return _("number")
    if pd.api.types.is_datetime64_any_dtype(col):
        return _("date")
    if col.isna().all():
        return _("empty")
    return _("text")


#: The column profile's headers, in the catalogs (the tables translate them when drawn).
PROFILE_HEADERS = (
    N_("Column"),
    N_("Role"),
    N_("Type"),
    N_("Filled"),
    N_("Missing"),
    N_("Missing %"),
    N_("Distinct"),
    N_("Example"),
    N_("Min"),
    N_("Max"),
)


def _column_profile(frame: pd.DataFrame, role_of: dict[str, str]) -> pd.DataFrame:
    rows = []
    n = max(len(frame), 1)
    for column in frame.columns:
        col = frame[column]
        filled = col.dropna()
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        orderable = numeric or pd.api.types.is_datetime64_any_dtype(col)
        rows.append(
            {
                "Column": str(column),
                "Role": _(
                    ROLE_LABELS.get(role_of.get(str(column), ""), role_of.get(str(column), ""))
                ),
                "Type": _type_name(col),
                "Filled": len(filled),
                "Missing": len(col) - len(filled),
                "Missing %": round(100 * (len(col) - len(filled)) / n, 1),
                "Distinct": int(filled.nunique()),
                "Example": str(filled.iloc[0])[:60] if len(filled) else "",
                "Min": str(filled.min()) if orderable and len(filled) else "",
                "Max": str(filled.max()) if orderable and len(filled) else "",
            }
        )
    return pd.DataFrame(rows)


def _extreme(values: pd.Series) -> pd.Series:
    """Amounts far above the typical range: beyond Q3 + 3 IQR of log10 values (Tukey's far-out fence)."""
    positive = values[values > 0]
    if len(positive) < 20:
        return pd.Series(False, index=values.index)
    logs = np.log10(positive)
    q1, q3 = np.percentile(logs, [25, 75])
    fence = q3 + 3 * max(q3 - q1, 0.5)
    return values.gt(10**fence) | values.lt(-(10**fence))


def _kind_findings(dataset: Dataset) -> list[Finding]:
    """What a kind of data needs that this one lacks: a customer column, one row per customer or
    period, and the shape of baskets."""
    frame = dataset.frame
    out: list[Finding] = []
    if dataset.kind == "transactions" and "customer_id" not in frame:
        out.append(Finding("info", _("No customer column: segmentation and propensity need one.")))
    if dataset.kind == "customers" and "customer_id" in frame:
        repeated = int(frame["customer_id"].dropna().duplicated().sum())
        if repeated:
            out.append(
                Finding(
                    "warning",
                    _(
                        "{n} customer ids appear more than once; one row per customer is expected."
                    ).format(n=f"{repeated:,}"),
                    repeated,
                )
            )
    if dataset.kind == "series" and "timestamp" in frame:
        stamps = frame["timestamp"].dropna()
        repeated = int(stamps.duplicated().sum())
        if repeated:
            out.append(
                Finding(
                    "warning",
                    _("{n} periods appear more than once.").format(n=f"{repeated:,}"),
                    repeated,
                )
            )
    if dataset.kind == "baskets":
        sizes = frame.groupby("basket_id").size()
        out.append(
            Finding(
                "info",
                _(
                    "{baskets} baskets with {items} distinct items; {mean} items per basket on "
                    "average, {single} baskets with one item."
                ).format(
                    baskets=f"{len(sizes):,}",
                    items=f"{frame['item'].nunique():,}",
                    mean=f"{sizes.mean():.1f}",
                    single=f"{int((sizes == 1).sum()):,}",
                ),
            )
        )
    return out


def _findings(
    dataset: Dataset,
    source: pd.DataFrame,
    columns: pd.DataFrame,
    counts: dict[str, int],
    extreme: dict[str, int],
    date_range: tuple[pd.Timestamp, pd.Timestamp] | None,
) -> tuple[Finding, ...]:
    frame = dataset.frame
    n = max(len(frame), 1)
    out: list[Finding] = []

    def pct(k: int) -> str:
        return f"{100 * k / n:.1f}%"

    for step in CLEANING_STEPS:
        k = counts.get(step.name, 0)
        if k:
            out.append(Finding(step.severity, _(step.finding).format(rows=k, share=pct(k)), k))
    for role, k in extreme.items():
        if k:
            top = frame[role].abs().max()
            out.append(
                Finding(
                    "info",
                    _("{n} {role} values are far above the typical range (largest {top}).").format(
                        n=f"{k:,}", role=_(ROLE_LABELS[role]).lower(), top=f"{top:,.0f}"
                    ),
                    k,
                )
            )
    out += _kind_findings(dataset)
    empty = columns.loc[columns["Filled"] == 0, "Column"].tolist()
    if empty:
        out.append(
            Finding(
                "info",
                ngettext(
                    "{n} column is entirely empty: {names}.",
                    "{n} columns are entirely empty: {names}.",
                    len(empty),
                ).format(n=len(empty), names=", ".join(empty[:5])),
            )
        )
    sparse = columns.loc[(columns["Missing %"] >= 50) & (columns["Filled"] > 0), "Column"].tolist()
    if sparse:
        out.append(
            Finding(
                "info",
                _("Mostly empty (half or more missing): {names}.").format(
                    names=", ".join(sparse[:5])
                ),
            )
        )
    constant = columns.loc[(columns["Distinct"] == 1) & (len(source) > 1), "Column"].tolist()
    if constant:
        out.append(
            Finding(
                "info",
                _("Same value in every row: {names}.").format(names=", ".join(constant[:5])),
            )
        )
    if date_range:
        days = (date_range[1] - date_range[0]).days + 1
        out.append(
            Finding(
                "info",
                ngettext(
                    "Dates run from {first} to {last} ({n} day).",
                    "Dates run from {first} to {last} ({n} days).",
                    days,
                ).format(first=day(date_range[0]), last=day(date_range[1]), n=f"{days:,}"),
            )
        )
        # Transactions have the cleaning step above; series (AirPassengers starts in 1949) may
        # only be flagged for dates far in the future.
        ahead = date_range[1] > pd.Timestamp.now() + pd.Timedelta(days=366)
        if ahead and dataset.kind != "transactions":
            out.append(
                Finding(
                    "warning",
                    _("Some dates are more than a year ahead: check the date column."),
                )
            )
    for note in dataset.notes:
        if "not" in note and ("numbers" in note or "dates" in note):
            out.append(Finding("warning", note))
    order = {"problem": 0, "warning": 1, "info": 2}
    return tuple(sorted(out, key=lambda f: order[f.severity]))
