"""Propensity benchmark: auto (5-fold cross-validation) per dataset, with each model's default
setting and, beside it, with the grid search (``search=True``, which also compares the forest).

Cases:

* UCI bank marketing (``tests/data/real/bank-full.csv``, 45,211 calls, 16 features; the outcome
  ``y``, a term deposit): ``auto`` against the reference of issue 17, **one bare scikit-learn
  ``HistGradientBoostingClassifier``** (its defaults) scored by the same 5-fold stratified
  cross-validation on ``pandas.get_dummies`` of the same feature columns, timed in the same run.
  Both sides read the same frame; ours also prepares its inputs (impute, scale, one-hot per
  fold), compares boosting, logistic regression and a tree, and refits the best on all rows.
  Goal: ours ≤ 2× the bare fit, ROC AUC within 0.002 of it.
* Telco churn (``../shared/datasets/WA_Fn-UseC_-Telco-Customer-Churn.csv``, 7,043 customers):
  ``--target Churn --positive Yes``.
* 200,000 generated customers (about 1.8 million orders from ``generate_orders``): churn derived
  as "no order in the 90 days after the cutoff", features from the orders before it.

For each: the time to build the features and target, the wall time of each model (5 folds and
its out-of-fold probabilities; with the search, its whole grid), the refit, and the
cross-validated ROC AUC, in one run.
Run: python -m bench.run propensity
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from analytics.data import build_dataset, detect_mapping, generate_orders, open_dataset
from analytics.propensity import (
    PropensityData,
    fit_propensity,
    target_from_column,
    target_from_transactions,
)
from bench.common import ROOT, SHARED, BenchReport, Timing

BANK = ROOT / "tests" / "data" / "real" / "bank-full.csv"

N_CUSTOMERS = 200_000


def telco() -> PropensityData:
    dataset = open_dataset(SHARED / "WA_Fn-UseC_-Telco-Customer-Churn.csv").dataset
    return target_from_column(dataset, "Churn", positive="Yes")


def generated(n_customers: int) -> PropensityData:
    orders = generate_orders(n_customers, random_state=11)[0]
    dataset = build_dataset(
        orders, "transactions", detect_mapping(orders, "transactions"), source="generated"
    )
    return target_from_transactions(dataset, kind="churn", days=90)


def _case(report: BenchReport, name: str, build: Callable[[], PropensityData]) -> None:
    started = time.perf_counter()
    data = build()
    prepared = time.perf_counter() - started
    report.timings.append(Timing(name, "features and target", prepared, 1, data.n))
    for search in (False, True):
        begun = time.perf_counter()
        result = fit_propensity(data, model="auto", validation="cv", search=search)
        how = "grid × 5 folds" if search else "5 folds"
        for model, score in result.scores.items():
            report.timings.append(Timing(name, f"{model} ({how})", score.seconds, 1, data.n))
        total = prepared + time.perf_counter() - begun
        label = "MarketLens auto" + (" --search" if search else "")
        report.timings.append(Timing(name, f"{label}, end to end", total, 1, data.n))
        aucs = ", ".join(f"{m} {s.roc_auc:.4f}" for m, s in result.scores.items())
        report.notes.append(
            f"{name} ({label}): {data.n:,} customers, {data.features.shape[1]} features, "
            f"{data.positive_share:.1%} positive; cross-validated ROC AUC: {aucs}; auto chose "
            f"{result.model}; whole run {total:.1f} s"
        )


def bare_boosting(data: PropensityData, folds: int = 5) -> float:
    """The reference: one HistGradientBoostingClassifier (scikit-learn's defaults), 5-fold
    stratified cross-validation on pandas' one-hot of the same columns; its mean ROC AUC."""
    x = pd.get_dummies(data.features, dtype=float).to_numpy()
    y = data.target
    aucs = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        model = HistGradientBoostingClassifier(random_state=0).fit(x[train], y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
    return float(np.mean(aucs))


def bank(report: BenchReport) -> None:
    """Issue 17's case: auto on the bank-marketing file against one bare boosting fit."""
    name = "Bank marketing (y)"
    opened = open_dataset(BANK).dataset
    data = target_from_column(opened, "y", positive="Y")
    begun = time.perf_counter()
    bare_auc = bare_boosting(data)
    bare = time.perf_counter() - begun
    begun = time.perf_counter()
    result = fit_propensity(data, model="auto", validation="cv")
    ours = time.perf_counter() - begun
    report.timings.append(Timing(name, "MarketLens auto (fit, end to end)", ours, 1, data.n))
    report.timings.append(Timing(name, "bare HGB 5-fold CV (get_dummies)", bare, 1, data.n))
    for model, score in result.scores.items():
        report.timings.append(Timing(name, f"{model} (5 folds)", score.seconds, 1, data.n))
    report.goal("bank marketing: auto time / bare HGB 5-fold CV time", ours / bare, 2.0, "×")
    gap = bare_auc - result.chosen.roc_auc
    report.goal("bank marketing: ROC AUC below the bare HGB's", gap, 0.002)
    report.notes.append(
        f"{name}: {data.n:,} rows, {data.features.shape[1]} features, "
        f"{data.positive_share:.1%} positive; ROC AUC: bare HGB {bare_auc:.4f}; ours "
        + ", ".join(f"{m} {s.roc_auc:.4f}" for m, s in result.scores.items())
        + f"; auto chose {result.model}"
    )


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("propensity")
    bank(report)
    _case(report, "Telco churn", telco)
    n = 20_000 if quick else N_CUSTOMERS
    _case(report, f"{n:,} generated customers, derived churn", lambda: generated(n))
    return report
