"""The headless alert runner (issue 25): ``python -m analytics watch WORKSPACE`` checks a saved
workspace's rules, delivers and logs the alerts, and exits non-zero only on its own errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analytics.__main__ import main
from analytics.data import open_dataset
from analytics.monitor import AlertLog, AlertRule, simulated_orders
from analytics.monitor.run import MonitorParams, rules_entry
from analytics.monitor.simulate import BUSY_RATES
from analytics.report import Workspace, WorkspaceStore, owner_id

END = pd.Timestamp("2026-11-24 14:00")
RULE = AlertRule("Orders by country", metric="orders", condition="below", window="1h", by="country")


def saved(tmp_path, rules=(RULE,), monitor=None) -> tuple[WorkspaceStore, str]:
    lines = simulated_orders(
        END - pd.Timedelta(weeks=9),
        END,
        drop=("France", END - pd.Timedelta(hours=1), END, 0.5),
        rates=BUSY_RATES,
    )
    path = tmp_path / "orders.csv"
    lines.to_csv(path, index=False)
    opened = open_dataset(path)
    store = WorkspaceStore(tmp_path / "ws.sqlite")
    analyses = {"alerts": rules_entry(list(rules))}
    if monitor is not None:
        analyses["monitor"] = monitor.to_dict()
    workspace = Workspace(
        name="Live shop",
        table=opened.table,
        origin="upload",
        kind=opened.dataset.kind,
        mapping=opened.dataset.mapping,
        steps=(),
        analyses=analyses,
    )
    return store, store.save(workspace, owner=owner_id("me"))


def test_watch_once_raises_the_planted_alert_and_exits_0(tmp_path, capsys):
    store, token = saved(tmp_path)
    log = tmp_path / "alerts.jsonl"
    args = ["watch", token, "--store", str(store.path), "--once", "--now", str(END)]
    assert main([*args, "--log", str(log)]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [a["rule"] for a in record["alerts"]] == ["Orders by country"]
    assert "France" in record["alerts"][0]["findings"][0]
    (entry,) = AlertLog(log).entries()
    assert [f["group"] for f in entry["findings"]] == ["France"]
    # Inside the quiet period, a second run raises nothing, and still exits 0.
    assert main([*args, "--log", str(log)]) == 0
    assert len(AlertLog(log).entries()) == 1


def test_watch_by_name_with_the_default_log_beside_the_store(tmp_path, capsys):
    store, _token = saved(tmp_path)
    assert (
        main(["watch", "Live shop", "--store", str(store.path), "--once", "--now", str(END)]) == 0
    )
    (log,) = (tmp_path / "alerts").glob("*.jsonl")
    assert len(AlertLog(log).entries()) == 1


def test_watch_without_rules_says_so_and_exits_0(tmp_path, capsys):
    store, token = saved(tmp_path, rules=())
    assert main(["watch", token, "--store", str(store.path), "--once"]) == 0
    assert "no alert rules" in capsys.readouterr().out


@pytest.mark.parametrize(
    "problem",
    ["no such workspace", "live without a database", "missing secrets"],
)
def test_watch_fails_only_on_its_own_errors(tmp_path, capsys, problem):
    monitor = (
        MonitorParams(live_table="orders", live_column="order_id") if "live" in problem else None
    )
    store, token = saved(tmp_path, monitor=monitor)
    args = ["watch", token, "--store", str(store.path), "--once"]
    if problem == "no such workspace":
        args[1] = "nothing-like-it"
    if problem == "missing secrets":
        args += ["--secrets", str(tmp_path / "none.toml")]
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("error:")
