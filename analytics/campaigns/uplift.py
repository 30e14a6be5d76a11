"""Uplift: who buys *because* they were contacted. Two approaches on scikit-learn learners, both
cross-fitted (every customer's uplift comes from models that never saw them):

- **two models** (T-learner): one model of the outcome among the treated, one among the
  control; the uplift is the difference of their predictions;
- **class transformation** (Jaskowski & Jaroszewicz 2012; 0/1 outcomes): one classifier of
  ``Z = Y·T + (1 − Y)(1 − T)``, with the treated and control weighted to halves, so that the
  uplift is ``2·P(Z = 1) − 1``.

They are judged with the Qini curve (Radcliffe 2007): customers ranked by predicted uplift, and
for the top *k* the treated responders minus the control responders scaled to the treated
count, against random targeting. The Qini coefficient is the area between the curve and the
random line over that of the perfect ranking (the definition scikit-uplift uses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from analytics.campaigns.experiment import check_levels, outcome_kind
from analytics.display import Column, Display, Kind
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

APPROACHES = {
    "two_model": N_("Two models (treated and control)"),
    "class_transformation": N_("Class transformation"),
}
LEARNERS = {"logreg": N_("Logistic / linear regression"), "gbm": N_("Gradient boosting")}
#: Fewest customers in each of the arm and the control for a model.
MIN_ROWS = 200


def segment_columns(binary: bool) -> dict[str, Column]:
    """How the segments table reads (the page's and the report's)."""
    kind: Kind = "percent" if binary else "number"
    return {
        "segment": Column(N_("Customers"), "text", width="large"),
        "customers": Column(N_("How many"), "count"),
        "predicted": Column(N_("Predicted uplift"), kind, decimals=None if binary else 2),
        "observed": Column(N_("Observed in the test"), kind, decimals=None if binary else 2),
    }


def _learner(name: str, binary: bool, random_state: int):
    if name == "gbm":
        if binary:
            return HistGradientBoostingClassifier(
                max_iter=100, learning_rate=0.1, max_leaf_nodes=15, random_state=random_state
            )
        return HistGradientBoostingRegressor(
            max_iter=100, learning_rate=0.1, max_leaf_nodes=15, random_state=random_state
        )
    if name == "logreg":
        model = LogisticRegression(max_iter=1000) if binary else LinearRegression()
        return make_pipeline(StandardScaler(), model)
    raise AnalyticsError(f"Unknown learner {name!r}: choose {', '.join(LEARNERS)}.")


def features(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """The covariates as model inputs: numbers as they are (missing as the median), text
    columns with at most 30 values one-hot (``channel = Web``); other text left out."""
    parts: list[pd.Series | pd.DataFrame] = []
    for column in covariates:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(float).rename(column))
        elif pd.api.types.is_numeric_dtype(values):
            numbers = values.astype(float)
            parts.append(numbers.fillna(numbers.median()).rename(column))
        elif values.nunique() <= 30:
            dummies = pd.get_dummies(values.astype("string"), prefix=column, prefix_sep=" = ")
            parts.append(dummies.astype(float))
    if not parts:
        raise AnalyticsError(
            _(
                "Uplift needs customer attributes to tell customers apart, and this table has "
                "none besides the group and the outcomes."
            ),
            hint=_("Load the experiment with the customers' attributes (history, channel, …)."),
        )
    return pd.concat(parts, axis=1)


def qini_curve(y: np.ndarray, uplift: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, ...]:
    """Points of the Qini curve: customers targeted (best predicted uplift first, ties
    together) and the incremental responders among them."""
    order = np.argsort(uplift, kind="mergesort")[::-1]
    y, uplift, treated = y[order], uplift[order], treated[order]
    ends = np.r_[np.flatnonzero(np.diff(uplift)), len(uplift) - 1]
    n_treated = np.cumsum(treated)[ends]
    n_all = ends + 1
    n_control = n_all - n_treated
    y_treated = np.cumsum(y * treated)[ends]
    y_control = np.cumsum(y * (1 - treated))[ends]
    scale = np.divide(n_treated, n_control, out=np.zeros(len(ends)), where=n_control > 0)
    gains = y_treated - y_control * scale
    return np.r_[0, n_all], np.r_[0.0, gains]


def qini_coefficient(y: np.ndarray, uplift: np.ndarray, treated: np.ndarray) -> float:
    """Area between the Qini curve and random targeting, over that of the perfect ranking
    (treated responders first, control responders last)."""
    x, gains = qini_curve(y, uplift, treated)
    px, pg = qini_curve(y, y * treated - y * (1 - treated), treated)
    random_area = gains[-1] * x[-1] / 2
    perfect = np.trapezoid(pg, px) - random_area
    return float((np.trapezoid(gains, x) - random_area) / perfect) if perfect else float("nan")


@dataclass(frozen=True)
class UpliftResult:
    """Cross-fitted uplift of one arm against the control on one outcome.

    ``scores`` has one row per customer of the arm or the control (the table's index):
    ``uplift`` (predicted effect of the treatment on the outcome), ``treated`` and ``outcome``.
    """

    arm: str
    control: str
    outcome: str
    binary: bool
    approach: str
    learner: str
    scores: pd.DataFrame
    qini: float
    segments: pd.DataFrame

    @property
    def average_effect(self) -> float:
        """The observed effect of the arm on everyone (treated rate minus control rate)."""
        return _observed(self.scores)

    def curve(self, points: int = 101) -> pd.DataFrame:
        """The Qini curve at ``points`` shares of customers targeted: ``share``, ``model``
        (incremental responders when targeting that share by predicted uplift) and ``random``,
        both per customer of the whole list so they read as "extra responders per 100"."""
        s = self.scores
        x, gains = qini_curve(
            s["outcome"].to_numpy(float), s["uplift"].to_numpy(float), s["treated"].to_numpy(int)
        )
        shares = np.linspace(0, 1, points)
        n = len(s)
        model = np.interp(shares * n, x, gains)
        return pd.DataFrame({"share": shares, "model": model / n, "random": shares * gains[-1] / n})

    def deciles(self) -> pd.DataFrame:
        """Customers in tenths by predicted uplift (1 = highest): the predicted and the observed
        uplift (treated minus control) in each, and how many of each group."""
        s = self.scores
        rank = s["uplift"].rank(method="first", ascending=False)
        decile = np.ceil(rank / len(s) * 10).clip(1, 10).astype(int)
        rows = []
        for d, part in s.groupby(decile):
            treated = int(part["treated"].sum())
            rows.append(
                {
                    "decile": int(d),  # type: ignore[call-overload]
                    "predicted": float(part["uplift"].mean()),
                    "observed": _observed(part),
                    "treated_customers": treated,
                    "control_customers": len(part) - treated,
                }
            )
        return pd.DataFrame(rows)

    def target(self, share: float, cost: float = 0.0, value: float = 0.0) -> dict[str, float]:
        """Treating the top ``share`` by predicted uplift: customers, expected incremental
        outcome (the sum of their predicted uplift) and, with a ``cost`` per contact and a
        ``value`` per unit of outcome, the expected profit."""
        if not 0 < share <= 1:
            raise AnalyticsError(f"The share to target must be above 0 and at most 1, got {share}.")
        ranked = self.scores["uplift"].sort_values(ascending=False, kind="stable")
        top = ranked.iloc[: max(1, round(share * len(ranked)))]
        incremental = float(top.sum())
        return {
            "customers": len(top),
            "incremental": incremental,
            "profit": incremental * value - cost * len(top),
        }

    def profit_curve(self, cost: float, value: float, points: int = 101) -> pd.DataFrame:
        """Expected profit of treating each top share (``share``, ``customers``,
        ``incremental``, ``profit``)."""
        ranked = np.sort(self.scores["uplift"].to_numpy(float))[::-1]
        cumulative = np.r_[0.0, np.cumsum(ranked)]
        shares = np.linspace(0, 1, points)
        counts = np.round(shares * len(ranked)).astype(int)
        incremental = cumulative[counts]
        return pd.DataFrame(
            {
                "share": shares,
                "customers": counts,
                "incremental": incremental,
                "profit": incremental * value - cost * counts,
            }
        )

    def best_share(self, cost: float, value: float) -> dict[str, float]:
        """The top share whose expected profit is highest (0 when no share pays)."""
        curve = self.profit_curve(cost, value)
        best = curve.iloc[int(np.argmax(curve["profit"].to_numpy()))]
        return {k: float(best[k]) for k in ("share", "customers", "incremental", "profit")}

    def harmful(self) -> pd.DataFrame:
        """The segments where the treatment is predicted and observed to lower the outcome."""
        seg = self.segments
        return seg.loc[(seg["predicted"] < 0) & (seg["observed"] < 0)]

    def words(self, display: Display | None = None) -> list[str]:
        """The model's verdict and the harmful segments, in words."""
        shown = display or Display()
        unit = " " + _("points") if self.binary else ""

        def effect(value: float) -> str:
            size = shown.number(abs(value) * (100 if self.binary else 1), 1 if self.binary else 2)
            return f"{'+' if value >= 0 else '−'}{size}{unit}"

        verdict = (
            _("ranks customers better than random targeting")
            if self.qini > 0
            else _(
                "does not rank customers better than random targeting: target everyone or no "
                "one, not a chosen few"
            )
        )
        lines = [
            _(
                "On {outcome}, {arm} against {control}: the model {verdict} (Qini coefficient "
                "{qini}; 0 is random, 1 is perfect). The average effect is {effect}."
            ).format(
                outcome=self.outcome,
                arm=self.arm,
                control=self.control,
                verdict=verdict,
                qini=shown.number(self.qini, 3),
                effect=effect(self.average_effect),
            )
        ]
        for _row, row in self.harmful().iterrows():
            lines.append(
                _(
                    "Leave out {segment} ({n} customers): the treatment is predicted to change "
                    "their {outcome} by {predicted} and did so by {observed} in the test."
                ).format(
                    segment=row["segment"],
                    n=shown.count(row["customers"]),
                    outcome=self.outcome,
                    predicted=effect(row["predicted"]),
                    observed=effect(row["observed"]),
                )
            )
        return lines


def _observed(scores: pd.DataFrame) -> float:
    """The uplift the test shows among these customers: the treated's mean outcome minus the
    control's (NaN when one of the two is missing)."""
    treated = scores["treated"] == 1
    if treated.all() or not treated.any():
        return float("nan")
    return float(scores.loc[treated, "outcome"].mean() - scores.loc[~treated, "outcome"].mean())


def _folds(treated: np.ndarray, y: np.ndarray, binary: bool, folds: int, seed: int):
    strata = treated * 2 + (y > 0 if binary else 0)
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(
        np.zeros(len(treated)), strata
    )


def predict_uplift(
    x: pd.DataFrame,
    treated: np.ndarray,
    y: np.ndarray,
    *,
    binary: bool,
    approach: str = "two_model",
    learner: str = "logreg",
    train: np.ndarray | None = None,
    test: np.ndarray | None = None,
    random_state: int = 0,
) -> np.ndarray:
    """Fit on the ``train`` rows and predict the uplift of the ``test`` rows (default: all)."""
    rows = np.arange(len(y))
    train = rows if train is None else train
    test = rows if test is None else test
    xv = x.to_numpy(float)
    if approach == "two_model":
        predictions = []
        for group in (1, 0):
            fit_rows = train[treated[train] == group]
            model = clone(_learner(learner, binary, random_state)).fit(xv[fit_rows], y[fit_rows])
            if binary:
                predictions.append(model.predict_proba(xv[test])[:, 1])
            else:
                predictions.append(model.predict(xv[test]))
        return predictions[0] - predictions[1]
    if approach == "class_transformation":
        if not binary:
            raise AnalyticsError("Class transformation needs a yes/no outcome; use two models.")
        t, outcome = treated[train], y[train]
        z = (outcome * t + (1 - outcome) * (1 - t)).astype(int)
        share = t.mean()
        weight = np.where(t == 1, 0.5 / share, 0.5 / (1 - share))
        model = clone(_learner(learner, True, random_state))
        final = model.steps[-1][0] if hasattr(model, "steps") else None
        fit_args = {f"{final}__sample_weight" if final else "sample_weight": weight}
        model.fit(xv[train], z, **fit_args)
        return 2 * model.predict_proba(xv[test])[:, 1] - 1
    raise AnalyticsError(f"Unknown approach {approach!r}: choose {', '.join(APPROACHES)}.")


def fit_uplift(
    frame: pd.DataFrame,
    group: str,
    control: str,
    arm: str,
    outcome: str,
    covariates: Sequence[str],
    *,
    approach: str = "two_model",
    learner: str = "logreg",
    folds: int = 5,
    random_state: int = 0,
) -> UpliftResult:
    """Cross-fitted uplift of ``arm`` against ``control`` on ``outcome``: every customer's
    uplift predicted by models fitted on the other folds; the Qini coefficient of those
    out-of-fold predictions; segments described by a shallow tree."""
    x, treated, y, binary, index = _prepare(frame, group, control, arm, outcome, covariates)
    uplift = np.zeros(len(y))
    for train, test in _folds(treated, y, binary, folds, random_state):
        uplift[test] = predict_uplift(
            x,
            treated,
            y,
            binary=binary,
            approach=approach,
            learner=learner,
            train=train,
            test=test,
            random_state=random_state,
        )
    scores = pd.DataFrame({"uplift": uplift, "treated": treated, "outcome": y}, index=index)
    qini = qini_coefficient(y, uplift, treated) if binary else float("nan")
    segments = describe_segments(x, scores, random_state=random_state)
    return UpliftResult(arm, control, outcome, binary, approach, learner, scores, qini, segments)


def _prepare(
    frame: pd.DataFrame,
    group: str,
    control: str,
    arm: str,
    outcome: str,
    covariates: Sequence[str],
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, bool, pd.Index]:
    levels = check_levels(frame, group)
    for name in (control, arm):
        if name not in levels:
            raise AnalyticsError(f"{name!r} is not a group of {group!r}.")
    if arm == control:
        raise AnalyticsError("Choose a treated group other than the control.")
    kind = outcome_kind(frame[outcome]) if outcome in frame.columns else None
    if kind is None:
        raise AnalyticsError(f"{outcome!r} is not a numeric outcome column.")
    labels = frame[group].astype("string")
    rows = frame.loc[labels.isin([arm, control])]
    treated = (rows[group].astype("string") == arm).to_numpy(int)
    for name, count in ((arm, int(treated.sum())), (control, int((1 - treated).sum()))):
        if count < MIN_ROWS:
            raise AnalyticsError(
                f"{name!r} has {count} customers; uplift models need at least {MIN_ROWS} in "
                "each group."
            )
    y = pd.to_numeric(rows[outcome], errors="coerce").fillna(0).to_numpy(float)
    if np.unique(y).size < 2:
        raise AnalyticsError(f"The outcome {outcome!r} is the same for everyone.")
    covariates = [c for c in covariates if c not in (group, outcome)]
    return features(rows, covariates), treated, y, kind == "rate", rows.index


def describe_segments(
    x: pd.DataFrame, scores: pd.DataFrame, *, random_state: int = 0, depth: int = 2
) -> pd.DataFrame:
    """Customers split by a shallow tree on the predicted uplift (each leaf at least 5% of
    them): per leaf, its rule in words, customers, mean predicted uplift and the uplift observed
    in the test (treated minus control)."""
    tree = DecisionTreeRegressor(
        max_depth=depth, min_samples_leaf=max(int(0.05 * len(x)), 20), random_state=random_state
    ).fit(x.to_numpy(float), scores["uplift"].to_numpy(float))
    leaves = tree.apply(x.to_numpy(float))
    flags = {c for c in x.columns if set(np.unique(x[c].to_numpy())) <= {0.0, 1.0}}
    rules = _leaf_rules(tree, list(x.columns), flags)
    rows = []
    for leaf in np.unique(leaves):
        part = scores.loc[leaves == leaf]
        rows.append(
            {
                "segment": rules[int(leaf)],
                "customers": len(part),
                "predicted": float(part["uplift"].mean()),
                "observed": _observed(part),
            }
        )
    return pd.DataFrame(rows).sort_values("predicted", ascending=False, ignore_index=True)


def _leaf_rules(tree: DecisionTreeRegressor, names: list[str], flags: set[str]) -> dict[int, str]:
    """Each leaf's path in words: "channel = Web and history over 250" (``flags``: 0/1
    columns, read as "= 1" and "= 0")."""
    inner = tree.tree_
    rules: dict[int, str] = {}

    def walk(node: int, conditions: list[str]) -> None:
        if inner.children_left[node] == inner.children_right[node]:
            rules[node] = _(" and ").join(conditions) if conditions else _("everyone")
            return
        name, threshold = names[inner.feature[node]], float(inner.threshold[node])
        if " = " in name and name in flags:  # a one-hot column: ≤ 0.5 means not that value
            column, value = name.split(" = ", 1)
            low, high = f"{column} ≠ {value}", f"{column} = {value}"
        elif name in flags:
            low, high = f"{name} = 0", f"{name} = 1"
        else:
            low = _("{name} up to {value}").format(name=name, value=f"{threshold:,.4g}")
            high = _("{name} over {value}").format(name=name, value=f"{threshold:,.4g}")
        walk(inner.children_left[node], [*conditions, low])
        walk(inner.children_right[node], [*conditions, high])

    walk(0, [])
    return rules


def holdout_qini(
    frame: pd.DataFrame,
    group: str,
    control: str,
    arm: str,
    outcome: str,
    covariates: Sequence[str],
    *,
    approach: str = "two_model",
    learner: str = "logreg",
    test_size: float = 0.3,
    random_state: int = 0,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Fit on a random ``1 − test_size`` of the customers, predict the rest: the Qini
    coefficient on the held-out rows, with the held-out rows' positions and predicted uplift."""
    x, treated, y, binary, _ignored = _prepare(frame, group, control, arm, outcome, covariates)
    if not binary:
        raise AnalyticsError("The Qini coefficient needs a yes/no outcome.")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(y))
    cut = round(len(y) * (1 - test_size))
    train, test = np.sort(order[:cut]), np.sort(order[cut:])
    uplift = predict_uplift(
        x,
        treated,
        y,
        binary=True,
        approach=approach,
        learner=learner,
        train=train,
        test=test,
        random_state=random_state,
    )
    return qini_coefficient(y[test], uplift, treated[test]), test, uplift
