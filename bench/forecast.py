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

**Classic series** (issue 17): 14 monthly and quarterly series (R's AirPassengers, USAccDeaths,
ldeaths, nottem, UKDriverDeaths, UKgas, JohnsonJohnson, austres; fpp2's a10, ausbeer, auscafe,
debitcards, from ``bench/data/series/``; Quebec car sales and Perrin Frères champagne from the
real-export corpus). Each: auto with its backtest timed once (after a warm-up), and the last
season held out to score auto and the two statsmodels references (MASE). Goal: mean time per
series ≤ 1 s; the mean MASE is printed beside the references'. Like with like: the references
fit one fixed model each and do no backtest, so their time is a floor, not a competitor.
Run: python -m bench.run forecast
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

from analytics.data import (
    ColumnMapping,
    build_dataset,
    detect_mapping,
    generate_sample,
    open_dataset,
)
from analytics.forecast import MODELS, SalesSeries, accuracy, build_series, run_forecast
from bench.common import ROOT, SHARED, BenchReport

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


SERIES = ROOT / "bench" / "data" / "series"
REAL = ROOT / "tests" / "data" / "real"
R_SERIES = {
    "USAccDeaths": 12,
    "ldeaths": 12,
    "nottem": 12,
    "UKDriverDeaths": 12,
    "UKgas": 4,
    "JohnsonJohnson": 4,
    "austres": 4,
    "a10": 12,
    "ausbeer": 4,
    "auscafe": 12,
    "debitcards": 12,
}


def _r_series(name: str, per_year: int) -> SalesSeries:
    """An R ``ts`` written as ``time,value`` with decimal years, as a series of dated periods."""
    frame = pd.read_csv(SERIES / f"{name}.csv")
    year = np.floor(frame["time"] + 1e-6).astype(int)
    step = np.rint((frame["time"] - year) * per_year).astype(int)
    month = 1 + step * (12 // per_year)
    dates = pd.to_datetime({"year": year, "month": month, "day": 1})
    table = pd.DataFrame({"date": dates.dt.strftime("%Y-%m-%d"), "value": frame["value"]})
    mapping = ColumnMapping(timestamp="date", value="value")
    return build_series(build_dataset(table, "series", mapping, source=name))


def classic_series() -> list[tuple[str, SalesSeries]]:
    """The 14 classic monthly and quarterly series (see the module's docstring)."""
    out = [("AirPassengers", air_passengers())]
    out += [(name, _r_series(name, m)) for name, m in R_SERIES.items()]
    for name in ("monthly-car-sales.csv", "monthly_champagne_sales.csv"):
        out.append((name.removesuffix(".csv"), build_series(open_dataset(REAL / name).dataset)))
    return out


def _classic(report: BenchReport) -> None:
    """Mean time of auto per series and mean MASE on the last season held out."""
    seconds: list[float] = []
    scores: dict[str, list[float]] = {"auto": [], **{label: [] for label in REFERENCES}}
    chosen: list[str] = []
    for name, series in classic_series():
        h = series.season
        timing = report.time(
            "Classic series",
            f"MarketLens auto (backtest + fit): {name}, {series.n} periods",
            lambda series=series, h=h: run_forecast(series, model="auto", horizon=h).series.n,
            repeat=1,
        )
        seconds.append(timing.seconds)
        held = run_forecast(series, model="auto", horizon=h, holdout=h).holdout or {}
        scores["auto"].append(float(held["MASE"]))
        chosen.append(f"{name} {held['model']}")
        y = series.values.to_numpy(float)
        for label, reference in REFERENCES.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecast = reference(y[:-h], h=h, m=series.season)
            scores[label].append(float(accuracy(y[-h:], forecast, y[:-h], series.season)["MASE"]))
    mean = float(np.mean(seconds))
    report.goal(
        f"Classic series ({len(seconds)}): mean seconds of auto per series", mean, 1.0, " s"
    )
    report.notes.append(
        f"Classic series ({len(seconds)} monthly/quarterly), last season held out, mean MASE: "
        + "; ".join(f"{label} {np.mean(values):.3f}" for label, values in scores.items())
        + ". Auto chose: "
        + ", ".join(chosen)
        + "."
    )


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
    _classic(report)
    report.notes.append(
        "Each MarketLens row is run_forecast with its 5-origin backtest; the statsmodels rows "
        "are one fit and forecast of a fixed model, no backtest, no intervals."
    )
    return report
