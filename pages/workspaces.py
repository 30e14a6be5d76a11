"""Workspaces page: save the analysis, share it, and open, rename, duplicate or delete your own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from analytics.errors import AnalyticsError
from analytics.i18n import _
from pages._display import current_display
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import data_state
from pages._widgets import md
from pages._workspace import (
    close_workspace,
    delete_workspace,
    duplicate_workspace,
    find_my_workspace,
    load_workspace,
    my_workspaces,
    open_workspace,
    rename_workspace,
    save_workspace,
    share_links,
    sign_in_configured,
    visitor,
)

_DONE = "ws.done"  # what the last action did (or why it failed), said on the next run
_OVERWRITE = "ws.overwrite"  # (name, token): a save that would replace another workspace
_DELETE = "ws.confirm_delete"  # token of the workspace whose deletion awaits a yes


def _act(action: Callable[..., Any], *args: Any, done: str) -> None:
    """Run an action from a button's callback, and keep its outcome to say on the page."""
    try:
        action(*args)
        st.session_state[_DONE] = ("ok", done)
    except AnalyticsError as exc:
        st.session_state[_DONE] = ("error", exc)


def _tidy(name: str) -> str:
    return " ".join(str(name).split())


def _save() -> None:
    """The Save button (or Enter in the name box): save, or ask before replacing another."""
    st.session_state.pop(_OVERWRITE, None)
    name = _tidy(st.session_state.get("ws.name", ""))
    current = open_workspace()
    if current is not None and current.read_only:
        _act(save_workspace, name, done="")  # refused, with the reason
        return
    try:
        existing = find_my_workspace(name) if name else None
    except AnalyticsError as exc:
        st.session_state[_DONE] = ("error", exc)
        return
    if existing is not None and (current is None or existing != current.token):
        st.session_state[_OVERWRITE] = (name, existing)
        return
    over = current.token if current is not None and existing == current.token else None
    _act(
        lambda: save_workspace(name, over=over),
        done=_("Saved “{name}”. This page's address now reopens it.").format(name=name),
    )


def _overwrite(name: str, token: str) -> None:
    st.session_state.pop(_OVERWRITE, None)
    _act(lambda: save_workspace(name, over=token), done=_("Saved over “{name}”.").format(name=name))


def _forget(key: str) -> None:
    st.session_state.pop(key, None)


def _delete(token: str, name: str) -> None:
    st.session_state.pop(_DELETE, None)
    _act(delete_workspace, token, done=_("Deleted “{name}”.").format(name=name))


def _ask(question: str, *, yes: str, on_yes: Callable[[], None], pending: str, key: str) -> None:
    """A question before an action that replaces or deletes: the action, or Cancel."""
    st.warning(question, icon=":material/warning:")
    choice = st.columns(2)
    choice[0].button(yes, on_click=on_yes, type="primary", key=f"{key}_yes")
    choice[1].button(_("Cancel"), on_click=_forget, args=(pending,), key=f"{key}_no")


def _rename(token: str) -> None:
    new_name = _tidy(st.session_state.get("ws.rename", ""))
    _act(rename_workspace, token, new_name, done=_("Renamed to “{name}”.").format(name=new_name))


ensure_inside_app()
st.title(_("Workspaces"))
st.caption(
    _(
        "A workspace keeps your analysis: the data, its column roles and cleaning, every page's "
        "settings and the names you gave to segments. While one is open, your changes are saved as "
        "you work, and the address in your browser reopens it, after a refresh or a server restart."
    )
)
state = data_state()
current = open_workspace()
who = visitor()

outcome = st.session_state.pop(_DONE, None)
if outcome is not None:
    kind, detail = outcome
    if kind == "ok":
        st.success(md(detail), icon=":material/check_circle:")
        st.toast(md(detail), icon=":material/check_circle:")
    else:
        show_error(detail)

# --- the open workspace ---------------------------------------------------------------------------
st.subheader(_("This analysis"))
if current is not None and current.read_only:
    st.info(
        _(
            "You are looking at **{name}** through a read-only link. Move any control to explore: "
            "nothing you change is saved, and this workspace cannot be renamed or deleted from "
            "here."
        ).format(name=md(current.name)),
        icon=":material/visibility:",
    )
    st.button(
        _("Leave the read-only view"),
        on_click=_act,
        args=(close_workspace,),
        kwargs={"done": _("Left the read-only view. The data stays on screen, not saved.")},
        icon=":material/close:",
    )
if current is not None and current.read_only:
    # Shown all the same, so that trying to save says plainly why it cannot.
    with st.form("ws.save_form", border=False):
        st.text_input(_("Name"), key="ws.name", value=current.name, max_chars=120)
        st.form_submit_button(_("Save"), on_click=_save, icon=":material/save:")
