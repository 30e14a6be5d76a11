"""Saved workspaces: a dataset with its mapping, cleaning and every page's settings, in SQLite.

A workspace holds what it takes to rebuild an analysis exactly: the table as read (stored as
Parquet, once per distinct table however many workspaces use it), the kind, column roles and
cleaning steps, the pages' settings (widget values) and the arguments of the analyses the pages
last ran (which the report and the CLI reuse). Each workspace is known by a random token of 128
bits, never by a counter, so that a token in a URL cannot be guessed from another.

Every workspace belongs to someone: the owners in its list (a browser's random owner key, or a
signed-in user), kept only as hashes (:func:`owner_id`). Only an owner lists, saves over, renames,
duplicates or deletes it; the store refuses anyone else, whatever the page sent. Each workspace has
two tokens: the **edit token** (its owner's link; opening it adds the workspace to that browser's
list) and the **view token** (a read-only link for stakeholders: it loads, nothing else). Each
owner has a disk quota, and the store as a whole a cap.

Every change is one SQLite transaction: a process killed in the middle of a save leaves the store
as it was before that save, with every earlier workspace intact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from analytics.data import (
    KINDS,
)
from analytics.errors import AnalyticsError
from analytics.i18n import _
from analytics.report.saved import (
    Workspace,
    WorkspaceInfo,
    _mapping_from_json,
    _mapping_to_json,
    _table_meta,
    decode,
    encode,
    savable,
    table_from_parquet,
    table_to_parquet,
)

#: Environment variable naming the store's file; by default ``data/workspaces.sqlite``.
STORE_ENV = "MARKETLENS_WORKSPACES"


DEFAULT_STORE = Path(__file__).resolve().parents[2] / "data" / "workspaces.sqlite"


MAX_NAME = 120
#: Each owner's workspaces may hold this many megabytes (tables they use, counted once each, and
#: settings); override with MARKETLENS_OWNER_QUOTA_MB.
OWNER_QUOTA_ENV = "MARKETLENS_OWNER_QUOTA_MB"
OWNER_QUOTA_MB = 500
#: The whole store stays under this many megabytes; override with MARKETLENS_STORE_QUOTA_MB.
STORE_QUOTA_ENV = "MARKETLENS_STORE_QUOTA_MB"
STORE_QUOTA_MB = 10_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (
    key TEXT PRIMARY KEY,       -- the table's content fingerprint
    meta TEXT NOT NULL,         -- how it was read (JSON)
    parquet BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS workspaces (
    token TEXT PRIMARY KEY,     -- the edit token: random, 128 bits
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    table_key TEXT NOT NULL REFERENCES tables(key),
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    n_rows INTEGER NOT NULL,
    state TEXT NOT NULL         -- origin, mapping, steps, settings, analyses (JSON)
);
CREATE TABLE IF NOT EXISTS owners (
    token TEXT NOT NULL REFERENCES workspaces(token) ON DELETE CASCADE,
    owner TEXT NOT NULL,        -- owner_id(): a hash, never the browser's key itself
    label TEXT NOT NULL,        -- "browser" or the signed-in user's name, for the operator
    added TEXT NOT NULL,
    PRIMARY KEY (token, owner)
);
CREATE INDEX IF NOT EXISTS owners_by_owner ON owners(owner);
"""
# Stores written before owners and read-only links: add the view token.
_MIGRATIONS = ("ALTER TABLE workspaces ADD COLUMN view_token TEXT",)


def default_store_path() -> Path:
    """The store's file: ``$MARKETLENS_WORKSPACES`` if set, else ``data/workspaces.sqlite``."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


def new_token() -> str:
    """A random workspace token (128 bits, URL-safe), never starting with ``-``.

    One token in 64 would otherwise start with a dash, and the command line would read it as an
    option (``python -m analytics report -x…`` fails with "source is required").
    """
    while (token := secrets.token_urlsafe(16)).startswith("-"):
        pass
    return token


def owner_id(secret: str) -> str:
    """What the store keeps of an owner: a hash of the browser's key (or of the signed-in user's
    issuer and subject), so that the store file gives no one a key to anybody's list."""
    if not secret:
        raise AnalyticsError("An owner is needed to keep workspaces apart.")
    return hashlib.blake2b(secret.encode(), digest_size=16, person=b"marketlens-owner").hexdigest()


