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
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import inv_boxcox

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import acf, kpss

from analytics.budget import Budget, Interrupted, check
from analytics.data import Dataset, cancellation_mask
from analytics.errors import AnalyticsError
from analytics.params import Constraint, Params

Metric = Literal["revenue", "orders", "units", "customers"]
METRICS: tuple[str, ...] = get_args(Metric)
METRIC_LABELS = {
    "revenue": "Revenue",
    "orders": "Orders",
    "units": "Units sold",
    "customers": "Active customers",
}
Freq = Literal["D", "W", "M", "Q"]
FREQS: tuple[str, ...] = get_args(Freq)
FREQ_LABELS = {"D": "Day", "W": "Week", "M": "Month", "Q": "Quarter"}
#: The season length each frequency implies (a week of days, a year of weeks, months, quarters).
SEASON = {"D": 7, "W": 52, "M": 12, "Q": 4}
#: Period frequencies: weeks run Monday to Sunday.
_PERIOD = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q"}

Model = Literal["naive", "snaive", "ets", "sarima", "theta", "combo"]
MODELS: tuple[str, ...] = get_args(Model)
MODEL_LABELS = {
    "auto": "Auto (best backtest MASE)",
    "naive": "Naive (last value)",
    "snaive": "Seasonal naive (same period last season)",
    "ets": "Exponential smoothing (ETS, form by AICc)",
    "sarima": "SARIMA (orders by AICc)",
    "theta": "Theta",
    "combo": "Combination (mean of ETS, SARIMA, Theta)",
}
Transform = Literal["none", "log", "boxcox"]
TRANSFORMS: tuple[str, ...] = get_args(Transform)
TRANSFORM_LABELS = {"none": "None", "log": "Log", "boxcox": "Box-Cox (λ by maximum likelihood)"}
METRIC_COLUMNS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")

#: Fewest points any model needs; fewer is refused.
MIN_POINTS = 6
#: Longest series forecast (11 years of days): dates spread over centuries are typos, and
#: backtesting every model on tens of thousands of periods would hold the page for minutes.
MAX_PERIODS = 4_000
#: Seasons longer than this go to SARIMA as Fourier terms and to ETS through STL (as R's stlf).
LONG_SEASON = 24
DEFAULT_ORIGINS = 5
#: The final fit ranks this many of the ETS forms and SARIMA orders that did best on the data
#: before the first backtest origin again, on the whole series.
SHORTLIST = 3
_Z80, _Z95 = stats.norm.ppf(0.9), stats.norm.ppf(0.975)


# --------------------------------------------------------------------------------------------
# The series


@dataclass(frozen=True)
class SalesSeries:
    """A regular series ready to forecast.

    Attributes
    ----------
    values : pandas.Series
        Float values indexed by period start (a regular DatetimeIndex).
    freq : str
        ``"D"``, ``"W"``, ``"M"`` or ``"Q"``.
    label : str
        What the values are, e.g. ``"Revenue per month"``.
    filled : numpy.ndarray
        True where a period had no data and was filled.
    notes : tuple of str
        What was filled, dropped or assumed, in plain words.
    key : str
        A content hash of the series (values, periods, label): caches key on it.
    """

    values: pd.Series
    freq: str
    label: str
    filled: np.ndarray
    notes: tuple[str, ...] = ()
    key: str = ""

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def season(self) -> int:
        return SEASON[self.freq]

    def table(self) -> pd.DataFrame:
        """Period, value and whether it was filled, for display and export."""
        return pd.DataFrame(
            {"period": self.values.index, "value": self.values.to_numpy(), "filled": self.filled}
        )


def _periods(
    start: pd.Timestamp, freq: str, *, end: pd.Timestamp | None = None, n: int = 0
) -> pd.DatetimeIndex:
    """Period starts from ``start`` to ``end`` (or ``n`` of them)."""
    if end is not None:
        return pd.period_range(start, end, freq=_PERIOD[freq]).start_time
    return pd.period_range(start, periods=n, freq=_PERIOD[freq]).start_time


def _period_starts(stamps: pd.Series, freq: str) -> pd.Series:
    return stamps.dt.to_period(_PERIOD[freq]).dt.start_time


def _infer_freq(dates: pd.Series) -> str:
    days = float(np.median(np.diff(np.sort(dates.unique()).astype("datetime64[D]").astype(float))))
    if days < 2:
        return "D"
    if days < 10:
        return "W"
    if days < 45:
        return "M"
    return "Q"


