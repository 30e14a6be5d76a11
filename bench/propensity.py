"""Propensity benchmark: auto (every model, 5-fold cross-validation) per dataset, with each
model's default setting and, beside it, with the grid search (``search=True``).

Cases:

* Telco churn (``../shared/datasets/WA_Fn-UseC_-Telco-Customer-Churn.csv``, 7,043 customers):
  ``--target Churn --positive Yes``.
* 200,000 generated customers (about 1.8 million orders from ``generate_orders``): churn derived
  as "no order in the 90 days after the cutoff", features from the orders before it.

For each: the time to build the features and target, the wall time of each model (5 folds and
its out-of-fold probabilities; with the search, its whole grid), the refit, and the
cross-validated ROC AUC, in one run. The issue names no reference tool; the figures are absolute.
Run: python -m bench.run propensity
"""

from __future__ import annotations

import time
from collections.abc import Callable

from analytics.data import build_dataset, detect_mapping, generate_orders, open_dataset
from analytics.propensity import (
    MODELS,
    PropensityData,
    fit_propensity,
    target_from_column,
    target_from_transactions,
)
from bench.common import SHARED, BenchReport, Timing

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
        for model in MODELS:
            score = result.scores[model]
            report.timings.append(Timing(name, f"{model} ({how})", score.seconds, 1, data.n))
        total = prepared + time.perf_counter() - begun
        label = "MarketLens auto" + (" --search" if search else "")
        report.timings.append(Timing(name, f"{label}, end to end", total, 1, data.n))
        aucs = ", ".join(f"{m} {result.scores[m].roc_auc:.4f}" for m in MODELS)
        report.notes.append(
            f"{name} ({label}): {data.n:,} customers, {data.features.shape[1]} features, "
            f"{data.positive_share:.1%} positive; cross-validated ROC AUC: {aucs}; auto chose "
            f"{result.model}; whole run {total:.1f} s"
        )


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("propensity")
    _case(report, "Telco churn", telco)
    n = 20_000 if quick else N_CUSTOMERS
    _case(report, f"{n:,} generated customers, derived churn", lambda: generated(n))
    return report
