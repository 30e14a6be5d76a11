"""What to predict and from what: a yes/no column of a customer list, or churn / buying again
derived from orders, with one row of features per customer (``propensity_data``,
``PropensityData``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from analytics.data import (
    ROLE_LABELS,
    Dataset,
    looks_like_identifier,
    order_lines_problem,
    sales_mask,
)
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, day

DerivedTarget = Literal["churn", "buy"]
DERIVED_LABELS = {
    "churn": N_("Churned: no order in the {days} days after the cutoff"),
    "buy": N_("Buys again: an order in the {days} days after the cutoff"),
}
MIN_ROWS = 30
#: Categories kept per text column; rarer ones are pooled as "infrequent".
MAX_CATEGORIES = 30
#: A text column with more distinct values than this share of rows is free text or an id.
FREE_TEXT_SHARE = 0.5


@dataclass(frozen=True)
class PropensityData:
    """Features and a 0/1 target, one row per customer.

    Attributes
    ----------
    features : pandas.DataFrame
        The model's inputs: numeric and text (categorical) columns.
    target : numpy.ndarray
        1 for the positive outcome (churned, bought, responded), else 0.
    ids : pandas.Series
        The customer of each row (for the scored list).
    target_name : str
        The outcome in words.
    positive : str
        The value counted as positive.
    dropped : dict
        Column → why it was left out of the features.
    notes : tuple of str
    cutoff : pandas.Timestamp or None
        Derived targets: features use only data before this day.
    key : str
        Identifies the data for caches.
    earlier : PropensityData or None
        Derived targets: the same features and target one window earlier (the temporal split
        trains there and tests here).
    now : pandas.DataFrame or None
        Derived targets: the features as of the end of the data (index: customer), to score the
        customers to act on now.
    options : dict
        The options that made the data, as :class:`PropensityParams` names them (``target``
        and ``positive``, or ``derive``, ``days`` and ``cutoff``), for the result to repeat.
    """

    features: pd.DataFrame
    target: np.ndarray
    ids: pd.Series
    target_name: str
    positive: str
    dropped: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    cutoff: pd.Timestamp | None = None
    key: str = ""
    earlier: PropensityData | None = field(default=None, repr=False)
    now: pd.DataFrame | None = field(default=None, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.target)

    @property
    def positive_share(self) -> float:
        return float(self.target.mean()) if self.n else float("nan")


def _usable_features(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Leave out identifiers, empty, constant and free-text columns, saying why."""
    dropped: dict[str, str] = {}
    keep: list[str] = []
    n = len(frame)
    for column in frame.columns:
        values = frame[column]
        distinct = values.nunique(dropna=True)
        if values.notna().sum() == 0:
            dropped[column] = _("every value is missing")
        elif distinct <= 1:
            dropped[column] = _("the same value in every row")
        elif looks_like_identifier(str(column)):
            dropped[column] = _("an identifier (its name says so)")
        elif not pd.api.types.is_numeric_dtype(values) and distinct > max(
            MAX_CATEGORIES, FREE_TEXT_SHARE * n
        ):
            dropped[column] = _(
                "{distinct} different texts in {n} rows: an identifier or free text, which a "
                "model cannot learn from"
            ).format(distinct=f"{distinct:,}", n=f"{n:,}")
        elif pd.api.types.is_datetime64_any_dtype(values):
            dropped[column] = _("a date (use it through a derived target instead)")
        else:
            keep.append(column)
    return frame[keep], dropped


def outcome_values(dataset: Dataset, column: str) -> list[str]:
    """The values of a yes/no column as a model reads them (text, trimmed), sorted."""
    values = dataset.frame[column]
    return sorted(values[values.notna()].astype("str").str.strip().unique())


def default_positive(values: Sequence[str]) -> str:
    """The value that counts as a yes when none is chosen: Yes, 1 or True, else the last."""
    return next(
        (v for v in ("Yes", "yes", "1", "True", "true", "Y", "1.0") if v in values), values[-1]
    )


def _binary_target(values: pd.Series, positive: str | None, name: str) -> tuple[np.ndarray, str]:
    text = values.astype("str").str.strip()
    classes = sorted(text[values.notna()].unique())
    if len(classes) < 2:
        raise AnalyticsError(
            _(
                "The target {name!r} has only one value ({value}), so there is nothing to predict."
            ).format(name=name, value=classes[0] if classes else _("none")),
            hint=_("Choose a column with two outcomes, such as Yes/No."),
        )
    if len(classes) > 2:
        shown = ", ".join(map(str, classes[:6])) + (" …" if len(classes) > 6 else "")
        raise AnalyticsError(
            _(
                "The target {name!r} has {n} values ({shown}); a propensity model predicts one of "
                "two outcomes."
            ).format(name=name, n=len(classes), shown=shown),
            hint=_("Choose a yes/no column, or the one value to predict against all others."),
        )
    if positive is None:
        positive = default_positive(classes)
    if positive not in classes:
        raise AnalyticsError(
            _("{value!r} is not a value of {name!r}; it has {first!r} and {second!r}.").format(
                value=positive, name=name, first=classes[0], second=classes[1]
            )
        )
    return (text == positive).to_numpy(np.int8), positive


