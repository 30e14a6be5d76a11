"""Data-quality report and cleaning of a mapped dataset.

The report counts what a marketer must know before trusting a number (duplicates, cancellations,
prices of zero, orders without a customer, unreadable dates, extreme amounts) and says it in short
findings. Cleaning removes those rows step by step; each step is one named rule, the same rule the
report counts with, so the count shown next to a cleaning option is the number of rows it removes.
Cleaning never changes the original: undoing a step is cleaning the original again without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics.data.schema import ROLE_LABELS, Dataset, without_accents
from analytics.errors import AnalyticsError

Severity = Literal["info", "warning", "problem"]


@dataclass(frozen=True)
class Finding:
    """One plain-language observation about the data."""

    severity: Severity
    message: str
    rows: int = 0


@dataclass(frozen=True)
class CleaningStep:
    """A cleaning rule: its name, what it does in words, the kinds it applies to, and the
    quality finding its count gives (``finding`` takes ``{rows}`` and ``{share}``)."""

    name: str
    label: str
    kinds: tuple[str, ...]
    severity: Severity
    finding: str


def _duplicates(frame: pd.DataFrame) -> pd.Series:
    """Rows equal to an earlier row (``DataFrame.duplicated(keep="first")``), in less memory.

    Rows are hashed first (one number each); only rows whose hash repeats are compared exactly,
    so a hash collision never counts as a duplicate. On two million order lines this needs about
    half the scratch memory of comparing every column of every row.
    """
    if frame.empty:
        return pd.Series(False, index=frame.index)
    hashes = pd.util.hash_pandas_object(frame, index=False)
    candidates = hashes.duplicated(keep=False).to_numpy()
    flags = pd.Series(False, index=frame.index)
    if candidates.any():
        flags[candidates] = frame[candidates].duplicated(keep="first").to_numpy()
    return flags


def _id_shape(ids: pd.Series) -> pd.Series:
    """The form of an identifier: letters become ``A``, digits ``9`` (``US-2016-1`` → ``AA-9999-9``)."""
    return ids.str.replace(r"[^\W\d_]", "A", regex=True).str.replace(r"\d", "9", regex=True)


def cancelled_orders(order_ids: pd.Series) -> pd.Series:
    """Order ids of the Online Retail cancellation form: the letter C followed by an id that
    otherwise has the form of the file's other order ids (``C536379`` next to ``536365``).

    An id that merely starts with C is an ordinary order: Superstore's ``CA-2016-152156`` sits
    next to ``US-2016-108966``, and ``A-2016-152156`` has no other id's form; in a file where
    every id starts with C, the C is part of every id.
    """
    codes, uniques = pd.factorize(order_ids)
    if not len(uniques):
        return pd.Series(False, index=order_ids.index)
    text = pd.Series(uniques).astype("str").str.strip()
    starts = text.str.match(r"[Cc]").to_numpy(dtype=bool)
    flagged = np.zeros(len(text), dtype=bool)
    if starts.any() and not starts.all():
        other_shapes = set(_id_shape(text[~starts]))
        flagged[starts] = _id_shape(text[starts].str[1:]).isin(other_shapes).to_numpy()
    taken = np.where(codes >= 0, flagged[np.maximum(codes, 0)], False)
    return pd.Series(taken, index=order_ids.index)


#: Statuses of returned, refunded or cancelled orders, in the languages headers are read in.
_RETURN_WORDS = re.compile(
    r"refund|return|cancel|void|chargeback|storniert|erstattet|zuruckgegeben|rembourse|annule|"
    r"retourne|reembolsad|cancelad|devuelt|devolvid|退款|退货|取消|交易关闭",
    re.IGNORECASE,
)
#: Statuses of orders not paid (yet).
_UNPAID_WORDS = re.compile(
    r"^(?:pending|unpaid|not paid|awaiting payment|authori[sz]ed|ausstehend|offen|en attente|"
    r"impaye|pendiente|pendente|aguardando pagamento)$|未付款|待付款|等待买家付款|未支付",
    re.IGNORECASE,
)


def _plain(values: pd.Series) -> pd.Series:
    """Status texts without accents, for matching words: ``Remboursé`` → ``Rembourse``."""
    uniques = pd.Series(values.dropna().unique())
    plain = uniques.map(lambda v: without_accents(str(v)).strip())
    return values.map(dict(zip(uniques, plain, strict=True)))


def _status_matches(frame: pd.DataFrame, words: re.Pattern[str]) -> pd.Series:
    if "status" not in frame:
        return pd.Series(False, index=frame.index)
    return _plain(frame["status"]).str.contains(words).fillna(False).astype(bool)


def cancellation_mask(frame: pd.DataFrame) -> pd.Series:
    """Cancellations and returns, by the conventions of the file's own columns:

    - a negative quantity;
    - an order id of the cancellation form (see :func:`cancelled_orders`);
    - a status that says so (refunded, returned, cancelled, voided, 退款, 取消 …);
    - a refunded amount above zero on any line of the order (退款金额 > 0).
    """
    mask = pd.Series(False, index=frame.index)
    if "order_id" in frame:
        mask |= cancelled_orders(frame["order_id"])
    if "quantity" in frame:
        mask |= frame["quantity"].lt(0).fillna(False).astype(bool)
    mask |= _status_matches(frame, _RETURN_WORDS)
    if "refund" in frame:
        refunded = frame["refund"].fillna(0).ne(0)
        if "order_id" in frame and refunded.any():
            refunded = frame["order_id"].isin(frame.loc[refunded, "order_id"].dropna().unique())
        mask |= refunded.astype(bool)
    return mask


def unpaid_mask(frame: pd.DataFrame) -> pd.Series:
    """Lines of orders not paid: no payment time (or a paid flag of no), or a pending/unpaid
    status. Returns are not counted here (see :func:`cancellation_mask`)."""
    mask = pd.Series(False, index=frame.index)
    if "paid" in frame:
        mask |= ~frame["paid"].astype(bool)
    mask |= _status_matches(frame, _UNPAID_WORDS)
    return mask & ~cancellation_mask(frame)


def _nonpositive_prices(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["unit_price"].le(0) if "unit_price" in frame else pd.Series(False, index=frame.index)
    )


def _missing_customers(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["customer_id"].isna()
        if "customer_id" in frame
        else pd.Series(False, index=frame.index)
    )


#: Sales dates before this are typos or placeholders (Excel's day zero is 1900-01-00).
EARLIEST_PLAUSIBLE = pd.Timestamp("1990-01-01")


def _implausible_dates(frame: pd.DataFrame) -> pd.Series:
    """Dates before 1990 or more than a year after today: placeholders and typos (1900, 2200)."""
    if "timestamp" not in frame:
        return pd.Series(False, index=frame.index)
    latest = pd.Timestamp.now() + pd.Timedelta(days=366)
    return frame["timestamp"].lt(EARLIEST_PLAUSIBLE) | frame["timestamp"].gt(latest)


def _missing_dates(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["timestamp"].isna() if "timestamp" in frame else pd.Series(False, index=frame.index)
    )


def _missing_values(frame: pd.DataFrame) -> pd.Series:
    value = "value" if "value" in frame else None
    return frame[value].isna() if value else pd.Series(False, index=frame.index)


CLEANING_STEPS: tuple[CleaningStep, ...] = (
    CleaningStep(
        "drop_duplicates",
        "Remove duplicate rows (keep the first)",
        ("transactions", "customers", "series"),
        "warning",
        "{rows:,} rows are exact duplicates of an earlier row ({share}).",
    ),
    CleaningStep(
        "drop_cancellations",
        "Remove cancellations and returns (negative quantity, a C before an invoice number, a "
        "refund, or a refunded or cancelled status)",
        ("transactions",),
        "warning",
        "{rows:,} lines are cancellations or returns ({share}); they reduce revenue.",
    ),
    CleaningStep(
        "drop_unpaid",
        "Remove unpaid orders (no payment time, or a pending or unpaid status)",
        ("transactions",),
        "warning",
        "{rows:,} lines belong to orders not paid ({share}); they are left out of revenue "
        "unless you keep them.",
    ),
    CleaningStep(
        "drop_nonpositive_prices",
        "Remove lines with a zero or negative price",
        ("transactions",),
        "warning",
        "{rows:,} lines have a price of zero or less ({share}).",
    ),
    CleaningStep(
        "drop_missing_customers",
        "Remove rows without a customer id",
        ("transactions", "customers"),
        "warning",
        "{rows:,} rows have no customer id ({share}); customer analyses leave them out.",
    ),
    CleaningStep(
        "drop_missing_dates",
        "Remove rows whose date could not be read",
        ("transactions", "series"),
        "problem",
        "{rows:,} rows have a date that could not be read ({share}).",
    ),
    CleaningStep(
        "drop_implausible_dates",
        "Remove lines dated before 1990 or more than a year ahead",
        ("transactions",),
        "warning",
        "{rows:,} lines are dated before 1990 or more than a year ahead ({share}): most likely "
        "typos or placeholders, and they stretch every chart over the years between.",
    ),
    CleaningStep(
        "drop_missing_values",
        "Remove periods without a value",
        ("series",),
        "warning",
        "{rows:,} periods have no value ({share}).",
    ),
)
_RULES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "drop_duplicates": _duplicates,
    "drop_cancellations": cancellation_mask,
    "drop_unpaid": unpaid_mask,
    "drop_nonpositive_prices": _nonpositive_prices,
    "drop_missing_customers": _missing_customers,
    "drop_missing_dates": _missing_dates,
    "drop_implausible_dates": _implausible_dates,
    "drop_missing_values": _missing_values,
}
STEP_NAMES = tuple(step.name for step in CLEANING_STEPS)
#: The steps the app proposes for a new table (each applies only to the kinds it names).
DEFAULT_STEPS = ("drop_duplicates", "drop_unpaid", "drop_missing_dates", "drop_implausible_dates")


def default_steps(dataset: Dataset) -> tuple[str, ...]:
    """The cleaning proposed for this dataset: ``DEFAULT_STEPS``, except that order lines without
    an order id keep their exact duplicates (a CDNOW customer buying the same twice on one day
    made two purchases; two equal lines of one invoice are one line exported twice)."""
    if dataset.kind == "transactions" and dataset.mapping.order_id is None:
        return tuple(step for step in DEFAULT_STEPS if step != "drop_duplicates")
    return DEFAULT_STEPS


@dataclass(frozen=True)
class CleaningOption:
    """A cleaning step offered for a dataset, with the rows it would remove from the original."""

    step: CleaningStep
    rows: int


@dataclass(frozen=True)
class CleaningLogEntry:
    """One applied step: rows before it and rows it removed."""

    step: str
    label: str
    rows_before: int
    rows_removed: int


@dataclass(frozen=True)
class CleaningResult:
    """The cleaned dataset and the log of the steps applied, in order."""

    dataset: Dataset
    log: tuple[CleaningLogEntry, ...]

    @property
    def rows_removed(self) -> int:
        return sum(entry.rows_removed for entry in self.log)

    @property
    def summary(self) -> pd.DataFrame:
        """The log as a table ready to display."""
        return pd.DataFrame(
            [
                (e.label, e.rows_before, e.rows_removed, e.rows_before - e.rows_removed)
                for e in self.log
            ],
            columns=["Step", "Rows before", "Rows removed", "Rows after"],
        )


def cleaning_options(dataset: Dataset) -> tuple[CleaningOption, ...]:
    """The cleaning steps that apply to this dataset, each with the rows it removes on its own."""
    frame = dataset.frame
    return tuple(
        CleaningOption(step, int(_RULES[step.name](frame).sum()))
        for step in CLEANING_STEPS
        if dataset.kind in step.kinds
    )


def clean(dataset: Dataset, steps: Sequence[str]) -> CleaningResult:
    """Apply cleaning steps to a dataset, always in the order of ``CLEANING_STEPS``.

    Parameters
    ----------
    dataset : Dataset
        The original (uncleaned) dataset.
    steps : sequence of str
        Names from ``STEP_NAMES``.

    Returns
    -------
    CleaningResult

    Raises
    ------
    AnalyticsError
        An unknown step, or cleaning that would leave no rows.

    Example
    -------
    >>> result = clean(dataset, ["drop_cancellations"])  # doctest: +SKIP
    >>> result.log[0].rows_removed  # doctest: +SKIP
    1203
    """
    unknown = [s for s in steps if s not in _RULES]
    if unknown:
        raise AnalyticsError(
            f"Unknown cleaning step {unknown[0]!r}.",
            hint="Steps are: " + ", ".join(STEP_NAMES) + ".",
        )
    frame = dataset.frame
    log = []
    for step in CLEANING_STEPS:
        if step.name not in steps or dataset.kind not in step.kinds:
            continue
        drop = _RULES[step.name](frame)
        removed = int(drop.sum())
        log.append(CleaningLogEntry(step.name, step.label, len(frame), removed))
        if removed:  # a step that removes nothing copies nothing (two million lines: 300 MB)
            frame = frame[~drop.to_numpy()]
    if len(frame) == 0:
        raise AnalyticsError("Cleaning would remove every row.", hint="Untick some cleaning steps.")
    if not log:
        return CleaningResult(dataset, ())
    return CleaningResult(dataset.replace_frame(frame.reset_index(drop=True)), tuple(log))


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
        return "yes/no"
    if pd.api.types.is_integer_dtype(col):
        return "whole number"
    if pd.api.types.is_float_dtype(col):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(col):
        return "date"
    if col.isna().all():
        return "empty"
    return "text"


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
                "Role": ROLE_LABELS.get(role_of.get(str(column), ""), role_of.get(str(column), "")),
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
            out.append(Finding(step.severity, step.finding.format(rows=k, share=pct(k)), k))
    for role, k in extreme.items():
        if k:
            top = frame[role].abs().max()
            out.append(
                Finding(
                    "info",
                    f"{k:,} {ROLE_LABELS[role].lower()} values are far above the typical range (largest {top:,.0f}).",
                    k,
                )
            )
    if dataset.kind == "transactions" and "customer_id" not in frame:
        out.append(Finding("info", "No customer column: segmentation and propensity need one."))
    if dataset.kind == "customers" and "customer_id" in frame:
        repeated = int(frame["customer_id"].dropna().duplicated().sum())
        if repeated:
            out.append(
                Finding(
                    "warning",
                    f"{repeated:,} customer ids appear more than once; one row per customer is expected.",
                    repeated,
                )
            )
    if dataset.kind == "series" and "timestamp" in frame:
        stamps = frame["timestamp"].dropna()
        repeated = int(stamps.duplicated().sum())
        if repeated:
            out.append(Finding("warning", f"{repeated:,} periods appear more than once.", repeated))
    if dataset.kind == "baskets":
        sizes = frame.groupby("basket_id").size()
        out.append(
            Finding(
                "info",
                f"{len(sizes):,} baskets with {frame['item'].nunique():,} distinct items; "
                f"{sizes.mean():.1f} items per basket on average, {int((sizes == 1).sum()):,} baskets with one item.",
            )
        )
    empty = columns.loc[columns["Filled"] == 0, "Column"].tolist()
    if empty:
        out.append(
            Finding("info", f"{len(empty)} column(s) are entirely empty: {', '.join(empty[:5])}.")
        )
    sparse = columns.loc[(columns["Missing %"] >= 50) & (columns["Filled"] > 0), "Column"].tolist()
    if sparse:
        out.append(
            Finding("info", f"Mostly empty (half or more missing): {', '.join(sparse[:5])}.")
        )
    constant = columns.loc[(columns["Distinct"] == 1) & (len(source) > 1), "Column"].tolist()
    if constant:
        out.append(Finding("info", f"Same value in every row: {', '.join(constant[:5])}."))
    if date_range:
        days = (date_range[1] - date_range[0]).days + 1
        out.append(
            Finding(
                "info",
                f"Dates run from {date_range[0]:%Y-%m-%d} to {date_range[1]:%Y-%m-%d} ({days:,} days).",
            )
        )
        # Transactions have the cleaning step above; series (AirPassengers starts in 1949) may
        # only be flagged for dates far in the future.
        ahead = date_range[1] > pd.Timestamp.now() + pd.Timedelta(days=366)
        if ahead and dataset.kind != "transactions":
            out.append(
                Finding(
                    "warning",
                    "Some dates are more than a year ahead: check the date column.",
                )
            )
    for note in dataset.notes:
        if "not" in note and ("numbers" in note or "dates" in note):
            out.append(Finding("warning", note))
    order = {"problem": 0, "warning": 1, "info": 2}
    return tuple(sorted(out, key=lambda f: order[f.severity]))