@dataclass(frozen=True)
class ForecastParams(Params):
    """What the forecast takes, with the defaults of the page, the report and the CLI.

    Stages: ``series`` (:func:`build_series`), ``customers`` (RFM segments whose orders count;
    the caller turns them into customer ids) and ``model`` (:func:`run_forecast`).

    Example
    -------
    >>> params = ForecastParams(metric="orders", freq="W", model="ets")
    >>> series = build_series(dataset, **params.options("series"))  # doctest: +SKIP
    >>> result = run_forecast(series, **params.options("model"))  # doctest: +SKIP
    """

    metric: str = "revenue"
    freq: str | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    segments: tuple[str, ...] = ()
    keep_incomplete: bool = False
    model: str = "auto"
    horizon: int | None = None
    season: int | None = None
    transform: str = "none"
    origins: int = DEFAULT_ORIGINS
    holdout: int = 0

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "metric": Constraint(
            "column",
            f"{'|'.join(METRICS)} (transactions), or a column: a series' value column or a "
            "numeric column of transactions to add up per period",
            "series",
        ),
        "freq": Constraint(
            "choice",
            "D, W, M or Q (default: M for transactions, a series' own)",
            "series",
            choices=FREQS,
            optional=True,
        ),
        # The command line takes filters as --filter COLUMN=VALUE (repeatable).
        "filters": Constraint("pairs", "column → values to keep", "series", cli=False),
        "segments": Constraint("texts", "RFM segments whose orders count", "customers", cli=False),
        "keep_incomplete": Constraint("flag", "keep a part first or last period", "series"),
        "model": Constraint("choice", "model", "model", choices=("auto", *MODELS)),
        "horizon": Constraint(
            "count",
            "periods ahead (default 14 days, 13 weeks, 12 months, 4 quarters)",
            "model",
            low=1,
            optional=True,
        ),
        "season": Constraint(
            "count",
            "season length (default 7, 52, 12, 4 by frequency; 1: none)",
            "model",
            low=1,
            optional=True,
        ),
        "transform": Constraint("choice", "transform", "model", choices=TRANSFORMS),
        "origins": Constraint("count", "backtest origins (0: none)", "model", low=0, high=20),
        "holdout": Constraint(
            "count",
            "also fit without the last N periods and report the accuracy on them",
            "model",
            low=0,
        ),
    }


def build_series(
    dataset: Dataset,
    *,
    metric: str = "revenue",
    freq: str | None = None,
    filters: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | None = None,
    customers: Sequence[str] | None = None,
    keep_incomplete: bool = False,
) -> SalesSeries:
    """Aggregate a dataset into a regular series of one metric per period.

    Parameters
    ----------
    dataset : Dataset
        Transactions, or a series (date + value).
    metric : str
        Transactions: ``"revenue"`` (net of returns), ``"orders"``, ``"units"`` or
        ``"customers"`` (distinct customers with an order). Series: ignored (the value column).
    freq : str, optional
        ``"D"``, ``"W"`` (weeks start on Monday), ``"M"`` or ``"Q"``; default monthly for
        transactions and the series' own spacing for a series.
    filters : mapping or (column, values) pairs, optional
        Column → values to keep, e.g. ``{"Country": ["France"], "product_name": ["Mug"]}``.
    customers : sequence of str, optional
        Keep only these customers' orders (e.g. one segment).
    keep_incomplete : bool
        Keep a first or last period that the data covers only in part (dropped by default).

    Returns
    -------
    SalesSeries

    Raises
    ------
    AnalyticsError
        When the data has no dates, no value, or fewer than ``MIN_POINTS`` periods.

    Example
    -------
    >>> series = build_series(dataset, metric="orders", freq="W")
    """
    if dataset.kind not in ("transactions", "series"):
        raise AnalyticsError(
            f"A forecast needs transactions or a series, and this dataset is {dataset.kind}.",
            hint="Load a sales export, or a file with a date and a value per period, on the Data "
            "page.",
        )
    if not dataset.has("timestamp"):
        raise AnalyticsError(
            "A forecast needs dates, and no date column is mapped or none of its values could be "
            "read as a date.",
            hint="Choose the date column under 'Column roles' on the Data page.",
        )
    if freq is not None and freq not in FREQS:
        raise AnalyticsError(f"Frequency must be one of {', '.join(FREQS)}, got {freq!r}.")
    notes: list[str] = []
    frame = dataset.frame
    undated = int(frame["timestamp"].isna().sum())
    if undated:
        notes.append(f"{undated:,} rows without a readable date left out.")
        frame = frame.loc[frame["timestamp"].notna()]
    if dataset.kind == "series":
        if not dataset.has("value"):
            raise AnalyticsError(
                "The series has no numeric values.",
                hint="Choose the value column under 'Column roles' on the Data page.",
            )
        frame = frame.loc[frame["value"].notna()]
        own = _infer_freq(frame["timestamp"]) if len(frame) > 1 else "D"
        freq = freq or own
        label = f"{dataset.mapping.value or 'Value'} per {FREQ_LABELS[freq].lower()}"
        starts = _period_starts(frame["timestamp"], freq)
        duplicated = int(starts.duplicated().sum())
        if duplicated:
            notes.append(
                f"{duplicated:,} rows share a period with another row; their values were added."
            )
        sums = frame["value"].groupby(starts).sum()
        filler = "interpolated"
        first_day, last_day = frame["timestamp"].min(), frame["timestamp"].max()
        # Values added up into longer periods (days into weeks) can leave a part period.
        incomplete_check = FREQS.index(freq) > FREQS.index(own)
    else:
        summed = None if metric in METRICS else _numeric_column(dataset, metric)
        freq = freq or "M"
        name = METRIC_LABELS.get(metric, metric)
        label = f"{name} per {FREQ_LABELS[freq].lower()}"
        for column, wanted in dict(filters or {}).items():
            if column not in frame:
                raise AnalyticsError(f"There is no column {column!r} to filter on.")
            if wanted:
                frame = frame.loc[frame[column].astype("str").isin([str(v) for v in wanted])]
        if customers is not None and "customer_id" in frame:
            frame = frame.loc[frame["customer_id"].astype("str").isin(set(map(str, customers)))]
        if frame.empty:
            raise AnalyticsError(
                "No rows are left to make a series from.",
                hint="Widen the filters or choose another segment.",
            )
        first_day, last_day = dataset.frame["timestamp"].min(), dataset.frame["timestamp"].max()
        if summed is None:
            sums = _metric_per_period(frame, metric, freq)
        else:
            sums = frame[summed].groupby(_period_starts(frame["timestamp"], freq)).sum()
        filler = "zero"
        incomplete_check = True
    if sums.empty:
        raise AnalyticsError("No dated values are left to make a series from.")
    index = _periods(sums.index.min(), freq, end=sums.index.max())
    if len(index) > MAX_PERIODS:
        raise AnalyticsError(
            f"The dates run from {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}: "
            f"{len(index):,} {FREQ_LABELS[freq].lower()}s, more than the {MAX_PERIODS:,} "
            "MarketLens forecasts.",
            hint="Dates decades apart are usually typos: remove them with the cleaning step on "
            "the Data page, or choose a longer period (months instead of days).",
        )
    values = sums.reindex(index).astype(float)
    filled = values.isna().to_numpy()
    if filled.any():
        if filler == "zero":
            values = values.fillna(0.0)
            notes.append(f"{int(filled.sum()):,} periods had no sales and count as zero.")
        else:
            values = values.interpolate(limit_direction="both")
            notes.append(
                f"{int(filled.sum()):,} missing periods were filled by straight-line "
                "interpolation between their neighbours."
            )
    if incomplete_check and not keep_incomplete:
        values, filled = _drop_incomplete(values, filled, freq, first_day, last_day, frame, notes)
    if len(values) < MIN_POINTS:
        raise AnalyticsError(
            f"The series has {len(values)} {FREQ_LABELS[freq].lower()}s; a forecast needs at "
            f"least {MIN_POINTS}.",
            hint="Choose a shorter period (e.g. weeks instead of months) or load more history.",
        )
    values.name = label
    return SalesSeries(values, freq, label, filled, tuple(notes), _digest(values, freq, filled))


