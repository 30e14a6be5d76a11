"""Page benchmark: each page of the app on the bundled sample (data/, 3,000 customers), run
server-side in Streamlit's AppTest, cold and warm; and the report, cold and after the pages.

* **cold**: every cache cleared, the sample opened on the Data page, then the first visit to the
  page (its analyses computed from scratch; the file itself already read).
* **warm**: the same page run again at once (what moving a slider back and forth costs when the
  analyses are cached).
* **report, after the pages**: every analysis page visited, then "Build the report" pressed
  (the report reuses what the pages computed). **report, cold**: pressed with empty caches.
* **with the worker pool** (two workers, started and warm before the clock), as a served app runs:
  the page run that submits a job, the time until its result is drawn (the page rerun every
  0.1 s, as the live line's refresh does), the propensity's first model; and the report, cold,
  whose slow analyses then run side by side.

AppTest runs a page's script in this process as the server would, without a browser: the times
are the server-side page runs, not what a browser takes to draw them. Goals (issue 17): every page
cold ≤ 2 s and warm ≤ 0.3 s; the report ≤ 3 s after the pages were visited and ≤ 8 s cold.
The issue names no reference tool for pages; the figures are absolute.
Run: python -m bench.run pages
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.data.dates import _text_date_share
from analytics.jobs import JobPool
from bench.common import ROOT, BenchReport, Timing

PAGES = ("overview", "segments", "basket", "forecast", "propensity", "data")
ANALYSES = ("overview", "segments", "basket", "forecast", "propensity")
TIMEOUT = 900


def _app() -> AppTest:
    """A new app session with empty caches (analyses and charts, and the columns' date guesses)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    _text_date_share.cache_clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def _fresh() -> AppTest:
    """A new app session with empty caches and the bundled sample opened."""
    app = _app()
    app.switch_page("pages/data.py").run()
    return app


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _checked(app: AppTest, page: str) -> None:
    if app.exception:
        raise RuntimeError(f"{page}: {app.exception[0].value}")


def _page(report: BenchReport, page: str) -> None:
    app = _app() if page == "data" else _fresh()  # the Data page's cold run reads the file
    cold = _timed(lambda: app.switch_page(f"pages/{page}.py").run())
    _checked(app, page)
    warm = min(_timed(app.run) for _ in range(3))
    _checked(app, page)
    report.timings.append(Timing(page, "MarketLens page, cold", cold, 1, 3000))
    report.timings.append(Timing(page, "MarketLens page, warm rerun (best of 3)", warm, 3, 3000))
    report.goal(f"{page}: cold page run", cold, 2.0, " s")
    report.goal(f"{page}: warm rerun", warm, 0.3, " s")


def _build(app: AppTest) -> float:
    app.switch_page("pages/report.py").run()
    button = next(b for b in app.button if b.label == "Build the report")
    seconds = _timed(lambda: button.click().run())
    _checked(app, "report")
    return seconds


def _report(report: BenchReport) -> None:
    app = _fresh()
    for page in ANALYSES:
        app.switch_page(f"pages/{page}.py").run()
        _checked(app, page)
    warm = _build(app)
    cold = _build(_fresh())
    report.timings.append(Timing("report", "MarketLens report, after the pages", warm, 1, 3000))
    report.timings.append(Timing("report", "MarketLens report, cold", cold, 1, 3000))
    report.goal("report after the pages were visited", warm, 3.0, " s")
    report.goal("report, cold", cold, 8.0, " s")


@contextlib.contextmanager
def _warm_pool() -> Iterator[JobPool]:
    """The app's worker pool with two workers (``MARKETLENS_WORKERS=2``), started and warm before
    any clock, as app.py starts it on a first visit; shut down afterwards."""
    import pages._jobs as jobs

    os.environ[jobs.WORKERS_ENV] = "2"
    try:
        pool = jobs.job_pool()
        assert pool is not None
        pool.wait_ready()
        yield pool
    finally:
        os.environ.pop(jobs.WORKERS_ENV, None)
        if jobs._pool is not None:
            jobs._pool.shutdown()
            jobs._pool = None


def _pooled_report(report: BenchReport) -> None:
    """The report, cold, as a served app builds it: the sweep, the mining, the forecast and the
    models start side by side in the pool while the other sections are made."""
    with _warm_pool():
        cold = _build(_fresh())
    report.timings.append(Timing("report", "MarketLens report, cold, with the pool", cold, 1, 3000))
    report.goal("report, cold (pool)", cold, 8.0, " s")


def _pooled(report: BenchReport, page: str, shown: str) -> None:
    """A page as a served app runs it, with the worker pool, cold: the page run that submits the
    job; the first partial result in the pool (the propensity's first model); and the whole job
    until the page shows ``shown``, rerun every 0.1 s as the live line's refresh does (its 0.5 s
    adds up to half a second in a browser)."""
    with _warm_pool() as pool:
        app = _fresh()
        started = time.perf_counter()
        app.switch_page(f"pages/{page}.py").run()
        run_seconds = time.perf_counter() - started
        _checked(app, page)
        first = done = None
        while done is None:
            running = [j for j in pool._jobs.values() if not j.future.done()]
            if first is None and any(j.events for j in running):
                first = time.perf_counter() - started
            time.sleep(0.1)
            app.run()
            _checked(app, page)
            if any(m.label == shown for m in app.metric):
                done = time.perf_counter() - started
    tool = "MarketLens page with the worker pool, cold"
    report.timings.append(Timing(page, f"{tool}: the page run", run_seconds, 1, 3000))
    report.timings.append(Timing(page, f"{tool}: until the result is drawn", done, 1, 3000))
    report.goal(f"{page} (pool): cold page run", run_seconds, 2.0, " s")
    if first is not None:
        report.timings.append(Timing(page, f"{tool}: first model's scores", first, 1, 3000))
        report.goal(f"{page} (pool): first model on screen", first, 2.0, " s")


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("pages")
    for page in PAGES:
        _page(report, page)
    _pooled(report, "segments", "Segments")
    _pooled(report, "basket", "Rules")
    _pooled(report, "forecast", "Model")
    _pooled(report, "propensity", "Model")
    if not quick:
        _report(report)
        _pooled_report(report)
    report.notes.append(
        "AppTest page runs on the bundled sample (3,000 customers), server-side, one visitor"
    )
    return report