def target_from_column(
    dataset: Dataset, target: str, *, positive: str | None = None
) -> PropensityData:
    """A customers table's yes/no column as the target, the other columns as features.

    Parameters
    ----------
    dataset : Dataset
        A customers table (or any table with one row per customer).
    target : str
        The column to predict (its name in the file).
    positive : str, optional
        The value that counts as positive; default ``Yes``/``1``/``True`` when present.

    Example
    -------
    >>> data = target_from_column(dataset, "Churn", positive="Yes")
    """
    frame = dataset.frame
    by_user = {column: role for role, column in dataset.mapping.roles().items()}
    column = by_user.get(target, target)
    if column not in frame:
        raise AnalyticsError(
            _("There is no column {name!r} to predict.").format(name=target),
            hint=_("Choose the target among the table's columns."),
        )
    rows = frame[column].notna()
    notes: list[str] = []
    if not rows.all():
        notes.append(
            _("{n} rows without a value of {name!r} left out.").format(
                n=f"{int((~rows).sum()):,}", name=target
            )
        )
    frame = frame.loc[rows]
    y, positive = _binary_target(frame[column], positive, target)
    ids = (
        frame["customer_id"].astype("str")
        if "customer_id" in frame
        else pd.Series(frame.index.astype(str), index=frame.index)
    )
    candidates = frame.drop(columns=[column, "customer_id"], errors="ignore")
    features, dropped = _usable_features(candidates)
    if "customer_id" in frame:
        dropped[dataset.mapping.customer_id or "customer_id"] = _("the customer identifier")
    key = f"{dataset.fingerprint}|{column}|{positive}"
    return PropensityData(
        features=features.reset_index(drop=True),
        target=y,
        ids=ids.reset_index(drop=True),
        target_name=f"{target} = {positive}",
        positive=positive,
        dropped=dropped,
        notes=tuple(notes),
        key=key,
        options={"target": target, "positive": positive},
    )


def _derivable_lines(dataset: Dataset, kind: str, days: int) -> pd.DataFrame:
    """The sales lines (no cancellations) with a customer and a date; refuses what cannot
    give a derived target."""
    if dataset.kind != "transactions":
        raise AnalyticsError(_("A derived target needs transactions."))
    for role in ("customer_id", "order_id", "timestamp"):
        if not dataset.has(role):
            raise AnalyticsError(
                _("A derived target needs the {column} column.").format(
                    column=_(ROLE_LABELS.get(role, role)).lower()
                ),
                hint=_("Choose it under 'Column roles' on the Data page."),
            )
    if kind not in DERIVED_LABELS:
        raise AnalyticsError(f"The derived target is 'churn' or 'buy', got {kind!r}.")
    if days < 1:
        raise AnalyticsError(f"The window must be at least one day, got {days}.")
    frame = dataset.frame
    lines = frame.loc[sales_mask(frame) & frame["customer_id"].notna() & frame["timestamp"].notna()]
    if lines.empty:
        raise AnalyticsError(
            _(
                "No line sold anything to a known customer on a readable date, so there is no "
                "purchase history to learn from (every line is a return, has quantity 0, or lacks "
                "a customer or a date)."
            ),
            hint=_(
                "Check the quantity and customer columns under 'Column roles' on the Data page."
            ),
        )
    return lines


def _outcome(customers: pd.Index, window: pd.DataFrame, kind: str) -> np.ndarray:
    """1 for each customer who churned (no order in the window) or bought (an order in it)."""
    bought = customers.isin(window["customer_id"].astype("str").unique())
    return (~bought if kind == "churn" else bought).astype(np.int8)


