"""AppTest: saving a workspace, reopening it from its link in a new session with identical
results, changes saved as one works, the workspace list's actions, and the Report page."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.workspace import WorkspaceStore
from tests.app.test_pages import ROOT, TIMEOUT, app, metric, no_exception, texts


def save(at: AppTest, name: str) -> str:
    at.switch_page("pages/workspaces.py").run()
    at.text_input(key="ws.name").set_value(name)
    next(b for b in at.button if b.label in ("Save", "Save as a new workspace")).click().run()
    no_exception(at)
    assert any(f"Saved as “{name}”" in s.value for s in at.success), texts(at)
    return at.query_params["ws"]


def reopen(token: str) -> AppTest:
    """A new browser session whose address holds the token (a refresh, or after a restart)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["ws"] = token
    return at.run()


def results(at: AppTest) -> dict[str, object]:
    """What the analysis pages show: segment, rule and forecast tables and figures."""
    shown: dict[str, object] = {}
    at.switch_page("pages/segments.py").run()
    no_exception(at)
    shown["k"] = at.selectbox(key="w.seg.k").value
    shown["segment_names"] = sorted(
        t.value for t in at.text_input if t.label.startswith("Name of ")
    )
    shown["segments"] = [d.value.to_csv() for d in at.dataframe]
    shown["segment_metrics"] = [(m.label, m.value) for m in at.metric]
    at.switch_page("pages/basket.py").run()
    no_exception(at)
    shown["rules"] = metric(at, "Rules")
    shown["rules_table"] = [d.value.to_csv() for d in at.dataframe]
    at.switch_page("pages/forecast.py").run()
    no_exception(at)
    shown["forecast_metrics"] = [(m.label, m.value) for m in at.metric]
    shown["forecast_tables"] = [d.value.to_csv() for d in at.dataframe]
    return shown


def test_reopening_a_saved_workspace_reproduces_segments_rules_and_forecast():
    at = app()
    at.switch_page("pages/segments.py").run()
    at.selectbox(key="w.seg.k").set_value(4).run()
    next(t for t in at.text_input if t.label == "Name of Segment 1").set_value("Whales").run()
    at.switch_page("pages/basket.py").run()
    at.select_slider(key="w.basket.support").set_value(0.01).run()
    at.slider(key="w.basket.confidence").set_value(0.3).run()
    at.switch_page("pages/forecast.py").run()
    at.selectbox(key="w.forecast.model").set_value("ets").run()
    before = results(at)
    assert before["k"] == 4 and "Whales" in before["segment_names"]
    token = save(at, "Q4 review")
    assert len(token) >= 22

    st.cache_data.clear()  # the new session computes everything again
    again = reopen(token)
    no_exception(again)
    assert "Q4 review" in "\n".join(c.value for c in again.sidebar.caption)
    assert results(again) == before
    assert again.query_params["ws"] == token


def test_changes_are_saved_as_one_works_and_a_refresh_keeps_them():
    at = app()
    token = save(at, "Live")
    set_k(at, 5)
    at.switch_page("pages/overview.py").run()
    assert at.query_params["ws"] == token, "the address keeps the token on every page"
    again = reopen(token)
    again.switch_page("pages/segments.py").run()
    assert again.selectbox(key="w.seg.k").value == 5


def test_uploaded_data_and_its_roles_come_back(workspace_store):
    from tests.app.test_pages import ORDERS_CSV, upload

    at = app("app.py")
    at.switch_page("pages/data.py").run()
    upload(at, "orders.csv", ORDERS_CSV)
    token = save(at, "Orders")
    again = reopen(token)
    again.switch_page("pages/data.py").run()
    no_exception(again)
    assert "orders.csv" in texts(again)
    assert again.selectbox(key="w.role.customer_id").value == "client"
    assert "orders.csv" in "\n".join(c.value for c in again.sidebar.caption)


def test_a_link_to_a_deleted_workspace_says_so_and_opens_the_sample():
    at = app()
    token = save(at, "Gone soon")
    WorkspaceStore().delete(token)
    again = reopen(token)
    no_exception(again)
    assert any("could not be opened" in t.value for t in again.toast)
    assert "ws" not in again.query_params
    assert metric(again, "Revenue")


def set_k(at: AppTest, k: int) -> None:
    at.switch_page("pages/segments.py").run()
    at.selectbox(key="w.seg.k").set_value(k).run()


def test_list_open_rename_duplicate_delete():
    at = app()
    first = save(at, "First")
    set_k(at, 3)  # saved into First as one works
    second = save(at, "Second")  # a copy, which becomes the open one
    set_k(at, 5)
    assert first != second
    at.switch_page("pages/workspaces.py").run()
    assert at.query_params["ws"] == second
    assert sorted(at.dataframe[0].value["Name"]) == ["First", "Second"]

    at.selectbox(key="ws.pick").set_value(first).run()
    next(b for b in at.button if b.label == "Duplicate").click().run()
    assert "First (copy)" in list(at.dataframe[0].value["Name"])

    at.selectbox(key="ws.pick").set_value(first).run()
    at.text_input(key="ws.rename").set_value("First, renamed")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert "First, renamed" in list(at.dataframe[0].value["Name"])

    at.selectbox(key="ws.pick").set_value(first).run()
    next(b for b in at.button if b.label == "Open").click().run()
    no_exception(at)
    assert at.query_params["ws"] == first
    at.switch_page("pages/segments.py").run()
    assert at.selectbox(key="w.seg.k").value == 3
    assert WorkspaceStore().load(second).settings["w.seg.k"] == 5

    at.switch_page("pages/workspaces.py").run()
    at.selectbox(key="ws.pick").set_value(first).run()
    at.button(key="ws.delete").click().run()
    no_exception(at)
    assert "First, renamed" not in list(at.dataframe[0].value["Name"])
    assert "ws" not in at.query_params, "deleting the open workspace closes it"
    assert {w.name for w in WorkspaceStore().list_workspaces()} == {"Second", "First (copy)"}


def test_report_page_builds_a_report_of_every_section():
    at = app()
    at.switch_page("pages/segments.py").run()
    at.selectbox(key="w.seg.k").set_value(4).run()
    at.switch_page("pages/report.py").run()
    no_exception(at)
    assert "your settings on its page" in texts(at)
    assert "default settings" in texts(at)
    at.text_input(key="w.report.author").set_value("Ana")
    next(b for b in at.button if b.label == "Build the report").click().run()
    no_exception(at)
    shown = texts(at)
    for title in (
        "Dataset and quality",
        "Key figures",
        "Customer segments",
        "Bought together",
        "Forecast",
        "Who will churn or buy",
    ):
        assert f":material/check: **{title}**" in shown, shown
    assert " MB" in shown


def test_report_page_on_a_customer_list_leaves_out_what_does_not_apply():
    at = app()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="w.sample").set_value("customers").run()
    at.switch_page("pages/report.py").run()
    assert at.multiselect(key="w.report.sections").value == [
        "data",
        "segments",
        "propensity",
    ]
