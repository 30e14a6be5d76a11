"""Who the visitor is, and the workspace their session has open: saving, opening, sharing.

Every browser gets an owner key: random, kept in a cookie (``marketlens_owner``) and, in the store,
only as a hash. A visitor lists and changes only the workspaces in their owner's list. When an
OpenID Connect provider is set in ``.streamlit/secrets.toml`` (``[auth]``), a signed-in visitor's
owner is their account (issuer and subject) instead, the same in every browser.

A workspace is opened by its **edit link** (``?ws=…``: the session saves changes into it, and the
workspace joins this visitor's list) or its **read-only link** (``?view=…``: the session shows it
and lets widgets move, but holds no edit token, so nothing it sends can change the workspace; the
store refuses changes by anyone whose list does not hold it as well).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, replace

import streamlit as st

from analytics.data import DataState
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, ngettext
from analytics.report import Workspace, WorkspaceInfo, WorkspaceStore, encode, owner_id, savable
from pages._state import (
    _ANALYSES,
    _FAILED_UPLOAD,
    _MAPPING_WIDGETS,
    _STATE,
    _reset_widgets,
    analyses,
    cached_evidence,
    data_state,
)
from pages._widgets import md

#: URL query parameters: the open workspace's edit token, or its read-only token.
WORKSPACE_PARAM = "ws"
VIEW_PARAM = "view"
#: The browser's owner key lives in this cookie (set by the page: Streamlit's script API cannot
#: set response headers, so it is not HttpOnly; it is SameSite=Strict, and Secure over https).
OWNER_COOKIE = "marketlens_owner"
_OWNER_KEY = "ml.owner_key"
_COOKIE_SET = "ml.owner_cookie_set"
_WORKSPACE = "ml.workspace"
_RESTORE_FAILED = "ml.restore_failed"
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
_COOKIE_DAYS = 400  # the longest a browser keeps a cookie


@dataclass(frozen=True)
class Visitor:
    """Who saves: the owner id the store knows them by, and a label for the operator."""

    owner: str
    label: str
    signed_in: bool


def sign_in_configured() -> bool:
    """Whether an OpenID Connect provider is set up (``[auth]`` in secrets.toml)."""
    try:
        auth = st.secrets.get("auth", {})
    except FileNotFoundError:  # also Streamlit's error for a missing secrets.toml
        return False
    return bool(auth) and "cookie_secret" in auth


def _signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def _browser_key() -> str:
    """This browser's owner key: the session's, else the cookie's, else a new one."""
    key = st.session_state.get(_OWNER_KEY)
    if not key:
        cookie = st.context.cookies.get(OWNER_COOKIE) if st.context.cookies else None
        key = cookie if cookie and _KEY_SHAPE.match(cookie) else secrets.token_urlsafe(32)
        st.session_state[_OWNER_KEY] = key
    return str(key)


def visitor() -> Visitor:
    """The visitor of this session: their account when signed in, else their browser."""
    if sign_in_configured() and _signed_in():
        subject = str(st.user.get("sub") or "")
        issuer = str(st.user.get("iss") or "")
        if subject:
            shown = st.user.get("email") or st.user.get("name") or subject
            return Visitor(owner_id(f"user:{issuer}|{subject}"), f"signed in: {shown}", True)
    return Visitor(owner_id("browser:" + _browser_key()), "browser", False)


def keep_browser_key() -> None:
    """Make sure the browser keeps its owner key: set the cookie once, when it lacks it.

    The key is random text of our own (no user data), so writing it into a script is safe.
    """
    key = _browser_key()
    if st.session_state.get(_COOKIE_SET) == key:
        return
    if (st.context.cookies or {}).get(OWNER_COOKIE) != key:
        st.html(
            "<script>document.cookie = "
            f"'{OWNER_COOKIE}={key}; Path=/; Max-Age={_COOKIE_DAYS * 86400}; SameSite=Strict'"
            " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True,
            width="content",
        )
    st.session_state[_COOKIE_SET] = key


# --- the open workspace ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenWorkspace:
    """The session's open workspace: its tokens, name and what was last written to the store.

    ``token`` is empty when it was opened by its read-only link: such a session cannot save.
    """

    token: str
    name: str
    digest: str
    view_token: str = ""

    @property
    def read_only(self) -> bool:
        return not self.token


def open_workspace() -> OpenWorkspace | None:
    return st.session_state.get(_WORKSPACE)


def _read_only_refusal(current: OpenWorkspace) -> AnalyticsError:
    return AnalyticsError(
        _(
            "“{name}” is open through a read-only link: it cannot be saved, renamed or deleted "
            "from here."
        ).format(name=current.name),
        hint=_("Ask its owner for the edit link, or load your own data to save a workspace."),
    )


# The Data page's role and cleaning boxes start from the state's mapping and steps, which the
# workspace saves itself; the uploader cannot be set.
_NOT_SAVED = ("w.kind", "w.sheets", *_MAPPING_WIDGETS)