def series_from_values(
    values: Sequence[float] | pd.Series, *, freq: str, start: str = "2000-01-01", label: str = ""
) -> SalesSeries:
    """A series from plain numbers, one per period from ``start`` (for tests and scripts)."""
    data = np.asarray(values, dtype=float)
    index = _periods(pd.Timestamp(start), freq, n=len(data))
    if len(data) < MIN_POINTS:
        raise AnalyticsError(
            f"The series has {len(data)} points; a forecast needs at least {MIN_POINTS}."
        )
    if not np.isfinite(data).all():
        raise AnalyticsError("The series has missing or infinite values.")
    series = pd.Series(data, index=index, name=label or "value")
    filled = np.zeros(len(data), bool)
    return SalesSeries(series, freq, label or "value", filled, (), _digest(series, freq, filled))


def _digest(values: pd.Series, freq: str, filled: np.ndarray) -> str:
    """A content hash of a series: what caches key on."""
    digest = hashlib.sha256(freq.encode())
    digest.update(pd.DatetimeIndex(values.index).asi8.tobytes())
    digest.update(values.to_numpy(float).tobytes())
    digest.update(filled.tobytes())
    digest.update(str(values.name).encode())
    return digest.hexdigest()[:32]


def _numeric_column(dataset: Dataset, name: str) -> str:
    """The frame column behind a user's column name (roles are renamed), if it holds numbers."""
    by_user = {column: role for role, column in dataset.mapping.roles().items()}
    column = by_user.get(name, name)
    if column not in dataset.frame or not pd.api.types.is_numeric_dtype(dataset.frame[column]):
        raise AnalyticsError(
            f"The metric must be one of {', '.join(METRICS)} or a numeric column; "
            f"{name!r} is neither.",
        )
    return column


def _metric_per_period(frame: pd.DataFrame, metric: str, freq: str) -> pd.Series:
    starts = _period_starts(frame["timestamp"], freq)
    if metric == "revenue":
        return frame["revenue"].groupby(starts).sum()
    sales = ~cancellation_mask(frame)
    if metric == "orders":
        column = "order_id"
    elif metric == "customers":
        column = "customer_id"
    else:
        return frame.loc[sales, "quantity"].groupby(starts[sales]).sum()
    if column not in frame:
        raise AnalyticsError(
            f"{METRIC_LABELS[metric]} need the {column.replace('_', ' ')} column.",
            hint="Map it under 'Column roles' on the Data page, or choose another metric.",
        )
    return frame.loc[sales, column].groupby(starts[sales]).nunique()


def _drop_incomplete(
    values: pd.Series,
    filled: np.ndarray,
    freq: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
    frame: pd.DataFrame,
    notes: list[str],
) -> tuple[pd.Series, np.ndarray]:
    """Drop a first or last period that the data covers only in part, with a note."""
    keep = np.ones(len(values), bool)
    name = FREQ_LABELS[freq].lower()
    if freq == "D":
        # A day is cut short when the data stops hours before the usual last order of a day.
        times = frame["timestamp"]
        if (times.dt.normalize() != times).any():
            day_ends = (
                times.groupby(times.dt.normalize()).max()
                - times.dt.normalize().groupby(times.dt.normalize()).max()
            )
            usual = day_ends.median()
            if (last - last.normalize()) < usual - pd.Timedelta(hours=2):
                keep[-1] = False
                notes.append(
                    f"The last day ({last:%Y-%m-%d}) ends at {last:%H:%M}, earlier than usual; "
                    "it was left out so a part day does not look like a drop."
                )
    else:
        period_start = values.index[0]
        if first.normalize() > period_start:
            keep[0] = False
            notes.append(
                f"The first {name} ({period_start:%Y-%m-%d}) starts on {first:%Y-%m-%d}, part way "
                f"through; it was left out."
            )
        period_end = pd.Period(values.index[-1], freq=_PERIOD[freq]).end_time
        if last.normalize() < period_end.normalize():
            keep[-1] = False
            notes.append(
                f"The last {name} ({values.index[-1]:%Y-%m-%d}) has data only up to "
                f"{last:%Y-%m-%d}; it was left out so a part {name} does not look like a drop."
            )
    return values[keep], filled[keep]


