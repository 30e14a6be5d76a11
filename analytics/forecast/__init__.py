"""Sales forecasting: a series from the data, statistical models, rolling-origin backtests.

The steps are separate so that a dashboard can cache each one:

* ``build_series`` turns transactions (revenue, orders, units or active customers per day, week,
  month or quarter, optionally filtered) or a series dataset (date + value) into a regular series.
  Missing periods are filled and flagged; an incomplete first or last period is dropped with a note.
* ``run_forecast`` backtests every model from several origins, picks the best by mean MASE when the
  model is ``"auto"``, fits it on the whole series and forecasts with 80% and 95% intervals.
* ``decompose`` (STL) and ``residual_diagnostics`` (ACF, Ljung–Box) explain the series and the fit.

Models (statsmodels): naive, seasonal naive, ETS with the error / trend / season / damping form
chosen by AICc, SARIMA with a bounded stepwise order search by AICc (Fourier terms stand in for
seasons longer than 24 periods), Theta, and the mean of ETS, SARIMA and Theta.

The backtest never looks ahead: the ETS form and the SARIMA orders are chosen on the data before
the first origin, then re-estimated at every origin on the data up to it.

Modules: ``series`` (building the series), ``models``, ``sarima`` and ``fitters`` (the models),
``search`` (fitting them all and choosing), ``backtest``, ``run`` (``run_forecast``,
``ForecastParams``, ``ForecastResult``), ``diagnostics`` and ``plots``.
"""

from __future__ import annotations

from analytics.forecast.backtest import accuracy, backtest
from analytics.forecast.diagnostics import ResidualCheck, decompose, residual_diagnostics
from analytics.forecast.models import MODEL_LABELS, MODELS, TRANSFORM_LABELS, TRANSFORMS
from analytics.forecast.plots import (
    acf_figure,
    backtest_figure,
    decomposition_figure,
    forecast_figure,
)
from analytics.forecast.run import ForecastParams, ForecastResult, run_forecast
from analytics.forecast.series import (
    FREQ_LABELS,
    FREQS,
    METRIC_COLUMNS,
    METRIC_LABELS,
    METRICS,
    SEASON,
    SalesSeries,
    build_series,
    series_from_sums,
    series_from_values,
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
    "series_from_sums",
    "series_from_values",
]
