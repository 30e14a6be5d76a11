"""The models: scikit-learn pipelines fitted and scored by cross-validation or a temporal split,
the best kept and refitted (``fit_propensity``), and feature importance."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    roc_auc_score,
)
from sklearn.model_selection import ParameterGrid, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from analytics.budget import Budget, check
from analytics.errors import AnalyticsError
from analytics.i18n import _, day
from analytics.propensity.params import MODEL_LABELS, MODELS, VALIDATIONS, PropensityParams
from analytics.propensity.results import ModelScore, PropensityResult
from analytics.propensity.targets import (
    MAX_CATEGORIES,
    MIN_ROWS,
    PropensityData,
    _as_model_input,
)
from analytics.threads import threads_for

#: Each model's setting when no search is asked for: one fit per fold instead of a grid's.
#: Boosting keeps scikit-learn's defaults (as a bare ``HistGradientBoostingClassifier`` would)
#: with early stopping. On the Telco reference file the chosen model's ROC AUC is within 0.002 of
#: the searched one.
SETTINGS: dict[str, dict[str, Any]] = {
    "gbm": {"model__learning_rate": 0.1, "model__max_leaf_nodes": 31},
    "logreg": {"model__C": 1.0},
    "tree": {"model__max_depth": 5, "model__min_samples_leaf": 20},
    "forest": {"model__max_depth": 8, "model__min_samples_leaf": 10},
}


#: The small grid searched for each model (pipeline step ``model``) when asked (search=True).
GRIDS: dict[str, dict[str, list[Any]]] = {
    "gbm": {"model__learning_rate": [0.05, 0.1], "model__max_leaf_nodes": [15, 31]},
    "logreg": {"model__C": [0.1, 1.0, 10.0]},
    "tree": {"model__max_depth": [3, 5, 8], "model__min_samples_leaf": [20, 60]},
    "forest": {"model__max_depth": [8, 16], "model__min_samples_leaf": [3, 10]},
}

#: The models ``auto`` compares, in the order they are cross-validated: logistic regression first
#: (a tenth of a second on the bundled sample, so a first figure is on screen at once), then
#: boosting (usually the strongest, 1.6 s there), then the readable tree. The random forest costs
#: the most and rarely ranks customers better than boosting; it is fitted when chosen, and
#: compared too when a search is asked for.
AUTO_MODELS: tuple[str, ...] = ("logreg", "gbm", "tree")


LEAKAGE_AUC = 0.98


#: Rows each tree of a random forest is grown on, at most (large tables).
FOREST_SAMPLE = 20_000


def _encoder(**options: Any) -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
            ("onehot", OneHotEncoder(sparse_output=False, **options)),
        ]
    )


def _preparation(features: pd.DataFrame) -> ColumnTransformer:
    """Numbers imputed (with a missing flag) and scaled; text imputed and one-hot encoded, the
    rarest values of a column with more than MAX_CATEGORIES grouped as "infrequent".

    Columns with fewer values skip the grouping, which changes nothing for them and is several
    times slower to fit (scikit-learn counts every value in Python): on the bank-marketing file
    0.33 s against 0.07 s per fit.
    """
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    text = [c for c in features.columns if c not in numeric]
    many = [c for c in text if features[c].nunique() > MAX_CATEGORIES]
    few = [c for c in text if c not in many]
    return ColumnTransformer(
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
            ("categories", _encoder(handle_unknown="ignore"), few),
            (
                "many categories",
                _encoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES),
                many,
            ),
        ],
        verbose_feature_names_out=False,
    )


def _inputs(features: pd.DataFrame) -> int:
    """About how many model inputs the preparation makes of ``features``."""
    return sum(
        2
        if pd.api.types.is_numeric_dtype(features[c])
        else min(features[c].nunique(), MAX_CATEGORIES) + 1
        for c in features.columns
    )


#: Logistic regression solves by Newton steps (a few, each with the inputs' square matrix) up to
#: this many inputs, else by L-BFGS: on the bank-marketing file (51 inputs) 0.17 s against 0.60 s.
NEWTON_INPUTS = 300


def _estimator(model: str, n_rows: int, random_state: int, n_inputs: int) -> Any:
    if model == "logreg":
        solver = "newton-cholesky" if n_inputs <= NEWTON_INPUTS else "lbfgs"
        return LogisticRegression(max_iter=2000, class_weight="balanced", solver=solver)
    if model == "tree":
        return DecisionTreeClassifier(class_weight="balanced", random_state=random_state)
    if model == "forest":
        # On large tables each tree sees a bootstrap sample of at most FOREST_SAMPLE rows:
        # many times faster, and a hundred such trees still cover the data.
        return RandomForestClassifier(
            n_estimators=100,
            class_weight="balanced",
            max_samples=FOREST_SAMPLE if n_rows > 1.5 * FOREST_SAMPLE else None,
            n_jobs=-1,
            random_state=random_state,
        )
    # scikit-learn's defaults (at most 100 rounds), with early stopping on 10% of the training
    # rows also on small tables: boosting stops when it stops improving. No class weights:
    # scikit-learn's boosting runs about ten times slower with them, and they barely change
    # how it ranks customers (ROC AUC); its probabilities stay those of the data.
    return HistGradientBoostingClassifier(random_state=random_state, early_stopping=True)


def _pipeline(features: pd.DataFrame, model: str, random_state: int) -> Pipeline:
    """Preparation and model in one pipeline (the model that is refitted and downloaded)."""
    return Pipeline(
        [
            ("prepare", _preparation(features)),
            ("model", _estimator(model, len(features), random_state, _inputs(features))),
        ]
    )


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


def _check_inputs(data: PropensityData, model: str, folds: int, validation: str) -> None:
    """Refuse, in plain words, what cannot be fitted and honestly tested."""
    if model not in ("auto", *MODELS):
        raise AnalyticsError(f"Model must be auto or one of {', '.join(MODELS)}, got {model!r}.")
    if data.n < MIN_ROWS:
        raise AnalyticsError(
            _(
                "{n} rows are too few to train and honestly test a model; at least {least} are "
                "needed."
            ).format(n=data.n, least=MIN_ROWS),
            hint=_("Load more customers, or widen the filters."),
        )
    if data.features.shape[1] == 0:
        raise AnalyticsError(
            _("No column is left to learn from: {reasons}").format(
                reasons=_("; ").join(f"{c}: {why}" for c, why in data.dropped.items())
            ),
        )
    minority = int(min(data.target.sum(), data.n - data.target.sum()))
    if minority < max(folds, 2):
        raise AnalyticsError(
            _(
                "Only {n} rows have the rarer outcome; {folds}-fold cross-validation needs at "
                "least {folds}."
            ).format(n=minority, folds=folds),
            hint=_("Choose a more common outcome, a longer window, or fewer folds."),
        )
    if validation not in VALIDATIONS:
        raise AnalyticsError(f"Validation is auto, cv or temporal, got {validation!r}.")


@dataclass(frozen=True)
class _Plan:
    """Where the models are fitted (``x``, ``y``) and how their figures are measured."""

    x: pd.DataFrame
    y: np.ndarray
    temporal: bool
    described: str
    #: The customers scored and refitted on (``data.features`` as model input).
    scored: pd.DataFrame


def _plan(data: PropensityData, validation: str, folds: int, selects: bool) -> _Plan:
    """Temporal validation when asked, or (auto) when an earlier window has both outcomes.

    ``selects``: the best of several models or settings is kept. Cross-validated figures then
    include that choice (made on the same folds), which the description says.
    """
    earlier = data.earlier
    usable_earlier = (
        earlier is not None
        and earlier.n >= MIN_ROWS
        and min(earlier.target.sum(), earlier.n - earlier.target.sum()) >= folds
    )
    temporal = validation == "temporal" or (validation == "auto" and usable_earlier)
    if temporal and not usable_earlier:
        raise AnalyticsError(
            _(
                "A temporal split needs a derived target with enough history one window before "
                "the cutoff, with both outcomes."
            ),
            hint=_("Choose a later cutoff or a shorter window, or cross-validation."),
        )
    scored = _as_model_input(data.features)
    if not temporal:
        return _Plan(
            scored,
            data.target,
            False,
            (
                _(
                    "{folds}-fold stratified cross-validation (out-of-fold predictions; the model "
                    "and its settings were chosen on the same folds, so its ROC AUC is a little "
                    "optimistic)"
                )
                if selects
                else _("{folds}-fold stratified cross-validation (out-of-fold predictions)")
            ).format(folds=folds),
            scored,
        )
    assert earlier is not None and earlier.cutoff is not None and data.cutoff is not None
    return _Plan(
        _as_model_input(earlier.features),
        earlier.target,
        True,
        _(
            "trained on customers as of {before} ({n_before}), tested on customers as of {after} "
            "({n_after}); settings chosen by {folds}-fold cross-validation on the earlier customers"
        ).format(
            before=day(earlier.cutoff),
            n_before=f"{earlier.n:,}",
            after=day(data.cutoff),
            n_after=f"{data.n:,}",
            folds=folds,
        ),
        scored,
    )


@dataclass(frozen=True)
class _Fold:
    """One cross-validation fold, prepared (imputed, scaled, encoded) once on its training rows
    and shared by every model and setting."""

    test: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray


def _folds(
    data: PropensityData, plan: _Plan, cv: StratifiedKFold, budget: Budget | None
) -> list[_Fold]:
    folds = []
    preparation = _preparation(data.features)
    for train, test in cv.split(plan.x, plan.y):
        check(budget)
        prepare = clone(preparation)
        x_train = prepare.fit_transform(plan.x.iloc[train])
        folds.append(_Fold(test, x_train, plan.y[train], prepare.transform(plan.x.iloc[test])))
    return folds


def _score_model(
    name: str,
    data: PropensityData,
    plan: _Plan,
    folds: list[_Fold],
    *,
    search: bool,
    random_state: int,
    budget: Budget | None,
) -> tuple[ModelScore, Pipeline]:
    """One model's best setting, its figures, and the (unfitted) pipeline with that setting.

    Every setting is fitted on the same prepared folds; the out-of-fold probabilities of the
    best one are the figures shown (cv), so no extra fits are needed for them. Temporal
    validation trains the best setting on the earlier customers and scores the customers at the
    cutoff.
    """
    begun = time.perf_counter()
    estimator = _estimator(name, len(plan.y), random_state, _inputs(data.features))
    grid = list(ParameterGrid(GRIDS[name])) if search else [SETTINGS[name]]
    oof = np.zeros((len(grid), len(plan.y)))
    aucs = np.zeros((len(grid), len(folds)))
    for number, params in enumerate(grid):
        bare = {key.removeprefix("model__"): value for key, value in params.items()}
        for position, fold in enumerate(folds):
            check(budget)
            fitted = clone(estimator).set_params(**bare).fit(fold.x_train, fold.y_train)
            oof[number, fold.test] = fitted.predict_proba(fold.x_test)[:, 1]
            aucs[number, position] = roc_auc_score(plan.y[fold.test], oof[number, fold.test])
    best = int(np.argmax(aucs.mean(axis=1)))
    unfitted = _pipeline(data.features, name, random_state).set_params(**grid[best])
    if plan.temporal:
        later = clone(unfitted).fit(plan.x, plan.y)
        probabilities = later.predict_proba(plan.scored)[:, 1]
        auc, spread = float(roc_auc_score(data.target, probabilities)), float("nan")
    else:
        probabilities = oof[best]
        auc, spread = float(aucs[best].mean()), float(aucs[best].std())
    score = ModelScore(
        model=name,
        params=dict(grid[best]),
        roc_auc=auc,
        roc_auc_sd=spread,
        pr_auc=float(average_precision_score(data.target, probabilities)),
        probabilities=probabilities,
        seconds=time.perf_counter() - begun,
    )
    return score, unfitted


def _caveats(data: PropensityData, leakage: Mapping[str, float]) -> list[str]:
    """What to keep in mind reading the scores: weighted classes, and columns that may leak."""
    notes = []
    share = data.positive_share
    if min(share, 1 - share) < 0.3:
        notes.append(
            _(
                "{share} of rows are positive: logistic regression, the tree and the forest "
                "weight the classes to balance them (`class_weight='balanced'`), so their "
                "probabilities of the rarer outcome run high; gradient boosting is unweighted."
            ).format(share=f"{share:.1%}")
        )
    for column, auc in leakage.items():
        notes.append(
            _(
                "{column!r} alone predicts the target with ROC AUC {auc}: it may be recorded after "
                "the outcome (leakage). Check it, and leave it out if so."
            ).format(column=column, auc=f"{auc:.3f}")
        )
    return notes


def _candidates(model: str, search: bool) -> tuple[str, ...]:
    if model != "auto":
        return (model,)
    return (*AUTO_MODELS, *(m for m in MODELS if m not in AUTO_MODELS)) if search else AUTO_MODELS


def fit_propensity(
    data: PropensityData,
    *,
    model: str = "auto",
    folds: int = 5,
    validation: str = "auto",
    search: bool = False,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    on_score: Callable[[ModelScore], None] | None = None,
    budget: Budget | None = None,
) -> PropensityResult:
    """Cross-validate the models (one setting each, or a small grid), keep the best, refit it.

    Parameters
    ----------
    data : PropensityData
    model : str
        ``"auto"`` (the models of ``AUTO_MODELS``, logistic regression first, and with ``search`` every
        model; the best ROC AUC kept) or one of ``MODELS``.
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
    on_score : callable, optional
        Called with each model's figures as soon as it is cross-validated (the first, the
        quickest, can be shown while the others are fitted).
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
    _check_inputs(data, model, folds, validation)
    plan = _plan(data, validation, folds, selects=model == "auto" or search)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    say(_("Preparing {folds} cross-validation folds …").format(folds=folds))
    prepared = _folds(data, plan, cv, budget)
    scores: dict[str, ModelScore] = {}
    unfitted: dict[str, Pipeline] = {}
    with threads_for(data.n):
        for name in _candidates(model, search):
            say(_("Cross-validating {model} …").format(model=_(MODEL_LABELS[name]).lower()))
            scores[name], unfitted[name] = _score_model(
                name, data, plan, prepared, search=search, random_state=random_state, budget=budget
            )
            if on_score is not None:
                on_score(scores[name])
        chosen = max(scores, key=lambda n: scores[n].roc_auc)
        check(budget)
        say(
            _("Refitting {model} on all {n} rows …").format(
                model=_(MODEL_LABELS[chosen]).lower(), n=f"{data.n:,}"
            )
        )
        pipeline = unfitted[chosen].fit(plan.scored, data.target)
    leakage = _leakage(data)
    return PropensityResult(
        data=data,
        model=chosen,
        scores=scores,
        pipeline=pipeline,
        folds=folds,
        validation=plan.described,
        temporal=plan.temporal,
        leakage=leakage,
        notes=(*data.notes, *_caveats(data, leakage)),
        seconds=time.perf_counter() - started,
        params=PropensityParams.from_dict(
            {**data.options, "model": model, "folds": folds, "validation": validation}
            | {"search": search}
        ),
    )


def feature_importance(
    result: PropensityResult,
    *,
    repeats: int = 5,
    random_state: int = 0,
    max_rows: int = 5000,
    progress: Callable[[str], None] | None = None,
    budget: Budget | None = None,
) -> pd.DataFrame:
    """Permutation importance of each input column for the chosen model (drop in ROC AUC).

    Measured on a held-out quarter (the model refitted on the other three quarters), so a column
    the model merely memorised does not look important. At most ``max_rows`` rows are permuted.
    ``progress`` hears of the two steps; ``budget`` is checked before each.
    """
    from sklearn.model_selection import train_test_split

    say = progress or (lambda _: None)

    x = _as_model_input(result.data.features)
    y = result.data.target
    train_x, test_x, train_y, test_y = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=random_state
    )
    with threads_for(len(x)):
        check(budget)
        say(_("Refitting the model on three quarters of the customers …"))
        model = clone(result.pipeline).fit(train_x, train_y)
        if len(test_x) > max_rows:
            test_x, test_y = test_x.iloc[:max_rows], test_y[:max_rows]
        check(budget)
        say(_("Shuffling each column on the held-out quarter …"))
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
