"""The large-source engine (DuckDB, out of core) against the in-memory path: the same Overview,
RFM, sales series and baskets on the bundled sample and on real exports with their quirks
(Windows-1252 text, UTC offsets, refunds, unpaid and cancelled statuses, "NA" ids)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.baskets import build_baskets, run_rules
from analytics.data import clean, default_steps, open_dataset
from analytics.engines import (
    large_baskets,
    large_cohorts,
    large_overview,
    large_rfm,
    large_series,
    prepare,
)
from analytics.errors import AnalyticsError
from analytics.forecast import build_series
from analytics.lifetime import cohort_table
from analytics.overview import run_overview
from analytics.segments import compute_rfm

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "data" / "real"
SAMPLE = ROOT / "data" / "transactions.csv"


@pytest.fixture(autouse=True)
def large_cache(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.getbasetemp() / "large-cache"
    monkeypatch.setenv("MARKETLENS_LARGE_CACHE", str(folder))
    return folder


def _in_memory(path: Path):
    dataset = open_dataset(path).dataset
    return clean(dataset, default_steps(dataset)).dataset


def _same_overview(a, b) -> None:
    for mine, theirs in zip(a.kpis, b.kpis, strict=True):
        assert mine.name == theirs.name
        assert np.isclose(mine.value, theirs.value, rtol=1e-9, equal_nan=True), mine.name
    assert a.notes == b.notes
    for name in ("trend", "top_products", "top_values", "customers_by_period"):
        pd.testing.assert_frame_equal(
            getattr(a, name).reset_index(drop=True), getattr(b, name), check_dtype=False
        )


def _same_baskets(a, b) -> None:
    assert a.items == b.items
    assert a.notes == b.notes
    order = np.argsort(a.basket_ids.astype(str), kind="stable")
    assert (a.basket_ids[order] == b.basket_ids).all()
    assert (a.matrix[order] != b.matrix).nnz == 0
    assert a.descriptions == b.descriptions


def test_the_sample_gives_the_same_overview_rfm_series_and_baskets():
    source = prepare(SAMPLE)
    dataset = _in_memory(SAMPLE)
    assert source.rows_kept == len(dataset.frame)
    assert source.notes == ("366 exact duplicate lines removed.",)
    for freq in ("W", "M"):
        _same_overview(run_overview(dataset, freq=freq), large_overview(source, freq=freq))
    period = {"start": pd.Timestamp("2025-04-01"), "end": pd.Timestamp("2025-06-30")}
    _same_overview(
        run_overview(dataset, freq="W", dimension="Channel", **period),
        large_overview(source, freq="W", dimension="Channel", **period),
    )
    mine, theirs = compute_rfm(dataset), large_rfm(source)
    pd.testing.assert_frame_equal(mine.customers, theirs.customers, check_dtype=False)
    assert mine.excluded_lines == theirs.excluded_lines
    dated = compute_rfm(dataset, analysis_date=pd.Timestamp("2025-06-30"))
    pd.testing.assert_frame_equal(
        dated.customers,
        large_rfm(source, analysis_date=pd.Timestamp("2025-06-30")).customers,
        check_dtype=False,
    )
    for metric in ("revenue", "orders", "customers", "units"):
        for freq in ("D", "W", "M", "Q"):
            a = build_series(dataset, metric=metric, freq=freq)
            b = large_series(source, metric=metric, freq=freq)
            pd.testing.assert_series_equal(a.values, b.values, check_freq=False)
            assert a.notes == b.notes and (a.filled == b.filled).all() and a.label == b.label
    a, b = build_baskets(dataset), large_baskets(source)
    _same_baskets(a, b)
    assert (a.dates[np.argsort(a.basket_ids.astype(str), kind="stable")] == b.dates).all()
    _same_baskets(
        build_baskets(dataset, item="category", exclude=["Gifts"]),
        large_baskets(source, item="category", exclude=["Gifts"]),
    )
    rules = run_rules(a, min_support=0.01, min_confidence=0.3)
    assert len(rules.table) == len(run_rules(b, min_support=0.01, min_confidence=0.3).table) > 0
    for period in ("M", "Q"):
        for measure in ("active", "revenue", "cumulative"):
            _same_cohorts(
                cohort_table(dataset, period, measure), large_cohorts(source, period, measure)
            )
    for by, value in (("Country", "France"), ("category", "Gifts")):
        _same_cohorts(
            cohort_table(dataset, "M", "active", by=by, value=value),
            large_cohorts(source, "M", "active", by=by, value=value),
        )
    with pytest.raises(AnalyticsError, match="No customer's first purchase"):
        large_cohorts(source, "M", "active", by="Country", value="Atlantis")


def _same_cohorts(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_index_type=False)
    pd.testing.assert_frame_equal(a.partial, b.partial, check_index_type=False)
    pd.testing.assert_series_equal(a.sizes, b.sizes, check_dtype=False, check_index_type=False)


@pytest.mark.parametrize(
    "name",
    [
        "online_retail_sample.csv",  # C-cancellations, "NA" customer ids
        "Sample - Superstore (2014-2017).csv",  # Windows-1252, CA-/US- order ids, day-first
        "Sample - Superstore (2019-2022).csv",
        "tmall_order_report.csv",  # 中文 headers, refunds, unpaid orders (no payment time)
        "sales_data_sample.csv",  # Windows-1252, STATUS = Cancelled with no refund amount
        "orders_export.csv",  # Shopify: UTC offsets, no customer id, order-level totals
    ],
)
def test_real_exports_give_the_same_figures_as_the_in_memory_path(name):
    path = REAL / name
    source, dataset = prepare(path), _in_memory(path)
    assert source.rows_kept == len(dataset.frame)
    _same_overview(run_overview(dataset, freq="M"), large_overview(source, freq="M"))
    if dataset.has("customer_id"):
        pd.testing.assert_frame_equal(
            compute_rfm(dataset).customers, large_rfm(source).customers, check_dtype=False
        )
    try:
        expected = build_series(dataset, freq="D")
    except AnalyticsError as exc:
        with pytest.raises(AnalyticsError, match=str(exc.args[0])[:40]):
            large_series(source, freq="D")
    else:
        got = large_series(source, freq="D")
        pd.testing.assert_series_equal(expected.values, got.values, check_freq=False)
        assert expected.notes == got.notes
    if dataset.has("product") or dataset.has("product_name"):
        _same_baskets(build_baskets(dataset), large_baskets(source))


def test_a_folder_of_parquet_parts_is_one_source(tmp_path):
    frame = pd.read_csv(REAL / "online_retail_sample.csv", dtype={"Invoice": "str"})
    folder = tmp_path / "orders"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    whole, parts = prepare(REAL / "online_retail_sample.csv"), prepare(folder)
    assert whole.rows_kept == parts.rows_kept
    pd.testing.assert_frame_equal(
        large_rfm(whole).customers, large_rfm(parts).customers, check_dtype=False
    )


def test_a_prepared_source_is_reused_until_its_files_change(tmp_path):
    path = tmp_path / "orders.csv"
    shutil.copy(SAMPLE, path)
    first = prepare(path)
    written = os.stat(first.database).st_mtime_ns
    again = prepare(path)
    assert again.database == first.database
    assert os.stat(again.database).st_mtime_ns == written
    with path.open("a") as out:
        out.write(
            "599999,24255,Woodland Snow Globe,Gifts,1,2025-12-31 18:00,2.01,20388,Spain,Web\n"
        )
    changed = prepare(path)
    assert changed.database != first.database
    assert changed.rows_kept == first.rows_kept + 1


def test_mapped_roles_can_be_overridden(tmp_path):
    source = prepare(SAMPLE, roles={"customer_id": None})
    assert not source.has_customers
    with pytest.raises(AnalyticsError, match="customer column"):
        large_rfm(source)
    assert large_overview(source).kpi("Orders").value > 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.csv", "There is no file or folder"),
        (lambda p: p, "holds no Parquet or CSV files"),
        (lambda p: _write(p / "notes.json", "{}"), "not a Parquet, CSV or DuckDB file"),
        (
            lambda p: _write(p / "baskets.csv", "bread,milk\nbread,eggs\nmilk,eggs,jam\n" * 50),
            "does not look like order lines",
        ),
    ],
)
def test_what_the_engine_cannot_read_is_said_in_words(tmp_path, make, message):
    with pytest.raises(AnalyticsError, match=message):
        prepare(make(tmp_path))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_large_command_prints_the_analyses_as_json(tmp_path, capsys):
    from analytics.__main__ import main

    path = tmp_path / "orders"
    assert main(["sample", "--lines", "30000", "--out", str(path)]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["lines"] == 30000 and written["format"] == "parquet"
    assert main(["large", str(path), "--min-support", "0.02", "--min-confidence", "0.3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    source = prepare(path)
    assert summary["rows_read"] == 30000 and summary["rows_kept"] == source.rows_kept
    assert summary["overview"]["Orders"] == large_overview(source).kpi("Orders").value
    assert summary["rfm"]["customers"] == len(large_rfm(source).customers)
    assert sum(summary["segments"]["sizes"]) == summary["rfm"]["customers"]
    assert summary["series"]["periods"] == large_series(source, freq="W").n
    rules = run_rules(large_baskets(source), min_support=0.02, min_confidence=0.3)
    assert summary["rules"]["count"] == len(rules.table) > 0
    assert set(summary["seconds"]) == {
        "prepare",
        "overview",
        "rfm",
        "segments",
        "series",
        "cohorts",
        "rules",
    }
    assert summary["cohorts"]["share_buying_again"]["0"] == 1.0
    assert main(["large", str(tmp_path / "nothing")]) == 2
    assert "There is no file or folder" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["sqlite", "postgresql"])
def test_a_database_table_is_streamed_into_the_engine(which, tmp_path, sample, request):
    import sqlalchemy as sa

    from analytics.data import open_table, read_table
    from analytics.engines import prepare_table

    url = (
        f"sqlite:///{tmp_path / 'shop.sqlite'}"
        if which == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = sa.create_engine(url)
    sample.transactions.head(5000).to_sql("orders", engine, index=False, if_exists="replace")
    source = prepare_table(engine, "orders")
    assert source.rows_read == 5000 and source.source.startswith("orders")
    dataset = open_table(read_table(engine, "orders")).dataset
    dataset = clean(dataset, default_steps(dataset)).dataset
    assert source.rows_kept == len(dataset.frame)
    pd.testing.assert_frame_equal(
        compute_rfm(dataset).customers, large_rfm(source).customers, check_dtype=False
    )
    _same_overview(run_overview(dataset, freq="W"), large_overview(source, freq="W"))
    with pytest.raises(AnalyticsError, match="no table or view called"):
        prepare_table(engine, "payroll")
    engine.dispose()
