"""Sales forecasting: series by day, week, month or quarter, baseline and statistical models,
backtests and prediction intervals (``models``, with ``ForecastParams``), and the charts
(``plots``)."""

from __future__ import annotations

from analytics.forecast.models import (
    FREQ_LABELS,
    FREQS,
    METRIC_COLUMNS,
    METRIC_LABELS,
    METRICS,
    MODEL_LABELS,
    MODELS,
    SEASON,
    TRANSFORM_LABELS,
    TRANSFORMS,
    ForecastParams,
    ForecastResult,
    ResidualCheck,
    SalesSeries,
    accuracy,
    backtest,
    build_series,
    decompose,
    residual_diagnostics,
    run_forecast,
    series_from_values,
)
from analytics.forecast.plots import (
    acf_figure,
    backtest_figure,
    decomposition_figure,
    forecast_figure,
)

__all__ = [
    "FREQS",
    "FREQ_LABELS",
    "METRICS",
    "METRIC_COLUMNS",
    "METRIC_LABELS",
    "MODELS",
    "MODEL_LABELS",
    "SEASON",
    "TRANSFORMS",
    "TRANSFORM_LABELS",
    "ForecastParams",
    "ForecastResult",
    "ResidualCheck",
    "SalesSeries",
    "accuracy",
    "acf_figure",
    "backtest",
    "backtest_figure",
    "build_series",
    "decompose",
    "decomposition_figure",
    "forecast_figure",
    "residual_diagnostics",
    "run_forecast",
    "series_from_values",
]
