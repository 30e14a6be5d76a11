"""Customers over time: predicted lifetime value (BG/NBD and Gamma-Gamma)."""

from analytics.lifetime.clv import (
    BGNBD,
    GammaGamma,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
)

__all__ = ["BGNBD", "GammaGamma", "customer_summary", "fit_bgnbd", "fit_gamma_gamma", "predict_clv"]
