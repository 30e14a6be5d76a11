"""AppTest: saving a workspace, reopening it from its link in a new session with identical
results, changes saved as one works, the workspace list's actions, and the Report page."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.report import WorkspaceStore
from tests.app.test_pages import ROOT, TIMEOUT, app, metric, no_exception, texts


def save(at: AppTest, name: str) -> str:
    at.switch_page("pages/workspaces.py").run()
    at.text_input(key="ws.name").set_value(name)
    next(b for b in at.button if b.label == "Save").click().run()
    no_exception(at)
    assert any(f"Saved “{name}”" in s.value for s in at.success), texts(at)
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
    next(s for s in at.select_slider if s.label == "Minimum support").set_value(0.01).run()
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
    WorkspaceStore().delete_any(token)
    again = reopen(token)
    no_exception(again)
    failed = [t for t in again.toast if "could not be opened" in t.value]
    assert failed and failed[0].proto.duration == 0, "stays until closed"
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
    at.button(key="ws.delete_yes").click().run()
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


# --- issue 19: clear saving, owners, read-only links ------------------------------------------------


def names(at: AppTest) -> list[str]:
    return sorted(at.dataframe[0].value["Name"]) if at.dataframe else []


def press_save(at: AppTest, name: str) -> AppTest:
    """Type a name and submit the form (what Enter in the box does too)."""
    at.switch_page("pages/workspaces.py").run()
    at.text_input(key="ws.name").set_value(name)
    next(b for b in at.button if b.label == "Save").click().run()
    no_exception(at)
    return at


def test_saving_the_open_workspace_again_saves_over_it_not_a_copy():
    at = app()
    token = save(at, "Quarterly")
    press_save(at, "Quarterly")
    press_save(at, "Quarterly")
    assert names(at) == ["Quarterly"] and at.query_params["ws"] == token
    assert any("Saved “Quarterly”" in t.value for t in at.toast)


def test_saving_under_the_name_of_another_workspace_asks_first():
    at = app()
    first = save(at, "Alpha")
    set_k(at, 3)
    save(at, "Beta")
    set_k(at, 6)
    press_save(at, "Alpha")
    assert any("already have a workspace called" in w.value for w in at.warning)
    assert names(at) == ["Alpha", "Beta"]
    assert WorkspaceStore().load(first).settings["w.seg.k"] == 3, "nothing replaced yet"
    at.button(key="ws.overwrite_no").click().run()
    assert not at.warning and names(at) == ["Alpha", "Beta"]

    press_save(at, "Alpha")
    next(b for b in at.button if b.label == "Save over “Alpha”").click().run()
    no_exception(at)
    assert names(at) == ["Alpha", "Beta"]
    assert WorkspaceStore().load(first).settings["w.seg.k"] == 6
    assert at.query_params["ws"] == first
    assert any("Saved over “Alpha”" in t.value for t in at.toast)


def test_delete_asks_first():
    at = app()
    token = save(at, "Keep me?")
    at.switch_page("pages/workspaces.py").run()
    at.button(key="ws.delete").click().run()
    assert any("for good?" in w.value for w in at.warning)
    assert names(at) == ["Keep me?"]
    at.button(key="ws.delete_no").click().run()
    assert not at.warning and names(at) == ["Keep me?"]
    at.button(key="ws.delete").click().run()
    at.button(key="ws.delete_yes").click().run()
    no_exception(at)
    assert names(at) == [] and any("Deleted “Keep me?”" in t.value for t in at.toast)
    assert not WorkspaceStore().list_workspaces()
    assert WorkspaceStore().find_name("Keep me?", owner="x") is None and token


def store_rows() -> list[tuple]:
    store = WorkspaceStore()
    with store._connect() as conn:
        return [
            *conn.execute("SELECT * FROM workspaces ORDER BY token").fetchall(),
            *conn.execute("SELECT * FROM owners ORDER BY token, owner").fetchall(),
        ]


def test_another_visitor_sees_none_of_my_workspaces_and_a_read_only_link_changes_nothing():
    mine = app()
    set_k(mine, 4)
    token = save(mine, "Board pack")
    mine.switch_page("pages/workspaces.py").run()
    view_link = mine.code[1].value
    assert "?view=" in view_link and token not in view_link
    view = view_link.rsplit("=", 1)[1]

    theirs = app("pages/workspaces.py")  # another browser: another owner key
    assert names(theirs) == [] and "Board pack" not in texts(theirs)
    before = store_rows()

    reader = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    reader.query_params["view"] = view
    reader.run()
    no_exception(reader)
    assert "read-only link" in "\n".join(c.value for c in reader.sidebar.caption)
    reader.switch_page("pages/segments.py").run()
    assert reader.selectbox(key="w.seg.k").value == 4, "the saved settings are shown"
    reader.selectbox(key="w.seg.k").set_value(6).run()  # exploring is allowed …
    no_exception(reader)
    reader.switch_page("pages/workspaces.py").run()
    assert "through a read-only link" in texts(reader)
    next(b for b in reader.button if b.label == "Save").click().run()  # trying to save …
    no_exception(reader)
    assert any("cannot be saved, renamed or deleted" in e.value for e in reader.error)
    assert names(reader) == [] and store_rows() == before, "… saves nothing"
    assert "ws" not in reader.query_params and reader.query_params["view"] == view


def test_a_read_only_session_never_holds_the_edit_token():
    """Whatever a crafted request makes the page do, the session has no token to save with."""
    mine = app()
    token = save(mine, "Shared")
    mine.switch_page("pages/workspaces.py").run()
    view = mine.code[1].value.rsplit("=", 1)[1]
    before = store_rows()
    reader = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    reader.query_params["view"] = view
    reader.run()
    current = reader.session_state["ml.workspace"]
    assert current.read_only and current.token == "", "the session never holds the edit token"
    assert current.view_token == view and token != view
    assert store_rows() == before


def test_an_edit_link_adds_the_workspace_to_the_visitors_list():
    mine = app()
    token = save(mine, "Handover")
    colleague = reopen(token)
    colleague.switch_page("pages/workspaces.py").run()
    assert names(colleague) == ["Handover"]
    set_k(colleague, 7)
    assert WorkspaceStore().load(token).settings["w.seg.k"] == 7


AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-secret",
    "client_id": "marketlens",
    "client_secret": "s3cret",
    "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
}


def signed_in(sub: str, page: str = "pages/workspaces.py") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "sub": sub, "iss": "http://idp", "email": f"{sub}@example.org"}
    at.run()
    at.switch_page(page).run()
    no_exception(at)
    return at


def test_signed_in_workspaces_follow_the_account_not_the_browser():
    first_browser = signed_in("ursula")
    save(first_browser, "Ursula's analysis")
    second_browser = signed_in("ursula")
    assert names(second_browser) == ["Ursula's analysis"]
    assert "ursula@example.org" in texts(second_browser)
    assert names(signed_in("victor")) == []
    anonymous = app("pages/workspaces.py")
    assert names(anonymous) == []


def test_the_report_reuses_what_the_pages_computed(monkeypatch):
    import analytics.report.document as document
    import pages._cached as cached

    calls: list[str] = []
    for name in ("run_segmentation", "run_forecast", "fit_propensity", "run_rules"):
        for module in (cached, document):
            real = getattr(module, name)

            def counted(*args, _real=real, _name=name, **kwargs):
                calls.append(_name)
                return _real(*args, **kwargs)

            monkeypatch.setattr(module, name, counted)
    at = app()
    for page in ("segments", "basket", "forecast", "propensity"):
        at.switch_page(f"pages/{page}.py").run()
        no_exception(at)
    calls.clear()
    at.switch_page("pages/report.py").run()
    next(b for b in at.button if b.label == "Build the report").click().run()
    no_exception(at)
    assert ":material/check: **Who will churn or buy**" in texts(at)
    assert calls == [], "the report computed again what the pages had computed"