# --------------------------------------------------------------------------------------------
# Transforms


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
            return f"Box-Cox, λ = {self.lam:.2f}"
        return TRANSFORM_LABELS[self.kind]


def _scale_for(y: np.ndarray, transform: str, notes: list[str]) -> _Scale:
    if transform not in TRANSFORMS:
        raise AnalyticsError(
            f"Transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}."
        )
    if transform == "none":
        return _Scale()
    if (y <= 0).any():
        notes.append(
            f"The {TRANSFORM_LABELS[transform].split(' ')[0]} transform needs values above zero, "
            "and this series has zeros or negatives; it was forecast untransformed."
        )
        return _Scale()
    if transform == "log":
        return _Scale("log")
    if np.ptp(y) == 0:
        return _Scale()
    return _Scale("boxcox", float(stats.boxcox_normmax(y, method="mle")))


# --------------------------------------------------------------------------------------------
# Models


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
    return _bands(mean, bands, fitted, f"same period last season ({m})")


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


def _seasonal_strength(y: np.ndarray, m: int) -> float:
    """Wang, Smith & Hyndman's strength of seasonality from an STL decomposition (0 to 1)."""

    if m < 2 or len(y) < 2 * m + 1:
        return 0.0
    parts = STL(y, period=m, robust=True).fit()
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
        y, m = _stl_adjust(y, m)[0], 1
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


def _stl_adjust(y: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The series without its STL seasonal part (robust), and that part.

    Long seasons (a year of days) smooth with R's ``stl`` defaults for speed: each LOESS is
    evaluated at every ``ceil(window / 10)``-th point and interpolated (``*_jump``). Exact
    smoothing of a 366-day season took 8 s per call on 10 years of days, with the same seasonal
    pattern to within 0.1% of its spread.
    """
    if len(y) < 2 * m + 1:
        return y, np.zeros_like(y)
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
    seasonal = STL(y, period=m, robust=True, **jumps).fit().seasonal
    return y - seasonal, seasonal


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
        f"STL (season {m}) + {inner.spec}",
    )


@dataclass(frozen=True)
class SarimaSpec:
    """SARIMA orders, the constant, a log scale, and STL adjustment for long seasons."""

    order: tuple[int, int, int]
    seasonal: tuple[int, int, int]
    trend: str
    log: bool
    stl: bool = False


_MAX_SARIMA_FITS = 8


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


def _sarima_model(y: np.ndarray, m: int, spec: SarimaSpec, memo: _Memo, *, simple: bool) -> Any:
    """Fit SARIMA; ``simple`` differences the data up front.

    Differencing up front halves the state and so the time; it is the same likelihood for the
    search, and its forecasts are of the differences (``_integrate`` turns them into levels).
    Intervals come from the full model.
    """

    def make(start: np.ndarray | None) -> object:
        model = SARIMAX(
            np.log(y) if spec.log else y,
            order=spec.order,
            seasonal_order=(*spec.seasonal, m) if any(spec.seasonal) else (0, 0, 0, 0),
            trend=spec.trend,
            concentrate_scale=True,  # one parameter fewer to search: the same fit, faster
            simple_differencing=simple,
        )
        return model.fit(start_params=start, disp=False, maxiter=100, callback=memo.step)

    return memo.fit(("sarima", spec, m, simple), len(y), make, family=("sarima", spec, m))


def _integrate(history: np.ndarray, changes: np.ndarray, d: int, big_d: int, m: int) -> np.ndarray:
    """Levels from forecast differences: y_t = z_t + sum_j c_j y_(t-j) for (1-B)^d (1-B^m)^D."""
    poly = np.array([1.0])
    for _ in range(d):
        poly = np.convolve(poly, [1.0, -1.0])
    for _ in range(big_d):
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
        name += " with drift" if d + spec.seasonal[1] == 1 else " with mean"
    return f"{name} on logs" if spec.log else name


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
    of the same data.
    """
    if m > LONG_SEASON:
        # Long seasons (as R's stlm): ARIMA on the STL-adjusted series.
        if len(y) < 2 * m + 1:
            return _sarima_select(y, 1, memo, try_log)
        inner = _sarima_select(_stl_adjust(y, m)[0], 1, memo, try_log=False)
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
        d, big_d, _ = plans[log]
        return SarimaSpec((p, d, q), (sp, big_d, sq), "c" if const else "n", log)

    def score(key: _Key) -> float:
        if key not in scores:
            spec = spec_of(key)
            try:
                value = _aicc(_sarima_model(y, m, spec, memo, simple=True))
            except Interrupted:
                raise
            except (ValueError, np.linalg.LinAlgError):
                value = np.inf
            if spec.log and np.isfinite(value):
                used = len(y) - spec.order[1] - m * spec.seasonal[1]
                value += 2 * float(np.sum(np.log(y[-used:])))  # the Jacobian of the log
            scores[key] = value
        return scores[key]

    season = 1 if seasonal_ok else 0
    shortlist = memo.candidates("sarima", [])
    if shortlist:
        for key in shortlist:
            if key[0] in plans and (plans[key[0]][2] or not key[5]):
                score(key)
    if not scores:
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
    if not ranked:
        raise ValueError("no SARIMA model could be fitted")
    memo.ranking["sarima"] = [k for k in ranked if k[0] == ranked[0][0]]
    return spec_of(ranked[0])


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
    if not intervals:
        # The backtest needs only the mean: the fast differenced model, integrated back.
        result = _sarima_model(y, m, spec, memo, simple=True)
        changes = np.asarray(result.forecast(h), float)
        scaled = np.log(y) if spec.log else y
        mean = back(_integrate(scaled, changes, d, big_d, m) if burn else changes)
        return _bands(mean, None, np.full(len(y), np.nan), _sarima_name(spec, m))
    result = _sarima_model(y, m, spec, memo, simple=False)
    forecast = result.get_forecast(h)
    mean = back(np.asarray(forecast.predicted_mean, float))
    fitted = back(np.asarray(result.fittedvalues, float))
    fitted[: max(burn, 1)] = np.nan  # the first points are fitted from nothing
    bands = [back(np.asarray(forecast.conf_int(alpha=a), float)) for a in (0.2, 0.05)]
    return _bands(mean, bands, fitted, _sarima_name(spec, m))


def _theta(y: np.ndarray, m: int, h: int, spec: object, intervals: bool, memo: _Memo) -> _Fit:

    seasonal = m >= 2 and len(y) >= 2 * m
    model = ThetaModel(y, period=m if seasonal else 1, deseasonalize=seasonal)
    result = model.fit()
    mean = np.asarray(result.forecast(h), float)
    bands = None
    if intervals:
        bands = [np.asarray(result.prediction_intervals(h, alpha=a), float) for a in (0.2, 0.05)]
    # statsmodels' Theta has no in-sample fit to show.
    name = "Theta" + (f", deseasonalised (season {m})" if seasonal else "")
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
        "mean of " + ", ".join(p.spec for p in parts),
    )