def _snapshot(name: str, token: str = "") -> Workspace:
    state = data_state()
    settings = savable(
        {
            str(k): v
            for k, v in st.session_state.to_dict().items()
            if str(k).startswith("w.") and not str(k).startswith(_NOT_SAVED)
        }
    )
    return Workspace(
        name=name,
        table=state.table,
        origin=state.origin,
        kind=state.kind,
        mapping=state.mapping,
        steps=state.steps,
        settings=settings,
        analyses=savable(analyses()),
        token=token,
    )


def _digest(workspace: Workspace) -> str:
    """What a save would write, condensed: equal digests mean nothing changed."""
    content = (
        workspace.name,
        workspace.table.fingerprint,
        workspace.origin,
        workspace.kind,
        repr(workspace.mapping),
        workspace.steps,
        json.dumps(encode(workspace.settings), sort_keys=True),
        json.dumps(encode(workspace.analyses), sort_keys=True),
    )
    return hashlib.blake2b(repr(content).encode(), digest_size=16).hexdigest()


def _opened(workspace: Workspace, *, view_token: str = "") -> None:
    st.session_state[_WORKSPACE] = OpenWorkspace(
        workspace.token, workspace.name, _digest(workspace), view_token
    )
    st.query_params.pop(WORKSPACE_PARAM, None)
    st.query_params.pop(VIEW_PARAM, None)
    if workspace.token:
        st.query_params[WORKSPACE_PARAM] = workspace.token
    else:
        st.query_params[VIEW_PARAM] = view_token


def save_workspace(name: str, *, over: str | None = None) -> str:
    """Save the session's data, settings and analyses under ``name``; return the edit token.

    As a new workspace, or over ``over`` (one of the visitor's); the saved one becomes the open
    one. Refused in a session opened by a read-only link.
    """
    current = open_workspace()
    if current is not None and current.read_only:
        raise _read_only_refusal(current)
    who = visitor()
    workspace = _snapshot(name, over or "")
    token = WorkspaceStore().save(workspace, owner=who.owner, label=who.label)
    _opened(replace(workspace, name=" ".join(name.split()), token=token))
    return token


def _install(workspace: Workspace) -> None:
    """Make a loaded workspace the session's: its data, mapping, cleaning and every setting."""
    # Read from the store, not shared with other sessions: a large table's text is mapped
    st.session_state[_STATE] = DataState.build(
        workspace.table.text_mapped(),
        workspace.origin,
        kind=workspace.kind,
        mapping=workspace.mapping,
        steps=workspace.steps,
        evidence=cached_evidence,
        pending=True,
    ).text_mapped()
    _reset_widgets(("w.",))
    for key, value in workspace.settings.items():
        st.session_state[key] = value
    st.session_state[_ANALYSES] = dict(workspace.analyses)
    st.session_state.pop(_FAILED_UPLOAD, None)


def load_workspace(token: str, *, adopt: bool = False) -> Workspace:
    """Open one of the visitor's workspaces (``adopt``: by its edit link, which adds it to
    their list). Call it from a widget callback or before any page draws."""
    store, who = WorkspaceStore(), visitor()
    if adopt:
        store.adopt(token, owner=who.owner, label=who.label)
    elif not store.owns(token, who.owner):
        raise AnalyticsError(
            _("This workspace is not in your list, so it cannot be opened from here."),
            hint=_("Open it with its edit or read-only link."),
        )
    workspace = store.load(token)
    _install(workspace)
    _opened(workspace)
    return workspace


def view_workspace(view_token: str) -> Workspace:
    """Open a workspace by its read-only link: shown, explorable, never saved."""
    workspace = WorkspaceStore().load_view(view_token)
    _install(workspace)
    _opened(workspace, view_token=view_token)
    return workspace


def close_workspace() -> None:
    """Stop saving into (or viewing) the open workspace; the session keeps its data."""
    st.session_state.pop(_WORKSPACE, None)
    st.query_params.pop(WORKSPACE_PARAM, None)
    st.query_params.pop(VIEW_PARAM, None)


def restore_workspace() -> None:
    """On a session's first run, open the workspace the URL names (a link, a refresh, a restart)."""
    if _STATE in st.session_state or _RESTORE_FAILED in st.session_state:
        return
    view, token = st.query_params.get(VIEW_PARAM), st.query_params.get(WORKSPACE_PARAM)
    if not view and not token:
        return
    try:
        if view:
            view_workspace(view)
        else:
            load_workspace(str(token), adopt=True)
    except AnalyticsError as exc:
        st.session_state[_RESTORE_FAILED] = exc
        close_workspace()


