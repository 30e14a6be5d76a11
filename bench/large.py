"""Large data benchmark (issue 24): ten million order lines on one 2-core machine.

Case: 10,000,000 order lines written by the sample generator at scale
(``write_sample_at_scale``: 12 Parquet parts of the bundled sample's kind, 240,000 customers,
three years) into ``bench/.cache/large-10M/``, and the same lines as one CSV file (about
0.9 GB) when ``--csv`` data is there. Each engine runs in its own child process, so that its peak
memory (``VmHWM``, the whole process: Python, pandas and DuckDB) is its own:

- **MarketLens DuckDB engine** (``analytics.engines``): ``prepare`` (read, type, clean, flag
  cancellations, out of core), the Overview, RFM + k-means segmentation of every customer (k
  chosen by silhouette over 2-10), the weekly revenue series, basket building (the sparse
  order × product matrix) and association rules at 0.005 / 0.3;
- **MarketLens Spark engine** on ``local[2]`` (Parquet only): the same steps on Spark, k-means
  from MLlib, rules from MLlib's FP-Growth; its RFM, weekly series and rule count are compared
  with the DuckDB engine's (the process measured is Python's; Spark's JVM runs beside it with a
  2 GB driver);
- **plain pandas** (a few lines, as an analyst writes them): ``read_parquet`` of the folder,
  drop duplicates, the same KPIs with ``groupby``/``nunique``, RFM with ``groupby`` and
  quintile scores and the same k-means sweep, ``resample`` per week, and the basket matrix
  from ``drop_duplicates`` + ``factorize`` (no rules: plain pandas has no miner).

Goal: every step finishes, with the whole process at most 3 GB.
Run: python -m bench.run large        (python -m bench.large worker ENGINE PATH runs one engine)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import CACHE, ROOT, BenchReport, Timing

LINES = 10_000_000
GOAL_GB = 3.0
STEPS = ("load", "overview", "rfm + segments", "weekly series", "baskets")
#: The rule thresholds every engine mines at (320 products: a few hundred rules).
SUPPORT, CONFIDENCE = 0.005, 0.3


def _peak_gb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1e6  # type: ignore[union-attr]


def _engine_steps(path: str, out: Path, engine: str) -> dict[str, Callable[[], Any]]:
    """The steps on one of our engines; RFM, the series and the rules are written to ``out``
    for the parent to compare the engines."""
    from analytics.baskets import run_rules
    from analytics.engines import large_baskets, large_overview, large_rfm, large_series, open_large
    from analytics.segments import rfm_features, run_segmentation, scale_features

    held: dict[str, Any] = {}

    def load() -> int:
        held["source"] = open_large(path, engine=engine)
        return int(held["source"].rows_kept)

    def segments() -> int:
        rfm = large_rfm(held["source"])
        rfm.customers.to_parquet(out / "rfm.parquet", index=False)
        features = rfm_features(rfm)
        if engine == "spark":
            from analytics.engines.spark import spark_kmeans

            spark_kmeans(scale_features(features.values, "log-standard"), 6)
        else:
            run_segmentation(None, table=features)
        return len(rfm.customers)

    def series() -> int:
        values = large_series(held["source"], freq="W").values
        values.to_frame("value").to_parquet(out / "series.parquet")
        return len(values)

    def rules() -> int:
        if engine == "spark":
            from analytics.engines.spark import spark_rules

            n = len(spark_rules(held["source"], min_support=SUPPORT, min_confidence=CONFIDENCE))
        else:
            baskets = large_baskets(held["source"])
            n = len(run_rules(baskets, min_support=SUPPORT, min_confidence=CONFIDENCE).table)
        (out / "rules.json").write_text(json.dumps(n))
        return n

    steps = {
        "load": load,
        "overview": lambda: int(large_overview(held["source"]).kpi("Orders").value),
        "rfm + segments": segments,
        "weekly series": series,
    }
    if engine == "duckdb":
        steps["baskets"] = lambda: large_baskets(held["source"]).matrix.nnz
    steps["rules"] = rules
    return steps


def _pandas_steps(path: str, out: Path, engine: str) -> dict[str, Callable[[], Any]]:
    import numpy as np
    import pandas as pd
    from scipy import sparse

    from analytics.segments import rfm_features, run_segmentation
    from analytics.segments.rfm import RFMResult, scored_customers

    held: dict[str, Any] = {}

    def load() -> int:
        frame = pd.read_parquet(path) if Path(path).is_dir() else pd.read_csv(path)
        frame = frame.drop_duplicates()
        frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
        frame["revenue"] = frame["Quantity"] * frame["Price"]
        frame["sold"] = ~frame["Invoice"].str.startswith("C") & (frame["Quantity"] > 0)
        held["frame"] = frame
        return len(frame)

    def overview() -> int:
        frame = held["frame"]
        sales = frame[frame["sold"]]
        orders = sales["Invoice"].nunique()
        sales["Customer ID"].nunique()
        frame["revenue"].sum() / orders
        week = frame["InvoiceDate"].dt.to_period("W").dt.start_time
        frame.groupby(week)["revenue"].sum()
        sales.groupby(week[frame["sold"]])["Invoice"].nunique()
        sales.groupby("StockCode")["revenue"].sum().nlargest(10)
        return int(orders)

    def segments() -> int:
        sales = held["frame"]
        sales = sales[sales["sold"] & sales["Customer ID"].notna()]
        grouped = sales.groupby(sales["Customer ID"].astype("int64").astype("str"))
        customers = pd.DataFrame(
            {
                "first_order": grouped["InvoiceDate"].min(),
                "last_order": grouped["InvoiceDate"].max(),
                "frequency": grouped["Invoice"].nunique(),
                "monetary": grouped["revenue"].sum(),
            }
        )
        date = sales["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)
        rfm = RFMResult(scored_customers(customers, date), date, 0)
        run_segmentation(None, table=rfm_features(rfm))
        return len(customers)

    def series() -> int:
        frame = held["frame"]
        return len(frame.set_index("InvoiceDate")["revenue"].resample("W-SUN").sum())

    def baskets() -> int:
        frame = held["frame"]
        pairs = frame.loc[frame["sold"], ["Invoice", "Description"]].drop_duplicates()
        rows, _ids = pd.factorize(pairs["Invoice"])
        cols, _items = pd.factorize(pairs["Description"], sort=True)
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), bool), (rows, cols)), shape=(rows.max() + 1, cols.max() + 1)
        )
        return int(matrix.nnz)

    return {
        "load": load,
        "overview": overview,
        "rfm + segments": segments,
        "weekly series": series,
        "baskets": baskets,
    }


ENGINES: dict[str, tuple[Callable[..., dict[str, Callable[[], Any]]], str]] = {
    "MarketLens DuckDB engine": (_engine_steps, "duckdb"),
    "MarketLens Spark engine, local[2]": (_engine_steps, "spark"),
    "plain pandas": (_pandas_steps, "pandas"),
}


def worker(engine: str, path: str, out: str) -> None:
    """Run one engine's steps in this process; print one JSON line per step."""
    steps, name = ENGINES[engine]
    for step, fn in steps(path, Path(out), name).items():
        start = time.perf_counter()
        rows = fn()
        print(
            json.dumps(
                {
                    "step": step,
                    "seconds": time.perf_counter() - start,
                    "rows": int(rows),
                    "peak_gb": _peak_gb(),
                }
            ),
            flush=True,
        )


