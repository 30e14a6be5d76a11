"""Saved workspaces: exact round trips, list/rename/duplicate/delete, and saves killed midway."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.data import SAMPLE_FILES, load_table, open_dataset
from analytics.errors import AnalyticsError
from analytics.report import Workspace, WorkspaceStore, decode, encode, new_token, owner_id

ROOT = Path(__file__).resolve().parents[2]
ME = owner_id("my browser")
SETTINGS = {
    "w.seg.k": 4,
    "w.seg.name.abc.0": "Big spenders",
    "w.basket.support": 0.01,
    "w.overview.period": (dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
    "w.forecast.model": "ets",
    "w.basket.segments": ["Champions", "Loyal"],
    "w.propensity.cutoff.x": dt.date(2025, 9, 1),
    "w.flag": True,
    "w.none": None,
    "w.numpy": np.int64(7),
}


def workspace(path: Path, name: str = "Q4 review", **changes) -> Workspace:
    opened = open_dataset(path)
    fields = dict(
        name=name,
        table=opened.table,
        origin="sample",
        kind=opened.dataset.kind,
        mapping=opened.dataset.mapping,
        steps=("drop_duplicates",),
        settings=SETTINGS,
        analyses={"segments": {"k": 4, "features": "rfm", "names": {"Segment 1": "Big"}}},
    )
    return Workspace(**{**fields, **changes})


@pytest.fixture
def store(tmp_path) -> WorkspaceStore:
    return WorkspaceStore(tmp_path / "ws.sqlite")


def test_settings_keep_their_types_through_json():
    for value in [*SETTINGS.values(), {"a": (1, 2)}, [dt.datetime(2025, 1, 2, 3, 4)]]:
        back = decode(encode(value))
        assert back == value and type(back) is type(
            value.item() if hasattr(value, "item") else value
        )
    with pytest.raises(TypeError):
        encode(object())


@pytest.mark.parametrize("kind", list(SAMPLE_FILES))
def test_every_sample_comes_back_identical(store, kind):
    saved = workspace(ROOT / "data" / SAMPLE_FILES[kind])
    token = store.save(saved, owner=ME)
    back = store.load(token)
    assert back.table.fingerprint == saved.table.fingerprint
    pd.testing.assert_frame_equal(back.table.frame, saved.table.frame)
    assert back.cleaned().dataset.fingerprint == saved.cleaned().dataset.fingerprint
    assert (back.kind, back.mapping, back.steps) == (saved.kind, saved.mapping, saved.steps)
    assert back.settings == {**SETTINGS, "w.numpy": 7}
    assert back.analyses == saved.analyses
    assert (back.name, back.origin, back.token) == ("Q4 review", "sample", token)


def test_real_workbook_comes_back_identical(store, shared_datasets):
    table = load_table(shared_datasets / "online_retail_II_sample_2sheets.xlsx")
    opened = open_dataset(shared_datasets / "online_retail_II_sample_2sheets.xlsx")
    token = store.save(
        workspace(shared_datasets / "online_retail_II_sample_2sheets.xlsx"), owner=ME
    )
    back = store.load(token)
    assert back.table.fingerprint == table.fingerprint
    assert back.table.sheets == table.sheets and back.table.workbook_sheets == table.workbook_sheets
    assert back.cleaned().dataset.frame.equals(
        workspace(shared_datasets / "online_retail_II_sample_2sheets.xlsx").cleaned().dataset.frame
    )
    assert opened.dataset.kind == back.kind


def test_tokens_are_random_and_unguessable(store):
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) >= 22 and not t.isdigit() and not t.startswith("-") for t in tokens)
    first = store.save(workspace(ROOT / "data" / "customers.csv", "a"), owner=ME)
    second = store.save(workspace(ROOT / "data" / "customers.csv", "b"), owner=ME)
    assert first != second and not first.isdigit()


def test_a_token_never_starts_with_a_dash_the_command_line_would_read_as_an_option(monkeypatch):
    """1 token in 64 did, and ``python -m analytics report <token>`` then failed (a flaky test)."""
    drawn = iter(["-dashFirstToken0123456", "plainToken0123456789ab"])
    monkeypatch.setattr("analytics.report.workspace.secrets.token_urlsafe", lambda n: next(drawn))
    assert new_token() == "plainToken0123456789ab"


def test_list_rename_duplicate_delete(store):
    path = ROOT / "data" / "customers.csv"
    a = store.save(workspace(path, "Alpha"), owner=ME)
    b = store.save(workspace(ROOT / "data" / "daily_revenue.csv", "Beta"), owner=ME)
    assert {w.name for w in store.list_workspaces(ME)} == {"Alpha", "Beta"}
    store.rename(a, "  Alpha   final ", owner=ME)
    assert store.load(a).name == "Alpha final"
    copy = store.duplicate(a, "Alpha copy", owner=ME)
    assert copy not in (a, b)
    assert store.load(copy).settings == store.load(a).settings
    assert store.find("Alpha copy") == copy and store.find(b) == b
    store.delete(a, owner=ME)
    assert {w.name for w in store.list_workspaces(ME)} == {"Alpha copy", "Beta"}
    # The copy shares the table: deleting the original kept it; deleting both drops it.
    assert store.load(copy).table.n_rows > 0
    store.delete(copy, owner=ME)
    with store._connect() as conn:
        assert conn.execute("SELECT COUNT(*) FROM tables").fetchone()[0] == 1
    with pytest.raises(AnalyticsError, match="no saved workspace"):
        store.load(a)
    with pytest.raises(AnalyticsError, match="name"):
        store.rename(b, "   ", owner=ME)
    with pytest.raises(AnalyticsError, match="No workspace"):
        store.find("nothing")


def test_saving_again_updates_in_place(store):
    saved = workspace(ROOT / "data" / "customers.csv")
    token = store.save(saved, owner=ME)
    again = store.save(
        Workspace(**{**saved.__dict__, "token": token, "settings": {"w.seg.k": 6}}), owner=ME
    )
    assert again == token and len(store.list_workspaces(ME)) == 1
    assert store.load(token).settings == {"w.seg.k": 6}


def test_store_location_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETLENS_WORKSPACES", str(tmp_path / "elsewhere" / "x.sqlite"))
    store = WorkspaceStore()
    store.save(workspace(ROOT / "data" / "daily_revenue.csv"), owner=ME)
    assert (tmp_path / "elsewhere" / "x.sqlite").exists()


def test_unwritable_store_is_a_plain_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AnalyticsError, match="workspace store"):
        WorkspaceStore(blocker / "ws.sqlite").list_workspaces()


# --- killed in the middle of a save -----------------------------------------------------------------

_SAVER = """
import sys
import numpy as np
import pandas as pd
from analytics.data.io import LoadedTable
from analytics.data.schema import ColumnMapping
from analytics.report.workspace import Workspace, WorkspaceStore

