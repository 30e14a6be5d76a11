"""The models' building blocks: model names and labels, scaling, the fit result with its
prediction intervals, the baselines, and exponential smoothing (ETS) with its form chosen by AICc.
SARIMA is in ``sarima``, Theta and the combination in ``fitters``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import inv_boxcox

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.seasonal import STL

from analytics.budget import Budget, Interrupted, check
from analytics.errors import AnalyticsError
from analytics.forecast.series import LONG_SEASON
from analytics.i18n import N_, _

Model = Literal["naive", "snaive", "ets", "sarima", "theta", "combo"]
MODELS: tuple[str, ...] = get_args(Model)
MODEL_LABELS = {
    "auto": N_("Auto (best backtest MASE)"),
    "naive": N_("Naive (last value)"),
    "snaive": N_("Seasonal naive (same period last season)"),
    "ets": N_("Exponential smoothing (ETS, form by AICc)"),
    "sarima": N_("SARIMA (orders by AICc)"),
    "theta": N_("Theta"),
    "combo": N_("Combination (mean of ETS, SARIMA, Theta)"),
}
Transform = Literal["none", "log", "boxcox"]
TRANSFORMS: tuple[str, ...] = get_args(Transform)
TRANSFORM_LABELS = {
    "none": N_("None"),
    "log": N_("Log"),
    "boxcox": N_("Box-Cox (λ by maximum likelihood)"),
}


DEFAULT_ORIGINS = 5
#: The final fit ranks this many of the ETS forms that did best on the data before the first
#: backtest origin again, on the whole series (SARIMA searches again, ``sarima._sarima_select``).
SHORTLIST = 3
_Z80, _Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)


@dataclass(frozen=True)
class _Scale:
    kind: str = "none"
    lam: float = 1.0

    def forward(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "log":
            return np.log(y)
        if self.kind == "boxcox":
            return stats.boxcox(y, lmbda=self.lam)
        return y

    def back(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "log":
            return np.exp(np.minimum(y, 700.0))
        if self.kind == "boxcox":
            return inv_boxcox(y, self.lam)
        return y

    def describe(self) -> str:
        if self.kind == "boxcox":
            return _("Box-Cox, λ = {lam}").format(lam=f"{self.lam:.2f}")
        return _(TRANSFORM_LABELS[self.kind])


def _scale_for(y: np.ndarray, transform: str, notes: list[str]) -> _Scale:
    if transform not in TRANSFORMS:
        raise AnalyticsError(
            f"Transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}."
        )
    if transform == "none":
        return _Scale()
    if (y <= 0).any():
        notes.append(
            _(
                "The {transform} transform needs values above zero, and this series has zeros or "
                "negatives; it was forecast untransformed."
            ).format(transform=_(TRANSFORM_LABELS[transform]).split(" ")[0])
        )
        return _Scale()
    if transform == "log":
        return _Scale("log")
    if np.ptp(y) == 0:
        return _Scale()
    return _Scale("boxcox", float(stats.boxcox_normmax(y, method="mle")))


@dataclass(frozen=True)
class _Fit:
    """One model's forecast on the model's scale, fitted values and what it was.

    Without intervals (inside the backtest) the bounds are NaN.
    """

    mean: np.ndarray
    lower80: np.ndarray
    upper80: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray
    fitted: np.ndarray
    spec: str


def _bands(
    mean: np.ndarray, bands: Sequence[np.ndarray] | None, fitted: np.ndarray, spec: str
) -> _Fit:
    """A fit from its mean and its [80%, 95%] (h × 2) bounds, or NaN bounds."""
    if bands is None:
        none = np.full_like(mean, np.nan)
        return _Fit(mean, none, none, none, none, fitted, spec)
    return _Fit(mean, bands[0][:, 0], bands[0][:, 1], bands[1][:, 0], bands[1][:, 1], fitted, spec)


def _normal(mean: np.ndarray, sd: np.ndarray) -> list[np.ndarray]:
    return [np.column_stack([mean - z * sd, mean + z * sd]) for z in (_Z80, _Z95)]


def _naive(y: np.ndarray, m: int, h: int, spec: object, intervals: bool, memo: _Memo) -> _Fit:
    resid = np.diff(y)
    sigma = float(np.sqrt(np.mean(resid**2))) if len(resid) else 0.0
    mean = np.full(h, y[-1])
    fitted = np.concatenate([[np.nan], y[:-1]])
    bands = _normal(mean, sigma * np.sqrt(np.arange(1, h + 1))) if intervals else None
    return _bands(mean, bands, fitted, "last value")


def _snaive(y: np.ndarray, m: int, h: int, spec: object, intervals: bool, memo: _Memo) -> _Fit:
    if m < 2 or len(y) <= m:
        return _naive(y, m, h, spec, intervals, memo)
    resid = y[m:] - y[:-m]
    sigma = float(np.sqrt(np.mean(resid**2)))
    steps = np.arange(h)
    mean = y[len(y) - m + steps % m]
    fitted = np.concatenate([np.full(m, np.nan), y[:-m]])
    bands = _normal(mean, sigma * np.sqrt(steps // m + 1)) if intervals else None
    return _bands(mean, bands, fitted, _("same period last season ({m})").format(m=m))


class _Memo:
    """The fitted models of one forecast run, by (model, form, length of data).

    A selection's winning fit is the fit, never refitted; a refit on more data starts from the
    parameters of the last fit of the same form, which cuts the optimiser's work several-fold.
    Each selection records its candidates best first (``ranking``); with ``shortlist`` set, a
    later selection ranks only that many of the earlier best again, on its own data.
    """

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget  # checked before every fit: a closed page or a spent budget stops
        self.results: dict[tuple[object, int], object] = {}
        self.params: dict[object, np.ndarray] = {}
        self.ranking: dict[str, list[Any]] = {}
        self.shortlist: int | None = None

    def step(self, *_: object) -> None:
        """The optimisers' callback, once per iteration: a single slow fit stops too."""
        check(self.budget)

    def candidates(self, model: str, every: list[Any]) -> list[Any]:
        if self.shortlist and self.ranking.get(model):
            return [c for c in self.ranking[model][: self.shortlist] if c in every] or every
        return every

    def fit(
        self,
        key: object,
        n: int,
        make: Callable[[np.ndarray | None], object],
        *,
        family: object = None,
    ) -> Any:
        """The fit of ``key`` on ``n`` points, warm-started from the last fit of ``family``."""
        family = key if family is None else family
        if (key, n) not in self.results:
            check(self.budget)
            start = self.params.get(family)
            try:
                result = make(start)
            except (ValueError, np.linalg.LinAlgError):
                if start is None:
                    raise
                result = make(None)
            self.results[(key, n)] = result
            self.params[family] = np.asarray(result.params)  # type: ignore[attr-defined]
        return self.results[(key, n)]


