"""Seasonal ARIMA: order selection (differencing tests, a stepwise search by AICc) and the fit."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss

from analytics.budget import Interrupted
from analytics.forecast.models import (
    _aicc,
    _bands,
    _Fit,
    _Memo,
    _seasonal_strength,
    _stl_adjust,
    _with_stl,
)
from analytics.forecast.series import LONG_SEASON
from analytics.i18n import _


@dataclass(frozen=True)
class SarimaSpec:
    """SARIMA orders, the constant, a log scale, and STL adjustment for long seasons."""

    order: tuple[int, int, int]
    seasonal: tuple[int, int, int]
    trend: str
    log: bool
    stl: bool = False


_MAX_SARIMA_FITS = 8
#: The search ranks candidates by rough fits (at most this many optimiser iterations, as R's
#: auto.arima searches with an approximation), then fits the best ``_REFINED`` fully and keeps
#: the best of those by AICc.
_ROUGH_ITERATIONS = 6
_REFINED = 2
#: SARIMA fits (L-BFGS) stop when an iteration improves the mean log-likelihood by less than this
#: many machine epsilons, relative: about 2e-4, a few hundredths of AICc on the classic series,
#: where the default (1e7) polished every fit to 1e-9 at about twice the evaluations. Mean MASE
#: on 14 classic series moved from 0.7415 to 0.7397 (bench/forecast.py). ETS keeps the default:
#: at this tolerance its AirPassengers forecast got worse (MASE 0.33 to 0.49).
_TOLERANCE = 1e12


def _ndiffs(y: np.ndarray) -> int:
    """Differences needed for stationarity by repeated KPSS tests at 5% (as R's ndiffs)."""

    d = 0
    series = y
    while d < 2 and len(series) > 10 and np.ptp(series) > 0:
        # R's ndiffs: the short truncation lag, trunc(4 (n / 100) ^ 0.25).
        lags = max(1, int(4 * (len(series) / 100) ** 0.25))
        with warnings.catch_warnings():
            # "p-value outside the table": the bound it returns is on the safe side.
            warnings.simplefilter("ignore")
            p_value = kpss(series, regression="c", nlags=lags)[1]
        if p_value >= 0.05:
            break
        series = np.diff(series)
        d += 1
    return d


def _statespace(y: np.ndarray, m: int, spec: SarimaSpec, *, simple: bool) -> SARIMAX:
    return SARIMAX(
        np.log(y) if spec.log else y,
        order=spec.order,
        seasonal_order=(*spec.seasonal, m) if any(spec.seasonal) else (0, 0, 0, 0),
        trend=spec.trend,
        concentrate_scale=True,  # one parameter fewer to search: the same fit, faster
        simple_differencing=simple,
    )


def _sarima_model(
    y: np.ndarray, m: int, spec: SarimaSpec, memo: _Memo, *, rough: bool = False
) -> Any:
    """Fit SARIMA on the data differenced up front (``rough``: a few iterations, for ranking).

    Differencing up front halves the state and so the time; it is the same likelihood as the
    full model's, and its forecasts are of the differences (``_integrate`` turns them into
    levels). Intervals come from the full model run with these parameters (``_sarima``). A full
    fit starts from the rough fit's parameters.
    """

    def make(start: np.ndarray | None) -> object:
        model = _statespace(y, m, spec, simple=True)
        iterations = _ROUGH_ITERATIONS if rough else 100
        # The search reads the likelihood and the backtest forecasts: no smoothed states and no
        # parameter covariance (low_memory, cov_type "none"), a third of a fit's time saved.
        return model.fit(
            start_params=start,
            disp=False,
            maxiter=iterations,
            factr=_TOLERANCE,
            callback=memo.step,
            low_memory=True,
            cov_type="none",
        )

    key = ("sarima", spec, m, rough)
    return memo.fit(key, len(y), make, family=("sarima", spec, m))


def _integrate(history: np.ndarray, changes: np.ndarray, d: int, big_d: int, m: int) -> np.ndarray:
    """Levels from forecast differences: y_t = z_t + sum_j c_j y_(t-j) for (1-B)^d (1-B^m)^D."""
    poly = np.array([1.0])
    for _step in range(d):
        poly = np.convolve(poly, [1.0, -1.0])
    for _season in range(big_d):
        seasonal = np.zeros(m + 1)
        seasonal[[0, m]] = 1.0, -1.0
        poly = np.convolve(poly, seasonal)
    lags = -poly[1:]
    values = list(history)
    for change in changes:
        values.append(change + sum(c * values[-j] for j, c in enumerate(lags, 1) if c))
    return np.array(values[len(history) :])


def _sarima_name(spec: SarimaSpec, m: int) -> str:
    p, d, q = spec.order
    name = f"ARIMA({p},{d},{q})"
    if any(spec.seasonal):
        sp, sd, sq = spec.seasonal
        name += f"({sp},{sd},{sq})[{m}]"
    if spec.trend == "c":
        name += " " + (_("with drift") if d + spec.seasonal[1] == 1 else _("with mean"))
    return _("{model} on logs").format(model=name) if spec.log else name


def _seasonal_terms(y: np.ndarray, m: int) -> bool:
    """Whether SARIMA takes seasonal terms: a season up to LONG_SEASON and two full seasons."""
    return 2 <= m <= LONG_SEASON and len(y) >= 2 * m + 2


def _differencing(y: np.ndarray, m: int) -> tuple[int, int]:
    """(d, D): D by seasonal strength (as R's nsdiffs), d by KPSS."""
    seasonal_ok = _seasonal_terms(y, m)
    big_d = 1 if seasonal_ok and _seasonal_strength(y, m) > 0.64 else 0
    return _ndiffs(y[m:] - y[:-m] if big_d else y), big_d


_Key = tuple[bool, int, int, int, int, bool]  # log, p, q, P, Q, constant


def _sarima_select(y: np.ndarray, m: int, memo: _Memo, try_log: bool = True) -> SarimaSpec:
    """A bounded stepwise search by AICc, after R's auto.arima.

    d by KPSS, D by seasonal strength; then five start models (white noise, AR, MA, ARMA with
    seasonal terms) and one stepwise round around the best (p, q, P, Q one up or down, the
    constant on or off), at most ``_MAX_SARIMA_FITS`` fits. A positive series is also tried on
    logs; the two scales compare by AICc with the log's Jacobian added, so both likelihoods are
    of the same data. Candidates are ranked by rough fits and the best ``_REFINED`` fitted fully
    (``_sarima_model``). The final fit on all data searches again, as auto.arima would; its
    fits start from those of the backtest.
    """
    if m > LONG_SEASON:
        # Long seasons (as R's stlm): ARIMA on the STL-adjusted series.
        if len(y) < 2 * m + 1:
            return _sarima_select(y, 1, memo, try_log)
        inner = _sarima_select(_stl_adjust(y, m).adjusted, 1, memo, try_log=False)
        return replace(inner, stl=True)
    seasonal_ok = _seasonal_terms(y, m)
    logs = [False, True] if try_log and (y > 0).all() and len(y) >= 20 else [False]
    plans = {}
    for log in logs:
        d, big_d = _differencing(np.log(y) if log else y, m)
        plans[log] = (d, big_d, d + big_d <= 1)
    scores: dict[_Key, float] = {}

    def spec_of(key: _Key) -> SarimaSpec:
        log, p, q, sp, sq, const = key
        d, big_d, _ignored = plans[log]
        return SarimaSpec((p, d, q), (sp, big_d, sq), "c" if const else "n", log)

    def aicc(key: _Key, rough: bool) -> float:
        spec = spec_of(key)
        try:
            value = _aicc(_sarima_model(y, m, spec, memo, rough=rough))
        except Interrupted:
            raise
        except (ValueError, np.linalg.LinAlgError):
            return np.inf
        if spec.log and np.isfinite(value):
            used = len(y) - spec.order[1] - m * spec.seasonal[1]
            value += 2 * float(np.sum(np.log(y[-used:])))  # the Jacobian of the log
        return value

    def score(key: _Key) -> float:
        if key not in scores:
            scores[key] = aicc(key, rough=True)
        return scores[key]

    season = 1 if seasonal_ok else 0
    # MA(1) with a seasonal MA(1) first: the airline model when d = D = 1.
    log = min(logs, key=lambda lg: score((lg, 0, 1, 0, season, plans[lg][2])))
    const = plans[log][2]
    for p, q, sp, sq in ((0, 0, 0, 0), (1, 0, season, 0), (1, 1, 0, season), (2, 0, 0, season)):
        score((log, p, q, sp, sq, const))
    best = min((k for k in scores if k[0] == log), key=scores.__getitem__)
    moves: list[_Key] = []
    if const:
        moves.append((*best[:5], not best[5]))
    for step in ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)):
        for sign in (1, -1):
            p, q, sp, sq = (b + sign * e for b, e in zip(best[1:5], step, strict=True))
            if 0 <= p <= 2 and 0 <= q <= 2 and 0 <= sp <= season and 0 <= sq <= season:
                moves.append((log, p, q, sp, sq, best[5]))
    for key in moves:
        if len(scores) < _MAX_SARIMA_FITS:
            score(key)
    ranked = sorted((k for k in scores if np.isfinite(scores[k])), key=scores.__getitem__)
    exact = {key: aicc(key, rough=False) for key in ranked[:_REFINED]}
    finite = [key for key in exact if np.isfinite(exact[key])]
    if not finite:
        raise ValueError("no SARIMA model could be fitted")
    return spec_of(min(finite, key=exact.__getitem__))


