"""Market-basket benchmark: our end-to-end rules call against pyfim and mlxtend, in one run.

Every tool starts from the same baskets, given as lists of item names (what pyfim and mlxtend's
``TransactionEncoder`` take), and ends with the rules:

* MarketLens: ``baskets_from_lists`` + ``run_rules`` (fast engine; itemsets, rules, every measure,
  Fisher p-values, Benjamini–Hochberg, redundancy, the rules table).
* pyfim: ``fim.arules(..., mode="o")`` (Borgelt's C code, the core of R's arules; ``mode="o"``
  uses arules' rule support, body and head together). Installed for the benchmark only.
* pyfim + table: the same pyfim call, then the rules as a pandas table with our measures
  (everything ours has but redundancy), to show how much of the time is the table.
* mlxtend FP-Growth and Apriori: ``TransactionEncoder`` (dense: mlxtend 0.25's FP-Growth
  densifies a sparse frame anyway), the miner,
  then ``association_rules``, keeping single-item consequents as arules does.

Cases: Groceries (support 0.001, confidence 0.5); the two Online Retail II excerpts as invoice ×
StockCode, cancellations left out (support 0.02, 0.01, 0.005; confidence 0.5); 1,000,000
generated order lines (invoice × product name; support 0.002, confidence 0.5). Each tool's rule
count is checked against ours. Each tool runs in its own process (8 GB memory limit, 5-minute
budget), so a tool that blows up is recorded as such and the others still run. Peak memory of the whole flow on the 1M-line file (read the CSV,
map it, build baskets, mine) is measured in a fresh process (VmHWM).

Goals, printed met or missed (issues 4 and 17): at most 2x pyfim's time and at least 5x faster
than mlxtend FP-Growth on Groceries; at most 1.5x "pyfim + the same measures table" on
Groceries; at most 2x pyfim on the 1M-line data, and peak memory under 1 GB there.
Run: python -m bench.run baskets
"""

from __future__ import annotations

import multiprocessing
import queue
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from analytics.baskets import baskets_from_lists, build_baskets, run_rules
from analytics.data import load_table, open_dataset
from bench.common import SHARED, BenchReport, Timing
from bench.load import million_line_csv
from bench.segments import _memory_kb, _reset_peak

CONFIDENCE = 0.5
RETAIL = ("online_retail_II_sample_2sheets.xlsx", "online_retail_II_head52516.xlsx")
RETAIL_SUPPORTS = (0.02, 0.01, 0.005)
MILLION_SUPPORT = 0.002
#: Each tool runs in its own process with this address-space limit and time budget.
MEMORY_LIMIT = 8 * 2**30
TIMEOUT = 300
SLOW = 60.0


def _fim():
    try:
        import fim
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pyfim"], check=True)
        import fim
    return fim


def _ours(baskets: Sequence[Sequence[str]], support: float) -> int:
    # The dashboard keeps at most 100,000 rules; here every rule is kept so that counts compare.
    # Itemsets stay capped (5M) so that an explosion ends with our message, not a memory error.
    rules = run_rules(
        baskets_from_lists(baskets),
        min_support=support,
        min_confidence=CONFIDENCE,
        max_itemsets=5_000_000,
        max_rules=100_000_000,
    )
    return rules.n_rules


def _pyfim(baskets: Sequence[Sequence[str]], support: float) -> int:
    fim = _fim()
    rules = fim.arules(
        baskets, supp=100 * support, conf=100 * CONFIDENCE, zmin=2, report="abhcl", mode="o"
    )
    return len(rules)


def _pyfim_table(baskets: Sequence[Sequence[str]], support: float) -> int:
    """pyfim's rules made into the table a dashboard shows: our measures from pyfim's counts."""
    from scipy.stats import false_discovery_control

    from analytics.baskets import rule_measures

    fim = _fim()
    found = fim.arules(
        baskets, supp=100 * support, conf=100 * CONFIDENCE, zmin=2, report="abh", mode="o"
    )
    if not found:
        return 0
    head, body, n_ab, n_a, n_b = zip(*found, strict=True)
    table = pd.DataFrame(
        {
            "antecedent": [tuple(sorted(b)) for b in body],
            "consequent": [(h,) for h in head],
            **rule_measures(np.array(n_ab), np.array(n_a), np.array(n_b), len(baskets)),
        }
    )
    table["rule"] = [
        f"{{{', '.join(a)}}} → {{{c[0]}}}"
        for a, c in zip(table["antecedent"], table["consequent"], strict=True)
    ]
    table["p_adjusted"] = false_discovery_control(table["p_value"].to_numpy())
    return len(table.sort_values(["lift", "confidence"], ascending=False))


