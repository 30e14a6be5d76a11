"""Campaign benchmark (issue 21): Hillstrom's e-mail test (64,000 customers).

Timed, as the Campaigns page computes them: the effects (every arm against the control on
visit, conversion and spend, with the bootstrap of spend), the sample-ratio check and the
balance table together; then the cross-fitted uplift of Womens E-Mail on visit (five folds,
two logistic models, and with gradient boosting). Beside them, scikit-uplift's ``TwoModels``
with the same base learner on the same 70/30 split: its Qini coefficient on the held-out 30% and
ours (the issue asks for a positive one within 0.01 of scikit-uplift's), and its fit time.

And the Campaigns page itself, server-side in Streamlit's AppTest after Hillstrom was uploaded
on the Data page: its first visit with empty caches (effects and the uplift model computed) and
a rerun (both cached).

Goals: effects at most 2 s, cross-fitted uplift at most 10 s, the page's first visit at most
12 s (the two together), |Qini ours − scikit-uplift| at most 0.01.
Run: python -m bench.run campaigns
"""

from __future__ import annotations

import pandas as pd

from analytics.campaigns import (
    CampaignParams,
    features,
    fit_uplift,
    holdout_qini,
    qini_coefficient,
    run_campaign,
)
from bench.common import SHARED, BenchReport

EFFECTS_GOAL = 2.0
UPLIFT_GOAL = 10.0
QINI_GAP = 0.01
COVARIATES = [
    "recency",
    "history_segment",
    "history",
    "mens",
    "womens",
    "zip_code",
    "newbie",
    "channel",
]
ARM, CONTROL = "Womens E-Mail", "No E-Mail"


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("campaigns")
    frame = pd.read_csv(SHARED / "hillstrom_email.csv")
    repeat = 1 if quick else 3
    case = f"Hillstrom, {len(frame):,} customers"
    params = CampaignParams(group="segment", control=CONTROL)

    def effects() -> int:
        run_campaign(frame, params, uplift=False)
        return len(frame)

    report.time(case, "MarketLens effects + sample ratio + balance", effects, repeat=repeat)
    _page(report, repeat)
    for learner in ("logreg", "gbm"):

        def uplift(learner: str = learner) -> int:
            fit_uplift(frame, "segment", CONTROL, ARM, "visit", COVARIATES, learner=learner)
            return len(frame)

        report.time(
            case, f"MarketLens uplift, 5-fold cross-fitted ({learner})", uplift, repeat=repeat
        )

    held: dict[str, tuple[float, object]] = {}
    for learner in ("logreg", "gbm"):

        def split(learner: str = learner) -> int:
            qini, test, _ = holdout_qini(
                frame, "segment", CONTROL, ARM, "visit", COVARIATES, learner=learner
            )
            held[learner] = (qini, test)
            return len(test)

        report.time(f"{case}: 70% fit ({learner})", "MarketLens two models", split, repeat=repeat)
        report.notes.append(f"Qini on the held-out 30%, ours ({learner}): {held[learner][0]:.4f}")
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklift.metrics import qini_auc_score
        from sklift.models import TwoModels
    except ImportError:
        report.notes.append("scikit-uplift is not installed: no reference Qini")
        return _goals(report, case, None)
    rows = frame.loc[frame["segment"].isin([ARM, CONTROL])].reset_index(drop=True)
    x = features(rows, COVARIATES).to_numpy(float)
    treated = (rows["segment"] == ARM).to_numpy(int)
    y = rows["visit"].to_numpy(int)
    gaps = []
    for learner, make in (
        ("logreg", lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        (
            "gbm",
            lambda: HistGradientBoostingClassifier(
                max_iter=100, learning_rate=0.1, max_leaf_nodes=15, random_state=0
            ),
        ),
    ):
        ours, test = held[learner]
        train = sorted(set(range(len(y))) - set(test.tolist()))  # type: ignore[attr-defined]
        model = TwoModels(estimator_trmnt=make(), estimator_ctrl=make(), method="vanilla")

        def reference(model: TwoModels = model, train: list[int] = train, test=test) -> int:
            model.fit(x[train], y[train], treated[train])
            model.predict(x[test])
            return len(train)

        report.time(
            f"{case}: 70% fit ({learner})", "scikit-uplift TwoModels", reference, repeat=repeat
        )
        predicted = model.predict(x[test])
        theirs = float(qini_auc_score(y[test], predicted, treated[test]))
        ours_on_theirs = qini_coefficient(y[test], predicted, treated[test])
        report.notes.append(
            f"Qini on the held-out 30%, scikit-uplift TwoModels ({learner}): {theirs:.4f} "
            f"(our Qini function on its predictions: {ours_on_theirs:.4f})"
        )
        gaps.append(abs(ours - theirs))
    return _goals(report, case, max(gaps))


def _page(report: BenchReport, repeat: int) -> None:
    """The Campaigns page on Hillstrom, cold and warm, as the server runs it."""
    import time

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench.common import ROOT, Timing

    data = (SHARED / "hillstrom_email.csv").read_bytes()
    cold, warm = [], []
    for _ in range(repeat):
        st.cache_data.clear()
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
        app.switch_page("pages/data.py").run()
        app.radio(key="w.source").set_value("Upload a file").run()
        app.file_uploader(key="upload").set_value(("hillstrom_email.csv", data, "text/csv")).run()
        confirm = next((b for b in app.button if b.key == "confirm_mapping"), None)
        if confirm is not None:
            confirm.click().run()
        started = time.perf_counter()
        app.switch_page("pages/campaigns.py").run()
        cold.append(time.perf_counter() - started)
        if app.exception or not any(
            c.proto.id.endswith("campaign_qini") for c in app.get("plotly_chart")
        ):
            raise RuntimeError(f"the Campaigns page did not draw its Qini curve: {app.exception}")
        started = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - started)
    case = "Hillstrom, the Campaigns page (AppTest)"
    for tool, times in (("first visit, caches empty", cold), ("rerun, cached", warm)):
        report.timings.append(Timing(case, tool, sorted(times)[len(times) // 2], repeat, 64_000))
    report.goal(f"{case}: first visit, seconds", sorted(cold)[len(cold) // 2], 12.0, " s")


def _goals(report: BenchReport, case: str, gap: float | None) -> BenchReport:
    report.goal(
        f"{case}: effects, seconds",
        report.seconds(case, "MarketLens effects + sample ratio + balance"),
        EFFECTS_GOAL,
        " s",
    )
    report.goal(
        f"{case}: cross-fitted uplift (logreg), seconds",
        report.seconds(case, "MarketLens uplift, 5-fold cross-fitted (logreg)"),
        UPLIFT_GOAL,
        " s",
    )
    report.goal(
        f"{case}: cross-fitted uplift (gbm), seconds",
        report.seconds(case, "MarketLens uplift, 5-fold cross-fitted (gbm)"),
        UPLIFT_GOAL,
        " s",
    )
    report.goal(f"{case}: |Qini ours − scikit-uplift|", gap, QINI_GAP)
    return report
