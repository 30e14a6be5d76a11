"""Source → table → mapped dataset in one call, for the CLI, tests and scripts."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from analytics.data.build import build_dataset, mapping_from_options
from analytics.data.detect import detect_kind, detect_mapping
from analytics.data.io import load_table
from analytics.data.privacy import protect, protected_notes
from analytics.data.schema import KINDS, Dataset, Kind, KindGuess
from analytics.data.table import LoadedTable
from analytics.errors import AnalyticsError


@dataclass(frozen=True)
class OpenedFile:
    """A file read, its kind guessed, and mapped into a dataset."""

    table: LoadedTable
    guess: KindGuess
    dataset: Dataset


def open_dataset(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    sheets: Sequence[str] | None = None,
    kind: Kind | None = None,
    roles: Mapping[str, str | None] | None = None,
    dayfirst: bool | None = None,
) -> OpenedFile:
    """Read a file and map it with the proposed (or overridden) kind and column roles.

    Parameters
    ----------
    source : path or bytes
        What :func:`analytics.data.io.load_table` accepts.
    name, sheets
        Passed to :func:`analytics.data.io.load_table`.
    kind : str, optional
        Override the detected kind.
    roles : mapping of role to column, optional
        Override proposed roles, e.g. ``{"customer_id": "Client"}``; ``None`` removes a role.
    dayfirst : bool, optional
        Read ambiguous dates day first (True) or month first (False).

    Returns
    -------
    OpenedFile

    Example
    -------
    >>> opened = open_dataset("data/transactions.csv")  # doctest: +SKIP
    >>> opened.dataset.kind  # doctest: +SKIP
    'transactions'
    """
    table = load_table(source, name=name, sheets=sheets)
    return open_table(table, kind=kind, roles=roles, dayfirst=dayfirst)


def open_table(
    table: LoadedTable,
    *,
    kind: Kind | None = None,
    roles: Mapping[str, str | None] | None = None,
    dayfirst: bool | None = None,
) -> OpenedFile:
    """Map a table already read (a file, a database query) as :func:`open_dataset` does."""
    guess = detect_kind(table.frame, header=table.header)
    if kind is not None and kind not in KINDS:
        raise AnalyticsError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    chosen: Kind = kind or guess.kind
    mapping = detect_mapping(table.frame, chosen, header=table.header)
    if roles:
        mapping = mapping_from_options(mapping, roles)
    if dayfirst is not None:
        mapping = replace(mapping, dayfirst=dayfirst)
    dataset = build_dataset(table.frame, chosen, mapping, source=table.source)
    return OpenedFile(table=table, guess=guess, dataset=dataset)


def protect_table(
    table: LoadedTable,
    key: bytes,
    *,
    actions: Mapping[str, str] | None = None,
    also: Sequence[str] = (),
) -> tuple[LoadedTable, dict[str, str]]:
    """A table with its personal columns pseudonymised or dropped, before any analysis sees it.

    Returns the protected table (what was done is in its ``privacy``; reading notes that quote a
    protected column's values are left out) and the pseudonyms' originals, for the session that
    read the file to put back into one export on request (never to be saved). See
    :func:`analytics.data.privacy.protect` for ``actions`` and ``also``.
    """
    done = protect(table.frame, key, actions=actions, also=also)
    if not done.steps:
        return table, {}
    protected = replace(
        table,
        frame=done.frame,
        notes=protected_notes(table.notes, done.steps),
        privacy=done.steps,
    )
    return protected, done.originals