else:
    if current is not None:
        st.markdown(
            _("Open: **{name}**, on {source}. Changes are saved automatically.").format(
                name=md(current.name), source=md(state.table.source)
            )
        )
        try:
            edit, view = share_links(current.token)
        except AnalyticsError as exc:
            show_error(exc)
        else:
            links = st.columns(2)
            links[0].caption(_("Edit link (yours: whoever opens it can change the workspace)"))
            links[0].code(edit, language=None)
            links[1].caption(_("Read-only link (for stakeholders: they see it, cannot change it)"))
            links[1].code(view, language=None)
        st.button(
            _("Close it (stop saving changes)"),
            on_click=_act,
            args=(close_workspace,),
            kwargs={
                "done": _("Closed “{name}”. Your data and settings stay on screen.").format(
                    name=current.name
                )
            },
            icon=":material/close:",
        )
    else:
        st.markdown(
            _("Not saved yet: {source}, with the settings on every page.").format(
                source=md(state.table.source)
            )
        )

    with st.form("ws.save_form", border=False):
        st.text_input(
            _("Name"),
            key="ws.name",
            value=current.name
            if current is not None
            else (f"{state.table.source} — {current_display().date(dt.date.today())}"),
            max_chars=120,
            help=_(
                "Save (or press Enter) keeps the analysis under this name. A new name makes a "
                "new workspace; the open workspace's name saves over it."
            ),
        )
        st.form_submit_button(_("Save"), type="primary", on_click=_save, icon=":material/save:")
    pending = st.session_state.get(_OVERWRITE)
    if pending is not None:
        name, token = pending
        _ask(
            _(
                "You already have a workspace called **{name}**. Save over it (its data and "
                "settings are replaced by these), or choose another name above."
            ).format(name=md(name)),
            yes=_("Save over “{name}”").format(name=name),
            on_yes=partial(_overwrite, name, token),
            pending=_OVERWRITE,
            key="ws.overwrite",
        )

# --- your saved workspaces -----------------------------------------------------------------------
st.subheader(_("Your saved workspaces"))
if who.signed_in:
    st.caption(
        _("Workspaces of your account ({who}).").format(
            who=md(who.label.removeprefix("signed in: "))
        )
    )
elif sign_in_configured():
    st.caption(
        _("Workspaces saved in this browser. Sign in (sidebar) to have them in every browser.")
    )
else:
    st.caption(
        _(
            "Workspaces saved in this browser: other visitors of this server cannot see them. Opening "
            "a workspace's edit link adds it here."
        )
    )
try:
    saved = my_workspaces()
except AnalyticsError as exc:
    show_error(exc)
    saved = []
if not saved:
    st.caption(_("None yet. Save this analysis above to keep it."))
else:
    st.dataframe(
        pd.DataFrame(
            {
                _("Name"): [w.name for w in saved],
                _("Data"): [w.source for w in saved],
                _("Kind"): [_(w.kind) for w in saved],
                _("Rows"): [f"{w.n_rows:,}" for w in saved],
                _("Last changed (UTC)"): [w.updated[:16].replace("T", " ") for w in saved],
                _("Open"): ["●" if current and w.token == current.token else "" for w in saved],
            }
        ),
        hide_index=True,
    )
    by_token = {w.token: w for w in saved}
    token = st.selectbox(
        _("Workspace"),
        list(by_token),
        format_func=lambda t: f"{by_token[t].name} ({by_token[t].source})",
        key="ws.pick",
    )
    picked = by_token[token]  # Streamlit resets a value outside the options (a crafted one)
    actions = st.columns(3)
    actions[0].button(
        _("Open"),
        type="primary",
        on_click=_act,
        args=(load_workspace, picked.token),
        kwargs={"done": _("Opened “{name}”.").format(name=picked.name)},
        icon=":material/folder_open:",
        disabled=current is not None and current.token == picked.token,
    )
    actions[1].button(
        _("Duplicate"),
        on_click=_act,
        args=(duplicate_workspace, picked.token, _("{name} (copy)").format(name=picked.name)),
        kwargs={
            "done": _("Duplicated “{name}” as “{copy}”.").format(
                name=picked.name, copy=_("{name} (copy)").format(name=picked.name)
            )
        },
        icon=":material/content_copy:",
    )
    actions[2].button(
        _("Delete"),
        on_click=partial(st.session_state.update, {_DELETE: picked.token}),
        icon=":material/delete:",
        key="ws.delete",
    )
    if st.session_state.get(_DELETE) == picked.token:
        _ask(
            _(
                "Delete **{name}** for good? Anyone else who has it in their list loses it too."
            ).format(name=md(picked.name)),
            yes=_("Delete “{name}”").format(name=picked.name),
            on_yes=partial(_delete, picked.token, picked.name),
            pending=_DELETE,
            key="ws.delete",
        )
    with st.form("ws.rename_form", border=False):
        st.text_input(_("New name"), key="ws.rename", value=picked.name, max_chars=120)
        st.form_submit_button(
            _("Rename"), on_click=_rename, args=(picked.token,), icon=":material/edit:"
        )
