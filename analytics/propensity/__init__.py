"""Propensity: who will churn, buy or respond. Targets from a yes/no column or derived from orders,
cross-validated models, lift and scored lists (``models``, with ``PropensityParams``), and the
charts (``plots``)."""

from __future__ import annotations

from analytics.propensity.models import (
    GRIDS,
    MODEL_LABELS,
    MODELS,
    NO_YES_NO_COLUMN,
    SETTINGS,
    PropensityData,
    PropensityParams,
    PropensityResult,
    contact_top,
    feature_importance,
    fit_propensity,
    lift_table,
    logistic_coefficients,
    propensity_data,
    target_from_column,
    target_from_transactions,
    yes_no_columns,
)
from analytics.propensity.plots import (
    calibration_figure,
    confusion_figure,
    gains_figure,
    importance_figure,
    lift_figure,
    pr_figure,
    roc_figure,
    tree_diagram,
)

__all__ = [
    "GRIDS",
    "MODELS",
    "MODEL_LABELS",
    "NO_YES_NO_COLUMN",
    "SETTINGS",
    "PropensityData",
    "PropensityParams",
    "PropensityResult",
    "calibration_figure",
    "confusion_figure",
    "contact_top",
    "feature_importance",
    "fit_propensity",
    "gains_figure",
    "importance_figure",
    "lift_figure",
    "lift_table",
    "logistic_coefficients",
    "pr_figure",
    "propensity_data",
    "roc_figure",
    "target_from_column",
    "target_from_transactions",
    "tree_diagram",
    "yes_no_columns",
]
