"""Typed parameters (issue 16): one declaration gives defaults, checks, saving and the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from analytics.baskets import RulesParams
from analytics.errors import AnalyticsError


def test_defaults_are_the_pages_and_every_field_has_a_constraint():
    params = RulesParams()
    assert (params.min_support, params.min_confidence, params.min_lift) == (0.005, 0.2, 1.0)
    assert set(RulesParams.constraints) == set(params.to_dict())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_support": 0}, "min_support must be in (0, 1], got 0"),
        ({"min_support": 1.5}, "min_support must be in (0, 1]"),
        ({"min_confidence": 1.2}, "min_confidence must be at most 1"),
        ({"min_lift": -1.0}, "min_lift must be at least 0"),
        ({"max_len": 0}, "max_len must be at least 1, got 0"),
        ({"max_consequent": 2.5}, "max_consequent must be a whole number"),
        ({"engine": "magic"}, "engine must be one of eclat, fpgrowth, apriori"),
        ({"segments": ["Champions"]}, "segments must be a tuple of texts"),
        ({"start": "2024-01-01"}, "start must be a date"),
        ({"redundant": "yes"}, "redundant must be true or false"),
        ({"filters": (("Country", "France"),)}, "filters must be (column, (values…)) pairs"),
    ],
)
def test_each_constraint_refuses_in_words(changes, message):
    with pytest.raises(AnalyticsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RulesParams(**changes)


def test_saved_as_json_and_read_back_identical():
    params = RulesParams(
        item="category",
        start=dt.date(2024, 3, 1),
        filters=(("Country", ("France", "Spain")),),
        segments=("Champions",),
        min_support=0.01,
        max_len=3,
        significant=True,
    )
    assert RulesParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params


def test_arguments_saved_before_the_params_existed_still_read():
    """Workspaces stored keyword arguments: a None minimum lift, filters as a mapping, and
    keys of other versions (ignored)."""
    old = {"min_lift": None, "filters": {"Country": ["France"]}, "top": 5, "min_support": 0.02}
    params = RulesParams.from_dict(old)
    assert params.min_lift == 0.0 and params.filters == (("Country", ("France",)),)
    assert params.min_support == 0.02 and params.options("mining")["min_lift"] == 0.0


def test_stages_split_the_arguments_and_only_keeps_one_stage():
    params = RulesParams(item="category", min_support=0.02, redundant=True)
    assert params.options("baskets") == {
        "item": "category",
        "start": None,
        "end": None,
        "filters": (),
        "exclude": (),
    }
    assert params.options("display") == {"redundant": True, "significant": False}
    mining = params.only("mining")
    assert mining.min_support == 0.02 and mining.item is None and mining.redundant is False
    # Two settings that differ only in how rules are shown share one mining cache key.
    assert params.only("mining") == RulesParams(min_support=0.02).only("mining")


def test_the_command_line_options_come_from_the_declaration():
    parser = argparse.ArgumentParser()
    RulesParams.add_arguments(parser)
    given = parser.parse_args(["--min-support", "0.02", "--max-len", "3", "--start", "2024-01-31"])
    params = RulesParams.from_arguments(given)
    assert params == RulesParams(min_support=0.02, max_len=3, start=dt.date(2024, 1, 31))
    assert RulesParams.from_arguments(parser.parse_args([])) == RulesParams()
    with pytest.raises(SystemExit):
        parser.parse_args(["--min-support", "2"])  # not a share: argparse says so


# --- the parameter added after the change: items left out of every basket -----------------------


@pytest.fixture(scope="module")
def baskets_sample(tmp_path_factory):
    from analytics.data import write_samples

    return write_samples(tmp_path_factory.mktemp("samples"), n_customers=300)["baskets"]


def test_excluded_items_leave_every_basket_and_every_rule(baskets_sample):
    from analytics.baskets import build_baskets, run_rules
    from analytics.data import BUNDLES, open_dataset

    dataset = open_dataset(baskets_sample).dataset
    planted = BUNDLES[0][0]
    every = RulesParams()
    left_out = RulesParams(exclude=(planted,))
    before = run_rules(
        build_baskets(dataset, **every.options("baskets")), **every.options("mining")
    )
    baskets = build_baskets(dataset, **left_out.options("baskets"))
    after = run_rules(baskets, **left_out.options("mining"))

    def sides(table):
        return {i for side in ("antecedent", "consequent") for r in table[side] for i in r}

    assert planted in sides(before.table) and planted not in sides(after.table)
    assert planted not in baskets.items and any("excluded items" in n for n in baskets.notes)


def test_excluded_items_reach_the_cli_and_the_report(baskets_sample, capsys):
    from analytics.__main__ import main
    from analytics.data import BUNDLES, clean, open_dataset
    from analytics.report import ReportOptions, build_report

    planted = BUNDLES[0][0]
    assert main(["rules", str(baskets_sample), "--exclude", planted, "--top", "50"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert planted not in json.dumps(printed["top_rules"], ensure_ascii=False)
    cleaned = clean(open_dataset(baskets_sample).dataset, ())
    only_rules = ReportOptions(sections=("rules",))
    plain = build_report(cleaned, options=only_rules).html
    shown = next(i for bundle in BUNDLES for i in bundle if i in plain)  # a planted item leads
    saved = {"rules": RulesParams(exclude=(shown,)).to_dict()}  # as a workspace keeps it
    assert shown not in build_report(cleaned, analyses=saved, options=only_rules).html


def test_overview_params_check_the_frequency_and_read_back_dates():
    from analytics.overview import OverviewParams

    with pytest.raises(AnalyticsError, match="freq must be one of D, W, M, Q, got 'Y'"):
        OverviewParams(freq="Y")
    params = OverviewParams(start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31), freq="M")
    assert OverviewParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    assert params.options("overview")["start"] == dt.date(2025, 1, 1)


def test_forecast_params_split_series_and_model_and_read_older_workspaces():
    from analytics.forecast import ForecastParams

    saved = {  # what the Forecast page remembered before ForecastParams existed
        "metric": "orders",
        "freq": "W",
        "filters": (("Country", ("France",)),),
        "segments": (),
        "keep_incomplete": False,
        "model": "ets",
        "horizon": 8,
        "season": None,
        "transform": "log",
        "origins": 3,
    }
    params = ForecastParams.from_dict(saved)
    assert params.options("series") == {
        "metric": "orders",
        "freq": "W",
        "filters": (("Country", ("France",)),),
        "keep_incomplete": False,
    }
    assert params.options("model") == {
        **{"model": "ets", "horizon": 8, "season": None, "transform": "log", "origins": 3},
        "holdout": 0,
    }
    with pytest.raises(AnalyticsError, match="model must be one of auto, naive"):
        ForecastParams(model="prophet")
    with pytest.raises(AnalyticsError, match="horizon must be at least 1"):
        ForecastParams(horizon=0)


def _opened(name: str, kind: str):
    from analytics.data import open_dataset

    return open_dataset(Path(__file__).parents[2] / "data" / name, kind=kind).dataset


def test_segment_params_read_older_workspaces_and_run_the_same_segments():
    """The Segments page saved keyword arguments before SegmentParams: features "rfm" and
    names as a mapping. They read back, and the parameters give the segments the keyword
    arguments gave."""
    from analytics.segments import SegmentParams, run_segmentation

    transactions = _opened("transactions.csv", "transactions")

    saved = {
        "features": "rfm",
        "analysis_date": "2026-01-01",
        "exclude_cancellations": True,
        "algorithm": "kmeans",
        "scale": "log-standard",
        "k": 4,
        "eps": None,
        "min_samples": None,
        "names": {"Segment 1": "Big spenders"},
        "x": "recency",
        "y": "monetary",
        "log_axes": False,
    }
    params = SegmentParams.from_dict(saved)
    assert params.features == () and params.analysis_date == dt.date(2026, 1, 1)
    assert params.renames() == {"Segment 1": "Big spenders"} and params.log_axes is False
    assert SegmentParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    assert params.options("sweep") == {"algorithm": "kmeans", "scale": "log-standard"}
    typed = run_segmentation(transactions, **params.options("features", "sweep", "fit"))
    keywords = run_segmentation(
        transactions, features="rfm", analysis_date=dt.date(2026, 1, 1), k=4
    )
    assert typed.features == keywords.features == ("recency", "frequency", "monetary")
    assert typed.customers["segment"].tolist() == keywords.customers["segment"].tolist()
    with pytest.raises(AnalyticsError, match="k must be at least 2, got 1"):
        SegmentParams(k=1)
    with pytest.raises(AnalyticsError, match="names must be \\(name, new name\\) pairs"):
        SegmentParams(names=(("Segment 1", 2),))  # type: ignore[arg-type]


def test_no_features_means_every_numeric_column_of_a_customers_table():
    from analytics.segments import SegmentParams, numeric_columns, run_segmentation

    customers = _opened("customers.csv", "customers")
    result = run_segmentation(customers, **SegmentParams(k=3).options("features", "fit"))
    assert list(result.features) == numeric_columns(customers) and len(result.features) >= 5


def test_propensity_params_split_data_and_fit_and_give_the_cli_its_options():
    from analytics.propensity import PropensityParams

    saved = {  # what the Propensity page remembered before PropensityParams existed
        "target": None,
        "positive": None,
        "derive": "buy",
        "days": 60,
        "cutoff": "2025-09-30",
        "model": "logreg",
        "folds": 3,
        "search": False,
    }
    params = PropensityParams.from_dict(saved)
    assert params.options("data") == {
        "target": None,
        "positive": None,
        "derive": "buy",
        "days": 60,
        "cutoff": dt.date(2025, 9, 30),
    }
    assert params.options("fit") == {
        "model": "logreg",
        "folds": 3,
        "validation": "auto",
        "search": False,
    }
    parser = argparse.ArgumentParser()
    PropensityParams.add_arguments(parser)
    given = parser.parse_args(["--derive", "churn", "--cutoff", "2025-06-30", "--search"])
    from_cli = PropensityParams.from_arguments(given)
    assert from_cli == PropensityParams(derive="churn", cutoff=dt.date(2025, 6, 30), search=True)
    with pytest.raises(SystemExit):
        parser.parse_args(["--cutoff", "30/06/2025"])  # not a date: argparse says so
    for wrong, message in (
        ({"folds": 1}, "folds must be at least 2"),
        ({"derive": "leave"}, "derive must be one of churn, buy"),
        ({"threshold": 1.5}, "threshold must be at most 1"),
        ({"positive": 1}, "positive must be a text"),
    ):
        with pytest.raises(AnalyticsError, match=message):
            PropensityParams(**wrong)
