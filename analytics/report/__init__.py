"""Sharing results: saved workspaces (``workspace``: analyses in SQLite, owners, read-only
tokens, quotas) and the self-contained HTML report (``document``, rendered from
``templates/``)."""

from __future__ import annotations

from analytics.report.document import (
    SECTION_ANALYSIS,
    SECTIONS,
    SECTIONS_FOR_KIND,
    Report,
    ReportOptions,
    build_report,
)
from analytics.report.workspace import (
    STORE_ENV,
    Workspace,
    WorkspaceInfo,
    WorkspaceStore,
    decode,
    encode,
    new_token,
    owner_id,
    savable,
)

__all__ = [
    "SECTIONS",
    "SECTIONS_FOR_KIND",
    "SECTION_ANALYSIS",
    "STORE_ENV",
    "Report",
    "ReportOptions",
    "Workspace",
    "WorkspaceInfo",
    "WorkspaceStore",
    "build_report",
    "decode",
    "encode",
    "new_token",
    "owner_id",
    "savable",
]
