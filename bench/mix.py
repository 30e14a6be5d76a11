"""Marketing-mix benchmark (issue 22): the fit with its bootstrap intervals, and the planner.

Cases: Robyn's simulated weekly data (208 weeks × 5 paid channels, 2 controls) and PyMC Labs'
parameter-recovery data (159 weeks × 4 channels, 3 controls). Timed: ``fit_mix`` (grid search,
the 13-week out-of-sample refit and 60 bootstrap replicates) and ``plan_budget``. The shares
recovered on the second case are printed against the truth. No reference tool installs here
to compare with (PyMC-Marketing needs PyMC and minutes of sampling; Robyn is R), so the figures
are absolute.

Goals: a fit with intervals on 208 weeks × 5 channels at most 10 s; the planner at most 1 s.
Run: python -m bench.run mix
"""

from __future__ import annotations

import pandas as pd

from analytics.mix import adstock, fit_mix, mix_data, plan_budget
from bench.common import SHARED, BenchReport

FIT_GOAL = 10.0
PLAN_GOAL = 1.0


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("mix")
    repeat = 1 if quick else 3
    robyn = pd.read_csv(SHARED / "mmm_robyn_simulated_weekly.csv")
    data = mix_data(
        robyn,
        "DATE",
        "revenue",
        ["tv_S", "ooh_S", "print_S", "facebook_S", "search_S"],
        ["competitor_sales_B", "newsletter"],
    )
    case = "Robyn, 208 weeks × 5 channels"
    fitted = {}

    def fit() -> int:
        fitted["robyn"] = fit_mix(data)
        return len(data.y)

    def plan() -> int:
        plan_budget(fitted["robyn"])
        return len(data.y)

    report.time(case, "MarketLens fit_mix (60 bootstrap replicates)", fit, repeat=repeat)
    report.time(case, "MarketLens plan_budget", plan, repeat=repeat)
    result = fitted["robyn"]
    report.notes.append(
        f"Robyn: out-of-sample MAPE {result.holdout['mape']:.3f}, R² {result.holdout['r2']:.3f} "
        "on the last 13 weeks"
    )
    frame = pd.read_csv(SHARED / "mmm_param_recovery_input.csv")
    truth = pd.read_csv(SHARED / "mmm_param_recovery_true_contributions.csv")
    channels = ["x1", "x2", "x3", "x4"]
    recovery = mix_data(frame, "date_week", "y", channels, ["c1", "c2", "c3"])
    case2 = "PyMC Labs recovery, 159 weeks × 4 channels"

    def fit2() -> int:
        fitted["recovery"] = fit_mix(recovery)
        return len(recovery.y)

    report.time(case2, "MarketLens fit_mix (60 bootstrap replicates)", fit2, repeat=repeat)
    true = truth[channels].sum().to_numpy(float).copy()
    true[1] = (2.0 * adstock(frame["x2"].to_numpy(float), 0.25)).sum()
    summary = fitted["recovery"].summary()
    for channel, share, row in zip(channels, true / true.sum(), summary.itertuples(), strict=True):
        report.notes.append(
            f"{channel}: share {row.share:.3f} (95% {row.share_low:.3f}–{row.share_high:.3f}), "
            f"true {share:.3f}"
        )
    report.goal(
        f"{case}: fit with intervals, seconds",
        report.seconds(case, "MarketLens fit_mix (60 bootstrap replicates)"),
        FIT_GOAL,
        " s",
    )
    report.goal(
        f"{case}: planner, seconds", report.seconds(case, "MarketLens plan_budget"), PLAN_GOAL, " s"
    )
    return report
