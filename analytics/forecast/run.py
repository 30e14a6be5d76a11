"""The whole forecast: backtest, choice of model, forecast with intervals (``run_forecast``,
``ForecastParams``, ``ForecastResult``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from analytics.budget import Budget
from analytics.display import Column, Kind, column_kind
from analytics.errors import AnalyticsError
from analytics.forecast.backtest import Backtest, accuracy, backtest
from analytics.forecast.models import (
    DEFAULT_ORIGINS,
    MODEL_LABELS,
    MODELS,
    SHORTLIST,
    TRANSFORMS,
    _Fit,
    _Memo,
    _Scale,
    _scale_for,
)
from analytics.forecast.search import _fit_all
from analytics.forecast.series import (
    FREQS,
    LONG_SEASON,
    METRIC_COLUMNS,
    METRICS,
    MIN_POINTS,
    SEASON,
    SalesSeries,
    _periods,
)
from analytics.i18n import _, ngettext
from analytics.params import Constraint, Params
from analytics.results import Result, json_number
from analytics.threads import one_blas_thread


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


@dataclass(frozen=True)
class ForecastResult(Result):
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
    params : ForecastParams
        What the series and the forecast were made with.
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
    params: ForecastParams = field(default_factory=ForecastParams)

    @property
    def residuals(self) -> pd.Series:
        return (self.series.values - self.fitted).dropna()

    def to_dict(self) -> dict[str, object]:
        """The JSON the CLI prints: the model, its backtest and the forecast."""
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
                    name: {k: json_number(board.loc[name, k]) for k in METRIC_COLUMNS}
                    | {"description": str(board.loc[name, "description"])}
                    for name in board.index
                },
                "failed": self.backtest.failures,
            },
            "holdout": self.holdout,
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
            "forecast": self.forecast.assign(
                period=self.forecast["period"].dt.strftime("%Y-%m-%d")
            ).to_dict(orient="records"),
            "params": self.params.to_dict(),
        }

    @property
    def value_kind(self) -> Kind:
        """What the series counts: money for revenue, whole numbers for orders, units and
        customers (shown without decimals), a value column's own kind otherwise."""
        metric = self.params.metric
        if metric == "revenue":
            return "money"
        if metric in METRICS:
            return "count"
        return column_kind(metric, self.series.values)

    def display_columns(self) -> dict[str, Column]:
        """How the forecast table and the backtest leaderboard are shown (pages and report)."""
        kind = self.value_kind
        unit: Kind = "money" if kind == "money" else "number"
        bounds = {
            f"{side}_{level}": Column(
                (_("Low ({level}%)") if side == "lower" else _("High ({level}%)")).format(
                    level=level
                ),
                kind,
                (
                    _("The {level}% prediction interval's lower end.")
                    if side == "lower"
                    else _("The {level}% prediction interval's upper end.")
                ).format(level=level),
                decimals=0 if kind == "count" else None,
            )
            for side in ("lower", "upper")
            for level in (80, 95)
        }
        return {
            "period": Column(_("Period"), "date"),
            "forecast": Column(_("Forecast"), kind, decimals=0 if kind == "count" else None),
            "actual": Column(_("Actual"), kind),
            "fitted": Column(_("Fitted"), kind),
            **bounds,
            "Model": Column(_("Model"), "text"),
            "MAE": Column(
                _("Average miss"), unit, _("Mean absolute error (MAE), in the series' units.")
            ),
            "RMSE": Column(
                _("Typical miss, big ones weighted"),
                unit,
                _(
                    "Root mean squared error (RMSE): like the average miss, but big misses count "
                    "more."
                ),
            ),
            "MAPE": Column(
                _("Average % miss"),
                "percent",
                _(
                    "Mean absolute percentage error (MAPE); periods with zero sales left out. "
                    "Small counts blow it up: read the average miss instead."
                ),
            ),
            "sMAPE": Column(
                _("Average % miss (symmetric)"),
                "percent",
                _("Symmetric MAPE (sMAPE): the error over the mean of actual and forecast."),
            ),
            "MASE": Column(
                _("Error vs. a seasonal guess"),
                "ratio",
                _(
                    "MASE: the average miss over that of repeating last season's value. Below 1 "
                    "beats that guess."
                ),
            ),
            "description": Column(_("Fitted as"), "text"),
        }

    def leaderboard_table(self, labels: Mapping[str, str]) -> pd.DataFrame:
        """The backtest leaderboard as the page and the report show it: a model's name in words
        (from ``labels``), its errors (percentages as shares) and how it was fitted."""
        board = self.backtest.leaderboard.reset_index()
        shown = pd.DataFrame({"Model": [labels.get(m, m).split(" (")[0] for m in board["model"]]})
        for column in METRIC_COLUMNS:
            if column in board:
                values = board[column].astype(float)
                shown[column] = values / 100 if column in ("MAPE", "sMAPE") else values
        shown["description"] = board["description"].astype(str) if len(board) else []
        return shown

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


