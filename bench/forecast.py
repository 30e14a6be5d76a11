"""Forecast benchmark: auto with its backtest, per series, next to every single model.

Series:

* AirPassengers (``../shared/datasets/AirPassengers.csv``): 144 months.
* Weekly revenue of 156 weeks: three years of the generator's online shop (a +25% yearly trend,
  a yearly cycle and the Black Friday to Christmas peak), part weeks at the ends left out.

For each series:

* **Speed**: ``run_forecast(model="auto")``, the whole thing a page runs: the rolling-origin
  backtest of the six models (5 origins), the choice, the final fit with 80% / 95% intervals.
  Also each single model alone (still with the 5-origin backtest, which the page shows).
  Reference: statsmodels' Holt-Winters (additive trend, multiplicative season) and the airline
  SARIMA on logs, one fit and forecast each (the issue's references; they do no backtest).
* **Accuracy**: the last 12 months / 13 weeks held out, every model fitted without them;
  MAPE and MASE on the held-out periods (``--holdout`` in the CLI).

Goal (issue 5): auto with backtest at most 2 s per series on this machine.
Run: python -m bench.run forecast
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

from analytics.data import build_dataset, detect_mapping, generate_sample, open_dataset
from analytics.forecast import MODELS, SalesSeries, accuracy, build_series, run_forecast
from bench.common import SHARED, BenchReport

GOAL_SECONDS = 2.0


def air_passengers() -> SalesSeries:
    return build_series(open_dataset(SHARED / "AirPassengers.csv").dataset)


def weekly_revenue() -> SalesSeries:
    frame = generate_sample(3000, days=3 * 365 + 4, random_state=7).transactions
    dataset = build_dataset(
        frame, "transactions", detect_mapping(frame, "transactions"), source="generated"
    )
    return build_series(dataset, metric="revenue", freq="W")


def _holt_winters(y: np.ndarray, m: int, h: int) -> np.ndarray:
    model = ExponentialSmoothing(y, trend="add", seasonal="mul", seasonal_periods=m)
    return np.asarray(model.fit().forecast(h))


def _airline(y: np.ndarray, m: int, h: int) -> np.ndarray:
    model = SARIMAX(np.log(y), order=(0, 1, 1), seasonal_order=(0, 1, 1, m))
    return np.exp(np.asarray(model.fit(disp=False).forecast(h)))


REFERENCES = {
    "statsmodels Holt-Winters (A trend, M season)": _holt_winters,
    "statsmodels airline SARIMA on logs": _airline,
}


def _case(report: BenchReport, name: str, series: SalesSeries, h: int, repeat: int) -> None:
    m = series.season
    y = series.values.to_numpy(float)
    times: dict[str, float] = {}
    for model in ("auto", *MODELS):
        label = "MarketLens auto (backtest + fit)" if model == "auto" else f"MarketLens {model}"
        timing = report.time(
            name,
            label,
            lambda model=model: run_forecast(series, model=model, horizon=h).series.n,
            repeat=repeat,
        )
        times[model] = timing.seconds
    for label, reference in REFERENCES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report.time(name, label, lambda f=reference: len(f(y, m, h)), repeat=repeat)
    scores: list[str] = []
    for model in ("auto", *MODELS):
        result = run_forecast(series, model=model, horizon=h, holdout=h)
        held = result.holdout or {}
        chosen = f" → {held['model']}" if model == "auto" else ""
        scores.append(f"{model}{chosen} MAPE {held['MAPE']:.2f}% MASE {held['MASE']:.3f}")
    for label, reference in REFERENCES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecast = reference(y[:-h], m, h)
        score = accuracy(y[-h:], forecast, y[:-h], m)
        scores.append(f"{label} MAPE {score['MAPE']:.2f}% MASE {score['MASE']:.3f}")
    report.goal(f"{name}: auto with its backtest, seconds", times["auto"], GOAL_SECONDS, " s")
    report.notes.append(f"{name}: last {h} periods held out: " + "; ".join(scores))


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("forecast")
    repeat = 1 if quick else 3
    cases = [
        ("AirPassengers, 144 months", air_passengers(), 12),
        ("Generated weekly revenue, 156 weeks", weekly_revenue(), 13),
    ]
    for name, series, h in cases:
        if series.n != int(name.split(", ")[1].split()[0]):
            report.notes.append(f"{name}: the series has {series.n} periods")
        _case(report, name, series, h, repeat)
    report.notes.append(
        "Each MarketLens row is run_forecast with its 5-origin backtest; the statsmodels rows "
        "are one fit and forecast of a fixed model, no backtest, no intervals."
    )
    return report