def _earlier(
    frame: pd.DataFrame,
    cut: pd.Timestamp,
    days: int,
    kind: str,
    dimensions: Sequence[str],
    categories: list[str],
    columns: list[str],
) -> PropensityData | None:
    """The same features one window earlier, labelled by the window up to the cutoff: a model
    trained there and scored at the cutoff is tested on a later period (the temporal split)."""
    earlier_cut = cut - pd.Timedelta(days=days)
    earlier_lines = frame.loc[frame["timestamp"] < earlier_cut]
    if earlier_lines.empty:
        return None
    old = _customer_features(earlier_lines, earlier_cut, dimensions, categories)
    window = frame.loc[(frame["timestamp"] >= earlier_cut) & (frame["timestamp"] < cut)]
    return PropensityData(
        features=old.reindex(columns=columns).reset_index(drop=True),
        target=_outcome(old.index, window, kind),
        ids=pd.Series(old.index, name="customer_id"),
        target_name=_(DERIVED_LABELS[kind]).format(days=days),
        positive="1",
        cutoff=earlier_cut,
    )


def target_from_transactions(
    dataset: Dataset,
    *,
    kind: str = "churn",
    days: int = 90,
    cutoff: pd.Timestamp | str | None = None,
) -> PropensityData:
    """Churn or buying again after a cutoff, from transactions; features only from before it.

    Parameters
    ----------
    dataset : Dataset
        Transactions with customer, order and date columns.
    kind : str
        ``"churn"`` (no order in the ``days`` after the cutoff) or ``"buy"`` (an order in them).
    days : int
        The window after the cutoff.
    cutoff : date-like, optional
        Default: ``days`` before the last date, so the window is fully observed.

    Features per customer (as of the cutoff): recency, orders, revenue, average, spread and
    largest order value, items per order, tenure, days between orders, the share of revenue
    in each category, and the most frequent value of each dimension (country, channel).
    """
    frame = _derivable_lines(dataset, kind, days)
    last = frame["timestamp"].max().normalize() + pd.Timedelta(days=1)
    cut = last - pd.Timedelta(days=days) if cutoff is None else pd.Timestamp(cutoff)
    before = frame.loc[frame["timestamp"] < cut]
    after = frame.loc[
        (frame["timestamp"] >= cut) & (frame["timestamp"] < cut + pd.Timedelta(days=days))
    ]
    if before.empty:
        raise AnalyticsError(
            _("No orders before the cutoff ({day}) to learn from.").format(day=day(cut)),
            hint=_("Choose a later cutoff or a shorter window."),
        )
    notes = [
        _(
            "Features use orders before {cut}; the target looks at the {days} days from then to "
            "{end}."
        ).format(cut=day(cut), days=days, end=day(cut + pd.Timedelta(days=days - 1)))
    ]
    if cut + pd.Timedelta(days=days) > last:
        notes.append(
            _(
                "The data ends on {day}, inside the window: customers may still buy after it, so "
                "churn is overstated."
            ).format(day=day(last - pd.Timedelta(days=1)))
        )
    categories = _top_categories(before)
    features = _customer_features(before, cut, dataset.dimensions, categories)
    usable, dropped = _usable_features(features)
    columns = list(usable.columns)
    # Everything known at the end of the data: the customers to act on now.
    now = _customer_features(frame, last, dataset.dimensions, categories)
    return PropensityData(
        features=usable.reset_index(drop=True),
        target=_outcome(features.index, after, kind),
        ids=pd.Series(features.index, name="customer_id"),
        target_name=_(DERIVED_LABELS[kind]).format(days=days),
        positive="1",
        dropped=dropped,
        notes=tuple(notes),
        cutoff=cut,
        key=f"{dataset.fingerprint}|{kind}|{days}|{cut}",
        earlier=_earlier(frame, cut, days, kind, dataset.dimensions, categories, columns),
        now=now.reindex(columns=columns),
        options={"derive": kind, "days": days, "cutoff": cutoff},
    )


#: What to say when a customer table has no column a model could predict, and what to do.
NO_YES_NO_COLUMN = (
    N_(
        "A propensity model predicts a yes/no column, and this table has none (no column with "
        "exactly two values)."
    ),
    N_(
        "Add one, such as Churned = Yes/No, or load transactions to predict churn from purchase "
        "history."
    ),
)


#: Column names that say "this is the outcome to predict" (lower case): churn and response, and
#: the names public datasets give their label (UCI bank marketing's ``y``, Kaggle's ``Exited`` …).
OUTCOME_NAMES = frozenset(
    {
        "churn",
        "churned",
        "response",
        "responded",
        "y",
        "target",
        "label",
        "outcome",
        "converted",
        "subscribed",
        "purchased",
        "exited",
        "attrition",
        "attrition_flag",
        # A yes/no "Revenue" is whether a visit bought (UCI online shoppers' intention).
        "revenue",
        "purchase",
        "bought",
        "buyer",
        "bikebuyer",
        "conversion",
    }
)


class YesNoColumns(NamedTuple):
    """The columns a model can predict (exactly two values), and the likeliest target."""

    columns: list[str]
    likeliest: str | None


