"""Backtests: each model refitted at several origins and scored on what followed (``backtest``,
``accuracy``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from analytics.budget import check
from analytics.forecast.models import DEFAULT_ORIGINS, _Memo, _Scale
from analytics.forecast.search import _fit_all, _select
from analytics.forecast.series import LONG_SEASON, METRIC_COLUMNS, MIN_POINTS
from analytics.i18n import _, day


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
            return _("No backtest: the series is too short to hold any periods out.")
        if len(self.origins) == 1:
            where = _("1 origin ({day})").format(day=day(self.origins[0]))
        else:
            where = _("{n} origins ({first} to {last})").format(
                n=len(self.origins), first=day(self.origins[0]), last=day(self.origins[-1])
            )
        return _(
            "{where}, each forecasting {horizon} periods ahead: {points} forecast points per model."
        ).format(where=where, horizon=self.horizon, points=self.points)


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
