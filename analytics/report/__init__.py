"""Sharing results: saved workspaces (``workspace``: the SQLite store, owners, read-only tokens,
quotas; ``saved``: what a workspace holds and how it is encoded) and the self-contained HTML
report (``document``, rendered from ``templates/``)."""

from __future__ import annotations

from analytics.report.document import (
    SECTION_ANALYSIS,
    SECTIONS,
    SECTIONS_FOR_KIND,
    Report,
    ReportOptions,
    Runners,
    build_report,
    fitting_sections,
)
from analytics.report.saved import Workspace, WorkspaceInfo, decode, encode, savable
from analytics.report.workspace import STORE_ENV, WorkspaceStore, new_token, owner_id

__all__ = [
    "SECTIONS",
    "SECTIONS_FOR_KIND",
    "SECTION_ANALYSIS",
    "STORE_ENV",
    "Report",
    "ReportOptions",
    "Runners",
    "Workspace",
    "WorkspaceInfo",
    "WorkspaceStore",
    "build_report",
    "decode",
    "encode",
    "fitting_sections",
    "new_token",
    "owner_id",
    "savable",
]
