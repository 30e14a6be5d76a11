"""The worker pool: single flight by key, progress and partial results, stopping, failures."""

from __future__ import annotations

import os
import signal
import time

import pytest

from analytics.budget import Interrupted
from analytics.errors import AnalyticsError
from analytics.jobs import JobPool

# The jobs below run in the pool's worker processes, which import this module by name.


def counting(steps: int, pause: float = 0.02, *, progress, budget, on_step=None) -> int:
    """Counts to ``steps``, a check and a message per step."""
    for i in range(steps):
        budget.check()
        progress(f"step {i + 1} of {steps}")
        if on_step is not None:
            on_step(i + 1)
        time.sleep(pause)
    return steps


def pid_then_forever(*, progress, budget, on_step) -> None:
    on_step(os.getpid())
    while True:
        budget.check()
        time.sleep(0.02)


def refusing(*, progress, budget) -> None:
    raise AnalyticsError("The file has no dates.", hint="Map a date column.")


def until(condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def pool():
    jobs = JobPool(workers=2)
    yield jobs
    jobs.shutdown()


def test_the_same_key_is_computed_once_and_its_result_kept(pool):
    first = pool.submit("count-3", counting, 3)
    again = pool.submit("count-3", counting, 3)
    other = pool.submit("count-4", counting, 4)
    assert again is first and other is not first
    assert first.wait() == 3 and other.wait() == 4
    assert first.state == "done" and first.seconds > 0
    assert pool.submit("count-3", counting, 3) is first  # finished: its result, not a new run
    pool.forget("count-3")
    assert pool.submit("count-3", counting, 3) is not first


def test_progress_and_partial_results_reach_the_server(pool):
    job = pool.submit("count-events", counting, 5, event_arg="on_step")
    assert job.wait() == 5
    until(lambda: len(job.events) == 5)
    assert job.events == [1, 2, 3, 4, 5]
    until(lambda: job.message == "step 5 of 5")


def test_a_job_stops_when_its_last_watcher_leaves_and_starts_again_when_asked(pool):
    job = pool.submit("count-long", counting, 10_000, watcher=("ann", None))
    same = pool.submit("count-long", counting, 10_000, watcher=("bob", None))
    assert same is job
    until(lambda: job.state == "running")
    job.leave("ann")
    time.sleep(0.3)
    assert job.state == "running"  # Bob still waits for it
    job.leave("bob")
    until(lambda: job.state == "stopped")
    with pytest.raises(Interrupted):
        job.result()
    again = pool.submit("count-long", counting, 3)
    assert again is not job and again.wait() == 3


def test_a_watcher_that_goes_away_stops_the_job(pool):
    there = [True]
    job = pool.submit("count-gone", counting, 10_000, watcher=("tab", lambda: there[0]))
    until(lambda: job.state == "running")
    there[0] = False
    until(lambda: job.state == "stopped")


def test_a_users_error_arrives_with_its_hint(pool):
    job = pool.submit("refuse", refusing)
    with pytest.raises(AnalyticsError) as caught:
        job.wait()
    assert caught.value.message == "The file has no dates."
    assert caught.value.hint == "Map a date column."
    assert job.state == "failed"


def test_the_time_limit_stops_a_job_with_the_reason(pool):
    job = pool.submit("count-limited", counting, 10_000, seconds=0.5, what="The count")
    with pytest.raises(Interrupted, match="The count needed more than"):
        job.wait()
    assert job.state == "failed"  # nobody stopped it: it ran out of time
    again = pool.submit("count-limited", counting, 3)  # perhaps the server was busy: tried again
    assert again is not job and again.wait() == 3


def test_a_waiter_whose_budget_runs_out_lets_go_of_the_job(pool):
    from analytics.budget import Budget

    job = pool.submit("count-waited", counting, 10_000, watcher=("report", None))
    with pytest.raises(Interrupted):
        job.wait(Budget(seconds=0.3, what="The report"), who="report")
    until(lambda: job.state == "stopped")


def test_a_killed_worker_fails_its_job_and_the_pool_recovers(pool):
    job = pool.submit("doomed", pid_then_forever, event_arg="on_step")
    until(lambda: job.events)
    os.kill(job.events[0], signal.SIGKILL)
    until(lambda: job.future.done())
    assert job.state == "failed"
    again = pool.submit("doomed-after", counting, 2)
    assert again.wait() == 2
    assert pool.submit("doomed", counting, 1) is not job  # asked again: a new run


ORPHAN_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from analytics.jobs import JobPool
from tests.unit.test_jobs import pid_then_forever
pool = JobPool(workers=1)
job = pool.submit("forever", pid_then_forever, event_arg="on_step")
while not job.events:
    time.sleep(0.05)
print(job.events[0], flush=True)
time.sleep(600)
"""


def test_workers_end_when_their_server_is_killed(tmp_path):
    """kill -9 of the server gives its pool no chance to shut down: the workers notice and end
    instead of waiting for ever on queues nobody can close (before: alive, with their memory)."""
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    server = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT.format(root=root)], stdout=subprocess.PIPE, text=True
    )
    try:
        worker = int(server.stdout.readline())
        assert Path(f"/proc/{worker}").exists()
    finally:
        server.kill()
        server.wait()

    def ended() -> bool:
        try:
            state = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        return state == "Z"

    until(ended, seconds=60)