def _aicc(result: object) -> float:
    value = float(getattr(result, "aicc", np.nan))
    return value if np.isfinite(value) else np.inf


def robust_stl(y: np.ndarray, m: int) -> Any:
    """statsmodels' robust STL of ``y`` with season ``m`` (its ``DecomposeResult``).

    Long seasons (a year of days) smooth with R's ``stl`` defaults for speed: each LOESS is
    evaluated at every ``ceil(window / 10)``-th point and interpolated (``*_jump``). Exact
    smoothing of a 366-day season took 8-9 CPU seconds per call on 10 years of days, with the same
    seasonal pattern to within 0.1% of its spread; with the jumps it takes a fraction of a second.
    Short seasons keep statsmodels' exact smoothing (jumps of 1).
    """
    jumps: dict[str, int] = {}
    if m > LONG_SEASON:
        seasonal_window = 7  # statsmodels' default, as R's periodic-free stl
        trend_window = int(np.ceil(1.5 * m / (1 - 1.5 / seasonal_window)))
        trend_window += trend_window % 2 == 0
        low_pass_window = m + (m % 2 == 0)
        jumps = {
            "seasonal_jump": int(np.ceil(seasonal_window / 10)),
            "trend_jump": int(np.ceil(trend_window / 10)),
            "low_pass_jump": int(np.ceil(low_pass_window / 10)),
        }
    return STL(y, period=m, robust=True, **jumps).fit()


def _seasonal_strength(y: np.ndarray, m: int) -> float:
    """Wang, Smith & Hyndman's strength of seasonality from an STL decomposition (0 to 1)."""

    if m < 2 or len(y) < 2 * m + 1:
        return 0.0
    parts = robust_stl(y, m)
    resid, seasonal = parts.resid, parts.seasonal
    total = np.var(seasonal + resid)
    return float(max(0.0, 1.0 - np.var(resid) / total)) if total > 0 else 0.0


#: (error, trend, damped, season), statsmodels' names ("add", "mul", None).
ETSSpec = tuple[str, str | None, bool, str | None]


def _ets_forms(y: np.ndarray, m: int) -> list[ETSSpec]:
    positive = bool((y > 0).all())
    seasons: list[str | None] = [None]
    # A season needs its m starting values and a few periods to learn them from (as R's ets:
    # more data than parameters + 4); two full seasons are not required.
    if 2 <= m <= LONG_SEASON and len(y) >= m + 8:
        seasons += ["add", "mul"] if positive else ["add"]
    forms: list[ETSSpec] = []
    for error in ("add", "mul") if positive else ("add",):
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            if trend and len(y) < 8:
                continue
            for season in seasons:
                # As R's ets(restrict = TRUE): additive errors with a multiplicative season are
                # numerically unstable and left out.
                if error == "add" and season == "mul":
                    continue
                forms.append((error, trend, damped, season))
    return forms


