"""Heavy analyses off the script thread: the server's job pool (:mod:`analytics.jobs`) as pages
use it.

In a served app, a forecast or a propensity fit runs in a worker process. The page run that asks
for it draws what it can, then a live line (what the job is doing, for how long, a Stop button,
and whatever partial results the page shows meanwhile) that refreshes itself twice a second as a
fragment, and ends: the server's script thread is free for other visitors at once. When the job
finishes, the page runs again and finds the result. Leaving the page and coming back finds the
job still running (or done); ten visitors asking for the same analysis share one job; a closed
tab lets go of its jobs, which stop when nobody else waits for them.

The live line's own refresh asks for that run; a page run can still miss it (the soak saw one
page in about 700 keep its live line after its job had finished: Streamlit drops a refresh of a
fragment its last full run did not draw). So the server checks too: a visitor who was watching a
job's live line when it finished, and whose page has not begun a run within
``NUDGE_AFTER_SECONDS``, gets a rerun from the server (:func:`pages._runtime.rerun_session`).

Without a pool (``MARKETLENS_WORKERS=0``, the default under AppTest and in scripts), the page
computes in its own run through the ``st.cache_data`` functions, as before.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from analytics.budget import Budget
from analytics.i18n import _
from analytics.jobs import Job, JobPool
from pages._errors import log
from pages._runtime import rerun_session, served, session_alive, session_id
from pages._widgets import PageDone

T = TypeVar("T")

#: Worker processes for heavy analyses; 0 computes inside the page run.
WORKERS_ENV = "MARKETLENS_WORKERS"

#: Seconds between two refreshes of a running job's line.
REFRESH_SECONDS = 0.5

#: A visitor's page that has not run again this long after their job finished is rerun by the
#: server (checked again twice, as long again each time).
NUDGE_AFTER_SECONDS = 5.0
#: ... if their live line ran within this long before the job finished (they were watching it).
WATCHING_SECONDS = 3.0

_pool: JobPool | None = None
_pool_lock = threading.Lock()

# Per session: the job whose live line it last drew and when; when its page last began a run.
_watching: dict[str, tuple[Hashable, float]] = {}
_page_runs: dict[str, float] = {}
_armed: set[Hashable] = set()  # jobs whose end is watched for visitors to nudge
_nudge_lock = threading.Lock()


def workers() -> int:
    """``MARKETLENS_WORKERS``, else one per core (at most 4) in a served app and 0 outside one."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            return max(0, int(value))
        except ValueError:
            pass
    return min(4, os.cpu_count() or 1) if served() else 0


def job_pool() -> JobPool | None:
    """The server's pool (one per process, started on first use), or None without workers."""
    global _pool
    count = workers()
    if count == 0:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = JobPool(count)
        return _pool


def job_key(*parts: object) -> str:
    """A job's key from content keys and parameters (their reprs are stable)."""
    return "|".join(map(repr, parts))


def _stopped() -> set[Hashable]:
    """Keys of the jobs this visitor stopped (shown as stopped until they press Run again)."""
    return st.session_state.setdefault("_jobs.stopped", set())


@dataclass(frozen=True)
class PoolJob:
    """One analysis as the pool runs it: its content key, the function a worker calls with these
    arguments (plus ``progress`` and ``budget``), what its live line calls it, and the keyword
    that receives partial results, if any. Built by one function per analysis, so the page, the
    report's start and the report's wait all name the same job."""

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    what: str
    event_arg: str | None = None

    def submit(
        self,
        pool: JobPool,
        seconds: float | None,
        watcher: tuple[Hashable, Callable[[], bool] | None] | None,
    ) -> Job:
        """The running or finished job of this key, else this one started."""
        return pool.submit(
            self.key,
            self.fn,
            *self.args,
            what=self.what,
            seconds=seconds,
            watcher=watcher,
            event_arg=self.event_arg,
            **self.kwargs,
        )


