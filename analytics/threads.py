"""How many threads the native libraries under a computation may use (OpenBLAS, OpenMP).

Small fits are faster on one thread: on the bundled sample (2,756 customers) scikit-learn's
histogram gradient boosting took 5.7 s over its 5 folds with two OpenMP threads and 2.4 s with
one, and the forecasts' Kalman filters spent twice the CPU with a second OpenBLAS thread for the
same wall time. On a server shared by several visitors a second thread is also someone else's
core. Large data keeps the libraries' defaults (on 45,211 bank-marketing rows two threads were
faster: 14.6 s against 19.5 s).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import threadpoolctl
from threadpoolctl import threadpool_limits

#: Fewer rows than this fit on one OpenMP thread (the crossover measured on generated churn data:
#: 18,222 customers took 3.8 s either way; 7,043 Telco customers 3.3 s on one, 4.9 s on two).
SMALL_ROWS = 20_000

_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit: threadpool_limits | None = None


def _take_blas_control() -> None:
    """Let the calling thread set OpenBLAS's thread count (called under ``_blas_lock``).

    threadpoolctl 3.8 lets only one thread at a time set a process-wide OpenBLAS limit: the first
    to set one, until that thread ends, and the others' calls do nothing, silently. Here the last
    caller to leave restores the limit, usually not the thread that set it, which was still alive
    (a waiting visitor): the restore did nothing and one thread stuck for good. This module
    serialises its callers itself, so it hands control to whichever thread acts.
    """
    controller = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(controller, "clear_controlling_thread", None)
    if clear is not None:  # threadpoolctl < 3.8 has no such rule
        clear(force=True)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """OpenBLAS on one thread while any caller is inside.

    OpenBLAS's thread count is one setting for the whole process, so overlapping callers (two
    visitors' forecasts) share one limit: the first sets it, the last restores what was there.
    """
    global _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            _take_blas_control()
            _blas_limit = threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _take_blas_control()
                _blas_limit.restore_original_limits()
                _blas_limit = None


@contextmanager
def threads_for(rows: int) -> Iterator[None]:
    """One thread for a fit on fewer than ``SMALL_ROWS`` rows, the libraries' defaults otherwise.

    OpenMP's thread count is set for the calling thread only, so one visitor's small fit does not
    change another's; OpenBLAS's is shared (:func:`one_blas_thread`).
    """
    if rows >= SMALL_ROWS:
        yield
        return
    with one_blas_thread(), threadpool_limits(limits=1, user_api="openmp"):
        yield
