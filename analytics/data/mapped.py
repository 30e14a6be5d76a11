"""Text columns kept in Arrow files on disk and mapped into memory, not copied into it.

pandas 3 keeps text Arrow-backed, and text is most of an order export's size. A session holding a
large upload keeps the table as read, the mapped dataset and the cleaned one. The mapped dataset
shares the table's columns, but cleaning that removes rows makes new ones. :func:`map_text` writes
a frame's text columns once to an Arrow IPC file and maps that file back: the columns keep their
dtype, the frame its index and other columns, and the text costs no heap memory. Its pages belong
to the file: every session that maps the same content shares them, and the kernel drops them
under memory pressure and reads them again when touched.

Files are named by a content hash, written atomically, readable by the server's user only, and
removed oldest first past a total size (``MARKETLENS_FRAME_CAP_GB``, 8 GiB by default). Removing
a file a frame still maps is safe: the mapping lasts until the frame is gone.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

#: Where the files are kept (default: a folder in the system's temporary directory).
FOLDER_ENV = "MARKETLENS_FRAME_FOLDER"

#: Frames whose text columns hold fewer bytes than this stay in memory (default 16 MiB).
MIN_BYTES_ENV = "MARKETLENS_FRAME_MIN_BYTES"

#: The folder's size cap in GiB (default 8): past it, the oldest files are removed.
CAP_ENV = "MARKETLENS_FRAME_CAP_GB"

DEFAULT_MIN_BYTES = 16 * 2**20
DEFAULT_CAP_GB = 8.0

_LOCK = threading.Lock()

#: The address ranges (start, size) of the files this process mapped, newest last: a column whose
#: buffers all lie in one of them is mapped already (a stale range only keeps a column in memory).
_RANGES: dict[tuple[int, int], None] = {}

_MAX_RANGES = 256


def folder() -> Path:
    """The folder of mapped files (created readable by the server's user only)."""
    path = Path(
        os.environ.get(FOLDER_ENV)
        or Path(tempfile.gettempdir()) / f"marketlens-frames-{os.getuid()}"
    )
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def min_bytes() -> int:
    """The text size from which a frame's text is mapped (``MARKETLENS_FRAME_MIN_BYTES``)."""
    value = os.environ.get(MIN_BYTES_ENV)
    return DEFAULT_MIN_BYTES if value in (None, "") else int(value)


def is_text(series: pd.Series) -> bool:
    """Whether a column is Arrow-backed text (pandas 3's default ``str`` dtype is)."""
    dtype = series.dtype
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _chunked(series: pd.Series) -> pa.ChunkedArray:
    array = pa.array(series.array)  # Arrow-backed: the same buffers, no copy
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def is_mapped(array: pa.ChunkedArray) -> bool:
    """Whether every buffer of the array lies in a file this process mapped."""
    ranges = list(_RANGES)
    buffers = [b for chunk in array.chunks for b in chunk.buffers() if b is not None and b.size]
    return bool(buffers) and all(
        any(start <= b.address and b.address + b.size <= start + size for start, size in ranges)
        for b in buffers
    )


def text_bytes(frame: pd.DataFrame) -> int:
    """The bytes held by a frame's Arrow-backed text columns that are not mapped yet."""
    total = 0
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if is_text(column):
            array = _chunked(column)
            if not is_mapped(array):
                total += array.nbytes
    return total


def map_text(frame: pd.DataFrame, key: str, *, threshold: int | None = None) -> pd.DataFrame:
    """The frame with its Arrow-backed text columns read from a memory-mapped Arrow file.

    ``key`` is a content hash of the frame (a table's or dataset's fingerprint): equal keys must
    mean equal content. Columns mapped already, other dtypes and the index are left as they are.
    Below ``threshold`` bytes of text (:func:`min_bytes` when None) the frame is returned as it is.
    """
    texts = [
        (p, _chunked(frame.iloc[:, p])) for p in range(frame.shape[1]) if is_text(frame.iloc[:, p])
    ]
    unmapped = [(p, array) for p, array in texts if not is_mapped(array)]
    positions = [p for p, _array in unmapped]
    arrays = [array for _p, array in unmapped]
    if not arrays or sum(a.nbytes for a in arrays) < (
        min_bytes() if threshold is None else threshold
    ):
        return frame
    shape = repr([(str(frame.columns[p]), len(frame)) for p in positions]).encode()
    name = f"{key}-{hashlib.blake2b(shape, digest_size=8).hexdigest()}.arrow"
    table = pa.table({f"c{i}": array for i, array in enumerate(arrays)})
    try:
        buffer = _mapped_file(folder() / name, table)
    except OSError:  # no room or no folder: the frame stays in memory, as before
        return frame
    mapped = ipc.open_file(buffer).read_all()
    out = frame.copy(deep=False)
    for i, position in enumerate(positions):
        back = mapped.column(i).to_pandas()
        if back.dtype == frame.iloc[:, position].dtype:  # never change what a column holds
            out.isetitem(position, back.array)
    return out


def _mapped_file(path: Path, table: pa.Table) -> pa.Buffer:
    """The file's whole content as one memory-mapped buffer (written first when missing)."""
    for attempt in range(2):
        _write(path, table)
        try:
            buffer = pa.memory_map(str(path)).read_buffer()
        except FileNotFoundError:  # removed by another server process just now
            if attempt:
                raise
            continue
        with _LOCK:
            _RANGES[(buffer.address, buffer.size)] = None
            while len(_RANGES) > _MAX_RANGES:
                del _RANGES[next(iter(_RANGES))]
        return buffer
    raise AssertionError("unreachable")


def _write(path: Path, table: pa.Table) -> Path:
    """Write the file once (atomically; a file of the same name holds the same content)."""
    if path.exists():
        os.utime(path)
        return path
    partial = path.with_name(f".{uuid.uuid4().hex}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(partial, path)
    _prune(path.parent, keep=path)
    return path


def _prune(where: Path, keep: Path) -> None:
    """Remove the oldest files past the folder's size cap (and partial files over an hour old)."""
    cap = float(os.environ.get(CAP_ENV) or DEFAULT_CAP_GB) * 2**30
    files = []
    for path in where.iterdir():
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        if path.name.endswith(".partial"):
            if time.time() - stat.st_mtime > 3600:
                path.unlink(missing_ok=True)
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _mtime, size, _path in files)
    for _mtime, size, path in sorted(files, key=lambda item: item[0]):
        if total <= cap:
            break
        if path != keep:  # a frame mapping it keeps its pages until it is gone
            path.unlink(missing_ok=True)
            total -= size
