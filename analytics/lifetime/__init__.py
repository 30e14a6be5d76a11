"""Customers over time: acquisition cohorts and predicted lifetime value (BG/NBD and
Gamma-Gamma)."""

from analytics.lifetime.clv import (
    BGNBD,
    GammaGamma,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
)
from analytics.lifetime.cohorts import MEASURES, Cohorts, cohort_table
from analytics.lifetime.plots import cohort_curves, cohort_heatmap

__all__ = [
    "BGNBD",
    "MEASURES",
    "Cohorts",
    "GammaGamma",
    "cohort_curves",
    "cohort_heatmap",
    "cohort_table",
    "customer_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "predict_clv",
]
