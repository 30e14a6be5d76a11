"""Data: reading files and databases, the kinds and roles of columns, quality and cleaning.

Modules:

- reading: ``io`` (``load_table``: one entry point for a path or bytes), ``table`` (what reading
  gives, limits), ``text`` (delimited text: encodings, delimiters, ragged lines), ``workbook``
  (Excel and OpenDocument), ``sql`` and ``sql_guard`` (read-only database reads and what a
  visitor's query may do);
- mapping: ``schema`` (kinds, roles, ``ColumnMapping``, ``Dataset``), ``names`` (header synonyms,
  cell values), ``dates``, ``detect`` (proposing kind and roles, with evidence), ``build``
  (``build_dataset``), ``pipeline`` (read and map in one call);
- ``quality`` (the quality report) and ``cleaning`` (the cleaning steps);
- ``session`` (the session's data as a pure model: propose, kind, roles, cleaning, confirm) and
  ``mapped`` (a large table's text in memory-mapped Arrow files, not on the heap);
- ``privacy`` (personal columns found by header and content; pseudonymised with a keyed hash or
  dropped before any analysis, ``pipeline.protect_table``);
- ``samples`` (the generated sample data) and ``export`` (CSV and Excel downloads).

Every other package builds on this one; it imports none of them.
"""

from __future__ import annotations

from analytics.data.build import build_dataset, detect_currency, mapping_from_options
from analytics.data.cleaning import (
    DEFAULT_STEPS,
    STEP_NAMES,
    CleaningResult,
    cancellation_mask,
    cancelled_orders,
    clean,
    cleaning_options,
    default_steps,
    sales_mask,
    unpaid_mask,
)
from analytics.data.dates import parse_dates
from analytics.data.detect import (
    RoleEvidence,
    detect_kind,
    detect_mapping,
    order_lines_problem,
    role_evidence,
)
from analytics.data.export import (
    is_formula_like,
    neutralize_formulas,
    to_csv_bytes,
    to_excel_bytes,
    write_table,
)
from analytics.data.io import list_sheets, load_table
from analytics.data.names import looks_like_identifier
from analytics.data.pipeline import (
    OpenedFile,
    open_dataset,
    open_table,
    protect_table,
)
from analytics.data.privacy import (
    ACTIONS,
    PERSONAL_KINDS,
    PersonalColumn,
    PrivacyStep,
    detect_personal,
    privacy_key,
    privacy_summary,
    reattach,
)
from analytics.data.quality import QualityReport, quality_report
from analytics.data.sample_files import (
    CAMPAIGN_GROUPS,
    MIX_TRUTH,
    SAMPLE_FILES,
    generate_campaign,
    generate_media_mix,
    write_samples,
)
from analytics.data.samples import (
    BUNDLES,
    PERSONAS,
    SampleData,
    generate_orders,
    generate_personal_orders,
    generate_sample,
    write_sample_at_scale,
)
from analytics.data.schema import (
    KIND_LABELS,
    KIND_ROLES,
    KINDS,
    ROLE_LABELS,
    ColumnMapping,
    Dataset,
    Kind,
    fingerprint,
    product_names,
)
from analytics.data.session import (
    DataState,
)
from analytics.data.sql import (
    DatabaseOptions,
    connection_warnings,
    count_rows,
    list_tables,
    read_query,
    read_rows_after,
    read_table,
    stream_table,
)
from analytics.data.sql_guard import (
    TableName,
    check_query,
)
from analytics.data.table import ACCEPTED_FORMATS_TEXT, LoadedTable, SheetInfo

__all__ = [
    "ACCEPTED_FORMATS_TEXT",
    "ACTIONS",
    "BUNDLES",
    "CAMPAIGN_GROUPS",
    "DEFAULT_STEPS",
    "KINDS",
    "KIND_LABELS",
    "KIND_ROLES",
    "MIX_TRUTH",
    "PERSONAL_KINDS",
    "PERSONAS",
    "ROLE_LABELS",
    "SAMPLE_FILES",
    "STEP_NAMES",
    "CleaningResult",
    "ColumnMapping",
    "DataState",
    "DatabaseOptions",
    "Dataset",
    "Kind",
    "LoadedTable",
    "OpenedFile",
    "PersonalColumn",
    "PrivacyStep",
    "QualityReport",
    "RoleEvidence",
    "SampleData",
    "SheetInfo",
    "TableName",
    "build_dataset",
    "cancellation_mask",
    "cancelled_orders",
    "check_query",
    "clean",
    "cleaning_options",
    "connection_warnings",
    "count_rows",
    "default_steps",
    "detect_currency",
    "detect_kind",
    "detect_mapping",
    "detect_personal",
    "fingerprint",
    "generate_campaign",
    "generate_media_mix",
    "generate_orders",
    "generate_personal_orders",
    "generate_sample",
    "is_formula_like",
    "list_sheets",
    "list_tables",
    "load_table",
    "looks_like_identifier",
    "mapping_from_options",
    "neutralize_formulas",
    "open_dataset",
    "open_table",
    "order_lines_problem",
    "parse_dates",
    "privacy_key",
    "privacy_summary",
    "product_names",
    "protect_table",
    "quality_report",
    "read_query",
    "read_rows_after",
    "read_table",
    "reattach",
    "role_evidence",
    "sales_mask",
    "stream_table",
    "to_csv_bytes",
    "to_excel_bytes",
    "unpaid_mask",
    "write_sample_at_scale",
    "write_samples",
    "write_table",
]
