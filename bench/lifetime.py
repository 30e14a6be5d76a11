"""Lifetime value benchmark (issue 20): BG/NBD + Gamma-Gamma fitted on every CDNOW customer.

Case: ``CDNOW_master.txt`` (23,570 customers, 1997-01 to 1998-06) with the 39-week calibration
period (to 1997-09-30), the customers' summary made once by ``customer_summary``. Timed: the two
fits on that summary, ours (scipy L-BFGS on the closed-form log-likelihoods) beside the
``lifetimes`` package's ``BetaGeoFitter`` and ``GammaGammaFitter`` (the reference the issue names)
on the same arrays, in the same run. The parameters of both are printed as notes.

Goal: ours at most 2 s, and no slower than lifetimes.
Run: python -m bench.run lifetime
"""

from __future__ import annotations

from analytics.data import open_dataset
from analytics.lifetime import customer_summary, fit_bgnbd, fit_gamma_gamma
from bench.common import SHARED, BenchReport

GOAL_SECONDS = 2.0


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("lifetime")
    dataset = open_dataset(SHARED / "CDNOW_master.txt").dataset
    summary = customer_summary(dataset, "1997-09-30")
    case = f"CDNOW master, {len(summary):,} customers, 39-week calibration"
    repeat = 1 if quick else 5
    fitted = {}

    def ours() -> int:
        fitted["ours"] = (fit_bgnbd(summary), fit_gamma_gamma(summary))
        return len(summary)

    report.time(case, "MarketLens fit_bgnbd + fit_gamma_gamma (scipy)", ours, repeat=repeat)
    try:
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError:
        report.notes.append("lifetimes is not installed: no reference timing")
    else:
        buyers = summary.loc[(summary["frequency"] > 0) & (summary["monetary"] > 0)]

        def reference() -> int:
            bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
            gg = GammaGammaFitter().fit(buyers["frequency"], buyers["monetary"])
            fitted["lifetimes"] = (bg.params_, gg.params_)
            return len(summary)

        report.time(case, "lifetimes BetaGeoFitter + GammaGammaFitter", reference, repeat=repeat)
        bg, gg = fitted["lifetimes"]
        report.notes.append(
            "lifetimes: r {r:.4f}, alpha {alpha:.4f}, a {a:.4f}, b {b:.4f}; ".format(**bg)
            + "p {p:.4f}, q {q:.4f}, v {v:.4f}".format(**gg)
        )
    purchases, spend = fitted["ours"]
    report.notes.append(
        f"ours: r {purchases.r:.4f}, alpha {purchases.alpha:.4f}, a {purchases.a:.4f}, "
        f"b {purchases.b:.4f}; p {spend.p:.4f}, q {spend.q:.4f}, gamma {spend.gamma:.4f}"
    )
    mine = report.seconds(case, "MarketLens fit_bgnbd + fit_gamma_gamma (scipy)")
    theirs = report.seconds(case, "lifetimes BetaGeoFitter + GammaGammaFitter")
    report.goal(f"{case}: ours, seconds", mine, GOAL_SECONDS, " s")
    report.goal(
        f"{case}: ours / lifetimes",
        None if mine is None or theirs is None else mine / theirs,
        1.0,
        "×",
    )
    return report
