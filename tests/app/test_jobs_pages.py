"""The Forecast and Propensity pages with the worker pool, as a served app runs them: the job
runs in a worker process, the page draws a live line with a Stop button and ends its run, and a
later run finds the result; leaving and coming back finds the same job; two visitors share one."""

from __future__ import annotations

import time

import pytest

import pages._jobs as jobs
from tests.app.test_pages import app, no_exception, texts


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setenv(jobs.WORKERS_ENV, "2")
    yield
    if jobs._pool is not None:
        jobs._pool.shutdown()
        jobs._pool = None


def live_line(at) -> str:
    return "\n".join(i.value for i in at.info if "·" in i.value or "waiting" in i.value)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def poll(at, done, seconds: float = 240.0):
    """Rerun the page (as the live line's refresh does) until ``done(at)``."""
    deadline = time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.3)
        at.run()
        no_exception(at)
    return at


def pool_jobs(kind: str) -> list:
    """The pool's jobs of one kind (their keys start with it: forecast, sweep, rules …)."""
    assert jobs._pool is not None
    with jobs._pool._lock:
        return [j for k, j in jobs._pool._jobs.items() if k.startswith(repr(kind))]


def forecast_jobs() -> list:
    return pool_jobs("forecast")


def build_the_report(at) -> str:
    """Build the report on its page; the page's text."""
    at.switch_page("pages/report.py").run()
    button(at, "Build the report").click().run()
    no_exception(at)
    return texts(at)


def shows_forecast(at) -> bool:
    return any(m.label == "Error vs. a seasonal guess" for m in at.metric)


def on_forecast_page():
    at = app()
    at.switch_page("pages/forecast.py").run()
    no_exception(at)
    return at


def test_the_forecast_runs_in_a_worker_and_arrives_on_a_later_run(pool):
    at = on_forecast_page()
    assert "The forecast:" in live_line(at), texts(at)
    assert button(at, "Stop")
    assert not shows_forecast(at)  # the page run ended while the worker computes
    poll(at, shows_forecast)
    (job,) = forecast_jobs()
    assert job.state == "done" and job.seconds > 0
    assert any("forecast of" in s.label for s in at.status)


def test_stop_stops_the_job_and_run_again_starts_it(pool):
    at = on_forecast_page()
    (job,) = forecast_jobs()
    button(at, "Stop").click().run()
    no_exception(at)
    assert "The forecast was stopped" in texts(at)
    poll(at, lambda _: job.future.done())
    assert job.state == "stopped"
    button(at, "Run again").click().run()
    no_exception(at)
    poll(at, shows_forecast)
    (again,) = forecast_jobs()
    assert again is not job and again.state == "done"


def test_leaving_the_page_and_coming_back_finds_the_same_job(pool):
    at = on_forecast_page()
    (job,) = forecast_jobs()
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    at.switch_page("pages/forecast.py").run()
    no_exception(at)
    poll(at, shows_forecast)
    assert forecast_jobs() == [job]  # the same job, not a second start


def test_two_visitors_asking_the_same_forecast_share_one_job(pool):
    first, second = on_forecast_page(), on_forecast_page()
    assert len(forecast_jobs()) == 1
    poll(first, shows_forecast)
    poll(second, shows_forecast)
    assert len(forecast_jobs()) == 1


def test_propensity_in_a_worker_and_the_report_reuses_its_job(pool):
    at = app()
    at.switch_page("pages/propensity.py").run()
    no_exception(at)
    assert "Training the models:" in live_line(at), texts(at)
    poll(at, lambda at: any(m.label == "ROC AUC" for m in at.metric))
    count = len(jobs._pool._jobs)
    assert ":material/check: **Who will churn or buy**" in build_the_report(at)
    assert len(pool_jobs("propensity")) == 1  # the page's job, reused
    assert len(jobs._pool._jobs) >= count