def _quota_bytes(env: str, default_mb: int) -> int:
    try:
        return int(float(os.environ.get(env) or default_mb) * 1024**2)
    except ValueError:
        return default_mb * 1024**2


class WorkspaceStore:
    """Workspaces in one SQLite file, each in the lists of its owners.

    Parameters
    ----------
    path : path, optional
        The store's file, created on first use. Default: :func:`default_store_path`.

    Every method that changes a workspace takes the ``owner`` asking (an :func:`owner_id`) and
    refuses, with an :class:`AnalyticsError`, an owner whose list does not hold it.

    Example
    -------
    >>> store = WorkspaceStore("/tmp/ws.sqlite")  # doctest: +SKIP
    >>> me = owner_id("my browser's key")  # doctest: +SKIP
    >>> token = store.save(workspace, owner=me)  # doctest: +SKIP
    >>> store.load(token).settings["w.seg.k"]  # doctest: +SKIP
    4
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise AnalyticsError(
                f"The workspace store {self.path} cannot be opened: {exc}.",
                hint=f"Point {STORE_ENV} at a writable file.",
            ) from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            _migrate(conn)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise AnalyticsError(
                f"The workspace store {self.path} could not be read or written: {exc}.",
                hint="Check the disk, or point MARKETLENS_WORKSPACES at another file.",
            ) from exc
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: committed whole, or (on an error or a kill) not at all."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- changes, each by an owner -------------------------------------------------------------

    def save(self, workspace: Workspace, *, owner: str, label: str = "browser") -> str:
        """Save a workspace, new (empty token) or over the one with its token; return the token.

        A new workspace goes into ``owner``'s list; saving over one needs it to be in that list.
        The owner's quota and the store's cap are checked in the same transaction.
        """
        name = _clean_name(workspace.name)
        if workspace.kind not in KINDS:
            raise AnalyticsError(f"kind must be one of {', '.join(KINDS)}, got {workspace.kind!r}.")
        state = json.dumps(
            {
                "origin": workspace.origin,
                "mapping": _mapping_to_json(workspace.mapping),
                "steps": list(workspace.steps),
                "settings": {k: encode(v) for k, v in savable(workspace.settings).items()},
                "analyses": {k: encode(v) for k, v in workspace.analyses.items()},
            }
        )
        table = workspace.table
        key = table.fingerprint
        now = _now()
        token = workspace.token or new_token()
        with self._transaction() as conn:
            if workspace.token:
                _require_owner(conn, token, owner)
            if conn.execute("SELECT 1 FROM tables WHERE key = ?", (key,)).fetchone() is None:
                conn.execute(
                    "INSERT INTO tables (key, meta, parquet) VALUES (?, ?, ?)",
                    (key, json.dumps(_table_meta(table)), table_to_parquet(table)),
                )
            updated = conn.execute(
                "UPDATE workspaces SET name = ?, updated = ?, table_key = ?, source = ?, kind = ?,"
                " n_rows = ?, state = ? WHERE token = ?",
                (name, now, key, table.source, workspace.kind, table.n_rows, state, token),
            ).rowcount
            if not updated:
                conn.execute(
                    "INSERT INTO workspaces (token, name, created, updated, table_key, source,"
                    " kind, n_rows, state, view_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        token,
                        name,
                        now,
                        now,
                        key,
                        table.source,
                        workspace.kind,
                        table.n_rows,
                        state,
                        new_token(),
                    ),
                )
                _add_owner(conn, token, owner, label)
            _drop_unused_tables(conn)
            _check_quota(conn, owner)
        return token

    def adopt(self, token: str, *, owner: str, label: str = "browser") -> None:
        """Put the workspace with this edit token into ``owner``'s list (its edit link was opened).

        Raises
        ------
        AnalyticsError
            If there is no workspace with this edit token.
        """
        with self._transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM workspaces WHERE token = ?", (token,)).fetchone()
                is None
            ):
                raise _missing()
            _add_owner(conn, token, owner, label)

    def rename(self, token: str, name: str, *, owner: str) -> None:
        name = _clean_name(name)
        with self._transaction() as conn:
            _require_owner(conn, token, owner)
            conn.execute(
                "UPDATE workspaces SET name = ?, updated = ? WHERE token = ?", (name, _now(), token)
            )

    def duplicate(self, token: str, name: str, *, owner: str, label: str = "browser") -> str:
        """A copy under new tokens, in ``owner``'s list (the table is shared, not copied)."""
        name = _clean_name(name)
        copy = new_token()
        now = _now()
        with self._transaction() as conn:
            _require_owner(conn, token, owner)
            conn.execute(
                "INSERT INTO workspaces (token, name, created, updated, table_key, source, kind,"
                " n_rows, state, view_token) SELECT ?, ?, ?, ?, table_key, source, kind, n_rows,"
                " state, ? FROM workspaces WHERE token = ?",
                (copy, name, now, now, new_token(), token),
            )
            _add_owner(conn, copy, owner, label)
            _check_quota(conn, owner)
        return copy

    def delete(self, token: str, *, owner: str) -> None:
        """Delete the workspace (for everyone who has it in their list)."""
        with self._transaction() as conn:
            _require_owner(conn, token, owner)
            conn.execute("DELETE FROM workspaces WHERE token = ?", (token,))
            _drop_unused_tables(conn)

    # --- reading -------------------------------------------------------------------------------

    def list_workspaces(self, owner: str | None = None) -> list[WorkspaceInfo]:
        """The workspaces in ``owner``'s list, the most recently changed first.

        Without an owner (the operator's command line), every workspace, with its owners.
        """
        columns = "w.token, w.name, w.created, w.updated, w.source, w.kind, w.n_rows, w.view_token"
        with self._connect() as conn:
            if owner is None:
                rows = conn.execute(
                    f"SELECT {columns} FROM workspaces w ORDER BY w.updated DESC, w.name"
                ).fetchall()
                owners: dict[str, list[tuple[str, str]]] = {}
                for token, who, label in conn.execute(
                    "SELECT token, owner, label FROM owners ORDER BY added"
                ):
                    owners.setdefault(token, []).append((who, label))
                return [_info(row, tuple(owners.get(row[0], ()))) for row in rows]
            rows = conn.execute(
                f"SELECT {columns} FROM workspaces w JOIN owners o ON o.token = w.token"
                " WHERE o.owner = ? ORDER BY w.updated DESC, w.name",
                (owner,),
            ).fetchall()
        return [_info(row) for row in rows]

    def owns(self, token: str, owner: str) -> bool:
        """Whether the workspace with this edit token is in ``owner``'s list."""
        with self._connect() as conn:
            return _holds(conn, token, owner)

    def find_name(self, name: str, *, owner: str) -> str | None:
        """The token of ``owner``'s workspace called ``name`` (spacing tidied), if any."""
        name = " ".join(str(name).split())
        with self._connect() as conn:
            row = conn.execute(
                "SELECT w.token FROM workspaces w JOIN owners o ON o.token = w.token"
                " WHERE o.owner = ? AND w.name = ? ORDER BY w.updated DESC",
                (owner, name),
            ).fetchone()
        return None if row is None else str(row[0])

    def load(self, token: str) -> Workspace:
        """The workspace with this edit token.

        Raises
        ------
        AnalyticsError
            If there is none (deleted, or from another store).
        """
        return self._load("w.token = ?", token)

    def load_view(self, view_token: str) -> Workspace:
        """The workspace with this read-only token. Its ``token`` is left empty: a read-only
        visitor never learns the edit token, so nothing it sends can change the workspace."""
        workspace = self._load("w.view_token = ?", view_token)
        return replace(workspace, token="")

    def view_token(self, token: str, *, owner: str) -> str:
        """The read-only token of one of ``owner``'s workspaces (to share its read-only link)."""
        with self._connect() as conn:
            if not _holds(conn, token, owner):
                raise _not_yours()
            row = conn.execute("SELECT view_token FROM workspaces WHERE token = ?", (token,))
            return str(row.fetchone()[0])

    def _load(self, where: str, token: str) -> Workspace:
        if not token:
            raise _missing()
        with self._connect() as conn:
            row = conn.execute(
                "SELECT w.token, w.name, w.created, w.updated, w.kind, w.state, t.meta, t.parquet"
                f" FROM workspaces w JOIN tables t ON t.key = w.table_key WHERE {where}",
                (token,),
            ).fetchone()
        if row is None:
            raise _missing()
        edit, name, created, updated, kind, state_json, meta, parquet = row
        state = json.loads(state_json)
        return Workspace(
            name=name,
            table=table_from_parquet(parquet, json.loads(meta)),
            origin=state["origin"],
            kind=kind,
            mapping=_mapping_from_json(state["mapping"]),
            steps=tuple(state["steps"]),
            settings={k: decode(v) for k, v in state["settings"].items()},
            analyses={k: decode(v) for k, v in state["analyses"].items()},
            token=edit,
            created=created,
            updated=updated,
        )

    def find(self, token_or_name: str, owner: str | None = None) -> str:
        """The token of the workspace with this token or this exact name (the CLI's argument).

        A name must name exactly one workspace (of ``owner``, when given): anyone can save a
        workspace under any name, so a name several workspaces share is refused with their
        tokens, never resolved to the newest.
        """
        with self._connect() as conn:
            if conn.execute(
                "SELECT 1 FROM workspaces WHERE token = ?", (token_or_name,)
            ).fetchone():
                return token_or_name
            rows = conn.execute(
                "SELECT w.token, w.updated FROM workspaces w WHERE w.name = ?"
                + (
                    " AND EXISTS (SELECT 1 FROM owners o WHERE o.token = w.token AND o.owner = ?)"
                    if owner
                    else ""
                )
                + " ORDER BY w.updated DESC",
                (token_or_name, owner) if owner else (token_or_name,),
            ).fetchall()
        if not rows:
            raise AnalyticsError(
                f"No workspace is called or has the token {token_or_name!r} in {self.path}.",
                hint="python -m analytics workspaces lists them.",
            )
        if len(rows) > 1:
            listed = ", ".join(f"{token} (changed {updated[:16]})" for token, updated in rows)
            raise AnalyticsError(
                f"{len(rows)} workspaces are called {token_or_name!r}: {listed}.",
                hint="Give the token of the one you mean.",
            )
        return str(rows[0][0])

    # --- the operator's -------------------------------------------------------------------------

    def delete_any(self, token: str) -> None:
        """Delete a workspace whoever owns it (the operator's command line)."""
        with self._transaction() as conn:
            if not conn.execute("DELETE FROM workspaces WHERE token = ?", (token,)).rowcount:
                raise _missing()
            _drop_unused_tables(conn)

    def delete_owner(self, owner: str) -> int:
        """Take an owner off every list; delete the workspaces no one else holds. Returns how
        many workspaces were deleted."""
        with self._transaction() as conn:
            tokens = [
                r[0] for r in conn.execute("SELECT token FROM owners WHERE owner = ?", (owner,))
            ]
            conn.execute("DELETE FROM owners WHERE owner = ?", (owner,))
            deleted = 0
            for token in tokens:
                if (
                    conn.execute("SELECT 1 FROM owners WHERE token = ?", (token,)).fetchone()
                    is None
                ):
                    deleted += conn.execute(
                        "DELETE FROM workspaces WHERE token = ?", (token,)
                    ).rowcount
            _drop_unused_tables(conn)
        return deleted

    def usage(self, owner: str | None = None) -> int:
        """Bytes held by ``owner``'s workspaces (each table once), or by the whole store."""
        with self._connect() as conn:
            return _usage(conn, owner)

    def check(self) -> str:
        """SQLite's own integrity check of the file: ``"ok"`` when sound."""
        with self._connect() as conn:
            return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _info(row: tuple[Any, ...], owners: tuple[tuple[str, str], ...] = ()) -> WorkspaceInfo:
    token, name, created, updated, source, kind, n_rows, view_token = row
    return WorkspaceInfo(token, name, created, updated, source, kind, n_rows, view_token, owners)