def data(kind: str) -> Path:
    """The benchmark's data, written by the sample generator at scale the first time."""
    from analytics.data import write_sample_at_scale

    target = CACHE / ("large-10M" if kind == "parquet" else "large-10M.csv")
    if not target.exists():
        print(f"writing {LINES:,} order lines to {target} ...", file=sys.stderr)
        partial = target.with_name(target.name + ".part")
        write_sample_at_scale(partial, LINES, fmt=kind)
        partial.rename(target)
    return target


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("large")
    kinds = (
        ["parquet"] if quick or not os.environ.get("MARKETLENS_BENCH_CSV") else ["parquet", "csv"]
    )
    for kind in kinds:
        path = data(kind)
        case = f"10M order lines, {'Parquet folder' if kind == 'parquet' else 'one CSV file'}"
        size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")))
        report.notes.append(f"{case}: {size / 1e9:.2f} GB on disk")
        outputs = {engine: Path(tempfile.mkdtemp(prefix="large-")) for engine in ENGINES}
        for engine in ENGINES:
            if kind == "csv" and "Spark" in engine:
                continue  # Spark's timing on typed Parquet is the figure that matters
            _one(report, case, engine, path, outputs[engine])
        _compare(report, case, outputs)
    return report


def _compare(report: BenchReport, case: str, outputs: dict[str, Path]) -> None:
    """Whether the Spark engine gave the DuckDB engine's RFM, weekly series and rule count."""
    import pandas as pd

    local, spark = outputs["MarketLens DuckDB engine"], outputs["MarketLens Spark engine, local[2]"]
    if not (spark / "rules.json").exists() or not (local / "rules.json").exists():
        return
    mine, theirs = pd.read_parquet(local / "rfm.parquet"), pd.read_parquet(spark / "rfm.parquet")
    exact = ["customer_id", "recency", "frequency", "r_score", "f_score", "m_score", "segment"]
    same_rfm = len(mine) == len(theirs) and mine[exact].astype(str).equals(
        theirs[exact].astype(str)
    )
    money = float((mine["monetary"] - theirs["monetary"]).abs().max()) if same_rfm else None
    a, b = pd.read_parquet(local / "series.parquet"), pd.read_parquet(spark / "series.parquet")
    series_gap = float((a["value"] - b["value"]).abs().max()) if len(a) == len(b) else None
    rules = (
        json.loads((local / "rules.json").read_text()),
        json.loads((spark / "rules.json").read_text()),
    )
    report.notes.append(
        f"{case}, Spark against DuckDB: RFM of {len(mine):,} customers "
        + (
            f"the same ids, recency, frequency, scores and segments; monetary within {money:.1e}"
            if same_rfm
            else "DIFFERENT"
        )
        + f"; weekly series of {len(a)} weeks, largest gap {series_gap}"
        + f"; rules at {SUPPORT}/{CONFIDENCE}: {rules[0]} (DuckDB + MarketLens mining) and "
        + f"{rules[1]} (Spark MLlib FP-Growth)"
    )


def _one(report: BenchReport, case: str, engine: str, path: Path, out: Path) -> None:
    prepared = CACHE / f"large-engine-{os.getpid()}"
    env = {**os.environ, "MARKETLENS_LARGE_CACHE": str(prepared)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.large", "worker", engine, str(path), str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        shutil.rmtree(prepared, ignore_errors=True)  # the load step is timed from scratch
    steps = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for step in steps:
        report.timings.append(
            Timing(f"{case}: {step['step']}", engine, step["seconds"], 1, step["rows"])
        )
    peak = max((s["peak_gb"] for s in steps), default=float("nan"))
    total = sum(s["seconds"] for s in steps)
    finished = done.returncode == 0
    report.notes.append(
        f"{engine} on {case}: "
        + (f"all steps in {total:.1f} s" if finished else f"stopped after {len(steps)} steps")
        + f", peak memory of the process {peak:.2f} GB"
        + ("" if done.returncode == 0 else f" (exit {done.returncode}: {_last(done.stderr)})")
    )
    if engine.startswith("MarketLens"):
        report.goal(
            f"{engine}, {case}: peak memory of the whole process",
            peak if finished else None,
            GOAL_GB,
            " GB",
        )


def _last(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no message"


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__)
