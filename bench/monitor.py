"""Monitor benchmark (issue 25): false alarms on normal traffic, planted drops found, speed.

Traffic is simulated with known rates (``analytics.monitor.simulate``): three countries, a weekly
and a daily rhythm, and day-to-day variation (each day's rate times a Gamma draw with a 10%
coefficient of variation). For each of ``WEEKS`` independent weeks (a seed each, with 9 weeks of
history before), four alert rules at the default sensitivity are checked every hour of the week
with their quiet periods, as the headless runner does: the alerts they raise are false alarms.
Then, in each week, France's orders are halved for one hour at a random time, and the first rule
is checked at the end of that hour and of the next (two evaluation windows): found or not.

Goals: at most 1 false alarm per rule per week (on average); the planted drop found in at least
90% of the weeks; one check of a rule per country in at most 1 s.
Run: python -m bench.run monitor
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.monitor import AlertLog, AlertRule, checks, run_rules, simulated_orders
from bench.common import BenchReport

WEEKS = 8
RULES = (
    AlertRule("Orders per country below band", metric="orders", window="1h", by="country"),
    AlertRule(
        "Revenue outside band, day so far", metric="revenue", condition="outside", window="day"
    ),
    AlertRule(
        "Customers per country below band, 3 h", metric="customers", window="3h", by="country"
    ),
    AlertRule("Orders above band", metric="orders", condition="above", window="1h"),
)
START = pd.Timestamp("2026-01-05")  # a Monday


def _week(seed: int, drop: tuple | None = None) -> tuple[pd.DataFrame, pd.Timestamp]:
    begin = START + pd.Timedelta(weeks=10 * seed)
    end = begin + pd.Timedelta(weeks=10)
    lines = simulated_orders(begin, end, seed=seed, day_noise=0.1, drop=drop)
    return lines, end


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("monitor")
    weeks = 3 if quick else WEEKS
    alarms = {rule.name: 0 for rule in RULES}
    found = 0
    rng = np.random.default_rng(0)
    seconds: list[float] = []
    for seed in range(weeks):
        lines, end = _week(seed)
        with tempfile.TemporaryDirectory() as folder:
            log = AlertLog(Path(folder) / "alerts.jsonl")
            for now in pd.date_range(end - pd.Timedelta(weeks=1), end, freq="h", inclusive="right"):
                started = time.perf_counter()
                for entry in run_rules(RULES, lines, now, alert_log=log):
                    alarms[entry["rule"]] += 1
                seconds.append((time.perf_counter() - started) / len(RULES))
        # A planted drop: France halved for one hour of the last week, 08:00-20:00.
        day = int(rng.integers(0, 7))
        hour = int(rng.integers(8, 20))
        start = end - pd.Timedelta(weeks=1) + pd.Timedelta(days=day, hours=hour)
        dropped, _ = _week(seed, drop=("France", start, start + pd.Timedelta(hours=1), 0.5))
        hit = False
        for now in (start + pd.Timedelta(hours=1), start + pd.Timedelta(hours=2)):
            france = [
                c
                for c in checks(dropped, now, metric="orders", window="1h", by="country")
                if c.group == "France"
            ]
            hit = hit or (bool(france) and france[0].status == "below")
        found += hit
    per_week = {name: count / weeks for name, count in alarms.items()}
    for name, rate in per_week.items():
        report.notes.append(f"{name}: {rate:.2f} false alarms per week ({weeks} weeks)")
    report.notes.append(f"planted one-hour drop (France halved) found in {found} of {weeks} weeks")
    report.notes.append(
        f"one rule checked: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms ({len(lines):,} order lines, 10 weeks)"
    )
    report.goal("false alarms per rule per week (the worst rule)", max(per_week.values()), 1.0)
    report.goal("planted drops missed (share of weeks)", 1 - found / weeks, 0.1)
    report.goal("one rule checked, seconds (median)", statistics.median(seconds), 1.0, " s")
    return report