def _migrate(conn: sqlite3.Connection) -> None:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(workspaces)")}
    if "view_token" not in columns:
        for statement in _MIGRATIONS:
            conn.execute(statement)
    missing = conn.execute("SELECT token FROM workspaces WHERE view_token IS NULL").fetchall()
    for (token,) in missing:
        conn.execute("UPDATE workspaces SET view_token = ? WHERE token = ?", (new_token(), token))
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS workspaces_view ON workspaces(view_token)")


def _holds(conn: sqlite3.Connection, token: str, owner: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM owners WHERE token = ? AND owner = ?", (token, owner)
        ).fetchone()
        is not None
    )


def _require_owner(conn: sqlite3.Connection, token: str, owner: str) -> None:
    if conn.execute("SELECT 1 FROM workspaces WHERE token = ?", (token,)).fetchone() is None:
        raise _missing()
    if not _holds(conn, token, owner):
        raise _not_yours()


def _add_owner(conn: sqlite3.Connection, token: str, owner: str, label: str) -> None:
    if not owner:
        raise AnalyticsError("An owner is needed to keep workspaces apart.")
    conn.execute(
        "INSERT OR IGNORE INTO owners (token, owner, label, added) VALUES (?, ?, ?, ?)",
        (token, owner, label[:200], _now()),
    )


