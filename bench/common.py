"""Timing helpers shared by the benchmarks: medians of repeated runs, results as JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MARKETLENS_DATASETS", ROOT.parent / "shared" / "datasets"))
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache"


@dataclass
class Timing:
    """One tool on one input: median seconds over ``repeat`` runs, and its ratio to ours.

    ``baseline`` marks the row the ratios of its case divide by: the case's first MarketLens row
    (a benchmark lists its default first, e.g. forecast's auto before the single models).
    """

    case: str
    tool: str
    seconds: float
    repeat: int
    rows: int
    ratio_to_ours: float | None = None
    baseline: bool = False


@dataclass
class Goal:
    """A goal of an issue and whether this run meets it (``measured`` at most ``limit``)."""

    goal: str
    measured: float
    limit: float
    unit: str = ""

    @property
    def met(self) -> bool:
        return self.measured <= self.limit


@dataclass
class BenchReport:
    name: str
    timings: list[Timing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)

    def seconds(self, case: str, tool: str) -> float | None:
        """The median seconds of this tool on this case, if it finished."""
        return next((t.seconds for t in self.timings if (t.case, t.tool) == (case, tool)), None)

    def goal(self, goal: str, measured: float | None, limit: float, unit: str = "") -> None:
        """Record a goal; when a side of it did not finish, say so in the notes instead."""
        if measured is None:
            self.notes.append(f"goal not measured (a tool did not finish): {goal}")
        else:
            self.goals.append(Goal(goal, measured, limit, unit))

    def time(self, case: str, tool: str, fn: Callable[[], int], *, repeat: int = 5) -> Timing:
        """Run ``fn`` (which returns the rows it read) ``repeat`` times after one warm-up."""
        rows = fn()
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - start)
        timing = Timing(case, tool, statistics.median(seconds), repeat, rows)
        self.timings.append(timing)
        return timing

    def finish(self) -> dict[str, object]:
        """Fill in ratios (tool time / our time, per case), write JSON and return it."""
        ours: dict[str, Timing] = {}
        for t in self.timings:
            if t.tool.startswith("MarketLens"):
                ours.setdefault(t.case, t)
        for t in self.timings:
            if t.case in ours:
                t.ratio_to_ours = t.seconds / ours[t.case].seconds
                t.baseline = t is ours[t.case]
        packages = ("pandas", "pyarrow", "python-calamine", "openpyxl", "numpy")
        result = {
            "benchmark": self.name,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": {
                "python": platform.python_version(),
                "cpu": platform.processor() or platform.machine(),
            },
            "versions": {p: _version(p) for p in packages},
            "timings": [asdict(t) for t in self.timings],
            "goals": [asdict(g) | {"met": g.met} for g in self.goals],
            "notes": self.notes,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{self.name}.json").write_text(json.dumps(result, indent=2))
        return result


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def print_table(result: dict[str, object]) -> None:
    print(f"\n== {result['benchmark']} ==")
    print(f"{'case':<42} {'tool':<40} {'rows':>10} {'seconds':>9} {'x ours':>8}")
    for t in result["timings"]:  # type: ignore[attr-defined]
        ratio = f"{t['ratio_to_ours']:.2f}" if t["ratio_to_ours"] is not None else ""
        mark = " *" if t.get("baseline") else ""
        print(
            f"{t['case']:<42} {t['tool']:<40} {t['rows']:>10,} {t['seconds']:>9.3f} {ratio:>8}{mark}"
        )
    print("* the baseline of its case: 'x ours' is each row's time divided by this row's")
    for g in result.get("goals", []):  # type: ignore[attr-defined]
        verdict = "met   " if g["met"] else "MISSED"
        print(
            f"{verdict} {g['goal']}: {g['measured']:.3g}{g['unit']} (goal ≤ {g['limit']:g}{g['unit']})"
        )
    for note in result["notes"]:  # type: ignore[attr-defined]
        print(f"note: {note}")