def _sarima(
    y: np.ndarray, m: int, h: int, spec: SarimaSpec | None, intervals: bool, memo: _Memo
) -> _Fit:
    spec = spec or _sarima_select(y, m, memo)
    if spec.stl:
        inner = replace(spec, stl=False)
        return _with_stl(y, m, h, lambda z: _sarima(z, 1, h, inner, intervals, memo))
    back = np.exp if spec.log else (lambda a: a)
    d, big_d = spec.order[1], spec.seasonal[1]
    burn = d + m * big_d
    result = _sarima_model(y, m, spec, memo)
    if not intervals:
        # The backtest needs only the mean: the fast differenced model, integrated back.
        changes = np.asarray(result.forecast(h), float)
        scaled = np.log(y) if spec.log else y
        mean = back(_integrate(scaled, changes, d, big_d, m) if burn else changes)
        return _bands(mean, None, np.full(len(y), np.nan), _sarima_name(spec, m))
    # Intervals and fitted levels: the full model (differencing in its states) run once with the
    # fitted parameters, the maximum of the same likelihood; fitting it again moved the AICc by
    # under 0.001 and took a tenth of a second to half a second more per series.
    result = _statespace(y, m, spec, simple=False).filter(np.asarray(result.params))
    forecast = result.get_forecast(h)
    mean = back(np.asarray(forecast.predicted_mean, float))
    fitted = back(np.asarray(result.fittedvalues, float))
    fitted[: max(burn, 1)] = np.nan  # the first points are fitted from nothing
    bands = [back(np.asarray(forecast.conf_int(alpha=a), float)) for a in (0.2, 0.05)]
    return _bands(mean, bands, fitted, _sarima_name(spec, m))
