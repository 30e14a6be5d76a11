"""Cleaning: the steps a user can apply (duplicates, cancellations and returns, unpaid orders,
missing ids, implausible dates …), which apply by default, and the log of what each removed
(``clean``, ``cancellation_mask``, ``sales_mask``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analytics.data.names import without_accents
from analytics.data.schema import Dataset
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

Severity = Literal["info", "warning", "problem"]


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


#: Statuses of a partial refund or return (the rest of the order stands).
PARTIAL_WORDS = re.compile(r"partial|teilweise|partiel|parcial|部分", re.IGNORECASE)


def matching_statuses(
    statuses: Sequence[str], which: Literal["returns", "unpaid", "partial"]
) -> list[str]:
    """The statuses (of the distinct ones given) that mark a return, an unpaid order or a
    partial refund, read as :func:`cancellation_mask` and :func:`unpaid_mask` read them; the
    large-source engine asks with the distinct statuses of its file and filters on the answer
    in SQL."""
    words = {"returns": _RETURN_WORDS, "unpaid": _UNPAID_WORDS, "partial": PARTIAL_WORDS}[which]
    values = pd.Series(list(statuses), dtype="str")
    return values[_plain(values).str.contains(words).fillna(False)].tolist()


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


def sales_mask(frame: pd.DataFrame, cancelled: pd.Series | None = None) -> pd.Series:
    """Lines that sold something: not a cancellation or return (:func:`cancellation_mask`, or
    ``cancelled`` when the caller has it), and not a line of quantity 0 (a till's voided line:
    the pharmacy file's 27 lines of 0 units and 0 yuan). Orders, customers and baskets count
    these lines only; revenue counts every line."""
    sold = ~(cancellation_mask(frame) if cancelled is None else cancelled)
    if "quantity" in frame:
        sold &= frame["quantity"].ne(0).fillna(True).astype(bool)
    return sold


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
        N_("Remove duplicate rows (keep the first)"),
        ("transactions", "customers", "series"),
        "warning",
        N_("{rows:,} rows are exact duplicates of an earlier row ({share})."),
    ),
    CleaningStep(
        "drop_cancellations",
        N_(
            "Remove cancellations and returns (negative quantity, a C before an invoice number, a "
            "refund, or a refunded or cancelled status)"
        ),
        ("transactions",),
        "warning",
        N_("{rows:,} lines are cancellations or returns ({share}); they reduce revenue."),
    ),
    CleaningStep(
        "drop_unpaid",
        N_("Remove unpaid orders (no payment time, or a pending or unpaid status)"),
        ("transactions",),
        "warning",
        N_(
            "{rows:,} lines belong to orders not paid ({share}); they are left out of revenue "
            "unless you keep them."
        ),
    ),
    CleaningStep(
        "drop_nonpositive_prices",
        N_("Remove lines with a zero or negative price"),
        ("transactions",),
        "warning",
        N_("{rows:,} lines have a price of zero or less ({share})."),
    ),
    CleaningStep(
        "drop_missing_customers",
        N_("Remove rows without a customer id"),
        ("transactions", "customers"),
        "warning",
        N_("{rows:,} rows have no customer id ({share}); customer analyses leave them out."),
    ),
    CleaningStep(
        "drop_missing_dates",
        N_("Remove rows whose date could not be read"),
        ("transactions", "series"),
        "problem",
        N_("{rows:,} rows have a date that could not be read ({share})."),
    ),
    CleaningStep(
        "drop_implausible_dates",
        N_("Remove lines dated before 1990 or more than a year ahead"),
        ("transactions",),
        "warning",
        N_(
            "{rows:,} lines are dated before 1990 or more than a year ahead ({share}): most likely "
            "typos or placeholders, and they stretch every chart over the years between."
        ),
    ),
    CleaningStep(
        "drop_missing_values",
        N_("Remove periods without a value"),
        ("series",),
        "warning",
        N_("{rows:,} periods have no value ({share})."),
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
    """The cleaning proposed for this dataset: ``DEFAULT_STEPS``, except that rows with nothing
    to tell them apart keep their exact duplicates: order lines without an order id (a CDNOW
    customer buying the same twice on one day made two purchases; two equal lines of one invoice
    are one line exported twice) and customers without a customer id (two Hillstrom customers
    with the same history, channel and outcome are two customers)."""
    no_id = (dataset.kind == "transactions" and dataset.mapping.order_id is None) or (
        dataset.kind == "customers" and dataset.mapping.customer_id is None
    )
    if no_id:
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
                (_(e.label), e.rows_before, e.rows_removed, e.rows_before - e.rows_removed)
                for e in self.log
            ],
            columns=[_("Step"), _("Rows before"), _("Rows removed"), _("Rows after")],
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