def _mlxtend(miner: str) -> Callable[[Sequence[Sequence[str]], float], int]:
    def run(baskets: Sequence[Sequence[str]], support: float) -> int:
        from mlxtend.frequent_patterns import apriori, association_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder

        encoder = TransactionEncoder()
        # mlxtend 0.25's FP-Growth densifies a sparse frame anyway; dense is its faster input.
        sparse = len(baskets) * len({i for b in baskets for i in b}) > 500_000_000
        onehot = encoder.fit(baskets).transform(baskets, sparse=sparse)
        if sparse:
            frame = pd.DataFrame.sparse.from_spmatrix(onehot, columns=encoder.columns_)
        else:
            frame = pd.DataFrame(onehot, columns=encoder.columns_)
        mine = fpgrowth if miner == "fpgrowth" else apriori
        found = mine(frame, min_support=support, use_colnames=True)
        if found.empty:
            return 0
        rules = association_rules(
            found, num_itemsets=len(baskets), metric="confidence", min_threshold=CONFIDENCE
        )
        return int((rules["consequents"].map(len) == 1).sum())

    return run


TOOLS: dict[str, Callable[[Sequence[Sequence[str]], float], int]] = {
    "MarketLens run_rules (fast engine, all measures)": _ours,
    "pyfim arules (Borgelt, C)": _pyfim,
    "pyfim arules + our measures table (no redundancy)": _pyfim_table,
    "mlxtend fpgrowth + association_rules": _mlxtend("fpgrowth"),
    "mlxtend apriori + association_rules": _mlxtend("apriori"),
}


def groceries() -> list[list[str]]:
    with open(SHARED / "groceries.csv", encoding="utf-8") as handle:
        return [
            [item.strip() for item in line.strip().split(",")] for line in handle if line.strip()
        ]


def invoice_baskets(frame: pd.DataFrame, item: str) -> list[list[str]]:
    """Order lines -> one list of distinct items per invoice, cancellations left out."""
    invoice = frame["Invoice"].astype(str)
    lines = frame.loc[~invoice.str.startswith("C") & frame[item].notna()]
    grouped = lines.groupby(lines["Invoice"].astype(str), sort=False)[item]
    return [sorted(set(map(str, items))) for _, items in grouped]


def _child(
    tool: str,
    baskets: list[list[str]],
    support: float,
    repeat: int,
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    try:
        fn = TOOLS[tool]
        fn(baskets, support)  # warm-up (imports, first-call costs)
        seconds, rows = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            rows = fn(baskets, support)
            seconds.append(time.perf_counter() - start)
            if sum(seconds) > SLOW:  # slow tools are timed fewer times
                break
        queue.put({"seconds": statistics.median(seconds), "rows": rows, "runs": len(seconds)})
    except MemoryError:
        queue.put({"error": f"ran out of memory (limit {MEMORY_LIMIT / 2**30:.0f} GB)"})
    except Exception as exc:  # a tool that gives up: record why
        queue.put({"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"})


def _isolated(tool: str, baskets: list[list[str]], support: float, repeat: int) -> dict:
    """One tool on one case in a fresh process, with a memory limit and a time budget."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(tool, baskets, support, repeat, queue))
    process.start()
    result = _result_of(process, queue)
    process.join(5)
    if process.is_alive():
        process.kill()
    if "error" not in result and process.exitcode not in (0, None):
        result = {"error": f"exited with {process.exitcode}"}
    return result


def _result_of(
    process: multiprocessing.process.BaseProcess,
    results: multiprocessing.Queue,  # type: ignore[type-arg]
) -> dict:
    """The child's result; or why there is none: it ended without one (a tool that ran out of
    memory can die before it can say so), or the time budget ran out."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return results.get(timeout=1)
        except queue.Empty:
            pass
        if not process.is_alive():
            try:  # a result sent just before the end may still be in the pipe
                return results.get(timeout=2)
            except queue.Empty:
                return {
                    "error": f"ended without a result (exit code {process.exitcode}; "
                    f"memory limit {MEMORY_LIMIT / 2**30:.0f} GB)"
                }
        if time.monotonic() > deadline:
            return {"error": f"no result within {TIMEOUT} s"}


