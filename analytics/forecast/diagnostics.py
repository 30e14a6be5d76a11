"""Looking inside a series and a fit: STL decomposition and residual checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf

from analytics.forecast.models import robust_stl
from analytics.forecast.run import ForecastResult
from analytics.forecast.series import SalesSeries
from analytics.i18n import _


def decompose(series: SalesSeries, season: int | None = None) -> pd.DataFrame | None:
    """STL decomposition (robust, :func:`robust_stl`): observed, trend, seasonal, remainder; None
    when too short."""

    m = season or series.season
    y = series.values
    if m < 2 or len(y) < 2 * m + 1:
        return None
    parts = robust_stl(y.to_numpy(float), m)
    return pd.DataFrame(
        {
            "observed": y.to_numpy(float),
            "trend": parts.trend,
            "seasonal": parts.seasonal,
            "remainder": parts.resid,
        },
        index=y.index,
    )


@dataclass(frozen=True)
class ResidualCheck:
    """Autocorrelation of the residuals and the Ljung–Box test of 'no autocorrelation'."""

    acf: np.ndarray
    bound: float
    lags: int
    p_value: float
    n: int

    def verdict(self) -> str:
        if not np.isfinite(self.p_value):
            return _("Too few residuals to test.")
        if self.p_value < 0.05:
            return _(
                "Ljung–Box p = {p} over {lags} lags: the residuals still have a pattern the model "
                "missed, so the intervals may be too narrow."
            ).format(p=f"{self.p_value:.3f}", lags=self.lags)
        return _(
            "Ljung–Box p = {p} over {lags} lags: no sign of a pattern left in the residuals."
        ).format(p=f"{self.p_value:.3f}", lags=self.lags)


def residual_diagnostics(result: ForecastResult) -> ResidualCheck:
    """ACF of the in-sample residuals and a Ljung–Box p-value (lags: 2 seasons, at most n/5)."""

    resid = result.residuals.to_numpy(float)
    n = len(resid)
    lags = int(min(2 * result.season if result.season > 1 else 10, max(1, n // 5)))
    if n < 8 or np.ptp(resid) == 0:
        return ResidualCheck(np.array([]), np.nan, lags, np.nan, n)
    values = acf(resid, nlags=lags, fft=True)[1:]
    p_value = float(acorr_ljungbox(resid, lags=[lags])["lb_pvalue"].iloc[0])
    return ResidualCheck(values, float(1.96 / np.sqrt(n)), lags, p_value, n)
