"""Propensity models: who will churn, buy again or respond, validated honestly.

The steps are separate so that a dashboard can cache each one:

* ``target_from_column`` (a customers table with a yes/no column) or ``target_from_transactions``
  (churn or buying again in the N days after a cutoff, features from before it) give a
  ``PropensityData``: one row of features per customer and a 0/1 target. Identifier columns, empty
  columns and free-text columns are left out, each with the reason.
* ``fit_propensity`` fits scikit-learn pipelines (impute, one-hot, scale, model) for logistic
  regression, a decision tree, a random forest and histogram gradient boosting, each with one
  good default setting (``SETTINGS``), or on request (``search=True``) a small grid (``GRIDS``),
  scored by stratified, shuffled k-fold cross-validation on ROC AUC; ``"auto"`` keeps the
  best. Every metric, curve and lift table is computed on out-of-fold predictions: no customer is
  ever scored by a model that saw them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import ParameterGrid, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from analytics.budget import Budget, check
from analytics.data import Dataset, cancellation_mask, looks_like_identifier, order_lines_problem
from analytics.errors import AnalyticsError
from analytics.params import Constraint, Params

Model = Literal["logreg", "tree", "forest", "gbm"]
MODELS: tuple[str, ...] = get_args(Model)
MODEL_LABELS = {
    "auto": "Auto (best cross-validated ROC AUC)",
    "logreg": "Logistic regression",
    "tree": "Decision tree",
    "forest": "Random forest",
    "gbm": "Gradient boosting (histogram)",
}
#: Each model's setting when no search is asked for: one fit per fold instead of a grid's
#: (about four times fewer fits for auto). On the Telco reference file the chosen model's ROC
#: AUC is within 0.002 of the searched one.
SETTINGS: dict[str, dict[str, Any]] = {
    "logreg": {"model__C": 1.0},
    "tree": {"model__max_depth": 5, "model__min_samples_leaf": 20},
    "forest": {"model__max_depth": 8, "model__min_samples_leaf": 10},
    "gbm": {"model__learning_rate": 0.05, "model__max_leaf_nodes": 15},
}
#: The small grid searched for each model (pipeline step ``model``) when asked (search=True).
GRIDS: dict[str, dict[str, list[Any]]] = {
    "logreg": {"model__C": [0.1, 1.0, 10.0]},
    "tree": {"model__max_depth": [3, 5, 8], "model__min_samples_leaf": [20, 60]},
    "forest": {"model__max_depth": [8, 16], "model__min_samples_leaf": [3, 10]},
    "gbm": {"model__learning_rate": [0.05, 0.1], "model__max_leaf_nodes": [15, 31]},
}
DerivedTarget = Literal["churn", "buy"]
DERIVED_LABELS = {
    "churn": "Churned: no order in the {days} days after the cutoff",
    "buy": "Buys again: an order in the {days} days after the cutoff",
}
VALIDATIONS: tuple[str, ...] = ("auto", "cv", "temporal")
MIN_ROWS = 30
#: Categories kept per text column; rarer ones are pooled as "infrequent".
MAX_CATEGORIES = 30
#: A text column with more distinct values than this share of rows is free text or an id.
FREE_TEXT_SHARE = 0.5
LEAKAGE_AUC = 0.98
#: Rows each tree of a random forest is grown on, at most (large tables).
FOREST_SAMPLE = 20_000


@dataclass(frozen=True)
class PropensityParams(Params):
    """What propensity modelling takes, with the defaults of the page, the report and the CLI.

    Stages: ``data`` (:func:`propensity_data`: the yes/no column of a customers table, or the
    outcome derived from transactions), ``fit`` (:func:`fit_propensity`) and ``display`` (the
    threshold from which a score counts as a yes).

    Example
    -------
    >>> params = PropensityParams(derive="buy", days=60)
    >>> params.options("fit")
    {'model': 'auto', 'folds': 5, 'validation': 'auto', 'search': False}
    """

    target: str | None = None
    positive: str | None = None
    derive: str | None = None
    days: int = 90
    cutoff: dt.date | None = None
    model: str = "auto"
    folds: int = 5
    validation: str = "auto"
    search: bool = False
    threshold: float = 0.5

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "target": Constraint("column", "the yes/no column to predict", "data", optional=True),
        "positive": Constraint(
            "text", "the value that counts as positive (default: Yes/1)", "data", optional=True
        ),
        "derive": Constraint(
            "choice",
            "transactions: predict churn (no order) or buying again in the --days after a cutoff",
            "data",
            choices=tuple(DERIVED_LABELS),
            optional=True,
        ),
        "days": Constraint("count", "--derive: the window in days", "data", low=1),
        "cutoff": Constraint(
            "date",
            "--derive: features from before this day (default: --days before the last date)",
            "data",
            optional=True,
        ),
        "model": Constraint("choice", "the model", "fit", choices=("auto", *MODELS)),
        "folds": Constraint("count", "cross-validation folds", "fit", low=2, high=20),
        "validation": Constraint(
            "choice",
            "cv: out-of-fold figures; temporal (--derive): train one window earlier, test at the "
            "cutoff; auto: temporal when there is history for it",
            "fit",
            choices=VALIDATIONS,
        ),
        "search": Constraint(
            "flag",
            "search each model's small grid of settings (slower; default: one setting each)",
            "fit",
        ),
        "threshold": Constraint(
            "number", "probability from which a row counts as 1", "display", low=0, high=1
        ),
    }


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
            dropped[column] = "every value is missing"
        elif distinct <= 1:
            dropped[column] = "the same value in every row"
        elif looks_like_identifier(str(column)):
            dropped[column] = "an identifier (its name says so)"
        elif not pd.api.types.is_numeric_dtype(values) and distinct > max(
            MAX_CATEGORIES, FREE_TEXT_SHARE * n
        ):
            dropped[column] = (
                f"{distinct:,} different texts in {n:,} rows: an identifier or free text, "
                "which a model cannot learn from"
            )
        elif pd.api.types.is_datetime64_any_dtype(values):
            dropped[column] = "a date (use it through a derived target instead)"
        else:
            keep.append(column)
    return frame[keep], dropped


def _binary_target(values: pd.Series, positive: str | None, name: str) -> tuple[np.ndarray, str]:
    text = values.astype("str").str.strip()
    classes = sorted(text[values.notna()].unique())
    if len(classes) < 2:
        raise AnalyticsError(
            f"The target {name!r} has only one value ({classes[0] if classes else 'none'}), so "
            "there is nothing to predict.",
            hint="Choose a column with two outcomes, such as Yes/No.",
        )
    if len(classes) > 2:
        shown = ", ".join(map(str, classes[:6])) + (" …" if len(classes) > 6 else "")
        raise AnalyticsError(
            f"The target {name!r} has {len(classes)} values ({shown}); a propensity model "
            "predicts one of two outcomes.",
            hint="Choose a yes/no column, or the one value to predict against all others.",
        )
    if positive is None:
        for guess in ("Yes", "yes", "1", "True", "true", "Y", "1.0"):
            if guess in classes:
                positive = guess
                break
        else:
            positive = classes[-1]
    if positive not in classes:
        raise AnalyticsError(
            f"{positive!r} is not a value of {name!r}; it has {classes[0]!r} and {classes[1]!r}."
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
            f"There is no column {target!r} to predict.",
            hint="Choose the target among the table's columns.",
        )
    rows = frame[column].notna()
    notes: list[str] = []
    if not rows.all():
        notes.append(f"{int((~rows).sum()):,} rows without a value of {target!r} left out.")
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
        dropped[dataset.mapping.customer_id or "customer_id"] = "the customer identifier"
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
    if dataset.kind != "transactions":
        raise AnalyticsError("A derived target needs transactions.")
    for role in ("customer_id", "order_id", "timestamp"):
        if not dataset.has(role):
            raise AnalyticsError(
                f"A derived target needs the {role.replace('_', ' ')} column.",
                hint="Choose it under 'Column roles' on the Data page.",
            )
    if kind not in DERIVED_LABELS:
        raise AnalyticsError(f"The derived target is 'churn' or 'buy', got {kind!r}.")
    if days < 1:
        raise AnalyticsError(f"The window must be at least one day, got {days}.")
    frame = dataset.frame
    frame = frame.loc[
        ~cancellation_mask(frame) & frame["customer_id"].notna() & frame["timestamp"].notna()
    ]
    last = frame["timestamp"].max().normalize() + pd.Timedelta(days=1)
    cut = last - pd.Timedelta(days=days) if cutoff is None else pd.Timestamp(cutoff)
    before = frame.loc[frame["timestamp"] < cut]
    after = frame.loc[
        (frame["timestamp"] >= cut) & (frame["timestamp"] < cut + pd.Timedelta(days=days))
    ]
    if before.empty:
        raise AnalyticsError(
            f"No orders before the cutoff ({cut:%Y-%m-%d}) to learn from.",
            hint="Choose a later cutoff or a shorter window.",
        )
    notes = [
        f"Features use orders before {cut:%Y-%m-%d}; the target looks at the {days} days from "
        f"then to {cut + pd.Timedelta(days=days - 1):%Y-%m-%d}."
    ]
    if cut + pd.Timedelta(days=days) > last:
        notes.append(
            f"The data ends on {last - pd.Timedelta(days=1):%Y-%m-%d}, inside the window: "
            "customers may still buy after it, so churn is overstated."
        )
    categories = _top_categories(before)
    features = _customer_features(before, cut, dataset.dimensions, categories)
    bought = features.index.isin(after["customer_id"].astype("str").unique())
    y = (~bought if kind == "churn" else bought).astype(np.int8)
    usable, dropped = _usable_features(features)
    columns = list(usable.columns)
    # The same features one window earlier, labelled by the window up to the cutoff: a model
    # trained there and scored here is tested on a later period (the temporal split).
    earlier_cut = cut - pd.Timedelta(days=days)
    earlier_lines = frame.loc[frame["timestamp"] < earlier_cut]
    earlier = None
    if not earlier_lines.empty:
        old = _customer_features(earlier_lines, earlier_cut, dataset.dimensions, categories)
        came = old.index.isin(
            frame.loc[
                (frame["timestamp"] >= earlier_cut) & (frame["timestamp"] < cut), "customer_id"
            ]
            .astype("str")
            .unique()
        )
        earlier = PropensityData(
            features=old.reindex(columns=columns).reset_index(drop=True),
            target=(~came if kind == "churn" else came).astype(np.int8),
            ids=pd.Series(old.index, name="customer_id"),
            target_name=DERIVED_LABELS[kind].format(days=days),
            positive="1",
            cutoff=earlier_cut,
        )
    # Everything known at the end of the data: the customers to act on now.
    now = _customer_features(frame, last, dataset.dimensions, categories)
    return PropensityData(
        features=usable.reset_index(drop=True),
        target=y,
        ids=pd.Series(features.index, name="customer_id"),
        target_name=DERIVED_LABELS[kind].format(days=days),
        positive="1",
        dropped=dropped,
        notes=tuple(notes),
        cutoff=cut,
        key=f"{dataset.fingerprint}|{kind}|{days}|{cut}",
        earlier=earlier,
        now=now.reindex(columns=columns),
    )


#: What to say when a customer table has no column a model could predict, and what to do.
NO_YES_NO_COLUMN = (
    "A propensity model predicts a yes/no column, and this table has none (no column with "
    "exactly two values).",
    "Add one, such as Churned = Yes/No, or load transactions to predict churn from purchase "
    "history.",
)


def yes_no_columns(dataset: Dataset) -> tuple[list[str], str | None]:
    """The columns with exactly two values (what a model can predict) and the likeliest target.

    A column called churn, churned, response or responded is preferred; else the first.
    """
    frame = dataset.frame
    two_valued = [
        str(c) for c in frame.columns if c != "customer_id" and frame[c].nunique(dropna=True) == 2
    ]
    preferred = next(
        (c for c in two_valued if c.lower() in ("churn", "churned", "response", "responded")),
        two_valued[0] if two_valued else None,
    )
    return two_valued, preferred


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
        target = yes_no_columns(dataset)[1]
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
        out[dim] = lines.groupby(customer)[dim].agg(_most_frequent)
    out.index.name = "customer_id"
    return out


def _most_frequent(values: pd.Series) -> object:
    return values.mode().iat[0] if values.notna().any() else None


# --------------------------------------------------------------------------------------------
# Models


def _pipeline(features: pd.DataFrame, model: str, random_state: int) -> Pipeline:
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    text = [c for c in features.columns if c not in numeric]
    prepare = ColumnTransformer(
        [
            (
                "numbers",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            ),
            (
                "categories",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="infrequent_if_exist",
                                max_categories=MAX_CATEGORIES,
                                sparse_output=False,
                            ),
                        ),
                    ]
                ),
                text,
            ),
        ],
        verbose_feature_names_out=False,
    )
    estimator: Any
    if model == "logreg":
        estimator = LogisticRegression(max_iter=2000, class_weight="balanced")
    elif model == "tree":
        estimator = DecisionTreeClassifier(class_weight="balanced", random_state=random_state)
    elif model == "forest":
        # On large tables each tree sees a bootstrap sample of at most FOREST_SAMPLE rows:
        # many times faster, and a hundred such trees still cover the data.
        estimator = RandomForestClassifier(
            n_estimators=100,
            class_weight="balanced",
            max_samples=FOREST_SAMPLE if len(features) > 1.5 * FOREST_SAMPLE else None,
            n_jobs=-1,
            random_state=random_state,
        )
    else:
        # Early stopping on 10% of the training rows: boosting stops when it stops improving,
        # several times faster than a fixed number of rounds on small tables. No class weights:
        # scikit-learn's boosting runs about ten times slower with them, and they barely change
        # how it ranks customers (ROC AUC); its probabilities stay those of the data.
        estimator = HistGradientBoostingClassifier(
            random_state=random_state, max_iter=300, early_stopping=True
        )
    return Pipeline([("prepare", prepare), ("model", estimator)])


def _as_model_input(features: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain objects (the imputer and encoder need one missing marker)."""
    out = features.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].astype(object).where(out[column].notna(), np.nan)
        elif pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(float)
    return out


