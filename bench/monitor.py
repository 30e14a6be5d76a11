"""Monitor benchmark (issue 25): false alarms on normal traffic, planted drops found, speed.

Traffic is simulated with known rates (``analytics.monitor.simulate``): three countries, a weekly
and a daily rhythm, and day-to-day variation (each day's rate times a Gamma draw with a 10%
coefficient of variation). For each of ``WEEKS`` independent weeks (a seed each, with 9 weeks of
history before), four alert rules at the default sensitivity are checked every hour of the week
with their quiet periods, as the headless runner does: the alerts they raise are false alarms.
Then, in each week, France's orders are halved for one hour at a random busy time (10:00-18:00)
in a busier shop (``BUSY_RATES``), and the first rule's check is made at the end of that hour and
of the next (two evaluation windows): found or not, at a known rate (as the issue's writer
inserts) and with the 10% day-to-day variation.

Goals: at most 1 false alarm per rule per week (on average); the planted drop at a known rate
found in at least 90% of the weeks; one check of a rule per country in at most 1 s. The share
found with day-to-day variation is reported, not a goal: a whole day 10% off its usual level
widens the band of an hour (the expected value is not adjusted for today's level).
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
from analytics.monitor.simulate import BUSY_RATES
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
    found = {0.0: 0, 0.1: 0}
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
        # A planted drop: France halved for one hour of the last week, 10:00-18:00, in a shop
        # busy enough for that to be plainly news; with a known rate (the writer) and
        # with the same 10% day-to-day variation as the false-alarm weeks.
        day = int(rng.integers(0, 7))
        hour = int(rng.integers(10, 18))
        start = end - pd.Timedelta(weeks=1) + pd.Timedelta(days=day, hours=hour)
        drop = ("France", start, start + pd.Timedelta(hours=1), 0.5)
        for noise in (0.0, 0.1):
            dropped = simulated_orders(
                end - pd.Timedelta(weeks=10),
                end,
                seed=seed,
                day_noise=noise,
                drop=drop,
                rates=BUSY_RATES,
            )
            hit = False
            for now in (start + pd.Timedelta(hours=1), start + pd.Timedelta(hours=2)):
                france = [
                    c
                    for c in checks(dropped, now, metric="orders", window="1h", by="country")
                    if c.group == "France"
                ]
                hit = hit or (bool(france) and france[0].status == "below")
            found[noise] += hit
    per_week = {name: count / weeks for name, count in alarms.items()}
    for name, rate in per_week.items():
        report.notes.append(f"{name}: {rate:.2f} false alarms per week ({weeks} weeks)")
    report.notes.append(
        f"planted one-hour halving of France (busy shop, 10:00-18:00), found within two windows: "
        f"{found[0.0]} of {weeks} weeks at a known rate, {found[0.1]} of {weeks} with 10% "
        "day-to-day variation"
    )
    report.notes.append(
        f"one rule checked: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms ({len(lines):,} order lines, 10 weeks)"
    )
    report.goal("false alarms per rule per week (the worst rule)", max(per_week.values()), 1.0)
    report.goal(
        "planted drops missed at a known rate (share of weeks)", 1 - found[0.0] / weeks, 0.1
    )
    report.goal("one rule checked, seconds (median)", statistics.median(seconds), 1.0, " s")
    return report
