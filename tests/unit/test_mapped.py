"""A session's text columns memory-mapped from Arrow files (issue 24: one copy of a session's data,
Arrow-backed): same content, dtypes and index, no heap copy, files shared and pruned."""

from __future__ import annotations

import stat

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analytics.data import DataState, load_table
from analytics.data.mapped import (
    CAP_ENV,
    FOLDER_ENV,
    MIN_BYTES_ENV,
    _chunked,
    is_mapped,
    map_text,
    text_bytes,
)
from analytics.segments import compute_rfm


@pytest.fixture
def frames_folder(tmp_path, monkeypatch):
    folder = tmp_path / "frames"
    monkeypatch.setenv(FOLDER_ENV, str(folder))
    return folder


def _frame(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(["mug", "tea", "cup", "日本茶", "gift box", ""], dtype=object)
    text = pd.Series(rng.choice(words, n), dtype="str")
    text[::7] = np.nan
    return pd.DataFrame(
        {
            "order": pd.Series([f"A{i:07d}" for i in range(n)], dtype="str"),
            "product": text,
            "qty": rng.integers(1, 5, n),
            "when": pd.date_range("2024-01-01", periods=n, freq="min"),
            "note": pd.Series(rng.choice(["x", None], n), dtype=object),  # not Arrow-backed: left
        },
        index=pd.RangeIndex(10, 10 + 2 * n, 2),
    )


def test_mapping_keeps_content_dtypes_and_index_and_moves_text_off_the_heap(frames_folder):
    frame = _frame()
    before = pa.total_allocated_bytes()
    text = text_bytes(frame)
    assert text > 0
    mapped = map_text(frame, "k1", threshold=0)
    pd.testing.assert_frame_equal(mapped, frame)
    assert list(mapped.dtypes) == list(frame.dtypes)
    assert mapped.index.equals(frame.index)
    assert is_mapped(_chunked(mapped["order"])) and is_mapped(_chunked(mapped["product"]))
    assert text_bytes(mapped) == 0  # nothing left to map
    assert mapped["qty"].dtype == frame["qty"].dtype and mapped["note"].dtype == object
    del frame
    # The text's Arrow buffers are freed: only the mapped file holds it now.
    assert pa.total_allocated_bytes() <= before - 0.9 * text
    (path,) = frames_folder.glob("*.arrow")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(frames_folder.stat().st_mode) == 0o700


def test_small_frames_stay_as_they_are(frames_folder, monkeypatch):
    monkeypatch.delenv(MIN_BYTES_ENV, raising=False)
    frame = _frame(100)
    assert map_text(frame, "k2") is frame  # below the 16 MiB default
    assert not frames_folder.exists() or not list(frames_folder.glob("*.arrow"))


def test_the_same_content_maps_one_file_and_a_mapped_frame_is_not_written_again(frames_folder):
    frame = _frame()
    first = map_text(frame, "same", threshold=0)
    second = map_text(frame.copy(), "same", threshold=0)
    again = map_text(first, "other-key", threshold=0)
    assert again is first
    assert len(list(frames_folder.glob("*.arrow"))) == 1
    pd.testing.assert_frame_equal(second, frame)


def test_pruned_files_stay_readable_while_mapped(frames_folder, monkeypatch):
    monkeypatch.setenv(CAP_ENV, "0")  # every older file goes as soon as another is written
    one = map_text(_frame(seed=1), "one", threshold=0)
    two = map_text(_frame(seed=2), "two", threshold=0)
    assert len(list(frames_folder.glob("*.arrow"))) == 1  # "one" was removed from the folder
    pd.testing.assert_frame_equal(one, _frame(seed=1))  # but its mapping lasts
    pd.testing.assert_frame_equal(two, _frame(seed=2))


def test_a_folder_that_cannot_be_written_keeps_the_frame_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(FOLDER_ENV, str(blocker / "frames"))
    frame = _frame()
    assert map_text(frame, "k3", threshold=0) is frame


def test_a_mapped_session_gives_the_same_analyses_and_one_copy_of_its_text(sample, frames_folder):
    lines = sample.transactions.iloc[:30_000]
    table = load_table(lines.to_csv(index=False).encode(), name="orders.csv")
    plain = DataState.propose(table, "upload")
    assert plain.cleaned is not None and plain.cleaned.rows_removed > 0  # a filtered copy
    state = DataState.propose(table.text_mapped(threshold=0), "upload").text_mapped(threshold=0)
    assert state.cleaned is not None and state.original is not None
    for frame in (state.table.frame, state.original.frame, state.cleaned.dataset.frame):
        assert text_bytes(frame) == 0
    # The mapped dataset shares the table's file; the cleaned one has its own: two files.
    assert len(list(frames_folder.glob("*.arrow"))) == 2
    pd.testing.assert_frame_equal(state.cleaned.dataset.frame, plain.cleaned.dataset.frame)
    assert state.cleaned.dataset.fingerprint == plain.cleaned.dataset.fingerprint
    pd.testing.assert_frame_equal(
        compute_rfm(state.cleaned.dataset).customers, compute_rfm(plain.cleaned.dataset).customers
    )
    # Changing the cleaning and the roles works on mapped frames as on the heap.
    fewer = state.with_steps(("drop_duplicates",)).text_mapped(threshold=0)
    assert fewer.cleaned is not None
    assert (
        fewer.cleaned.dataset.n_rows
        == plain.with_steps(("drop_duplicates",)).cleaned.dataset.n_rows
    )
    assert state.text_mapped(threshold=0) is state  # mapped already: nothing to do
