"""Heavy analyses in worker processes: one pool per server, one job per content key.

A model fit or a forecast computed in the web server's own process holds its interpreter (the
GIL) for seconds: every other visitor's cheap page run waits behind it. :class:`JobPool` runs such
work in a few worker processes instead (``concurrent.futures.ProcessPoolExecutor`` over
``forkserver``, whose server process imports the analytics once, so a new worker starts warm).

* **Single flight.** Jobs are keyed by the content of what they compute (the data's fingerprint
  and the parameters). Asking for a key that is running or done returns that job: ten visitors
  who ask for the same forecast share one computation, and a visitor who leaves a page and comes
  back finds their job still running, or finished.
* **Progress and partial results.** The function gets a ``progress`` callback (short messages)
  and, when asked, an event callback (e.g. each model's scores as it is fitted); both arrive in
  the server through one queue and are read from :attr:`Job.message` and :attr:`Job.events`.
* **Stopping.** The function gets a :class:`~analytics.budget.Budget` whose ``alive`` check
  reads a flag in shared memory: :meth:`Job.leave` (a Stop button, or a visitor gone) raises it
  once nobody is left waiting for the job, and the analysis stops at its next check with
  :class:`~analytics.budget.Interrupted`. Watchers are checks (``alive()``) polled every
  half-second, so a closed tab lets go of its jobs without anyone pressing Stop.
* **Memory.** Finished jobs are kept (the pool is the cache of their results) up to
  ``keep`` of them and for ``ttl`` seconds after their last use.

Example
-------
>>> pool = JobPool(workers=2)
>>> job = pool.submit("forecast|abc", run_forecast, series, what="The forecast", horizon=12)
>>> job.wait().forecast.head()
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from analytics.budget import Budget, Interrupted
from analytics.errors import AnalyticsError

#: Jobs that can run or wait at once (a flag each in shared memory).
SLOTS = 512

#: Modules the forkserver imports once, so that each worker it forks starts with them loaded.
PRELOAD = ("analytics.forecast", "analytics.propensity", "analytics.segments")

#: How often the pool asks whether a running job's watchers are still there.
WATCH_SECONDS = 0.5

# --- in each worker process ---------------------------------------------------------------------

_flags: Any = None
_events: Any = None


def _start_worker(flags: Any, events: Any, server: int) -> None:
    global _flags, _events
    _flags, _events = flags, events
    threading.Thread(target=_exit_with, args=(server,), name="jobs-orphan", daemon=True).start()


def _exit_with(server: int) -> None:
    """End this worker once the server that started it has gone (killed, say, with no chance
    to shut its pool down): a worker waits on queues the server can no longer close, and would
    otherwise keep its memory, and the forkserver, for ever."""
    while _running_process(server):
        time.sleep(1.0)
    os._exit(0)


def _running_process(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the system
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie has gone too


def _ready() -> int:
    return os.getpid()


def _run(
    job_id: int,
    slot: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    seconds: float | None,
    what: str,
    event_arg: str | None,
) -> Any:
    """One job in a worker: the function with a budget that reads the job's stop flag."""
    flags, events = _flags, _events
    events.put((job_id, "start", None))
    budget = Budget(seconds=seconds, alive=lambda: flags[slot] == 0, what=what)
    extra: dict[str, Any] = {
        "progress": lambda message: events.put((job_id, "progress", str(message))),
        "budget": budget,
    }
    if event_arg:
        extra[event_arg] = lambda value: events.put((job_id, "event", value))
    budget.check()  # stopped while it waited for a worker
    return fn(*args, **kwargs, **extra)


# --- in the server --------------------------------------------------------------------------------


