"""Every model's fit function by name (``_FITTERS``): the baselines, exponential smoothing,
SARIMA, Theta, and their combination."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from statsmodels.tsa.forecasting.theta import ThetaModel

from analytics.forecast.models import _bands, _ets, _Fit, _Memo, _naive, _snaive
from analytics.forecast.sarima import _sarima
from analytics.i18n import _


def _theta(y: np.ndarray, m: int, h: int, spec: object, intervals: bool, memo: _Memo) -> _Fit:

    seasonal = m >= 2 and len(y) >= 2 * m
    model = ThetaModel(y, period=m if seasonal else 1, deseasonalize=seasonal)
    result = model.fit()
    mean = np.asarray(result.forecast(h), float)
    bands = None
    if intervals:
        bands = [np.asarray(result.prediction_intervals(h, alpha=a), float) for a in (0.2, 0.05)]
    # statsmodels' Theta has no in-sample fit to show.
    name = "Theta" + (_(", deseasonalised (season {m})").format(m=m) if seasonal else "")
    return _bands(mean, bands, np.full(len(y), np.nan), name)


_FITTERS: dict[str, Callable[..., _Fit]] = {
    "naive": _naive,
    "snaive": _snaive,
    "ets": _ets,
    "sarima": _sarima,
    "theta": _theta,
}
_COMBO_PARTS = ("ets", "sarima", "theta")


def _combo(parts: Sequence[_Fit]) -> _Fit:
    def avg(name: str) -> np.ndarray:
        return np.mean([getattr(p, name) for p in parts], axis=0)

    return _Fit(
        avg("mean"),
        avg("lower80"),
        avg("upper80"),
        avg("lower95"),
        avg("upper95"),
        _mean_fitted([p.fitted for p in parts]),
        _("mean of {parts}").format(parts=", ".join(p.spec for p in parts)),
    )


def _mean_fitted(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of the parts' in-sample fits where all that have one agree to have one (Theta
    has none, so a combination's fit is that of ETS and SARIMA)."""
    usable = [p for p in parts if np.isfinite(p).any()]
    if not usable:
        return np.full_like(parts[0], np.nan)
    return np.mean(usable, axis=0)
