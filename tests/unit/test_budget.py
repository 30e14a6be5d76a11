"""Long analyses stop between steps when their visitor has gone or their time is used up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.budget import Budget, Interrupted
from analytics.data import DEFAULT_STEPS, clean, open_dataset
from analytics.forecast import build_series, run_forecast
from analytics.propensity import fit_propensity, propensity_data
from analytics.report import ReportOptions, build_report
from analytics.segments import run_segmentation
from tests.conftest import ROOT
from tests.unit.test_forecast import series_dataset


def sample_dataset():
    return open_dataset(ROOT / "data" / "transactions.csv").dataset


class Visitor:
    """Alive for the first ``checks`` checks, then gone; counts the checks made after."""

    def __init__(self, checks: int) -> None:
        self.left, self.after = checks, 0

    def __call__(self) -> bool:
        if self.left > 0:
            self.left -= 1
            return True
        self.after += 1
        return False


def long_daily_series(n: int = 1200):
    rng = np.random.default_rng(0)
    t = np.arange(n)
    y = 100 + 0.02 * t + 20 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 5, n)
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D"), "value": y})
    return build_series(series_dataset(frame))


def test_a_forecast_stops_at_the_next_check_once_its_visitor_has_gone():
    visitor = Visitor(checks=5)
    with pytest.raises(Interrupted, match="page was closed"):
        run_forecast(long_daily_series(), season=366, horizon=30, budget=Budget(alive=visitor))
    assert visitor.after == 1, "the first check after leaving stops it"


def test_a_forecast_checks_inside_single_model_fits():
    """The optimisers call back every iteration, so one slow fit cannot run on unchecked."""
    calls = []
    run_forecast(
        long_daily_series(400),
        model="sarima",
        horizon=14,
        origins=1,
        budget=Budget(alive=lambda: calls.append(1) or True),
    )
    assert len(calls) > 50


def test_a_forecast_past_its_time_says_so():
    with pytest.raises(Interrupted, match="more than 0 seconds of computing"):
        run_forecast(long_daily_series(), budget=Budget(seconds=0, what="The forecast"))


def test_the_k_sweep_and_the_models_stop_too():
    from analytics.data import load_table, open_table
    from tests.conftest import ROOT

    dataset = open_table(load_table(ROOT / "data" / "transactions.csv")).dataset
    with pytest.raises(Interrupted):
        run_segmentation(dataset, budget=Budget(alive=Visitor(checks=2)))
    data = propensity_data(dataset, derive="churn", days=90)
    with pytest.raises(Interrupted):
        fit_propensity(data, budget=Budget(alive=Visitor(checks=3)))


def test_a_report_stops_whole_not_section_by_section():
    dataset = sample_dataset()
    visitor = Visitor(checks=1)
    with pytest.raises(Interrupted):
        build_report(
            clean(dataset, DEFAULT_STEPS),
            options=ReportOptions(sections=("data", "segments", "forecast")),
            budget=Budget(alive=visitor),
        )
    assert visitor.after == 1