def test_a_changed_setting_lets_go_of_the_job_of_the_old_setting(pool):
    at = on_forecast_page()
    (first,) = forecast_jobs()
    changed = time.monotonic()
    at.number_input(key="w.forecast.horizon.W").set_value(20).run()
    no_exception(at)
    assert len(forecast_jobs()) == 2
    poll(at, lambda _: first.future.done())
    # Stopped; or it had already finished when the setting changed (never run on for nobody).
    assert first.state == "stopped" or first.finished <= changed, first.state
    poll(at, shows_forecast)


def test_the_segments_sweep_runs_in_a_worker_and_the_report_reuses_it(pool):
    at = app()
    at.switch_page("pages/segments.py").run()
    no_exception(at)
    assert "Finding segments:" in live_line(at), texts(at)
    # The cheap part of the page is drawn while the sweep runs.
    assert any("RFM" in s.value for s in at.subheader), texts(at)
    assert not any(m.label == "Segments" for m in at.metric)
    poll(at, lambda at: any(m.label == "Segments" for m in at.metric))
    assert any("tried k = 2–10" in s.label for s in at.status)
    assert ":material/check: **Customer segments**" in build_the_report(at)
    assert len(pool_jobs("sweep")) == 1  # the page's job, reused


def test_the_basket_mining_runs_in_a_worker(pool):
    at = app()
    at.switch_page("pages/basket.py").run()
    no_exception(at)
    assert "Mining the baskets:" in live_line(at), texts(at)
    poll(at, lambda at: any(m.label == "Rules" for m in at.metric))
    assert any("frequent itemsets and" in s.label for s in at.status)
    assert len(pool_jobs("rules")) == 1


class _Job:
    """What the nudge reads of a pool job: its key and its future."""

    def __init__(self, key: str) -> None:
        from concurrent.futures import Future

        self.key = key
        self.future: Future = Future()


@pytest.fixture
def nudges(monkeypatch):
    """Server-side reruns asked for, by session, with the checks a few milliseconds apart. The
    checks of earlier tests' jobs may land here too (their AppTest session is "test session id"),
    so each test looks only at its own visitor."""
    asked: list[str] = []
    monkeypatch.setattr(jobs, "NUDGE_AFTER_SECONDS", 0.05)
    monkeypatch.setattr(jobs, "rerun_session", lambda who: asked.append(who) or True)
    monkeypatch.setattr(jobs, "_watching", {})
    monkeypatch.setattr(jobs, "_page_runs", {})
    monkeypatch.setattr(jobs, "_armed", set())
    return asked


def settle() -> None:
    time.sleep(1.0)  # 20 times the checks' delay


def test_a_watcher_whose_page_missed_the_end_of_its_job_is_rerun_by_the_server(nudges):
    job = _Job("forecast|a")
    jobs._note_watching(job, "alice")
    jobs._note_watching(job, "alice")  # every refresh of the live line: one check at the end
    job.future.set_result(1)
    settle()
    # Asked once, then the checks go on (up to three) until the page has run: here it never does.
    assert nudges.count("alice") == 3


def test_a_page_that_ran_after_the_job_ended_is_left_alone(nudges, monkeypatch):
    job = _Job("forecast|b")
    jobs._note_watching(job, "bob")
    job.future.set_result(1)
    monkeypatch.setattr(jobs, "session_id", lambda: "bob")
    jobs.page_run_began()  # the live line's own refresh worked
    settle()
    assert "bob" not in nudges


def test_a_visitor_who_stopped_watching_long_before_the_end_is_not_rerun(nudges, monkeypatch):
    job = _Job("forecast|c")
    jobs._note_watching(job, "carol")
    monkeypatch.setattr(jobs, "_watching", {"carol": (job.key, time.monotonic() - 60)})
    job.future.set_result(1)  # carol left the page a minute ago
    settle()
    assert "carol" not in nudges


def test_a_gone_visitor_is_asked_once_and_then_forgotten(nudges, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(jobs, "rerun_session", lambda who: asked.append(who) and False)
    job = _Job("forecast|d")
    jobs._note_watching(job, "dave")
    job.future.set_result(1)
    settle()
    assert asked.count("dave") == 1