#: What a fit on awkward data can raise (statsmodels and SciPy use these for numerical trouble).
_FIT_ERRORS = (ValueError, np.linalg.LinAlgError, IndexError, ZeroDivisionError, OverflowError)


def _why(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _mean_fitted(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The mean of the parts' in-sample fits where all that have one agree to have one (Theta
    has none, so a combination's fit is that of ETS and SARIMA)."""
    usable = [p for p in parts if np.isfinite(p).any()]
    if not usable:
        return np.full_like(parts[0], np.nan)
    return np.mean(usable, axis=0)


def _needed(models: Sequence[str]) -> list[str]:
    """The single models to fit for these models (a combination needs its three parts)."""
    names = [m for m in models if m != "combo"]
    if "combo" in models:
        names += [p for p in _COMBO_PARTS if p not in names]
    return names


def _fit_all(
    models: Sequence[str],
    y: np.ndarray,
    m: int,
    h: int,
    specs: Mapping[str, object],
    *,
    intervals: bool,
    try_log: bool,
    memo: _Memo,
) -> tuple[dict[str, _Fit], dict[str, str]]:
    """Fit each model once (a combination from its parts); models that fail say why."""
    fits: dict[str, _Fit] = {}
    failed: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in _needed(models):
            spec = specs.get(name)
            try:
                if spec is None and name == "sarima":
                    spec = _sarima_select(y, m, memo, try_log)
                fits[name] = _FITTERS[name](y, m, h, spec, intervals, memo)
            except Interrupted:
                raise
            except _FIT_ERRORS as exc:
                failed[name] = _why(exc)
    if "combo" in models:
        if all(p in fits for p in _COMBO_PARTS):
            fits["combo"] = _combo([fits[p] for p in _COMBO_PARTS])
        else:
            failed["combo"] = "a part of the combination failed"
    return {k: v for k, v in fits.items() if k in models}, failed


def _select(
    models: Sequence[str], y: np.ndarray, m: int, try_log: bool, memo: _Memo
) -> tuple[dict[str, object], dict[str, str]]:
    """Choose the ETS form and SARIMA orders that these models need, on this data.

    Returns the choices and, for a model none of whose forms could be fitted, why.
    """
    specs: dict[str, object] = {}
    failed: dict[str, str] = {}
    needed = _needed(models)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, choose in (("ets", _ets_select), ("sarima", _sarima_select)):
            if name not in needed:
                continue
            try:
                specs[name] = (
                    _sarima_select(y, m, memo, try_log) if name == "sarima" else choose(y, m, memo)
                )
            except Interrupted:
                raise
            except _FIT_ERRORS as exc:
                failed[name] = _why(exc)
    if "combo" in models and failed:
        failed["combo"] = "a part of the combination failed"
    return specs, failed


# --------------------------------------------------------------------------------------------
# Accuracy


def accuracy(
    actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, m: int
) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), sMAPE (%) and MASE of a forecast against what happened.

    MASE scales the mean absolute error by the in-sample mean absolute error of the seasonal
    naive forecast on ``history`` (the naive one when the history is shorter than a season).
    MAPE leaves out periods whose actual value is zero.

    Example
    -------
    >>> accuracy(np.array([10.0, 12.0]), np.array([11.0, 12.0]), np.arange(1.0, 20.0), 1)["MAE"]
    0.5
    """
    errors = actual - forecast
    lag = m if 1 < m < len(history) else 1
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag]))) if len(history) > lag else 0.0
    nonzero = actual != 0
    denominator = np.abs(actual) + np.abs(forecast)
    return {
        "MAE": float(np.mean(np.abs(errors))),
        "RMSE": float(np.sqrt(np.mean(errors**2))),
        "MAPE": float(np.mean(np.abs(errors[nonzero] / actual[nonzero])) * 100)
        if nonzero.any()
        else np.nan,
        "sMAPE": float(
            np.mean(
                np.divide(
                    2 * np.abs(errors),
                    denominator,
                    out=np.zeros_like(errors),
                    where=denominator > 0,
                )
            )
            * 100
        ),
        "MASE": float(np.mean(np.abs(errors)) / scale) if scale > 0 else np.nan,
    }


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin evaluation of every model.

    Attributes
    ----------
    leaderboard : pandas.DataFrame
        One row per model (index ``model``): mean MAE, RMSE, MAPE, sMAPE and MASE over the origins,
        sorted by MASE, with the model's description.
    per_origin : pandas.DataFrame
        model, origin (the last period used for fitting), and the five metrics.
    origins : tuple of pandas.Timestamp
        The last period of data each backtest fit saw.
    horizon : int
        Periods forecast from each origin.
    points : int
        Forecast points scored per model (origins × horizon).
    failures : dict
        Model → why it could not be backtested.
    """

    leaderboard: pd.DataFrame
    per_origin: pd.DataFrame
    origins: tuple[pd.Timestamp, ...]
    horizon: int
    points: int
    failures: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if not self.origins:
            return "No backtest: the series is too short to hold any periods out."
        if len(self.origins) == 1:
            where = f"1 origin ({self.origins[0]:%Y-%m-%d})"
        else:
            where = (
                f"{len(self.origins)} origins ({self.origins[0]:%Y-%m-%d} to "
                f"{self.origins[-1]:%Y-%m-%d})"
            )
        return (
            f"{where}, each forecasting {self.horizon} periods ahead: {self.points} forecast "
            "points per model."
        )


def _origins(n: int, h: int, m: int, count: int) -> list[int]:
    """Training lengths for the backtest: the last origin leaves h points, earlier ones step back."""
    step = max(1, h // 2)
    minimum = max(MIN_POINTS + 2, 2 * m + 2 if m <= LONG_SEASON else m + 4)
    minimum = min(minimum, max(MIN_POINTS + 2, n // 2))
    ends = [n - h - i * step for i in range(count)]
    return sorted(e for e in ends if e >= minimum)


def _empty_board() -> pd.DataFrame:
    return pd.DataFrame(columns=["model", *METRIC_COLUMNS, "description"]).set_index("model")


def backtest(
    y: np.ndarray,
    m: int,
    h: int,
    models: Sequence[str],
    *,
    index: pd.Index,
    origins: int = DEFAULT_ORIGINS,
    scale: _Scale | None = None,
    memo: _Memo | None = None,
) -> Backtest:
    """Score each model by rolling origin: fit on the data up to an origin, forecast h ahead.

    Model forms (ETS) and orders (SARIMA) are chosen once on the data before the first origin and
    re-estimated at every origin, so no choice ever sees the periods it is scored on.
    """
    scale = scale or _Scale()
    memo = memo or _Memo()
    ends = _origins(len(y), h, m, origins)
    rows: list[dict[str, object]] = []
    if not ends:
        return Backtest(_empty_board(), pd.DataFrame(), (), h, 0, {})
    try_log = scale.kind == "none"
    specs, failures = _select(models, scale.forward(y[: ends[0]]), m, try_log, memo)
    descriptions: dict[str, str] = {}
    for end in ends:
        check(memo.budget)
        history = y[:end]
        fits, failed = _fit_all(
            [mo for mo in models if mo not in failures],
            scale.forward(history),
            m,
            h,
            specs,
            intervals=False,
            try_log=try_log,
            memo=memo,
        )
        failures.update(failed)
        actual = y[end : end + h]
        for model, fit in fits.items():
            descriptions[model] = fit.spec
            forecast = scale.back(fit.mean)[: len(actual)]
            rows.append(
                {
                    "model": model,
                    "origin": index[end - 1],
                    **accuracy(actual, forecast, history, m),
                }
            )
    per_origin = pd.DataFrame(rows)
    if per_origin.empty:
        board = _empty_board()
    else:
        board = per_origin.groupby("model", sort=False)[list(METRIC_COLUMNS)].mean()
        board = board.drop(index=[name for name in failures if name in board.index])
        board["description"] = [descriptions.get(name, "") for name in board.index]
        board = board.sort_values(["MASE", "MAE"], na_position="last")
    points = sum(min(h, len(y) - end) for end in ends)
    return Backtest(board, per_origin, tuple(index[e - 1] for e in ends), h, points, failures)


# --------------------------------------------------------------------------------------------
# The forecast


@dataclass(frozen=True)
class ForecastResult:
    """What a forecast page and the CLI show.

    Attributes
    ----------
    series : SalesSeries
        The series that was forecast.
    model : str
        The model used (``"auto"`` resolved to the winner).
    description : str
        The fitted model in words, e.g. ``"ETS(M,Ad,M)"``.
    forecast : pandas.DataFrame
        period, forecast, lower_80, upper_80, lower_95, upper_95.
    fitted : pandas.Series
        In-sample fitted values (NaN where the model has none).
    backtest : Backtest
    season : int
        The season length used.
    transform : str
        The transform used, in words.
    holdout : dict or None
        With ``holdout=H``: the accuracy of the forecast of the last H periods, fitted without them,
        and the periods.
    notes : tuple of str
    seconds : float
    """

    series: SalesSeries
    model: str
    description: str
    forecast: pd.DataFrame
    fitted: pd.Series
    backtest: Backtest
    season: int
    transform: str
    holdout: dict[str, object] | None
    notes: tuple[str, ...]
    seconds: float

    @property
    def residuals(self) -> pd.Series:
        return (self.series.values - self.fitted).dropna()

    def summary(self) -> dict[str, object]:
        """JSON-friendly summary (the CLI prints it)."""
        board = self.backtest.leaderboard
        return {
            "series": self.series.label,
            "n_periods": self.series.n,
            "first_period": str(self.series.values.index[0].date()),
            "last_period": str(self.series.values.index[-1].date()),
            "season_length": self.season,
            "transform": self.transform,
            "model": self.model,
            "description": self.description,
            "horizon": len(self.forecast),
            "backtest": {
                "origins": len(self.backtest.origins),
                "horizon": self.backtest.horizon,
                "points_per_model": self.backtest.points,
                "models": {
                    name: {k: _json_number(board.loc[name, k]) for k in METRIC_COLUMNS}
                    | {"description": str(board.loc[name, "description"])}
                    for name in board.index
                },
                "failed": self.backtest.failures,
            },
            "holdout": self.holdout,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }

    def export_table(self) -> pd.DataFrame:
        """History and forecast in one table for CSV / Excel."""
        history = pd.DataFrame(
            {
                "period": self.series.values.index,
                "actual": self.series.values.to_numpy(),
                "fitted": self.fitted.to_numpy(),
            }
        )
        return pd.concat([history, self.forecast], ignore_index=True)


def _json_number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return round(number, 4) if np.isfinite(number) else None


def _horizon_check(h: int) -> None:
    if not 1 <= h <= 520:
        raise AnalyticsError(f"The horizon must be between 1 and 520 periods, got {h}.")


def run_forecast(
    series: SalesSeries,
    *,
    model: str = "auto",
    horizon: int | None = None,
    season: int | None = None,
    transform: str = "none",
    origins: int = DEFAULT_ORIGINS,
    holdout: int = 0,
    progress: Callable[[str], None] | None = None,
    budget: Budget | None = None,
) -> ForecastResult:
    """Backtest the models, pick one (``"auto"``: best mean MASE), fit it and forecast.

    Parameters
    ----------
    series : SalesSeries
    model : str
        ``"auto"`` or one of ``MODELS``.
    horizon : int, optional
        Periods to forecast; default one season (two weeks of days, 13 weeks, 12 months, 4
        quarters).
    season : int, optional
        Season length; default from the frequency (7, 52, 12, 4). 1 means no season.
    transform : str
        ``"none"``, ``"log"`` or ``"boxcox"``: models are fitted on the transformed values and
        forecasts transformed back (the back-transformed forecast is the median).
    origins : int
        Backtest origins (0 skips the backtest; ``"auto"`` then needs one, so it falls back to ETS).
    holdout : int
        Also fit without the last ``holdout`` periods and score the forecast of them.
    progress : callable, optional
        Called with a short message before each step.
    budget : Budget, optional
        Checked before every model fit: the forecast stops with :class:`Interrupted` when its
        visitor has gone or its time is used up.

    Returns
    -------
    ForecastResult

    Example
    -------
    >>> result = run_forecast(series, model="auto", horizon=12)
    >>> result.forecast.head()
    """
    started = time.perf_counter()
    say = progress or (lambda message: None)
    if model not in ("auto", *MODELS):
        raise AnalyticsError(f"Model must be auto or one of {', '.join(MODELS)}, got {model!r}.")
    m = SEASON[series.freq] if season is None else int(season)
    if m < 1:
        raise AnalyticsError(f"The season length must be 1 or more, got {m}.")
    default_h = {"D": 14, "W": 13, "M": 12, "Q": 4}[series.freq]
    h = default_h if horizon is None else int(horizon)
    _horizon_check(h)
    if holdout < 0 or holdout > series.n - MIN_POINTS:
        raise AnalyticsError(
            f"The holdout must leave at least {MIN_POINTS} periods to fit on; the series has "
            f"{series.n}.",
        )
    notes: list[str] = list(series.notes)
    y_all = series.values.to_numpy(float)
    if np.ptp(y_all) == 0:
        notes.append(
            "Every value is the same, so every model forecasts that value; intervals are zero-width."
        )
    score_part: dict[str, object] | None = None
    if holdout:
        say(f"Fitting without the last {holdout} periods to score them …")
        train = y_all[:-holdout]
        inner = _forecast_values(
            train,
            series.values.index[:-holdout],
            m,
            holdout,
            model,
            transform,
            origins,
            [],
            say,
            budget,
        )
        actual = y_all[-holdout:]
        score_part = {
            "periods": holdout,
            "model": inner[0],
            "description": inner[1].spec,
            **{
                k: _json_number(v)
                for k, v in accuracy(actual, inner[3].back(inner[1].mean), train, m).items()
            },
        }
    chosen, fit, board, scale, used_season = _forecast_values(
        y_all, series.values.index, m, h, model, transform, origins, notes, say, budget
    )
    index = series.values.index
    future = _periods(index[-1], series.freq, n=h + 1)[1:]
    table = pd.DataFrame(
        {
            "period": future,
            "forecast": scale.back(fit.mean),
            "lower_80": scale.back(fit.lower80),
            "upper_80": scale.back(fit.upper80),
            "lower_95": scale.back(fit.lower95),
            "upper_95": scale.back(fit.upper95),
        }
    )
    fitted = pd.Series(scale.back(fit.fitted), index=index, name="fitted")
    return ForecastResult(
        series=series,
        model=chosen,
        description=fit.spec,
        forecast=table,
        fitted=fitted,
        backtest=board,
        season=used_season,
        transform=scale.describe(),
        holdout=score_part,
        notes=tuple(dict.fromkeys(notes)),
        seconds=time.perf_counter() - started,
    )


def _steadier(board: Backtest, notes: list[str]) -> str:
    """The best model by mean MASE, unless the combination is within one standard error of it.

    Backtest rankings are noisy: with a handful of origins one model can lead by luck. When the
    combination's per-origin MASE is, on average, no more than one standard error of the paired
    differences behind the leader (the one-standard-error rule), the combination is chosen, as
    combinations are the steadier forecast.
    """
    best = str(board.leaderboard.index[0])
    if best == "combo" or "combo" not in board.leaderboard.index:
        return best
    table = board.per_origin.pivot(index="origin", columns="model", values="MASE")
    gaps = (table["combo"] - table[best]).dropna()
    if len(gaps) < 2:
        return best
    mean, se = float(gaps.mean()), float(gaps.std(ddof=1) / np.sqrt(len(gaps)))
    if mean > se:
        return best
    mase = board.leaderboard["MASE"].astype(float)
    notes.append(
        f"{MODEL_LABELS[best]} had the best backtest MASE "
        f"({mase[best]:.3f}), but the combination "
        f"({mase['combo']:.3f}) is within one standard error of it "
        f"(gap {mean:.3f}, standard error {se:.3f} over {len(gaps)} origins); the steadier "
        "combination was chosen."
    )
    return "combo"


def _forecast_values(
    y: np.ndarray,
    index: pd.Index,
    m: int,
    h: int,
    model: str,
    transform: str,
    origins: int,
    notes: list[str],
    say: Callable[[str], None],
    budget: Budget | None = None,
) -> tuple[str, _Fit, Backtest, _Scale, int]:
    scale = _scale_for(y, transform, notes)
    m_fit = m
    if m > 1 and len(y) <= m + 1:
        notes.append(
            f"The series has {len(y)} periods, not more than one season of {m}; the models "
            "treat it as having no season."
        )
        m_fit = 1
    elif m > 1 and len(y) < 2 * m + 2:
        notes.append(
            f"The series has {len(y)} periods, fewer than two full seasons of {m}: only the "
            "seasonal naive forecast"
            + (" and ETS (estimating the starting season) use" if m <= LONG_SEASON else " uses")
            + " the season; SARIMA and Theta treat the series as having none."
        )
    candidates = list(MODELS)
    if len(y) < 10:
        # Too short for ETS and SARIMA to be trusted: only the baselines and Theta.
        candidates = ["naive", "snaive", "theta"]
        if model not in ("auto", *candidates):
            notes.append(
                f"{MODEL_LABELS[model]} needs more history than {len(y)} periods; the seasonal "
                "naive forecast is shown instead."
            )
            model = "snaive"
    say("Backtesting every model from several origins …")
    memo = _Memo(budget)
    board = backtest(y, m_fit, h, candidates, index=index, origins=origins, scale=scale, memo=memo)
    for name, why in board.failures.items():
        notes.append(f"{MODEL_LABELS[name]} could not be backtested: {why}")
    if model != "auto":
        chosen = model
    elif not board.leaderboard.empty:
        chosen = _steadier(board, notes)
    else:
        chosen = "ets" if "ets" in candidates else "snaive"
        notes.append(
            f"The series is too short to backtest; {MODEL_LABELS[chosen]} was used without one."
        )
    say(f"Fitting {MODEL_LABELS[chosen]} on all {len(y)} periods …")
    transformed = scale.forward(y)
    memo.shortlist = SHORTLIST
    fits, failed = _fit_all(
        [chosen], transformed, m_fit, h, {}, intervals=True, try_log=scale.kind == "none", memo=memo
    )
    if chosen not in fits:
        notes.append(
            f"{MODEL_LABELS[chosen]} failed on this series ({failed.get(chosen, 'no fit')}); "
            "the seasonal naive forecast is shown instead."
        )
        chosen = "snaive"
        fits, _ = _fit_all(
            ["snaive"], transformed, m_fit, h, {}, intervals=True, try_log=False, memo=memo
        )
    return chosen, fits[chosen], board, scale, m_fit


# --------------------------------------------------------------------------------------------
# Diagnostics


def decompose(series: SalesSeries, season: int | None = None) -> pd.DataFrame | None:
    """STL decomposition (robust): observed, trend, seasonal, remainder; None when too short."""

    m = season or series.season
    y = series.values
    if m < 2 or len(y) < 2 * m + 1:
        return None
    parts = STL(y.to_numpy(float), period=m, robust=True).fit()
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
            return "Too few residuals to test."
        if self.p_value < 0.05:
            return (
                f"Ljung–Box p = {self.p_value:.3f} over {self.lags} lags: the residuals still "
                "have a pattern the model missed, so the intervals may be too narrow."
            )
        return (
            f"Ljung–Box p = {self.p_value:.3f} over {self.lags} lags: no sign of a pattern "
            "left in the residuals."
        )


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
