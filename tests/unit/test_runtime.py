"""The private Streamlit names pages/_runtime.py relies on still exist (fails on an upgrade that
moves them). The behaviour itself is tested end to end: a deep link on a fresh server opens the
page inside the app (tests/e2e/test_browser.py), closing a tab stops its forecast
(tests/e2e/test_security_browser.py)."""

from __future__ import annotations

import inspect

from streamlit import runtime
from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pages._runtime import ensure_inside_app, session_alive


def test_the_legacy_multipage_flag_is_where_the_routing_fix_reads_it():
    assert "uses_pages_directory" in vars(PagesManager)
    assert PagesManager.uses_pages_directory in (None, True, False)


def test_the_session_registry_answers_whether_a_visitor_is_connected():
    assert callable(runtime.exists) and callable(runtime.get_instance)
    assert callable(Runtime.is_active_session)
    assert get_script_run_ctx() is None  # outside a script run


def test_outside_a_served_app_the_session_never_goes_and_no_rerun_is_asked():
    assert session_alive()() is True
    PagesManager.uses_pages_directory, before = False, PagesManager.uses_pages_directory
    try:
        ensure_inside_app()  # not in legacy mode: nothing happens
    finally:
        PagesManager.uses_pages_directory = before


def test_a_server_loads_the_pages_modules_then_freezes_its_heap_once(monkeypatch):
    import gc

    from pages import _runtime

    assert _runtime.settle_heap() is None  # not served: nothing frozen in scripts and AppTest
    monkeypatch.setattr(_runtime, "served", lambda: True)
    monkeypatch.setattr(_runtime, "_settled", False)
    before = gc.get_freeze_count()
    try:
        thread = _runtime.settle_heap()
        assert thread is not None
        thread.join(300)
        assert gc.get_freeze_count() > before
        assert _runtime.settle_heap() is None  # once per server
    finally:
        gc.unfreeze()


def test_a_rerun_from_the_server_repeats_the_sessions_last_page(monkeypatch):
    """rerun_session hands the session's own last client state (its page, its query string) to
    AppSession.request_rerun, as Streamlit's rerun on a source change does; a gone session or
    one without that state is not rerun (the rerun would land on the default page)."""
    from streamlit.runtime.app_session import AppSession, AppSessionState

    from pages._runtime import rerun_session

    assert callable(AppSession.request_rerun) and callable(Runtime.get_app_session)
    source = inspect.getsource(AppSession.__init__)
    assert "self._client_state = ClientState()" in source
    assert "self._event_loop = asyncio.get_running_loop()" in source
    assert "self._state = AppSessionState.APP_NOT_RUNNING" in source
    assert AppSessionState.APP_IS_RUNNING.name == "APP_IS_RUNNING"

    class Loop:  # runs what is handed to it at once
        def is_closed(self):
            return False

        def call_soon_threadsafe(self, callback):
            callback()

    class Session:
        def __init__(self, state, running=False):
            self._client_state, self.asked, self._event_loop = state, [], Loop()
            self._state = AppSessionState.APP_IS_RUNNING if running else None

        def request_rerun(self, state):
            self.asked.append(state)

    sessions = {
        "here": Session("page two"),
        "blank": Session(None),
        "busy": Session("page one", running=True),
    }

    class Instance:
        def is_active_session(self, session_id):
            return session_id in sessions

        def get_app_session(self, session_id):
            return sessions.get(session_id)

    assert rerun_session("here") is False  # no server in a test run
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: Instance())
    assert rerun_session("here") is True
    assert sessions["here"].asked == ["page two"]
    assert rerun_session("gone") is False
    assert rerun_session("blank") is False and sessions["blank"].asked == []
    # A run already going on draws the page: it is not interrupted.
    assert rerun_session("busy") is True and sessions["busy"].asked == []