def in_background(
    spec: PoolJob,
    *,
    seconds: float | None,
    inline: Callable[[Callable[[str], None]], T],
    done: Callable[[T], str],
    live: Callable[[Job], None] | None = None,
) -> T:
    """The result of ``spec``'s job: from the pool when there is one, else ``inline(progress)``
    inside a status box. Either way a completed status line reads ``done(result)``.

    While the job runs, draws its live line (and ``live(job)`` for partial results) and ends the
    page run (:class:`PageDone`); the page runs again when the job is done. A failed job raises
    its error here, where the page explains it as if it had computed it itself.
    """
    pool = job_pool()
    what = spec.what
    if pool is None:
        with st.status(_("{what}…").format(what=what), expanded=False) as status:
            result = inline(lambda message: status.update(label=message))
            status.update(label=done(result), state="complete")
        return result
    if spec.key in _stopped():
        _show_stopped(spec.key, what)
        raise PageDone
    who = session_id()
    _supersede(pool, what, spec.key, who)
    job = spec.submit(pool, seconds, (who, session_alive()))
    if not job.future.done():
        _running(pool, job, who, what, live)
        raise PageDone
    result = job.result()
    st.status(done(result), state="complete", expanded=False)
    return result


def when_ready(spec: PoolJob, *, seconds: float | None, inline: Callable[[], T]) -> T | None:
    """For a page's last, slowest part: the result of ``spec``'s job from the pool, or None while
    it runs (its live line drawn in its place; the page goes on and runs again when it is done).
    Without a pool, ``inline()``."""
    pool = job_pool()
    if pool is None:
        return inline()
    if spec.key in _stopped():
        _show_stopped(spec.key, spec.what)
        return None
    who = session_id()
    _supersede(pool, spec.what, spec.key, who)
    job = spec.submit(pool, seconds, (who, session_alive()))
    if not job.future.done():
        _running(pool, job, who, spec.what, None)
        return None
    return job.result()


def page_run_began() -> None:
    """Note that this visitor's page began a run (app.py, on every page run)."""
    who = session_id()
    if who:
        with _nudge_lock:
            _page_runs[who] = time.monotonic()


def _note_watching(job: Job, who: str) -> None:
    """This visitor's live line of ``job`` ran now; when the job ends, check that their page
    shows it (:func:`_job_ended`)."""
    if not who:
        return
    now = time.monotonic()
    with _nudge_lock:
        _watching[who] = (job.key, now)
        if job.key in _armed:
            return
        _armed.add(job.key)
        if len(_watching) > 1_000:  # sessions long gone
            for old in [s for s, (_, seen) in _watching.items() if now - seen > 3_600]:
                _watching.pop(old, None)
                _page_runs.pop(old, None)
    job.future.add_done_callback(lambda _: _job_ended(job.key))


def _job_ended(key: Hashable) -> None:
    """A job ended: its watchers' pages should run again; check on each a little later."""
    ended = time.monotonic()
    with _nudge_lock:
        _armed.discard(key)
        watchers = [
            who
            for who, (watched, seen) in _watching.items()
            if watched == key and seen >= ended - WATCHING_SECONDS
        ]
    for who in watchers:
        _check_later(who, ended, 1)


def _check_later(who: str, ended: float, attempt: int) -> None:
    timer = threading.Timer(NUDGE_AFTER_SECONDS, _nudge, (who, ended, attempt))
    timer.daemon = True
    timer.start()


def _nudge(who: str, ended: float, attempt: int) -> None:
    """Rerun ``who``'s page unless it has begun a run since their job ended at ``ended``."""
    with _nudge_lock:
        if _page_runs.get(who, 0.0) >= ended:
            return
    if not rerun_session(who):
        return  # the visitor has gone
    log.info(
        "A page had not run again %.0f s after its job ended: rerun by the server",
        time.monotonic() - ended,
    )
    if attempt < 3:
        _check_later(who, ended, attempt + 1)