store = WorkspaceStore(sys.argv[1])
rng = np.random.default_rng(int(sys.argv[2]))
for i in range(1000):
    n = 400_000
    frame = pd.DataFrame({"Date": pd.date_range("2020-01-01", periods=n, freq="min"),
                          "Revenue": rng.random(n), "Note": rng.integers(0, 10**9, n).astype(str)})
    table = LoadedTable(frame=frame, source=f"big{i}.csv", format="csv")
    ws = Workspace(name=f"big {i}", table=table, origin="upload", kind="series",
                   mapping=ColumnMapping(timestamp="Date", value="Revenue"), steps=(),
                   settings={"w.i": i})
    print("saving", flush=True)
    token = store.save(ws, owner="saver")
    print("saved", token, flush=True)
"""


def test_a_save_killed_midway_leaves_every_earlier_workspace_intact(tmp_path):
    path = tmp_path / "ws.sqlite"
    store = WorkspaceStore(path)
    earlier = {
        store.save(workspace(ROOT / "data" / SAMPLE_FILES[kind], kind), owner=ME): kind
        for kind in SAMPLE_FILES
    }
    fingerprints = {t: store.load(t).table.fingerprint for t in earlier}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed_mid_save = 0
    for round_ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(path), str(round_)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout is not None
        # Wait for the start of a save (after 0-2 completed ones), then kill it part-way.
        starts = 0
        for line in child.stdout:
            if line.startswith("saving"):
                starts += 1
                if starts == round_ % 3 + 1:
                    break
        time.sleep(0.05 + 0.07 * round_)
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait()
        if "saved" not in rest.split("saving")[-1]:
            killed_mid_save += 1
        assert store.check() == "ok"
        for token, kind in earlier.items():
            back = store.load(token)
            assert back.name == kind and back.table.fingerprint == fingerprints[token]
            assert back.settings["w.seg.k"] == 4
        # Every save reported as done is complete; none half-written is listed.
        for info in store.list_workspaces():
            if info.name.startswith("big"):
                loaded = store.load(info.token)
                assert loaded.table.n_rows == 400_000 == info.n_rows
    assert killed_mid_save >= 3, "the kills should land inside saves"
    assert store.check() == "ok"


# --- owners, read-only links, quotas -----------------------------------------------------------------

OTHER = owner_id("someone else's browser")


def test_owners_see_only_their_own_workspaces(store):
    mine = store.save(workspace(ROOT / "data" / "customers.csv", "Mine"), owner=ME)
    theirs = store.save(workspace(ROOT / "data" / "daily_revenue.csv", "Theirs"), owner=OTHER)
    assert [w.name for w in store.list_workspaces(ME)] == ["Mine"]
    assert [w.name for w in store.list_workspaces(OTHER)] == ["Theirs"]
    everything = {w.name: w.owners for w in store.list_workspaces()}  # the operator's view
    assert everything == {"Mine": ((ME, "browser"),), "Theirs": ((OTHER, "browser"),)}
    assert store.owns(mine, ME) and not store.owns(theirs, ME)


def test_changes_by_someone_who_does_not_own_it_are_refused(store):
    theirs = store.save(workspace(ROOT / "data" / "customers.csv", "Theirs"), owner=OTHER)
    with store._connect() as conn:
        before = conn.execute("SELECT * FROM workspaces").fetchall()
    saved = store.load(theirs)
    for attempt in (
        lambda: store.save(Workspace(**{**saved.__dict__, "name": "Hacked"}), owner=ME),
        lambda: store.rename(theirs, "Hacked", owner=ME),
        lambda: store.delete(theirs, owner=ME),
        lambda: store.duplicate(theirs, "Mine now", owner=ME),
        lambda: store.view_token(theirs, owner=ME),
    ):
        with pytest.raises(AnalyticsError, match="not in your list"):
            attempt()
    with store._connect() as conn:
        assert conn.execute("SELECT * FROM workspaces").fetchall() == before
    assert store.list_workspaces(ME) == []


def test_an_edit_link_adopts_and_a_view_link_only_reads(store):
    token = store.save(workspace(ROOT / "data" / "customers.csv", "Shared"), owner=OTHER)
    view = store.view_token(token, owner=OTHER)
    assert view != token and len(view) >= 22
    seen = store.load_view(view)
    assert seen.name == "Shared" and seen.token == "", "a viewer never learns the edit token"
    assert seen.settings == store.load(token).settings
    with pytest.raises(AnalyticsError, match="no saved workspace"):
        store.load(view)  # a view token is not an edit token
    with pytest.raises(AnalyticsError, match="no saved workspace"):
        store.load_view(token)
    store.adopt(token, owner=ME)
    assert [w.name for w in store.list_workspaces(ME)] == ["Shared"]
    store.rename(token, "Shared (edited)", owner=ME)
    assert store.load(token).name == "Shared (edited)"
    with pytest.raises(AnalyticsError, match="no saved workspace"):
        store.adopt("no-such-token", owner=ME)


def test_a_name_shared_by_several_workspaces_is_not_resolved_to_the_newest(store):
    mine = store.save(workspace(ROOT / "data" / "customers.csv", "Q4 review"), owner=ME)
    store.save(workspace(ROOT / "data" / "daily_revenue.csv", "Q4 review"), owner=OTHER)
    with pytest.raises(AnalyticsError, match="2 workspaces are called 'Q4 review'"):
        store.find("Q4 review")
    assert store.find("Q4 review", owner=ME) == mine
    assert store.find(mine) == mine
    assert store.find_name("  Q4   review ", owner=ME) == mine
    assert store.find_name("Q4 review", owner=owner_id("a third browser")) is None


def test_the_operator_removes_one_owners_workspaces(store):
    only_mine = store.save(workspace(ROOT / "data" / "customers.csv", "Only mine"), owner=ME)
    shared = store.save(workspace(ROOT / "data" / "daily_revenue.csv", "Shared"), owner=ME)
    store.adopt(shared, owner=OTHER)
    assert store.delete_owner(ME) == 1
    assert [w.name for w in store.list_workspaces()] == ["Shared"]
    assert store.list_workspaces(ME) == [] and store.owns(shared, OTHER)
    with pytest.raises(AnalyticsError):
        store.load(only_mine)
    store.delete_any(shared)
    assert store.list_workspaces() == []


def test_each_owner_has_a_quota_and_the_store_a_cap(store, monkeypatch):
    store.save(workspace(ROOT / "data" / "customers.csv", "Small"), owner=ME)
    used = store.usage(ME)
    assert 0 < used == store.usage()
    monkeypatch.setenv("MARKETLENS_OWNER_QUOTA_MB", str(used * 1.5 / 1024**2))
    with pytest.raises(AnalyticsError, match=r"over the .* MB each person may keep"):
        store.save(workspace(ROOT / "data" / "transactions.csv", "Big"), owner=ME)
    assert [w.name for w in store.list_workspaces(ME)] == ["Small"], "nothing half-saved"
    # Someone else is not held back by my quota, only by the store's cap.
    store.save(workspace(ROOT / "data" / "daily_revenue.csv", "Theirs"), owner=OTHER)
    monkeypatch.delenv("MARKETLENS_OWNER_QUOTA_MB")
    monkeypatch.setenv("MARKETLENS_STORE_QUOTA_MB", str(store.usage() / 1024**2))
    with pytest.raises(AnalyticsError, match="store is full"):
        store.save(workspace(ROOT / "data" / "baskets.csv", "More"), owner=OTHER)


def test_a_store_from_before_owners_gets_view_tokens_and_stays_readable(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    store = WorkspaceStore(path)
    token = store.save(workspace(ROOT / "data" / "customers.csv", "Old"), owner=ME)
    with sqlite3.connect(path) as conn:  # as the store of issue 8 wrote it
        conn.execute("DROP TABLE owners")
        conn.execute("DROP INDEX workspaces_view")
        conn.execute("ALTER TABLE workspaces DROP COLUMN view_token")
    assert store.load(token).name == "Old"
    assert store.list_workspaces(ME) == []  # no one owns it until its edit link is opened
    store.adopt(token, owner=ME)
    assert store.view_token(token, owner=ME)