def _horizon_check(h: int) -> None:
    if not 1 <= h <= 520:
        raise AnalyticsError(f"The horizon must be between 1 and 520 periods, got {h}.")


def _season_and_horizon(
    series: SalesSeries, model: str, season: int | None, horizon: int | None, holdout: int
) -> tuple[int, int]:
    """The season length and horizon to use (defaults from the frequency); bad options refused."""
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
    return m, h


def _holdout_score(
    series: SalesSeries,
    m: int,
    holdout: int,
    model: str,
    transform: str,
    origins: int,
    say: Callable[[str], None],
    budget: Budget | None,
) -> dict[str, object]:
    """The model fitted without the last ``holdout`` periods, and its accuracy on them."""
    say(_("Fitting without the last {n} periods to score them …").format(n=holdout))
    y_all = series.values.to_numpy(float)
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
    forecast = inner.scale.back(inner.fit.mean)
    if len(train) and train.min() >= 0:
        forecast = np.maximum(forecast, 0.0)  # as the forecast shown (_not_below_zero)
    return {
        "periods": holdout,
        "model": inner.model,
        "description": inner.fit.spec,
        **{k: json_number(v) for k, v in accuracy(y_all[-holdout:], forecast, train, m).items()},
    }


def _future(fit: _Fit, scale: _Scale, periods: pd.DatetimeIndex) -> pd.DataFrame:
    """The forecast and its 80% and 95% intervals per future period, on the original scale."""
    return pd.DataFrame(
        {
            "period": periods,
            "forecast": scale.back(fit.mean),
            "lower_80": scale.back(fit.lower80),
            "upper_80": scale.back(fit.upper80),
            "lower_95": scale.back(fit.lower95),
            "upper_95": scale.back(fit.upper95),
        }
    )