def _case(
    report: BenchReport, name: str, baskets: list[list[str]], support: float, repeat: int
) -> None:
    counts: dict[str, int] = {}
    for tool in TOOLS:
        result = _isolated(tool, baskets, support, repeat)
        if "error" in result:
            report.notes.append(f"{name}: {tool}: {result['error']}")
            continue
        report.timings.append(
            Timing(name, tool, result["seconds"], int(result["runs"]), int(result["rows"]))
        )
        counts[tool] = int(result["rows"])
    if not counts:
        report.notes.append(f"{name}: {len(baskets):,} baskets, no tool finished")
        return
    first = next(iter(counts.values()))
    differ = len(set(counts.values())) > 1
    report.notes.append(
        f"{name}: {len(baskets):,} baskets, "
        + (
            f"rule counts differ: {counts}"
            if differ
            else f"{first:,} rules from every tool that finished"
        )
    )


def _flow(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    _reset_peak()
    start = time.perf_counter()
    baskets = build_baskets(open_dataset(path).dataset)
    built = time.perf_counter() - start
    rules = run_rules(baskets, min_support=MILLION_SUPPORT, min_confidence=CONFIDENCE)
    queue.put(
        {
            "seconds": time.perf_counter() - start,
            "baskets_seconds": built,
            "rules": rules.n_rules,
            "baskets": baskets.n_baskets,
            "peak_mb": _memory_kb("VmHWM") / 1024,
        }
    )


def _isolated_flow(path: str) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_flow, args=(path, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


OURS, PYFIM, PYFIM_TABLE, FPGROWTH = list(TOOLS)[:4]


def _ratio(report: BenchReport, case: str, tool: str, other: str) -> float | None:
    mine, theirs = report.seconds(case, tool), report.seconds(case, other)
    return None if mine is None or theirs is None else mine / theirs


def _goals(report: BenchReport, million: str) -> None:
    """The goals of issues 4 and 17, as time ratios measured in this run."""
    groceries = "Groceries, support 0.001"
    report.goal(f"{groceries}: ours / pyfim", _ratio(report, groceries, OURS, PYFIM), 2.0, "×")
    report.goal(
        f"{groceries}: ours / (pyfim + the same measures table)",
        _ratio(report, groceries, OURS, PYFIM_TABLE),
        1.5,
        "×",
    )
    report.goal(
        f"{groceries}: ours / mlxtend FP-Growth (5× faster)",
        _ratio(report, groceries, OURS, FPGROWTH),
        0.2,
        "×",
    )
    report.goal(f"{million}: ours / pyfim", _ratio(report, million, OURS, PYFIM), 2.0, "×")


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("baskets")
    repeat = 1 if quick else 5
    _fim()
    _case(report, "Groceries, support 0.001", groceries(), 0.001, repeat)
    for name in RETAIL:
        frame = load_table(SHARED / name).frame
        baskets = invoice_baskets(frame, "StockCode")
        for support in RETAIL_SUPPORTS[:1] if quick else RETAIL_SUPPORTS:
            _case(
                report, f"{name.removesuffix('.xlsx')}, support {support}", baskets, support, repeat
            )
    path = million_line_csv()
    lines = pd.read_csv(path, usecols=["Invoice", "Description"], dtype=str)
    baskets = invoice_baskets(lines, "Description")
    _case(report, f"1M order lines, support {MILLION_SUPPORT}", baskets, MILLION_SUPPORT, 1)
    _goals(report, f"1M order lines, support {MILLION_SUPPORT}")
    flow = _isolated_flow(str(path))
    report.goal("1M order lines, whole flow: peak memory", flow["peak_mb"], 1024, " MB")
    report.notes.append(
        f"1M order lines, whole flow in a fresh process (read the CSV, map it, build "
        f"{flow['baskets']:,} baskets, mine {flow['rules']:,} rules): {flow['seconds']:.1f} s "
        f"({flow['baskets_seconds']:.1f} s to baskets), peak memory {flow['peak_mb']:,.0f} MB"
    )
    return report
