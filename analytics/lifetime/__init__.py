"""Customers over time: acquisition cohorts, predicted lifetime value (BG/NBD and
Gamma-Gamma) with its holdout check, and segment migration between two dates."""

from analytics.lifetime.clv import (
    BGNBD,
    GammaGamma,
    HoldoutCheck,
    SpendCheck,
    customer_summary,
    default_calibration_end,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_notes,
    holdout_check,
    predict_clv,
    slipping_away,
    spend_check,
)
from analytics.lifetime.cohorts import (
    MEASURES,
    Cohorts,
    acquisition_groups,
    cohort_table,
    cohorts_from_cells,
)
from analytics.lifetime.migration import NEW, Migration, default_dates, segment_migration
from analytics.lifetime.plots import (
    cohort_curves,
    cohort_heatmap,
    holdout_figure,
    migration_sankey,
)
from analytics.lifetime.run import LifetimeParams, LifetimeResult, run_lifetime

__all__ = [
    "BGNBD",
    "MEASURES",
    "NEW",
    "Cohorts",
    "GammaGamma",
    "HoldoutCheck",
    "LifetimeParams",
    "LifetimeResult",
    "Migration",
    "SpendCheck",
    "acquisition_groups",
    "cohort_curves",
    "cohort_heatmap",
    "cohort_table",
    "cohorts_from_cells",
    "customer_summary",
    "default_calibration_end",
    "default_dates",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_notes",
    "holdout_check",
    "holdout_figure",
    "migration_sankey",
    "predict_clv",
    "run_lifetime",
    "segment_migration",
    "slipping_away",
    "spend_check",
]
