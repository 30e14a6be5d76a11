"""The one result API: every analysis's result repeats its parameters, ``to_dict()`` is plain
JSON with those parameters, ``summary()`` is a table, and the repeated parameters reproduce it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.baskets import RulesParams, build_baskets, run_rules
from analytics.data import open_dataset
from analytics.forecast import ForecastParams, build_series, run_forecast
from analytics.overview import OverviewParams, run_overview
from analytics.propensity import PropensityParams, fit_propensity, propensity_data
from analytics.results import Result
from analytics.segments import SegmentParams, run_segmentation

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def transactions():
    return open_dataset(DATA / "transactions.csv").dataset


def _without_seconds(value):
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


def _check_api(result: Result, params) -> dict:
    assert isinstance(result, Result)
    assert result.params == params, "the result repeats the parameters it was given"
    out = result.to_dict()
    text = json.dumps(out, allow_nan=False)  # plain JSON: no NaN, no dates, no numpy numbers
    assert out["params"] == params.to_dict()
    assert type(params).from_dict(json.loads(text)["params"]) == params
    table = result.summary()
    assert isinstance(table, pd.DataFrame) and len(table) >= 3
    assert list(table.columns[:2]) == ["figure", "value"]
    assert table["value"].map(type).eq(str).all()
    assert not table["value"].str.contains("nan").any()
    return out


def _run_rules(dataset, params: RulesParams):
    baskets = build_baskets(dataset, **params.options("baskets"))
    return run_rules(baskets, **params.options("mining"))


def test_rules_repeat_their_baskets_and_mining_parameters(transactions):
    params = RulesParams(
        item="product_name",
        start=dt.date(2025, 1, 1),
        filters=(("Country", ("United Kingdom", "France")),),
        exclude=("Regency Teacup",),
        min_support=0.004,
        min_confidence=0.3,
        max_len=3,
    )
    rules = _run_rules(transactions, params)
    out = _check_api(rules, params)
    assert out["n_baskets"] == out["n_transactions"] == rules.n_baskets
    assert len(out["top_rules"]) == min(10, rules.n_rules)
    again = _run_rules(transactions, RulesParams.from_dict(out["params"]))
    assert _without_seconds(again.to_dict()) == _without_seconds(out)


def test_segments_repeat_their_parameters_and_the_names_given(transactions):
    params = SegmentParams(algorithm="gmm", k=4, scale="standard")
    result = run_segmentation(transactions, **params.options("features", "sweep", "fit"))
    out = _check_api(result, params)
    assert sum(out["rfm_segments"].values()) == out["customers"]
    renamed = result.renamed({"Segment 1": "Best"})
    assert renamed.params.names == (("Segment 1", "Best"),)
    assert renamed.params.renames() == {"Segment 1": "Best"}
    repeated = SegmentParams.from_dict(out["params"]).options("features", "sweep", "fit")
    again = run_segmentation(transactions, **repeated)
    assert _without_seconds(again.to_dict()) == _without_seconds(out)


def test_forecast_repeats_the_series_and_model_parameters(transactions):
    params = ForecastParams(
        metric="orders",
        freq="W",
        filters=(("Country", ("United Kingdom",)),),
        model="ets",
        horizon=8,
        origins=2,
        holdout=4,
    )
    result = run_forecast(
        build_series(transactions, **params.options("series")), **params.options("model")
    )
    out = _check_api(result, params)
    assert len(out["forecast"]) == 8 and out["holdout"]["periods"] == 4


def test_propensity_repeats_the_target_and_fit_parameters_and_the_threshold(transactions):
    params = PropensityParams(derive="buy", days=60, model="logreg", folds=3, validation="cv")
    data = propensity_data(transactions, **params.options("data"))
    result = fit_propensity(data, **params.options("fit"))
    out = _check_api(result, params)
    assert set(out["contact_top_20pct"]) >= {"contacted", "lift"}
    at = result.to_dict(threshold=0.3)
    assert at["params"]["threshold"] == 0.3
    assert at["models"] != out["models"], "threshold metrics follow the threshold"


def test_overview_repeats_its_parameters_and_summarises_its_kpis(transactions):
    params = OverviewParams(start=dt.date(2025, 7, 1), end=dt.date(2025, 9, 30), freq="M")
    result = run_overview(transactions, **params.options("overview"))
    expected = dataclasses.replace(params, dimension=result.dimension)  # the first, when none
    assert result.params == expected
    out = result.to_dict()
    json.dumps(out, allow_nan=False)
    assert out["params"] == expected.to_dict()
    assert out["kpis"]["Orders"]["value"] == result.kpi("Orders").value
    table = result.summary()
    assert list(table.columns) == ["figure", "value", "previous", "change"]
    assert list(table["figure"]) == [k.name for k in result.kpis]
    assert table["change"].str.match(r"^[+-]\d").all(), "the previous quarter has data"