@dataclass(eq=False)
class Job:
    """One analysis in the pool; shared by every visitor who asked for the same key."""

    key: Hashable
    what: str
    id: int
    slot: int
    future: Future = field(repr=False)
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    used: float = field(default_factory=time.monotonic)
    message: str = ""
    events: list[Any] = field(default_factory=list)
    #: Why it stopped before finishing: "left" (nobody waits for it any more), or None.
    stopped: str | None = None
    _watchers: dict[Hashable, Callable[[], bool] | None] = field(default_factory=dict, repr=False)
    _pool: JobPool | None = field(default=None, repr=False)

    @property
    def state(self) -> str:
        """``"queued"``, ``"running"``, ``"done"``, ``"failed"`` or ``"stopped"``."""
        if not self.future.done():
            return "queued" if self.started is None else "running"
        if self.future.cancelled():
            return "stopped"
        error = self.future.exception()
        if error is None:
            return "done"
        return "stopped" if isinstance(error, Interrupted) and self.stopped else "failed"

    @property
    def seconds(self) -> float:
        """Seconds since it started (its whole run once finished); 0 while queued."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    def result(self) -> Any:
        """The result; raises the job's :class:`AnalyticsError` (or a bug's exception)."""
        try:
            return self.future.result(timeout=0)
        except CancelledError:
            raise Interrupted(f"{self.what} was stopped.") from None

    def wait(self, budget: Budget | None = None, who: Hashable = None, poll: float = 0.2) -> Any:
        """Block until done and return :meth:`result`, checking ``budget`` meanwhile: when it
        raises, watcher ``who`` lets go of the job (which stops if nobody else waits for it)."""
        while not self.future.done():
            if budget is not None:
                try:
                    budget.check()
                except Interrupted:
                    if self._pool is not None:
                        self._pool.leave(self, who)
                    raise
            try:
                self.future.exception(timeout=poll)
            except TimeoutError:
                continue
            except CancelledError:
                break
        return self.result()

    def watched_by(self, who: Hashable) -> bool:
        return who in self._watchers

    def leave(self, who: Hashable) -> None:
        """``who`` no longer waits for this job (pressed Stop); stops it if nobody else does."""
        if self._pool is not None:
            self._pool.leave(self, who)


class JobPool:
    """A few worker processes and the jobs they run, by key (see the module's description).

    Parameters
    ----------
    workers : int
        Worker processes (one per core is the natural choice).
    keep : int
        Finished jobs kept for reuse (their results), least recently used dropped first.
    ttl : float
        Seconds a finished job is kept after its last use.
    """

    def __init__(self, workers: int = 2, *, keep: int = 64, ttl: float = 3600.0) -> None:
        self.workers, self.keep, self.ttl = max(1, int(workers)), keep, ttl
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(PRELOAD))
        self._flags = self._context.Array("b", SLOTS, lock=False)
        self._events = self._context.SimpleQueue()
        self._lock = threading.RLock()
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._by_id: dict[int, Job] = {}
        self._free = list(range(SLOTS))
        self._next_id = 0
        self._closed = False
        self._executor = self._new_executor()
        # Workers start (the forkserver imports the analytics, about 3 s) in the background now,
        # not in the first visitor's page run.
        self._warming = threading.Thread(target=self._warm, name="jobs-warm", daemon=True)
        self._warming.start()
        self._reader = threading.Thread(target=self._read_events, name="jobs-events", daemon=True)
        self._reader.start()
        self._watcher = threading.Thread(target=self._watch, name="jobs-watch", daemon=True)
        self._watcher.start()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_start_worker,
            initargs=(self._flags, self._events, os.getpid()),
        )

    def _warm(self) -> None:
        with self._lock:
            executor = self._executor
        try:
            for future in [executor.submit(_ready) for _ in range(self.workers)]:
                future.result()
        except Exception:  # a pool that cannot start says so on its first job
            pass

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the workers have started (for benchmarks and tests)."""
        self._warming.join(timeout)

    # --- asking -------------------------------------------------------------------------------

    def submit(
        self,
        key: Hashable,
        fn: Callable[..., Any],
        /,
        *args: Any,
        what: str = "This analysis",
        seconds: float | None = None,
        watcher: tuple[Hashable, Callable[[], bool] | None] | None = None,
        event_arg: str | None = None,
        **kwargs: Any,
    ) -> Job:
        """The job of ``key``: the running or finished one, else ``fn(*args, **kwargs)`` started.

        ``fn`` must be importable by name (a module-level function) and its arguments and result
        picklable; it is called with ``progress`` and ``budget`` keyword arguments (and
        ``event_arg``, when given, as a callback for partial results). ``seconds`` limits its wall
        time once started. ``watcher`` is ``(who, alive)``: the job stops once every watcher has
        left or ``alive()`` has returned False; ``alive`` None never goes. A job nobody watches
        runs to its end.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the job pool is shut down")
            self._prune()
            job = self._jobs.get(key)
            if job is not None and (job.state == "stopped" or _retry(job)):
                self._drop(job)  # stopped, out of time or its worker died: asked again, it runs
                job = None
            if job is None:
                job = self._start(key, fn, args, kwargs, what, seconds, event_arg)
            if watcher is not None and not job.future.done():
                job._watchers[watcher[0]] = watcher[1]
            job.used = time.monotonic()
            self._jobs.move_to_end(key)
            return job

    def get(self, key: Hashable) -> Job | None:
        """The job of ``key`` if there is one (running, queued or finished)."""
        with self._lock:
            return self._jobs.get(key)

    def forget(self, key: Hashable) -> None:
        """Drop a finished job (its result is computed again when next asked for)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.future.done():
                self._drop(job)

    def leave(self, job: Job, who: Hashable) -> None:
        """``who`` stops waiting for ``job``; with nobody left, the job is stopped."""
        with self._lock:
            job._watchers.pop(who, None)
            if not job._watchers and not job.future.done():
                self._stop(job)

    def running(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if not j.future.done()]

    def shutdown(self) -> None:
        """Stop every job and the workers."""
        with self._lock:
            self._closed = True
            for job in list(self._jobs.values()):
                if not job.future.done():
                    self._stop(job)
            executor = self._executor
        executor.shutdown(wait=True, cancel_futures=True)
        self._events.put(None)
        self._reader.join(timeout=10)

    # --- inside ---------------------------------------------------------------------------------

    def _start(
        self,
        key: Hashable,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        what: str,
        seconds: float | None,
        event_arg: str | None,
    ) -> Job:
        if not self._free:
            raise AnalyticsError(
                "The server is running as many analyses as it can hold.",
                hint="Try again in a minute.",
            )
        slot = self._free.pop(0)
        self._flags[slot] = 0
        self._next_id += 1
        arguments = (self._next_id, slot, fn, args, kwargs, seconds, what, event_arg)
        try:
            future = self._executor.submit(_run, *arguments)
        except BrokenProcessPool:  # a worker died earlier: a new pool for new jobs
            self._executor = self._new_executor()
            future = self._executor.submit(_run, *arguments)
        job = Job(key, what, self._next_id, slot, future, _pool=self)
        self._jobs[key] = job
        self._by_id[job.id] = job
        future.add_done_callback(partial(self._finished, job))
        return job

    def _finished(self, job: Job, _: Future | None = None) -> None:
        with self._lock:
            job.finished = time.monotonic()
            job.used = job.finished
            job.started = job.started or job.finished  # its "start" may still be in the queue
            job._watchers.clear()
            if job.slot >= 0:
                self._flags[job.slot] = 0
                self._free.append(job.slot)
                job.slot = -1

    def _stop(self, job: Job) -> None:
        job.stopped = "left"
        if job.slot >= 0:
            self._flags[job.slot] = 1
        job.future.cancel()  # if it still waits for a worker

    def _drop(self, job: Job) -> None:
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        self._by_id.pop(job.id, None)

    def _prune(self) -> None:
        now = time.monotonic()
        finished = [j for j in self._jobs.values() if j.future.done()]
        for job in finished:
            if now - job.used > self.ttl:
                self._drop(job)
        finished = [j for j in self._jobs.values() if j.future.done()]
        for job in finished[: max(0, len(finished) - self.keep)]:  # oldest use first
            self._drop(job)

    def _read_events(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            job_id, kind, value = item
            with self._lock:
                job = self._by_id.get(job_id)
                if job is None:
                    continue
                if kind == "start":
                    job.started = time.monotonic()
                elif kind == "progress":
                    job.message = value
                else:
                    job.events.append(value)

    def _watch(self) -> None:
        while not self._closed:
            time.sleep(WATCH_SECONDS)
            for job in self.running():
                with self._lock:
                    watchers = list(job._watchers.items())
                gone = [who for who, alive in watchers if alive is not None and not _alive(alive)]
                for who in gone:
                    self.leave(job, who)


def _alive(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # a check that fails cannot keep a job alive
        return False


def _retry(job: Job) -> bool:
    """Failed for a reason that may not hold next time: its worker died, or it ran out of time
    (perhaps on a busy server)."""
    future = job.future
    if not future.done() or future.cancelled():
        return False
    return isinstance(future.exception(), (BrokenProcessPool, Interrupted))
