"""The Spark engine on local[2] against the DuckDB engine and arules: the same RFM values, series,
Overview and rule counts; k-means from MLlib close to scikit-learn's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from analytics.__main__ import main
from analytics.baskets import build_baskets, run_rules
from analytics.data import open_dataset
from analytics.engines import (
    large_baskets,
    large_cohorts,
    large_overview,
    large_rfm,
    large_series,
    prepare,
    run_large,
)
from analytics.errors import AnalyticsError
from analytics.segments import rfm_features, scale_features

ROOT = Path(__file__).resolve().parents[2]
LINES = 100_000


def _spark():
    """The Spark module, or a skip (a failure when MARKETLENS_REQUIRE_SPARK=1: tests/run.sh)."""
    try:
        import pyspark  # noqa: F401

        from analytics.engines import spark
    except ImportError:
        reason = "PySpark is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("MARKETLENS_REQUIRE_SPARK") == "1":
            pytest.fail(f"{reason} (MARKETLENS_REQUIRE_SPARK=1)")
        pytest.skip(reason)
    return spark


@pytest.fixture(scope="module")
def lines(tmp_path_factory) -> Path:
    """The first 100,000 lines of the bundled sample as typed Parquet (as a warehouse holds them)."""
    frame = pd.read_csv(
        ROOT / "data" / "transactions.csv",
        dtype={"Invoice": "str", "StockCode": "str"},
        parse_dates=["InvoiceDate"],
    )
    path = tmp_path_factory.mktemp("spark") / "lines.parquet"
    frame.head(LINES).to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def engines(lines, tmp_path_factory):
    spark = _spark()
    os.environ["MARKETLENS_LARGE_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    return prepare(lines), spark.prepare_spark(str(lines), master="local[2]")


def test_spark_cleans_the_lines_as_duckdb_does(engines):
    local, distributed = engines
    assert distributed.engine == "spark"
    assert distributed.rows_read == local.rows_read == LINES
    assert distributed.rows_kept == local.rows_kept
    assert distributed.notes == local.notes


def test_spark_gives_the_same_rfm_series_and_overview(engines):
    local, distributed = engines
    pd.testing.assert_frame_equal(
        large_rfm(local).customers, large_rfm(distributed).customers, check_dtype=False
    )
    for freq in ("W", "M"):
        a, b = large_series(local, freq=freq), large_series(distributed, freq=freq)
        pd.testing.assert_series_equal(a.values, b.values)
        assert a.notes == b.notes
    a, b = large_overview(local, freq="M"), large_overview(distributed, freq="M")
    for mine, theirs in zip(a.kpis, b.kpis, strict=True):
        assert np.isclose(mine.value, theirs.value, rtol=1e-9), mine.name
    for name in ("trend", "top_products", "top_values", "customers_by_period"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False)


def test_spark_gives_the_same_cohorts(engines):
    local, distributed = engines
    for period, measure in (("M", "active"), ("Q", "cumulative")):
        a, b = large_cohorts(local, period, measure), large_cohorts(distributed, period, measure)
        pd.testing.assert_frame_equal(a.table, b.table, check_index_type=False)
        pd.testing.assert_series_equal(a.sizes, b.sizes, check_dtype=False, check_index_type=False)
    a = large_cohorts(local, "M", "active", by="Country", value="France")
    b = large_cohorts(distributed, "M", "active", by="Country", value="France")
    pd.testing.assert_frame_equal(a.table, b.table, check_index_type=False)


def test_mllib_fp_growth_finds_the_local_rules(engines):
    spark = _spark()
    local, distributed = engines
    mined = run_rules(large_baskets(local), min_support=0.01, min_confidence=0.3).table
    found = spark.spark_rules(distributed, min_support=0.01, min_confidence=0.3)
    assert len(found) == len(mined) > 10
    key = ["antecedent", "consequent"]
    ours = mined.set_index(key)[["support", "confidence", "lift"]].sort_index()
    theirs = found.set_index(key)[["support", "confidence", "lift"]].sort_index()
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-9)


def test_groceries_gives_exactly_arules_5668_rules_on_spark(shared_datasets):
    spark = _spark()
    groceries = build_baskets(open_dataset(shared_datasets / "groceries.csv").dataset)
    rules = spark.spark_rules(groceries, min_support=0.001, min_confidence=0.5)
    assert len(rules) == 5668
    assert (rules["consequent"].map(len) == 1).all()
    assert (rules["antecedent"].map(len) >= 1).all()


def test_mllib_kmeans_agrees_with_scikit_learn(engines):
    spark = _spark()
    local, _distributed = engines
    x = scale_features(rfm_features(large_rfm(local)).values, "log-standard")
    labels, centres, inertia = spark.spark_kmeans(x, 4, master="local[2]")
    reference = KMeans(4, n_init=10, random_state=0).fit(x)
    assert centres.shape == (4, x.shape[1])
    assert adjusted_rand_score(reference.labels_, labels) > 0.9
    assert inertia == pytest.approx(reference.inertia_, rel=0.02)


def test_the_large_command_runs_on_spark(lines, engines, capsys):
    code = main(
        [
            "large",
            str(lines),
            "--engine",
            "spark",
            "--spark-master",
            "local[2]",
            "--analyses",
            "overview,rfm,segments,rules",
            "--min-support",
            "0.01",
            "--min-confidence",
            "0.3",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["engine"] == "spark"
    local = run_large(engines[0], analyses=["rfm", "rules"], min_support=0.01, min_confidence=0.3)
    assert summary["rfm"] == local["rfm"]
    assert summary["rules"]["count"] == local["rules"]["count"]
    assert summary["rules"]["engine"] == "MLlib FP-Growth"
    assert summary["segments"]["algorithm"] == "MLlib k-means"
    assert sum(summary["segments"]["sizes"]) == summary["rfm"]["customers"]


def test_spark_says_what_it_cannot_read(tmp_path):
    spark = _spark()
    with pytest.raises(AnalyticsError, match="Spark could not read"):
        spark.prepare_spark(str(tmp_path / "missing.parquet"), master="local[2]")
    text_dates = tmp_path / "orders.csv"
    text_dates.write_text(
        "Invoice,StockCode,Quantity,InvoiceDate,Price,Customer ID\n"
        + "".join(f"{i},A{i % 7},1,{1 + i % 28}/03/2024 10:00,2.5,{i % 9}\n" for i in range(60))
    )
    with pytest.raises(AnalyticsError, match="timestamps or written as YYYY-MM-DD"):
        spark.prepare_spark(str(text_dates), master="local[2]")
