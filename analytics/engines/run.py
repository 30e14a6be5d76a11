"""Several analyses of one large source in one call, with their timings: what
``python -m analytics large`` prints and the Data page's large-source panel shows."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from analytics.baskets import run_rules
from analytics.engines.analyses import (
    large_baskets,
    large_cohorts,
    large_overview,
    large_rfm,
    large_series,
)
from analytics.engines.source import LargeSource, prepare
from analytics.errors import AnalyticsError
from analytics.segments import rfm_features, run_segmentation, scale_features

ENGINES = ("duckdb", "spark")
ANALYSES = ("overview", "rfm", "segments", "series", "cohorts", "rules")
#: k for MLlib's k-means when none is given (the local engine chooses k by silhouette).
SPARK_DEFAULT_K = 4


def open_large(
    location: str,
    *,
    engine: str = "duckdb",
    master: str = "local[2]",
    roles: Mapping[str, str | None] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> LargeSource:
    """A large source prepared by the chosen engine (``duckdb`` on this machine, or ``spark``
    at ``master``)."""
    if engine not in ENGINES:
        raise AnalyticsError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
    if engine == "spark":
        from analytics.engines.spark import prepare_spark

        return prepare_spark(location, master=master, roles=roles)
    return prepare(location, roles=roles, progress=progress)


def run_large(
    source: LargeSource,
    *,
    analyses: Sequence[str] = ANALYSES,
    freq: str = "W",
    min_support: float = 0.01,
    min_confidence: float = 0.5,
    k: int | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """Run the chosen analyses on a prepared source; a JSON-ready summary with timings.

    Example
    -------
    >>> run_large(prepare("orders/"), analyses=["overview", "rfm"])["rfm"]["customers"]  # doctest: +SKIP
    236619
    """
    unknown = [a for a in analyses if a not in ANALYSES]
    if unknown:
        raise AnalyticsError(f"Unknown analysis {unknown[0]!r}; choose from {', '.join(ANALYSES)}.")
    out: dict[str, Any] = {
        "source": source.location,
        "engine": source.engine,
        "rows_read": source.rows_read,
        "rows_kept": source.rows_kept,
        "notes": list(source.notes),
        "seconds": {},
    }

    def timed(name: str, fn: Callable[[], dict[str, Any]]) -> None:
        start = time.perf_counter()
        out[name] = fn()
        out["seconds"][name] = round(time.perf_counter() - start, 3)

    if "overview" in analyses:
        timed("overview", lambda: _overview(source, freq))
    rfm = None
    if "rfm" in analyses or "segments" in analyses:
        start = time.perf_counter()
        rfm = large_rfm(source)
        out["seconds"]["rfm"] = round(time.perf_counter() - start, 3)
        counts = rfm.customers["segment"].value_counts()
        out["rfm"] = {
            "customers": len(rfm.customers),
            "analysis_date": f"{rfm.analysis_date:%Y-%m-%d}",
            "segments": {str(name): int(n) for name, n in counts.items() if n},
        }
    if "segments" in analyses and rfm is not None:
        timed("segments", lambda: _segments(source, rfm, k))
    if "series" in analyses:
        timed("series", lambda: _series(source, freq))
    if "cohorts" in analyses and source.has_customers:
        timed("cohorts", lambda: _cohorts(source))
    if "rules" in analyses:
        timed("rules", lambda: _rules(source, min_support, min_confidence, top))
    return out


def _overview(source: LargeSource, freq: str) -> dict[str, Any]:
    result = large_overview(source, freq=freq)
    return {kpi.name: round(float(kpi.value), 4) for kpi in result.kpis} | {
        "periods": len(result.trend),
        "first": f"{result.start:%Y-%m-%d}",
        "last": f"{result.end:%Y-%m-%d}",
    }


def _segments(source: LargeSource, rfm: Any, k: int | None) -> dict[str, Any]:
    features = rfm_features(rfm)
    if source.engine == "spark":
        from analytics.engines.spark import spark_kmeans

        chosen = k or SPARK_DEFAULT_K
        x = scale_features(features.values, "log-standard")
        labels, _centres, inertia = spark_kmeans(x, chosen, master=source.master or "local[2]")
        counts = np.bincount(labels, minlength=chosen)
        return {
            "algorithm": "MLlib k-means",
            "k": chosen,
            "sizes": counts.tolist(),
            "inertia": inertia,
        }
    result = run_segmentation(None, table=features, k=k)
    sizes = result.customers["segment"].value_counts().sort_index()
    return {
        "algorithm": "k-means",
        "k": int(result.k),
        "sizes": [int(n) for n in sizes],
    }


def _series(source: LargeSource, freq: str) -> dict[str, Any]:
    series = large_series(source, freq=freq)
    return {
        "label": series.label,
        "periods": series.n,
        "last": {f"{p:%Y-%m-%d}": round(float(v), 2) for p, v in series.values.tail(4).items()},
        "notes": list(series.notes),
    }


def _cohorts(source: LargeSource) -> dict[str, Any]:
    cohorts = large_cohorts(source, "M", "active")
    curve = cohorts.curve()
    return {
        "period": "M",
        "cohorts": len(cohorts.table),
        "customers": int(cohorts.sizes.sum()),
        "share_buying_again": {str(age): round(float(v), 4) for age, v in curve.head(7).items()},
    }


def _rules(
    source: LargeSource, min_support: float, min_confidence: float, top: int
) -> dict[str, Any]:
    if source.engine == "spark":
        from analytics.engines.spark import spark_rules

        table = spark_rules(source, min_support=min_support, min_confidence=min_confidence)
        engine = "MLlib FP-Growth"
    else:
        baskets = large_baskets(source)
        table = run_rules(baskets, min_support=min_support, min_confidence=min_confidence).table
        engine = "MarketLens (local)"
    shown = table.head(top)
    return {
        "engine": engine,
        "count": len(table),
        "top": [
            {
                "if": " + ".join(map(str, row["antecedent"])),
                "then": " + ".join(map(str, row["consequent"])),
                "support": round(float(row["support"]), 5),
                "confidence": round(float(row["confidence"]), 4),
                "lift": round(float(row["lift"]), 3),
            }
            for row in shown.to_dict("records")
        ],
    }
