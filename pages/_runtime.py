"""The app's contact with Streamlit beyond its public ``st.*`` API: routing, and live sessions.

This is the only module of the project that may import a private ``streamlit.*`` module
(tests/unit/test_imports.py checks it), so a Streamlit upgrade that moves one breaks here and in
tests/unit/test_runtime.py, nowhere else.

**Routing.** The product's layout keeps the page scripts in ``pages/``, the folder name of
Streamlit's legacy multipage mode. Streamlit (checked up to 1.67) starts a fresh server in that
mode, and only the first ``st.navigation`` call switches it off for the process; no setting turns
it off. Until app.py has run once, a visitor who opens ``/data`` directly gets pages/data.py run
alone, with every file of ``pages/`` listed as a page and no app.py around it.
:func:`ensure_inside_app` notices that run, switches the mode off and reruns: the rerun goes
through app.py and lands on the same page. The flag changes at most once per server process.

**Live sessions.** Long work polls :func:`session_alive` and stops when the visitor has closed
the tab: Streamlit only stops a script at its next Streamlit call, which a long computation does
not make. Streamlit has no public API for it; the runtime's session registry answers it.

**Reruns from the server.** :func:`rerun_session` runs a visitor's current page again from
another thread, as Streamlit does itself when a source file changes (the session's last page and
query string, no widget changes): the job pool uses it when a visitor's page missed that their
job had finished (pages/_jobs.py).
"""

from __future__ import annotations

import gc
import importlib
import threading
import time
from collections.abc import Callable

import streamlit as st


def ensure_inside_app() -> None:
    """Call first on every page: a run in the legacy mode is redone through app.py."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets
        st.rerun()


#: A session counts as gone once it has been disconnected this long (a reconnect is quicker).
GONE_AFTER_SECONDS = 1.0


def session_alive() -> Callable[[], bool]:
    """A check, safe to call from any thread, that this page's visitor is still connected.

    Outside a served app (AppTest, the CLI) the session never goes.
    """
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return lambda: True
    instance, session_id = runtime.get_instance(), ctx.session_id
    gone_since: list[float] = []

    def alive() -> bool:
        if instance.is_active_session(session_id):
            gone_since.clear()
            return True
        if not gone_since:
            gone_since.append(time.monotonic())
        return time.monotonic() - gone_since[0] < GONE_AFTER_SECONDS

    return alive


def rerun_session(session_id: str) -> bool:
    """Run this visitor's current page again, from any thread; False when the session is gone.

    Streamlit keeps a session's last page and query string (``AppSession._client_state``, what
    its own rerun on a source change sends); with no widget changes, the page runs as it stands.
    """
    from streamlit import runtime

    if not runtime.exists():
        return False
    instance = runtime.get_instance()
    if not instance.is_active_session(session_id):
        return False
    session = instance.get_app_session(session_id)
    if session is None:
        return False
    last = getattr(session, "_client_state", None)
    loop = getattr(session, "_event_loop", None)
    if last is None or loop is None or loop.is_closed():
        return False  # without its last state the rerun would land on the default page

    def rerun() -> None:
        # On the session's event loop, like a browser's request, never beside one; a run going
        # on now draws the page anyway (interrupting it could lose its end in the browser).
        if getattr(getattr(session, "_state", None), "name", "") != "APP_IS_RUNNING":
            session.request_rerun(last)

    loop.call_soon_threadsafe(rerun)
    return True


def served() -> bool:
    """True inside a served app (a Streamlit server with visitors), False under AppTest or bare."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None or not runtime.exists():
        return False
    # AppTest installs a MagicMock(spec=Runtime), which passes isinstance but not this.
    return type(runtime.get_instance()) is runtime.Runtime


def session_id() -> str:
    """This page's visitor's session id ("" outside a page run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


#: What the pages import, loaded before the server's heap is frozen (:func:`settle_heap`).
HEAVY_MODULES = (
    "plotly.graph_objects",
    "analytics.overview",
    "analytics.plots",
    "analytics.segments",
    "analytics.baskets",
    "analytics.forecast",
    "analytics.propensity",
    "analytics.report",
)

_settled = False
_settle_lock = threading.Lock()


def settle_heap() -> threading.Thread | None:
    """Once per server, in the background: import what the pages use, then ``gc.freeze()``.

    Python's full garbage collection walks every container object the process holds; the modules
    a server has loaded are about 260,000 of them, 0.2 s a walk on a quiet machine and much more on
    a busy one, and those walks were 8% of the time the soak's server held the GIL. Frozen objects
    are left out of every later walk (they are still freed when nothing refers to them); the
    sessions' data stays collectable. Only in a served app, not under AppTest or in scripts.
    Returns the thread that does it when this call started one.
    """
    global _settled
    if _settled or not served():  # every page run asks: the flag first, it costs nothing
        return None
    with _settle_lock:
        if _settled:
            return None
        _settled = True

    def settle() -> None:
        for name in HEAVY_MODULES:
            importlib.import_module(name)
        gc.collect()
        gc.freeze()

    thread = threading.Thread(target=settle, name="settle-heap", daemon=True)
    thread.start()
    return thread