@dataclass(frozen=True)
class ModelScore:
    """One model's cross-validated result."""

    model: str
    params: dict[str, Any]
    roc_auc: float
    roc_auc_sd: float
    pr_auc: float
    probabilities: np.ndarray  # out of fold
    seconds: float


@dataclass(frozen=True)
class PropensityResult:
    """What the page and the CLI show.

    Attributes
    ----------
    data : PropensityData
    model : str
        The chosen model.
    scores : dict
        Model → ModelScore (cross-validated; probabilities out of fold).
    pipeline : sklearn.pipeline.Pipeline
        The chosen model refitted on every row: what the scored list and downloads use.
    folds : int
    validation : str
        How the figures were obtained, in words.
    leakage : dict
        Feature → ROC AUC of that feature alone, for features that predict almost perfectly.
    notes : tuple of str
    seconds : float
    """

    data: PropensityData
    model: str
    scores: dict[str, ModelScore]
    pipeline: Pipeline
    folds: int
    validation: str
    leakage: dict[str, float]
    notes: tuple[str, ...]
    seconds: float

    @property
    def chosen(self) -> ModelScore:
        return self.scores[self.model]

    def leaderboard(self, threshold: float = 0.5) -> pd.DataFrame:
        """One row per model: cross-validated ROC AUC (± sd), PR AUC and the threshold metrics."""
        rows = []
        for name, score in self.scores.items():
            rows.append(
                {
                    "model": name,
                    "roc_auc": score.roc_auc,
                    "roc_auc_sd": score.roc_auc_sd,
                    "pr_auc": score.pr_auc,
                    **threshold_metrics(self.data.target, score.probabilities, threshold),
                    "params": ", ".join(f"{k.split('__')[1]}={v}" for k, v in score.params.items()),
                    "seconds": score.seconds,
                }
            )
        return pd.DataFrame(rows).set_index("model").sort_values("roc_auc", ascending=False)

    def scored(self) -> pd.DataFrame:
        """Every customer with the chosen model's probability and decile (1 = most likely)."""
        probability = self.pipeline.predict_proba(_as_model_input(self.data.features))[:, 1]
        table = pd.DataFrame({"customer_id": self.data.ids, "probability": probability})
        table["decile"] = _deciles(probability)
        table["actual"] = self.data.target
        return table.sort_values("probability", ascending=False, kind="stable")

    def scored_now(self) -> pd.DataFrame | None:
        """Derived targets: every customer as of the end of the data, most likely first."""
        if self.data.now is None:
            return None
        now = self.data.now
        probability = self.pipeline.predict_proba(_as_model_input(now.reset_index(drop=True)))[:, 1]
        table = pd.DataFrame({"customer_id": now.index.astype(str), "probability": probability})
        table["decile"] = _deciles(probability)
        return table.sort_values("probability", ascending=False, kind="stable", ignore_index=True)

    def action_list(self) -> pd.DataFrame:
        """The list to act on: customers as of the end of the data for derived targets
        (``scored_now``), else every customer of the table (``scored``)."""
        now = self.scored_now()
        return self.scored() if now is None else now

    def summary(self, threshold: float = 0.5) -> dict[str, object]:
        board = self.leaderboard(threshold)
        return {
            "target": self.data.target_name,
            "rows": self.data.n,
            "positive_share": round(self.data.positive_share, 4),
            "features": list(self.data.features.columns),
            "dropped": self.data.dropped,
            "folds": self.folds,
            "validation": self.validation,
            "model": self.model,
            "models": {
                name: {k: _json(v) for k, v in row.items()} for name, row in board.iterrows()
            },
            "leakage": self.leakage,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
        }