def _running(
    pool: JobPool, job: Job, who: Hashable, what: str, live: Callable[[Job], None] | None
) -> None:
    """The live line of a running job, and its Stop button."""
    line = st.columns([5, 1], vertical_alignment="top")
    line[1].button(
        _("Stop"),
        key=f"jobs.stop.{_digest(str(job.key))}",
        icon=":material/stop_circle:",
        on_click=_stop,  # a callback: it runs before the next page run, whatever reruns
        args=(job.key, who),
    )
    # The live line's words, made in this (whole-page) run: a fragment's own runs may not see
    # the visitor's language.
    words = (
        _("{what}: waiting for a free worker ({n} analyses running)…"),
        _("{what}: {message} · {seconds} s"),
        _("starting"),
    )
    with line[0]:
        _follow(pool, job.key, who, what, live, words)


def waited(spec: PoolJob, budget: Budget | None) -> Any:
    """The result of ``spec``'s job from the pool, waiting for it (the report's analyses): the
    same key as a page's reuses its job, running or done."""
    pool = job_pool()
    if pool is None:
        raise RuntimeError("waited() needs the job pool")
    who: Hashable = (session_id(), "waiting")
    seconds = budget.seconds if budget is not None else None
    return spec.submit(pool, seconds, (who, None)).wait(budget, who)


def started(spec: PoolJob, seconds: float | None) -> None:
    """Start ``spec``'s job without waiting (the report starts its slow analyses side by side);
    it stops when this visitor's tab closes and nobody else waits for it."""
    pool = job_pool()
    if pool is not None:
        spec.submit(pool, seconds, ((session_id(), "report"), session_alive()))


@st.fragment(run_every=REFRESH_SECONDS)
def _follow(
    pool: JobPool,
    key: Hashable,
    who: Hashable,
    what: str,
    live: Callable[[Job], None] | None,
    words: tuple[str, str, str] = (
        "{what}: waiting for a free worker ({n} analyses running)…",
        "{what}: {message} · {seconds} s",
        "starting",
    ),
) -> None:
    job = pool.get(key)
    if job is None or job.future.done() or not job.watched_by(who):
        st.rerun(scope="app")  # done (or gone): the page runs again and shows what it found
        return
    _note_watching(job, str(who))
    if job.state == "queued":
        ahead = sum(1 for j in pool.running() if j.state == "running")
        label = words[0].format(what=what, n=ahead)
    else:
        label = words[1].format(
            what=what, message=job.message or words[2], seconds=f"{job.seconds:.0f}"
        )
    st.info(label, icon=":material/hourglass_top:")
    if live is not None:
        live(job)


def _show_stopped(key: str, what: str) -> None:
    line = st.columns([5, 1], vertical_alignment="center")
    line[0].warning(
        _("{what} was stopped. Change a setting, or run it again.").format(what=what),
        icon=":material/stop_circle:",
    )
    line[1].button(
        _("Run again"),
        key=f"jobs.again.{_digest(key)}",
        icon=":material/replay:",
        on_click=lambda: _stopped().discard(key),
    )


def _supersede(pool: JobPool, slot: str, key: Hashable, who: Hashable) -> None:
    """This visitor now wants ``key`` in ``slot`` (one analysis of a page): the job they asked
    for there before (other settings) is let go, and stops unless someone else waits for it.
    Three quick changes of a setting would otherwise leave three forecasts running."""
    current: dict[str, Hashable] = st.session_state.setdefault("_jobs.current", {})
    earlier = current.get(slot)
    if earlier is not None and earlier != key:
        job = pool.get(earlier)
        if job is not None:
            pool.leave(job, who)
    current[slot] = key


def _stop(key: Hashable, who: Hashable) -> None:
    """The Stop button: this visitor no longer waits for the job (it stops if nobody else does)."""
    _stopped().add(key)
    pool = job_pool()
    job = pool.get(key) if pool is not None else None
    if job is not None:
        job.leave(who)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]