def _not_below_zero(future: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """A series that never went below zero (sales, orders) does not go below it in its forecast:
    bounds and forecasts under zero are shown as zero, with a note. An interval keeps its
    coverage: what it gave to values below zero now sits at zero."""
    values = future.drop(columns="period")
    below = int((values < 0).to_numpy().sum())
    if below:
        notes.append(
            ngettext(
                "The history never goes below zero, so neither does the forecast: {n} value below "
                "zero shown as zero.",
                "The history never goes below zero, so neither does the forecast: {n} values below "
                "zero shown as zero.",
                below,
            ).format(n=below)
        )
    return future.assign(**values.clip(lower=0.0))


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
    given = {"model": model, "horizon": horizon, "season": season, "transform": transform}
    given |= {"origins": origins, "holdout": holdout}
    say = progress or (lambda message: None)
    m, h = _season_and_horizon(series, model, season, horizon, holdout)
    notes: list[str] = list(series.notes)
    y_all = series.values.to_numpy(float)
    if np.ptp(y_all) == 0:
        notes.append(
            _(
                "Every value is the same, so every model forecasts that value; intervals are "
                "zero-width."
            )
        )
    score_part = None
    index = series.values.index
    # The Kalman filters' small matrices gain nothing from a second BLAS thread, which only spun
    # (twice the CPU per forecast in the same wall time; on a shared server, another's core).
    with one_blas_thread():
        if holdout:
            score_part = _holdout_score(series, m, holdout, model, transform, origins, say, budget)
        done = _forecast_values(y_all, index, m, h, model, transform, origins, notes, say, budget)
    fit, scale = done.fit, done.scale
    future = _future(fit, scale, _periods(index[-1], series.freq, n=h + 1)[1:])
    if len(y_all) and y_all.min() >= 0:
        future = _not_below_zero(future, notes)
    return ForecastResult(
        series=series,
        model=done.model,
        description=fit.spec,
        forecast=future,
        fitted=pd.Series(scale.back(fit.fitted), index=index, name="fitted"),
        backtest=done.board,
        season=done.season,
        transform=scale.describe(),
        holdout=score_part,
        notes=tuple(dict.fromkeys(notes)),
        seconds=time.perf_counter() - started,
        params=ForecastParams.from_dict({**series.options, **given}),
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
        _(
            "{model} had the best backtest MASE ({best}), but the combination ({combo}) is within "
            "one standard error of it (gap {gap}, standard error {se} over {n} origins); the "
            "steadier combination was chosen."
        ).format(
            model=_(MODEL_LABELS[best]),
            best=f"{mase[best]:.3f}",
            combo=f"{mase['combo']:.3f}",
            gap=f"{mean:.3f}",
            se=f"{se:.3f}",
            n=len(gaps),
        )
    )
    return "combo"


@dataclass(frozen=True)
class _Forecasted:
    """The model chosen for a history, its fit (on the transformed scale), the backtest, the
    transform, and the season length the models used (1 when the history is too short for one)."""

    model: str
    fit: _Fit
    board: Backtest
    scale: _Scale
    season: int


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
) -> _Forecasted:
    """Backtest the candidate models on a history, choose one and fit it for ``h`` periods."""
    scale = _scale_for(y, transform, notes)
    m_fit = m
    if m > 1 and len(y) <= m + 1:
        notes.append(
            _(
                "The series has {n} periods, not more than one season of {m}; the models treat it "
                "as having no season."
            ).format(n=len(y), m=m)
        )
        m_fit = 1
    elif m > 1 and len(y) < 2 * m + 2:
        notes.append(
            (
                _(
                    "The series has {n} periods; a seasonal SARIMA or Theta needs at least {least} "
                    "(two full seasons of {m}, and two more). Only the seasonal naive forecast and "
                    "ETS (estimating the starting season) use the season; SARIMA and Theta treat "
                    "the series as having none."
                )
                if m <= LONG_SEASON
                else _(
                    "The series has {n} periods; a seasonal SARIMA or Theta needs at least {least} "
                    "(two full seasons of {m}, and two more). Only the seasonal naive forecast "
                    "uses the season; SARIMA and Theta treat the series as having none."
                )
            ).format(n=len(y), least=2 * m + 2, m=m)
        )
    candidates = list(MODELS)
    if len(y) < 10:
        # Too short for ETS and SARIMA to be trusted: only the baselines and Theta.
        candidates = ["naive", "snaive", "theta"]
        if model not in ("auto", *candidates):
            notes.append(
                _(
                    "{model} needs more history than {n} periods; the seasonal naive forecast is "
                    "shown instead."
                ).format(model=_(MODEL_LABELS[model]), n=len(y))
            )
            model = "snaive"
    say(_("Backtesting every model from several origins …"))
    memo = _Memo(budget)
    board = backtest(y, m_fit, h, candidates, index=index, origins=origins, scale=scale, memo=memo)
    for name, why in board.failures.items():
        notes.append(
            _("{model} could not be backtested: {why}").format(model=_(MODEL_LABELS[name]), why=why)
        )
    if model != "auto":
        chosen = model
    elif not board.leaderboard.empty:
        chosen = _steadier(board, notes)
    else:
        chosen = "ets" if "ets" in candidates else "snaive"
        notes.append(
            _("The series is too short to backtest; {model} was used without one.").format(
                model=_(MODEL_LABELS[chosen])
            )
        )
    say(_("Fitting {model} on all {n} periods …").format(model=_(MODEL_LABELS[chosen]), n=len(y)))
    transformed = scale.forward(y)
    memo.shortlist = SHORTLIST
    fits, failed = _fit_all(
        [chosen], transformed, m_fit, h, {}, intervals=True, try_log=scale.kind == "none", memo=memo
    )
    if chosen not in fits:
        notes.append(
            _(
                "{model} failed on this series ({why}); the seasonal naive forecast is shown "
                "instead."
            ).format(model=_(MODEL_LABELS[chosen]), why=failed.get(chosen, _("no fit")))
        )
        chosen = "snaive"
        fits, _failed = _fit_all(
            ["snaive"], transformed, m_fit, h, {}, intervals=True, try_log=False, memo=memo
        )
    return _Forecasted(chosen, fits[chosen], board, scale, m_fit)
