"""Propensity models: who will churn, buy again or respond, validated honestly.

The steps are separate so that a dashboard can cache each one:

* ``target_from_column`` (a customers table with a yes/no column) or ``target_from_transactions``
  (churn or buying again in the N days after a cutoff, features from before it) give a
  ``PropensityData``: one row of features per customer and a 0/1 target. Identifier columns, empty
  columns and free-text columns are left out, each with the reason.
* ``fit_propensity`` fits scikit-learn models (histogram gradient boosting, logistic
  regression, a decision tree, a random forest) on prepared inputs (impute, one-hot, scale: done
  once per fold, shared by every model), each with one good default setting (``SETTINGS``), or
  on request (``search=True``) a small grid (``GRIDS``), scored by stratified, shuffled k-fold
  cross-validation on ROC AUC; ``"auto"`` compares boosting, logistic regression and the tree
  (``AUTO_MODELS``; every model with a search) and keeps the best, refitted as one pipeline.
  Every metric, curve and lift table is computed on out-of-fold predictions: no customer is ever
  scored by a model that saw them.

Modules: ``targets`` (what to predict, features per customer), ``models`` (fitting,
``PropensityParams``), ``results`` (scores, thresholds, lift) and ``plots``.
"""

from __future__ import annotations

from analytics.propensity.models import (
    AUTO_MODELS,
    GRIDS,
    SETTINGS,
    feature_importance,
    fit_propensity,
    logistic_coefficients,
)
from analytics.propensity.params import MODEL_LABELS, MODELS, PropensityParams
from analytics.propensity.plots import (
    calibration_figure,
    confusion_figure,
    gains_figure,
    importance_figure,
    lift_figure,
    pr_figure,
    roc_figure,
    tree_figure,
)
from analytics.propensity.results import (
    ModelScore,
    PropensityResult,
    auc_interval,
    contact_top,
    lift_table,
)
from analytics.propensity.targets import (
    NO_YES_NO_COLUMN,
    OUTCOME_NAMES,
    PropensityData,
    default_positive,
    outcome_values,
    propensity_data,
    target_from_column,
    target_from_transactions,
    yes_no_columns,
)

__all__ = [
    "AUTO_MODELS",
    "GRIDS",
    "MODELS",
    "MODEL_LABELS",
    "NO_YES_NO_COLUMN",
    "OUTCOME_NAMES",
    "SETTINGS",
    "ModelScore",
    "PropensityData",
    "PropensityParams",
    "PropensityResult",
    "auc_interval",
    "calibration_figure",
    "confusion_figure",
    "contact_top",
    "default_positive",
    "feature_importance",
    "fit_propensity",
    "gains_figure",
    "importance_figure",
    "lift_figure",
    "lift_table",
    "logistic_coefficients",
    "outcome_values",
    "pr_figure",
    "propensity_data",
    "roc_figure",
    "target_from_column",
    "target_from_transactions",
    "tree_figure",
    "yes_no_columns",
]