def sync_workspace() -> None:
    """After each run: write changes to the open workspace, and keep its link in the URL.

    Only what changed since the last write is noticed (a digest); the table is written once. A
    workspace opened read-only is never written.
    """
    failed = st.session_state.get(_RESTORE_FAILED)
    if failed is not None:
        # Stays until closed: someone who followed a broken link must not miss why they see
        # the sample instead (a short toast can be gone before a slow page has drawn).
        st.toast(
            _("The workspace in the link could not be opened: {message}").format(
                message=md(failed.message)
            ),
            icon=":material/link_off:",
            duration="infinite",
        )
        st.session_state[_RESTORE_FAILED] = None  # said once; not tried again this session
    current = open_workspace()
    if current is None or _STATE not in st.session_state:
        return
    if current.read_only:
        if st.query_params.get(VIEW_PARAM) != current.view_token:
            st.query_params[VIEW_PARAM] = current.view_token
        return
    workspace = _snapshot(current.name, current.token)
    digest = _digest(workspace)
    if digest != current.digest:
        who = visitor()
        try:
            WorkspaceStore().save(workspace, owner=who.owner, label=who.label)
        except AnalyticsError as exc:
            st.sidebar.warning(
                _("Changes not saved: {message}").format(message=md(exc.message)),
                icon=":material/sync_problem:",
            )
            return
        st.session_state[_WORKSPACE] = replace(current, digest=digest)
    if st.query_params.get(WORKSPACE_PARAM) != current.token:
        st.query_params[WORKSPACE_PARAM] = current.token


# --- the visitor's list -------------------------------------------------------------------------------


def my_workspaces() -> list[WorkspaceInfo]:
    """The workspaces in this visitor's list, most recently changed first."""
    return WorkspaceStore().list_workspaces(visitor().owner)


def find_my_workspace(name: str) -> str | None:
    """The token of the visitor's workspace called ``name``, if there is one."""
    return WorkspaceStore().find_name(name, owner=visitor().owner)


def rename_workspace(token: str, name: str) -> None:
    current = open_workspace()
    if current is not None and current.token == token:
        save_workspace(name, over=token)  # also renames what the session holds
    else:
        WorkspaceStore().rename(token, name, owner=visitor().owner)


def duplicate_workspace(token: str, name: str) -> str:
    who = visitor()
    return WorkspaceStore().duplicate(token, name, owner=who.owner, label=who.label)


def delete_workspace(token: str) -> None:
    WorkspaceStore().delete(token, owner=visitor().owner)
    current = open_workspace()
    if current is not None and current.token == token:
        close_workspace()


def share_links(token: str) -> tuple[str, str]:
    """The edit link and the read-only link of one of the visitor's workspaces."""
    view = WorkspaceStore().view_token(token, owner=visitor().owner)
    base = _app_address()
    return f"{base}?{WORKSPACE_PARAM}={token}", f"{base}?{VIEW_PARAM}={view}"


def _app_address() -> str:
    """The app's address in the visitor's browser, without the page's path."""
    url = st.context.url or ""
    for page in ("workspaces", "report"):
        if url.endswith("/" + page):
            return url[: -len(page)]
    return url if url.endswith("/") else url + "/"


# --- the sidebar ---------------------------------------------------------------------------------------


#: Each kind of data in one word, for the sidebar.
KIND_LABELS_SHORT = {
    "transactions": N_("transactions"),
    "baskets": N_("baskets"),
    "customers": N_("customers"),
    "series": N_("series"),
}


def sidebar_status() -> None:
    """The sidebar's lines: the data every page works on, the open workspace, who is signed in."""
    state = st.session_state.get(_STATE)
    if state is not None:
        origin = {"sample": _("sample"), "database": _("from the database")}.get(
            state.origin, _("uploaded")
        )
        shape = (
            ngettext("{kind}, {n} row", "{kind}, {n} rows", state.cleaned.dataset.n_rows).format(
                kind=_(KIND_LABELS_SHORT[state.cleaned.dataset.kind]),
                n=f"{state.cleaned.dataset.n_rows:,}",
            )
            if state.cleaned is not None
            else _("column roles to finish on the Data page")
        )
        current = open_workspace()
        saved = ""
        if current is not None:
            how = (
                _("read-only link: changes are not saved")
                if current.read_only
                else _("changes saved")
            )
            saved = "  \n" + _("**Workspace:** {name} ({how})").format(
                name=md(current.name), how=how
            )
        st.sidebar.caption(
            _("**Data:** {source} ({origin})").format(source=md(state.table.source), origin=origin)
            + f"  \n{shape}{saved}"
        )
    if sign_in_configured():
        if _signed_in():
            who = visitor()
            st.sidebar.caption(f"{md(who.label.capitalize())}")
            st.sidebar.button(_("Sign out"), on_click=st.logout, icon=":material/logout:")
        else:
            st.sidebar.button(
                _("Sign in"),
                on_click=st.login,
                icon=":material/login:",
                help=_("Signed in, your workspaces follow you to every browser."),
            )
    keep_browser_key()
