"""Workspaces page: save the analysis, and list, open, rename, duplicate or delete saved ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from analytics.errors import AnalyticsError
from analytics.workspace import WorkspaceInfo, WorkspaceStore
from pages._common import (
    close_workspace,
    data_state,
    load_workspace,
    md,
    open_workspace,
    save_workspace,
    show_error,
    start_page,
)

_DONE = "ws.done"  # what the last action did (or why it failed), said on the next run


def _act(action: Callable[..., Any], *args: Any, done: str) -> None:
    """Run an action from a button's callback, and keep its outcome to say on the page."""
    try:
        action(*args)
        st.session_state[_DONE] = ("ok", done)
    except AnalyticsError as exc:
        st.session_state[_DONE] = ("error", exc)


def _save() -> None:
    name = str(st.session_state.get("ws.name", ""))
    _act(
        lambda: save_workspace(name, as_new=True),
        done=f"Saved as “{' '.join(name.split())}”. This page's address now reopens it.",
    )


def _delete(info: WorkspaceInfo) -> None:
    def delete() -> None:
        WorkspaceStore().delete(info.token)
        current = open_workspace()
        if current is not None and current.token == info.token:
            close_workspace()

    _act(delete, done=f"Deleted “{info.name}”.")


def _rename(info: WorkspaceInfo) -> None:
    def rename() -> None:
        new_name = str(st.session_state.get("ws.rename", ""))
        current = open_workspace()
        if current is not None and current.token == info.token:
            save_workspace(new_name)  # also renames what the session holds
        else:
            WorkspaceStore().rename(info.token, new_name)

    _act(rename, done="Renamed.")


def _duplicate(info: WorkspaceInfo) -> None:
    _act(
        WorkspaceStore().duplicate,
        info.token,
        f"{info.name} (copy)",
        done=f"Duplicated “{info.name}” as “{info.name} (copy)”.",
    )


start_page()
st.title("Workspaces")
st.caption(
    "A workspace keeps your analysis: the data, its column roles and cleaning, every page's "
    "settings and the names you gave to segments. While one is open, your changes are saved as "
    "you work, and the address in your browser reopens it, after a refresh or a server restart."
)
state = data_state()
current = open_workspace()

outcome = st.session_state.pop(_DONE, None)
if outcome is not None:
    kind, detail = outcome
    if kind == "ok":
        st.success(md(detail), icon=":material/check_circle:")
    else:
        show_error(detail)

# --- the open workspace ---------------------------------------------------------------------------
st.subheader("This analysis")
if current is not None:
    st.markdown(
        f"Open: **{md(current.name)}**, on {md(state.table.source)}. Changes are saved "
        "automatically."
    )
    st.button(
        "Close it (stop saving changes)",
        on_click=_act,
        args=(close_workspace,),
        kwargs={"done": f"Closed “{current.name}”. Your data and settings stay on screen."},
        icon=":material/close:",
    )
else:
    st.markdown(f"Not saved yet: {md(state.table.source)}, with the settings on every page.")

with st.form("ws.save_form", border=False):
    st.text_input(
        "Name",
        key="ws.name",
        value=f"{state.table.source} — {dt.date.today():%d %b %Y}",
        max_chars=120,
    )
    st.form_submit_button(
        "Save as a new workspace" if current is not None else "Save",
        type="primary",
        on_click=_save,
        icon=":material/save:",
    )

# --- saved workspaces -----------------------------------------------------------------------------
st.subheader("Saved workspaces")
try:
    saved = WorkspaceStore().list_workspaces()
except AnalyticsError as exc:
    show_error(exc)
    saved = []
if not saved:
    st.caption("None yet. Save this analysis above to keep it.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Name": [w.name for w in saved],
                "Data": [w.source for w in saved],
                "Kind": [w.kind for w in saved],
                "Rows": [f"{w.n_rows:,}" for w in saved],
                "Last changed (UTC)": [w.updated[:16].replace("T", " ") for w in saved],
                "Open": ["●" if current and w.token == current.token else "" for w in saved],
            }
        ),
        hide_index=True,
    )
    by_token = {w.token: w for w in saved}
    token = st.selectbox(
        "Workspace",
        list(by_token),
        format_func=lambda t: f"{by_token[t].name} ({by_token[t].source})",
        key="ws.pick",
    )
    picked = by_token[token]
    actions = st.columns(3)
    actions[0].button(
        "Open",
        type="primary",
        on_click=_act,
        args=(load_workspace, picked.token),
        kwargs={"done": f"Opened “{picked.name}”."},
        icon=":material/folder_open:",
        disabled=current is not None and current.token == picked.token,
    )
    actions[1].button(
        "Duplicate", on_click=_duplicate, args=(picked,), icon=":material/content_copy:"
    )
    with actions[2].popover("Delete", icon=":material/delete:"):
        st.button(
            f"Delete “{picked.name}” for good",
            on_click=_delete,
            args=(picked,),
            key="ws.delete",
        )
    with st.form("ws.rename_form", border=False):
        st.text_input("New name", key="ws.rename", value=picked.name, max_chars=120)
        st.form_submit_button("Rename", on_click=_rename, args=(picked,), icon=":material/edit:")
