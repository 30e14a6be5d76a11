"""Segmentation benchmark: RFM + auto-k on 1,000,000 generated customers (~10M orders).

MarketLens: ``run_segmentation`` (RFM, scores and named segments, log-standard scaling, the k
sweep for k = 2..10 with MiniBatchKMeans, silhouette on a 10,000 sample, Davies–Bouldin,
Calinski–Harabasz, then profiles, descriptions and the PCA projection).
Reference: a bare pandas + scikit-learn loop doing the same: RFM by groupby, log1p + z-scores,
and the same k sweep and scores.

Each runs in a fresh process that first loads the same orders from a Parquet cache, so peak
memory is measured for that run alone (VmHWM, reset after loading).
Goal (issue 3): at most 1.2x the bare loop's time, and under 30 s.
Run: python -m bench.run segments
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import CACHE, BenchReport, Timing

N_CUSTOMERS = 1_000_000
K_VALUES = range(2, 11)


def orders_path(n_customers: int) -> Path:
    """Write (once) the generated orders of ``n_customers`` customers as Parquet."""
    from analytics.data import generate_orders

    path = CACHE / f"orders_{n_customers}.parquet"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        generate_orders(n_customers, random_state=5)[0].to_parquet(path, index=False)
    return path


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _marketlens(frame: pd.DataFrame) -> dict[str, float]:
    from analytics.data import ColumnMapping, Dataset, fingerprint
    from analytics.segments import run_segmentation

    frame = frame.assign(quantity=1.0, unit_price=frame["revenue"])
    dataset = Dataset(
        frame, "transactions", ColumnMapping(), "bench", fingerprint(frame.head(1000), "bench")
    )
    result = run_segmentation(dataset)
    return {
        "k": result.k,
        "silhouette": result.metrics["silhouette"],
        "customers": len(result.customers),
        **result.seconds,
    }


def _bare_loop(frame: pd.DataFrame) -> dict[str, float]:
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    start = time.perf_counter()
    date = frame["timestamp"].max().normalize() + pd.Timedelta(days=1)
    grouped = frame.groupby("customer_id")
    rfm = pd.DataFrame(
        {
            "recency": (date - grouped["timestamp"].max().dt.normalize()).dt.days,
            "frequency": grouped["order_id"].nunique(),
            "monetary": grouped["revenue"].sum(),
        }
    )
    features = time.perf_counter() - start
    x = np.log1p(rfm.to_numpy(dtype=float))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    best = (-2.0, 0)
    for k in K_VALUES:
        labels = MiniBatchKMeans(k, random_state=0, n_init=3, batch_size=4096).fit_predict(x)
        silhouette = silhouette_score(x, labels, sample_size=10_000, random_state=0)
        davies_bouldin_score(x, labels)
        calinski_harabasz_score(x, labels)
        best = max(best, (silhouette, k))
    return {"k": best[1], "silhouette": best[0], "customers": len(rfm), "features": features}


def _child(kind: str, path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    frame = pd.read_parquet(path)
    loaded = _memory_kb("VmRSS")
    _reset_peak()
    start = time.perf_counter()
    info = _marketlens(frame) if kind == "marketlens" else _bare_loop(frame)
    seconds = time.perf_counter() - start
    queue.put(
        {
            "seconds": seconds,
            "peak_mb": _memory_kb("VmHWM") / 1024,
            "extra_mb": (_memory_kb("VmHWM") - loaded) / 1024,
            **info,
        }
    )


def _run_isolated(kind: str, path: Path) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(kind, str(path), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def run(*, quick: bool = False) -> BenchReport:
    n = 100_000 if quick else N_CUSTOMERS
    report = BenchReport("segments")
    path = orders_path(n)
    orders = len(pd.read_parquet(path, columns=["order_id"]))
    case = f"{n:,} customers, {orders:,} orders"
    repeat = 1 if quick else 3
    runs: dict[str, list[dict[str, float]]] = {"marketlens": [], "bare": []}
    for _ in range(repeat):
        for kind in runs:
            runs[kind].append(_run_isolated(kind, path))
    for kind, tool in (
        ("marketlens", "MarketLens run_segmentation (RFM + auto k)"),
        ("bare", "bare pandas + scikit-learn loop"),
    ):
        seconds = sorted(r["seconds"] for r in runs[kind])
        median = runs[kind][[r["seconds"] for r in runs[kind]].index(seconds[len(seconds) // 2])]
        report.timings.append(
            Timing(case, tool, seconds[len(seconds) // 2], repeat, int(median["customers"]))
        )
        report.notes.append(
            f"{tool}: k = {int(median['k'])}, silhouette {median['silhouette']:.3f}, RFM {median['features']:.1f} s, "
            f"peak memory {median['peak_mb']:,.0f} MB ({median['extra_mb']:,.0f} MB above the loaded orders)"
        )
    return report