def _json(value: object) -> object:
    if isinstance(value, float | np.floating):
        return round(float(value), 4) if np.isfinite(value) else None
    return value


def _deciles(probability: np.ndarray) -> np.ndarray:
    """Decile 1 holds the highest 10% of probabilities; ties broken by order."""
    order = np.argsort(-probability, kind="stable")
    ranks = np.empty(len(order), int)
    ranks[order] = np.arange(len(order))
    return (ranks * 10 // max(len(order), 1)) + 1


def threshold_metrics(y: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, float]:
    """Accuracy, precision, recall and F1 when everyone at or above ``threshold`` is called 1."""
    predicted = (probability >= threshold).astype(int)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "precision": float(precision_score(y, predicted, zero_division=0)),
        "recall": float(recall_score(y, predicted, zero_division=0)),
        "f1": float(f1_score(y, predicted, zero_division=0)),
    }


def lift_table(y: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Deciles by score: customers, positives, rate, lift over the average and cumulative gains."""
    decile = _deciles(probability)
    table = (
        pd.DataFrame({"decile": decile, "y": y})
        .groupby("decile")
        .agg(customers=("y", "size"), positives=("y", "sum"))
    )
    base = y.mean() if len(y) else np.nan
    table["rate"] = table["positives"] / table["customers"]
    table["lift"] = table["rate"] / base if base > 0 else np.nan
    table["cumulative_customers"] = table["customers"].cumsum() / table["customers"].sum()
    total = table["positives"].sum()
    table["cumulative_gain"] = table["positives"].cumsum() / total if total else np.nan
    return table.reset_index()


def contact_top(y: np.ndarray, probability: np.ndarray, share: float) -> dict[str, float]:
    """Contacting the top ``share`` by score: positives reached, against a random pick."""
    if not 0 < share <= 1:
        raise AnalyticsError(f"The share to contact must be between 0 and 1, got {share}.")
    n = max(1, round(share * len(y)))
    top = np.argsort(-probability, kind="stable")[:n]
    reached = int(y[top].sum())
    random = float(y.mean() * n)
    return {
        "contacted": n,
        "positives_reached": reached,
        "random_expected": random,
        "share_of_positives": reached / y.sum() if y.sum() else float("nan"),
        "lift": reached / random if random else float("nan"),
    }


def _leakage(data: PropensityData) -> dict[str, float]:
    """Features that on their own separate the classes almost perfectly (ROC AUC ≥ 0.98)."""
    found: dict[str, float] = {}
    y = data.target
    for column in data.features.columns:
        values = data.features[column]
        if pd.api.types.is_numeric_dtype(values):
            score = values.astype(float).fillna(values.astype(float).median()).to_numpy()
        else:
            rate = pd.Series(y).groupby(values.astype("str").to_numpy()).mean()
            score = values.astype("str").map(rate).to_numpy(float)
        if np.ptp(score) == 0:
            continue
        auc = float(roc_auc_score(y, score))
        auc = max(auc, 1 - auc)
        if auc >= LEAKAGE_AUC:
            found[str(column)] = round(auc, 4)
    return found


def fit_propensity(
    data: PropensityData,
    *,
    model: str = "auto",
    folds: int = 5,
    validation: str = "auto",
    search: bool = False,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    budget: Budget | None = None,
) -> PropensityResult:
    """Cross-validate the models (one setting each, or a small grid), keep the best, refit it.

    Parameters
    ----------
    data : PropensityData
    model : str
        ``"auto"`` (every model, the best ROC AUC kept) or one of ``MODELS``.
    folds : int
        Stratified, shuffled folds (at least 2).
    validation : str
        ``"cv"``: every figure from out-of-fold predictions. ``"temporal"`` (derived targets):
        settings chosen by cross-validation one window earlier, the model trained there and
        tested on the customers at the cutoff, a later period it never saw. ``"auto"``:
        temporal when the data has an earlier window with both outcomes, else cv.
    search : bool
        Search each model's small grid (``GRIDS``) instead of its default setting
        (``SETTINGS``): slower, rarely better.
    random_state : int
        The same data and state always give the same result.
    progress : callable, optional
        Called with a short message before each model.
    budget : Budget, optional
        Checked before every fit: stops with :class:`~analytics.budget.Interrupted` when the
        visitor has gone or the time is used up.

    Raises
    ------
    AnalyticsError
        Too few rows, too few of either class for the folds, or no usable feature.

    Example
    -------
    >>> result = fit_propensity(target_from_column(dataset, "Churn"), model="auto")
    >>> result.leaderboard()
    """
    started = time.perf_counter()
    say = progress or (lambda message: None)
    if model not in ("auto", *MODELS):
        raise AnalyticsError(f"Model must be auto or one of {', '.join(MODELS)}, got {model!r}.")
    if data.n < MIN_ROWS:
        raise AnalyticsError(
            f"{data.n} rows are too few to train and honestly test a model; at least "
            f"{MIN_ROWS} are needed.",
            hint="Load more customers, or widen the filters.",
        )
    if data.features.shape[1] == 0:
        raise AnalyticsError(
            "No column is left to learn from: "
            + "; ".join(f"{c}: {why}" for c, why in data.dropped.items()),
        )
    minority = int(min(data.target.sum(), data.n - data.target.sum()))
    if minority < max(folds, 2):
        raise AnalyticsError(
            f"Only {minority} rows have the rarer outcome; {folds}-fold cross-validation needs at "
            f"least {folds}.",
            hint="Choose a more common outcome, a longer window, or fewer folds.",
        )
    notes = list(data.notes)
    share = data.positive_share
    if min(share, 1 - share) < 0.3:
        notes.append(
            f"{share:.1%} of rows are positive: logistic regression, the tree and the forest "
            "weight the classes to balance them (class_weight='balanced'), so their "
            "probabilities of the rarer outcome run high; gradient boosting is unweighted."
        )
    x = _as_model_input(data.features)
    y = data.target
    earlier = data.earlier
    usable_earlier = (
        earlier is not None
        and earlier.n >= MIN_ROWS
        and min(earlier.target.sum(), earlier.n - earlier.target.sum()) >= folds
    )
    if validation not in VALIDATIONS:
        raise AnalyticsError(f"Validation is auto, cv or temporal, got {validation!r}.")
    temporal = validation == "temporal" or (validation == "auto" and usable_earlier)
    if temporal and not usable_earlier:
        raise AnalyticsError(
            "A temporal split needs a derived target with enough history one window before the "
            "cutoff, with both outcomes.",
            hint="Choose a later cutoff or a shorter window, or cross-validation.",
        )
    if temporal:
        assert earlier is not None and earlier.cutoff is not None and data.cutoff is not None
        fit_x, fit_y = _as_model_input(earlier.features), earlier.target
        described = (
            f"trained on customers as of {earlier.cutoff:%Y-%m-%d} ({earlier.n:,}), tested on "
            f"customers as of {data.cutoff:%Y-%m-%d} ({data.n:,}); settings chosen by "
            f"{folds}-fold cross-validation on the earlier customers"
        )
    else:
        fit_x, fit_y = x, y
        described = f"{folds}-fold stratified cross-validation (out-of-fold predictions)"
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    scores: dict[str, ModelScore] = {}
    fitted: dict[str, Pipeline] = {}
    for name in MODELS if model == "auto" else (model,):
        say(f"Cross-validating {MODEL_LABELS[name].lower()} …")
        begun = time.perf_counter()
        base = _pipeline(data.features, name, random_state)
        grid = list(ParameterGrid(GRIDS[name])) if search else [SETTINGS[name]]
        # Every setting is fitted on the same folds; the out-of-fold probabilities of the best
        # one are the figures shown, so no extra fits are needed for them.
        oof = np.zeros((len(grid), len(fit_y)))
        aucs = np.zeros((len(grid), folds))
        for fold, (train, test) in enumerate(cv.split(fit_x, fit_y)):
            for number, params in enumerate(grid):
                check(budget)
                pipe = clone(base).set_params(**params).fit(fit_x.iloc[train], fit_y[train])
                oof[number, test] = pipe.predict_proba(fit_x.iloc[test])[:, 1]
                aucs[number, fold] = roc_auc_score(fit_y[test], oof[number, test])
        best = int(np.argmax(aucs.mean(axis=1)))
        if temporal:
            later = clone(base).set_params(**grid[best]).fit(fit_x, fit_y)
            probabilities = later.predict_proba(x)[:, 1]
            auc, spread = float(roc_auc_score(y, probabilities)), float("nan")
        else:
            probabilities = oof[best]
            auc, spread = float(aucs[best].mean()), float(aucs[best].std())
        scores[name] = ModelScore(
            model=name,
            params=dict(grid[best]),
            roc_auc=auc,
            roc_auc_sd=spread,
            pr_auc=float(average_precision_score(y, probabilities)),
            probabilities=probabilities,
            seconds=time.perf_counter() - begun,
        )
        fitted[name] = clone(base).set_params(**grid[best])

    chosen = max(scores, key=lambda n: scores[n].roc_auc)
    check(budget)
    say(f"Refitting {MODEL_LABELS[chosen].lower()} on all {data.n:,} rows …")
    pipeline = fitted[chosen].fit(x, y)
    leakage = _leakage(data)
    for column, auc in leakage.items():
        notes.append(
            f"{column!r} alone predicts the target with ROC AUC {auc:.3f}: it may be recorded "
            "after the outcome (leakage). Check it, and leave it out if so."
        )
    return PropensityResult(
        data=data,
        model=chosen,
        scores=scores,
        pipeline=pipeline,
        folds=folds,
        validation=described,
        leakage=leakage,
        notes=tuple(notes),
        seconds=time.perf_counter() - started,
    )


def feature_importance(
    result: PropensityResult, *, repeats: int = 5, random_state: int = 0, max_rows: int = 5000
) -> pd.DataFrame:
    """Permutation importance of each input column for the chosen model (drop in ROC AUC).

    Measured on a held-out quarter (the model refitted on the other three quarters), so a column
    the model merely memorised does not look important. At most ``max_rows`` rows are permuted.
    """
    from sklearn.model_selection import train_test_split

    x = _as_model_input(result.data.features)
    y = result.data.target
    train_x, test_x, train_y, test_y = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=random_state
    )
    model = clone(result.pipeline).fit(train_x, train_y)
    if len(test_x) > max_rows:
        test_x, test_y = test_x.iloc[:max_rows], test_y[:max_rows]
    found = permutation_importance(
        model, test_x, test_y, scoring="roc_auc", n_repeats=repeats, random_state=random_state
    )
    table = pd.DataFrame(
        {
            "feature": list(x.columns),
            "importance": found.importances_mean,
            "sd": found.importances_std,
        }
    )
    return table.sort_values("importance", ascending=False, ignore_index=True)


def logistic_coefficients(result: PropensityResult) -> pd.DataFrame | None:
    """The chosen logistic regression's coefficients by input (after one-hot and scaling), or
    None for another model. Numbers are per standard deviation of the input."""
    if result.model != "logreg":
        return None
    names = result.pipeline.named_steps["prepare"].get_feature_names_out()
    weights = result.pipeline.named_steps["model"].coef_[0]
    table = pd.DataFrame({"input": [str(n) for n in names], "coefficient": weights})
    table["odds_ratio"] = np.exp(table["coefficient"])
    order = table["coefficient"].abs().sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)
