"""Memory of a long-running server that holds large tables: handing freed memory back.

A server that has read a 199 MB upload keeps, besides the table, the scratch space of reading and
cleaning it: pyarrow's pool keeps what it freed for reuse, and so does glibc's allocator, spread
over one arena per thread. ``release_memory`` after a page run hands both back;
``tune_allocator`` (once, at start) makes glibc give large blocks straight back to the system and
use fewer arenas. Measured by bench/limits.py: two 199 MB uploads at once peaked at 3.3 GB before
these and the other changes of issue 19, then under 2.8 GB; with the personal-data scan of issue
23 reading each upload once more, 3.6 GB (resident sets of the server and its workers, 2026-12-04).
"""

from __future__ import annotations

import ctypes

import pyarrow as pa

# glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def tune_allocator() -> None:
    """Blocks of 128 kB and more come from (and go back to) the system directly, and at most two
    malloc arenas are used. No effect outside glibc."""
    if _LIBC is not None:
        _LIBC.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
        _LIBC.mallopt(_M_ARENA_MAX, 2)


def release_memory() -> None:
    """Hand memory freed but kept for reuse back to the system (pyarrow's pool, glibc's heap)."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
