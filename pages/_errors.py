"""The error boundary: every page runs inside ``run_page``. A problem with the user's data is an
``AnalyticsError`` that the page explains (``show_error``); anything else gets an apology and an
incident id, and is logged without user data (``report_unexpected``)."""

from __future__ import annotations

import logging
import os
import time
import traceback
import uuid
from typing import Any

import pandas as pd
import streamlit as st

from analytics.budget import Interrupted
from analytics.errors import AnalyticsError
from analytics.i18n import _
from pages._memory import release_memory
from pages._state import _STATE
from pages._widgets import PageDone, md

#: The widget keys of each page (by its URL path), shown when the page fails unexpectedly.
PAGE_INPUTS: dict[str, tuple[str, ...]] = {
    "overview": ("w.overview.",),
    "segments": ("w.seg.",),
    "basket": ("w.basket.",),
    "forecast": ("w.forecast.",),
    "propensity": ("w.propensity.",),
    "workspaces": ("ws.",),
    "report": ("w.report.",),
    "data": (
        *("w.source", "w.sample", "w.sheets", "w.kind", "w.dayfirst", "w.dims", "w.items"),
        *("w.role.", "w.clean.", "w.db."),
    ),
}


log = logging.getLogger("marketlens")


if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    # MARKETLENS_LOG=DEBUG also logs how long each page run took (bench/soak.py reads it).
    log.setLevel(os.environ.get("MARKETLENS_LOG", "INFO").upper())


def run_page(page: Any) -> None:
    """Run a page; an unexpected exception gets an apology, not a traceback, and a log entry.

    Streamlit's own control flow (``st.rerun``, ``st.stop``, ``st.switch_page``) passes through:
    it raises BaseException subclasses, which ``except Exception`` does not catch.
    Problems with the user's data are ``AnalyticsError`` and each page explains them itself; this
    catches the rest, so that a bug on one page leaves the session, its data and the other pages
    working.
    """
    start = time.perf_counter()
    try:
        page.run()
    except PageDone:
        pass
    except Exception as exc:
        report_unexpected(exc, page.url_path or "overview", page.title)
    finally:
        release_memory()  # what the run's table work freed goes back to the system
    log.debug("page %s ran in %.3f s", page.url_path or "overview", time.perf_counter() - start)


#: Set to 1 to have incident logs include file names, widget values and error messages (user
#: data: off by default, so that the server log holds no customer data).
LOG_USER_DATA_ENV = "MARKETLENS_LOG_USER_DATA"


def report_unexpected(exc: Exception, url_path: str, title: str) -> str:
    """Log an unexpected exception under a new incident id and show it kindly; return the id.

    The log holds the page, the error type, where in the code it happened, a hash and the size of
    the data and the names of the page's widgets: never file names, cell values, widget values or
    the error's message (which can quote data), unless the operator sets
    ``MARKETLENS_LOG_USER_DATA=1``. The visitor sees an apology, the incident id and their own
    settings, never a traceback.
    """
    incident = uuid.uuid4().hex[:12]
    prefixes = PAGE_INPUTS.get(url_path, ("w.",))
    inputs = {
        str(key): value
        for key, value in sorted(st.session_state.to_dict().items(), key=lambda kv: str(kv[0]))
        if str(key).startswith(prefixes)
    }
    state = st.session_state.get(_STATE)
    where = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    if os.environ.get(LOG_USER_DATA_ENV) == "1":
        data = (
            f"{state.table.source} ({state.origin}, {state.kind}, {state.table.n_rows:,} rows)"
            if state is not None
            else "none"
        )
        log.error(
            "incident %s on page %r: %s: %s\ndata %s, inputs %s\n%s",
            incident,
            url_path,
            type(exc).__name__,
            exc,
            data,
            {k: repr(v)[:300] for k, v in inputs.items()},
            where,
        )
    else:
        data = (
            f"table {state.table.fingerprint[:12]} ({state.origin}, {state.kind}, "
            f"{state.table.n_rows} rows x {state.table.frame.shape[1]} columns)"
            if state is not None
            else "none"
        )
        log.error(
            "incident %s on page %r: %s (message withheld; %s=1 logs it)\ndata %s, widgets %s\n%s",
            incident,
            url_path,
            type(exc).__name__,
            LOG_USER_DATA_ENV,
            data,
            sorted(inputs),
            where,
        )
    st.error(
        _(
            "Sorry, the {page} page ran into a problem it did not expect, so part of it is "
            "missing. Your data and your other pages are fine. If it happens again, please report "
            "incident **{incident}** to whoever runs this server."
        ).format(page=md(title), incident=incident),
        icon=":material/sentiment_dissatisfied:",
    )
    with st.expander(_("What this page was doing")):
        if state is not None:
            st.markdown(
                _("**Data:** {source} ({n} rows)").format(
                    source=md(state.table.source), n=f"{state.table.n_rows:,}"
                )
            )
        if inputs:
            st.dataframe(
                pd.DataFrame(
                    {
                        _("Setting"): list(inputs),
                        _("Value"): [repr(v)[:300] for v in inputs.values()],
                    }
                ),
                hide_index=True,
            )
    return incident


def show_error(exc: AnalyticsError) -> None:
    """A user-caused problem: what is wrong, then what to do."""
    if isinstance(exc, Interrupted):  # the operator sees runaway work stopped (no user data)
        log.info("stopped: %s", exc.message)
    message = md(exc.message) + (f"\n\n{md(exc.hint)}" if exc.hint else "")
    st.error(message, icon=":material/error:")