def yes_no_columns(dataset: Dataset) -> YesNoColumns:
    """The columns with exactly two values (what a model can predict) and the likeliest target.

    A column named as an outcome (``OUTCOME_NAMES``: churn, response, y, target, converted …) is
    preferred; else the first.
    """
    frame = dataset.frame
    two_valued = [
        str(c) for c in frame.columns if c != "customer_id" and frame[c].nunique(dropna=True) == 2
    ]
    preferred = next(
        (c for c in two_valued if c.strip().lower() in OUTCOME_NAMES),
        two_valued[0] if two_valued else None,
    )
    return YesNoColumns(two_valued, preferred)


def propensity_data(
    dataset: Dataset,
    *,
    target: str | None = None,
    positive: str | None = None,
    derive: str | None = None,
    days: int = 90,
    cutoff: dt.date | pd.Timestamp | None = None,
) -> PropensityData:
    """Features and target: a yes/no column of a customer list, or an outcome derived from orders.

    Parameters
    ----------
    dataset : Dataset
        Customers or transactions.
    target, positive
        Customers: the column to predict and its positive value (default: the likeliest yes/no
        column, see :func:`yes_no_columns`).
    derive, days, cutoff
        Transactions: what to derive (default ``"churn"``), its window and cutoff, as in
        :func:`target_from_transactions`.

    Returns
    -------
    PropensityData

    Example
    -------
    >>> propensity_data(transactions, derive="churn", days=90).n  # doctest: +SKIP
    1200
    """
    if dataset.kind == "transactions":
        return target_from_transactions(
            dataset,
            kind=derive or "churn",
            days=days,
            cutoff=None if cutoff is None else pd.Timestamp(cutoff),
        )
    if (problem := order_lines_problem(dataset)) is not None:
        raise problem
    if target is None:
        target = yes_no_columns(dataset).likeliest
    if target is None:
        message, hint = NO_YES_NO_COLUMN
        raise AnalyticsError(message, hint=hint)
    return target_from_column(dataset, target, positive=positive)


def _top_categories(lines: pd.DataFrame, top: int = 8) -> list[str]:
    if "category" not in lines or not lines["category"].notna().any():
        return []
    revenue = lines.groupby("category", observed=True)["revenue"].sum()
    return [str(c) for c in revenue.nlargest(top).index]


def _customer_features(
    lines: pd.DataFrame, cutoff: pd.Timestamp, dims: Sequence[str], categories: Sequence[str]
) -> pd.DataFrame:
    customer = lines["customer_id"].astype("str")
    orders = lines.groupby([customer, lines["order_id"].astype("str")], observed=True).agg(
        value=("revenue", "sum"),
        units=("quantity", "sum") if "quantity" in lines else ("revenue", "size"),
        when=("timestamp", "min"),
    )
    per = orders.groupby(level=0)
    first, last = per["when"].min(), per["when"].max()
    count = per.size()
    out = pd.DataFrame(
        {
            "recency_days": (cutoff - last).dt.days,
            "orders": count,
            "revenue": per["value"].sum(),
            "avg_order_value": per["value"].mean(),
            "order_value_spread": per["value"].std().fillna(0.0),
            "largest_order": per["value"].max(),
            "items_per_order": per["units"].mean(),
            "tenure_days": (cutoff - first).dt.days,
            "days_between_orders": ((last - first).dt.days / (count - 1).where(count > 1)),
        }
    )
    if categories:
        share = lines.pivot_table(
            index=customer,
            columns=lines["category"].astype("str"),
            values="revenue",
            aggfunc="sum",
            fill_value=0.0,
        )
        share = share.reindex(columns=list(categories), fill_value=0.0).div(
            share.sum(axis=1).where(lambda s: s != 0), axis=0
        )
        share.columns = [f"share_{c}" for c in share.columns]
        out = out.join(share)
    for dim in dims:
        out[dim] = _most_frequent(customer, lines[dim])
    out.index.name = "customer_id"
    return out


def _most_frequent(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Each key's most frequent value, missing values ignored; of tied values the first in sort
    order (what ``Series.mode`` gives). One grouped count, not a ``mode`` per customer (which took
    4 of the 4.6 s of building the sample's features)."""
    pairs = pd.DataFrame({"key": keys.to_numpy(), "value": values.reset_index(drop=True)}).dropna(
        subset=["value"]
    )
    counts = pairs.groupby(["key", "value"], observed=True).size().rename("n").reset_index()
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True])
    return counts.drop_duplicates("key").set_index("key")["value"]


def _as_model_input(features: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects (the imputer and encoder need one missing marker)."""
    out = features.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype(object).where(out[column].notna(), np.nan)
        elif pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(float)
    return out