def _ets_name(spec: ETSSpec) -> str:
    error, trend, damped, season = spec
    letter = {None: "N", "add": "A", "mul": "M"}
    return f"ETS({letter[error]},{letter[trend]}{'d' if damped else ''},{letter[season]})"


def _ets_model(y: np.ndarray, m: int, spec: ETSSpec, memo: _Memo) -> Any:

    error, trend, damped, season = spec

    # Initial states from the first seasons (Hyndman et al. 2008's heuristic) leave only the
    # smoothing parameters to the optimiser: ten times faster than estimating 12+ initial
    # states, and the same form wins on AirPassengers. Short series estimate them.
    heuristic = len(y) >= max(10, 2 * m + 2 if season else 10)

    def make(start: np.ndarray | None) -> object:
        model = ETSModel(
            pd.Series(y),  # statsmodels 0.15's get_prediction needs an index
            error=error,
            trend=trend,
            damped_trend=damped,
            seasonal=season,
            seasonal_periods=m if season else None,
            initialization_method="heuristic" if heuristic else "estimated",
        )
        return model.fit(start_params=start, disp=False, maxiter=200, callback=memo.step)

    return memo.fit(("ets", spec, m), len(y), make)


def _ets_select(y: np.ndarray, m: int, memo: _Memo) -> ETSSpec:
    """The ETS form with the lowest AICc (no multiplicative forms unless every value is > 0)."""
    if m > LONG_SEASON:
        # Long seasons: ETS runs on the STL-adjusted series, without a season of its own.
        y, m = _stl_adjust(y, m).adjusted, 1
    scores: dict[ETSSpec, float] = {}
    for spec in memo.candidates("ets", _ets_forms(y, m)):
        try:
            scores[spec] = _aicc(_ets_model(y, m, spec, memo))
        except Interrupted:
            raise
        except (ValueError, np.linalg.LinAlgError):
            continue
    if not scores:
        return ("add", None, False, None)
    memo.ranking["ets"] = sorted(scores, key=scores.__getitem__)
    return memo.ranking["ets"][0]


class _Adjusted(NamedTuple):
    """A series without its seasonal part, and that part."""

    adjusted: np.ndarray
    seasonal: np.ndarray


def _stl_adjust(y: np.ndarray, m: int) -> _Adjusted:
    """The series without its STL seasonal part (robust), and that part."""
    if len(y) < 2 * m + 1:
        return _Adjusted(y, np.zeros_like(y))
    seasonal = robust_stl(y, m).seasonal
    return _Adjusted(y - seasonal, seasonal)


def _ets(y: np.ndarray, m: int, h: int, spec: ETSSpec | None, intervals: bool, memo: _Memo) -> _Fit:
    if m > LONG_SEASON:
        return _stl_ets(y, m, h, spec, intervals, memo)
    spec = spec or _ets_select(y, m, memo)
    result = _ets_model(y, m, spec, memo)
    fitted = np.asarray(result.fittedvalues, float)
    if not intervals:
        return _bands(np.asarray(result.forecast(h), float), None, fitted, _ets_name(spec))
    # Multiplicative models get simulated intervals: seeded, so the same data gives the same bands.
    prediction = result.get_prediction(
        start=len(y), end=len(y) + h - 1, rng=np.random.default_rng(0)
    )
    frames = [prediction.summary_frame(alpha=a) for a in (0.2, 0.05)]
    bands = [f[["pi_lower", "pi_upper"]].to_numpy(float) for f in frames]
    return _bands(np.asarray(prediction.predicted_mean, float), bands, fitted, _ets_name(spec))


def _stl_ets(
    y: np.ndarray, m: int, h: int, spec: ETSSpec | None, intervals: bool, memo: _Memo
) -> _Fit:
    """Long seasons (as R's stlf): ETS on the STL-adjusted series."""

    def inner(adjusted: np.ndarray) -> _Fit:
        return _ets(adjusted, 1, h, spec or _ets_select(adjusted, 1, memo), intervals, memo)

    return _with_stl(y, m, h, inner)


def _with_stl(y: np.ndarray, m: int, h: int, fit: Callable[[np.ndarray], _Fit]) -> _Fit:
    """Fit a model on the STL-adjusted series and add the last season's pattern back.

    Shorter than two seasons plus one, STL cannot run: the model fits the series as it is.
    """
    if len(y) < 2 * m + 1:
        return fit(y)
    adjusted, seasonal = _stl_adjust(y, m)
    inner = fit(adjusted)
    pattern = seasonal[len(y) - m + np.arange(h) % m] if len(y) >= m else np.zeros(h)
    return _Fit(
        inner.mean + pattern,
        inner.lower80 + pattern,
        inner.upper80 + pattern,
        inner.lower95 + pattern,
        inner.upper95 + pattern,
        inner.fitted + seasonal,
        _("STL (season {m}) + {model}").format(m=m, model=inner.spec),
    )