def _usage(conn: sqlite3.Connection, owner: str | None) -> int:
    if owner is None:
        tables = "SELECT key FROM tables"
        states = "SELECT coalesce(sum(length(state)), 0) FROM workspaces"
        args: tuple[str, ...] = ()
    else:
        mine = "SELECT token FROM owners WHERE owner = ?"
        tables = f"SELECT DISTINCT table_key FROM workspaces WHERE token IN ({mine})"
        states = f"SELECT coalesce(sum(length(state)), 0) FROM workspaces WHERE token IN ({mine})"
        args = (owner,)
    data = conn.execute(
        f"SELECT coalesce(sum(length(parquet) + length(meta)), 0) FROM tables WHERE key IN ({tables})",
        args,
    ).fetchone()[0]
    return int(data) + int(conn.execute(states, args).fetchone()[0])


def _check_quota(conn: sqlite3.Connection, owner: str) -> None:
    """Refuse (rolling the change back) when the owner or the store would be over quota."""
    mine, limit = _usage(conn, owner), _quota_bytes(OWNER_QUOTA_ENV, OWNER_QUOTA_MB)
    if mine > limit:
        raise AnalyticsError(
            _(
                "Your saved workspaces would hold {mine} MB, over the {limit} MB each person may "
                "keep on this server, so this was not saved."
            ).format(mine=f"{mine / 1024**2:,.1f}", limit=f"{limit / 1024**2:,.1f}"),
            hint=_("Delete workspaces you no longer need on the Workspaces page."),
        )
    everything, cap = _usage(conn, None), _quota_bytes(STORE_QUOTA_ENV, STORE_QUOTA_MB)
    if everything > cap:
        raise AnalyticsError(
            _("The server's workspace store is full, so this was not saved."),
            hint=_("Ask whoever runs this server to make room (python -m analytics workspaces)."),
        )


def _missing() -> AnalyticsError:
    return AnalyticsError(
        _("There is no saved workspace with this token: it may have been deleted."),
        hint=_("Open another one from the list of workspaces."),
    )


def _not_yours() -> AnalyticsError:
    return AnalyticsError(
        _("This workspace is not in your list, so it cannot be changed from here."),
        hint=_("Open it with its edit link to add it to your list, or save your own copy."),
    )


def _drop_unused_tables(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM tables WHERE key NOT IN (SELECT table_key FROM workspaces)")


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise AnalyticsError(_("Give the workspace a name."))
    if len(name) > MAX_NAME:
        raise AnalyticsError(_("A workspace name has at most {n} characters.").format(n=MAX_NAME))
    return name


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
