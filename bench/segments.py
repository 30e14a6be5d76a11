"""Segmentation benchmark: RFM + auto-k on 1,000,000 generated customers (~10M orders).

MarketLens: ``run_segmentation`` (RFM, scores and named segments, log-standard scaling, the k
sweep for k = 2..10 with MiniBatchKMeans, silhouette on a 10,000 sample, Davies–Bouldin,
Calinski–Harabasz, then profiles, descriptions and the PCA projection).
References, bare pandas + scikit-learn loops: RFM by groupby, log1p + z-scores, the k sweep with
MiniBatchKMeans and the same three scores. Like with like: the first fits each k on a random
sample of 200,000 customers and labels everyone from it, as ours does above that size
(``KMEANS_FIT_SAMPLE``); the second fits on every customer, the slower full-fit variant, shown
beside it. (Before issue 17 only the full fit was shown and called "the same".) All three use
MiniBatchKMeans (ours does above ``MINIBATCH_ABOVE``, 50,000 customers). With ``--quick``
(100,000 customers) the sample is every customer, so the two bare loops do the same work.

Each runs in a fresh process that first loads the same orders from a Parquet cache, so peak
memory is measured for that run alone (VmHWM, reset after loading).
Goals (issue 3), printed met or missed: at most 1.2x the sampled bare loop's time, under 30 s.
Run: python -m bench.run segments
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.segments.fit import KMEANS_FIT_SAMPLE
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


def _bare_loop(frame: pd.DataFrame, fit_sample: int | None) -> dict[str, float]:
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
    rows = np.arange(len(x))
    if fit_sample is not None and len(x) > fit_sample:
        rows = np.random.default_rng(0).choice(len(x), size=fit_sample, replace=False)
    for k in K_VALUES:
        model = MiniBatchKMeans(k, random_state=0, n_init=3, batch_size=4096).fit(x[rows])
        labels = model.predict(x)
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
    if kind == "marketlens":
        info = _marketlens(frame)
    else:
        info = _bare_loop(frame, KMEANS_FIT_SAMPLE if kind == "bare_sampled" else None)
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
    tools = {
        "marketlens": "MarketLens run_segmentation (RFM + auto k)",
        "bare_sampled": f"bare loop, fit on <= {KMEANS_FIT_SAMPLE:,} (as ours)",
        "bare_full": "bare loop, fit on every customer",
    }
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in tools}
    for _ in range(repeat):
        for kind in runs:
            runs[kind].append(_run_isolated(kind, path))
    for kind, tool in tools.items():
        seconds = sorted(r["seconds"] for r in runs[kind])
        median = runs[kind][[r["seconds"] for r in runs[kind]].index(seconds[len(seconds) // 2])]
        report.timings.append(
            Timing(case, tool, seconds[len(seconds) // 2], repeat, int(median["customers"]))
        )
        report.notes.append(
            f"{tool}: k = {int(median['k'])}, silhouette {median['silhouette']:.3f}, RFM {median['features']:.1f} s, "
            f"peak memory {median['peak_mb']:,.0f} MB ({median['extra_mb']:,.0f} MB above the loaded orders)"
        )
    ours = report.seconds(case, tools["marketlens"])
    same = report.seconds(case, tools["bare_sampled"])
    report.goal(
        f"{case}: ours / the bare loop with the same sampling",
        None if ours is None or same is None else ours / same,
        1.2,
        "×",
    )
    report.goal(f"{case}: ours, seconds", ours, 30.0, " s")
    return report
