"""A large source for the out-of-core engine: a Parquet or CSV file or folder of any size (or a
DuckDB database table), its column roles proposed from a sample, and the typed order lines
stored once in DuckDB's own columnar format (``prepare``).

Nothing here holds the order lines in pandas: DuckDB reads the files in parallel, spills to disk
past its memory limit, and writes one table of typed lines (ids as text, numbers, timestamps,
the cleaning of the Data page applied, a ``sold`` flag) into a cache file. Every analysis of
:mod:`analytics.engines.duck` then reads that table with SQL and brings back only aggregates.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.data import ColumnMapping, build_dataset, detect_kind, detect_mapping
from analytics.data.build import mapping_from_options, row_id_column
from analytics.data.cleaning import DEFAULT_STEPS, EARLIEST_PLAUSIBLE, STEP_NAMES, matching_statuses
from analytics.data.names import looks_like_identifier, paid_flags
from analytics.data.text import codec_of
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

#: File endings the engine reads, by reader.
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
_DUCKDB = (".duckdb", ".db")
#: Rows read to propose the column roles and the date format, as the Data page reads a file.
SAMPLE_ROWS = 50_000
#: DuckDB's own memory ceiling; past it, joins and aggregations spill to its temporary folder.
DEFAULT_MEMORY = "1GB"


@dataclass(frozen=True)
class LargeSource:
    """Order lines prepared for the out-of-core engine.

    Attributes
    ----------
    location : str
        The file, folder or ``database.duckdb:table`` as given.
    database : str
        The DuckDB file holding the typed lines (table ``lines``), keyed by the source's
        content stamp, so a second preparation of the same files reuses it.
    mapping : ColumnMapping
        The column roles, as proposed from a sample (or given).
    dimensions : tuple of str
        The dimension columns kept (country, channel …), under their own names.
    rows_read, rows_kept : int
        Lines in the files, and lines after the cleaning steps.
    steps : tuple of str
        The cleaning steps applied (names of ``analytics.data.STEP_NAMES``).
    notes : tuple of str
        What was read and left out, in words.
    fingerprint : str
        A content key (the files' names, sizes and times, the mapping, the steps): caches key
        on it, as on a dataset's fingerprint.
    """

    location: str
    database: str
    mapping: ColumnMapping
    dimensions: tuple[str, ...]
    rows_read: int
    rows_kept: int
    steps: tuple[str, ...]
    notes: tuple[str, ...]
    fingerprint: str
    has_customers: bool = True
    has_names: bool = False
    columns: Mapping[str, str] = field(default_factory=dict)
    #: ``"duckdb"`` (``database`` is a DuckDB file) or ``"spark"`` (``database`` is the view of
    #: the session at ``master``).
    engine: str = "duckdb"
    master: str | None = None

    @property
    def source(self) -> str:
        """A short name for titles and exports."""
        return Path(self.location.split(":")[0]).name or self.location

    def connect(self, *, memory: str = DEFAULT_MEMORY) -> Any:
        """A read-only DuckDB connection to the prepared lines (table ``lines``); a Spark
        source connects through :func:`analytics.engines.analyses.connect`."""
        if self.engine != "duckdb":
            raise AnalyticsError(f"A {self.engine} source connects through its engine.")
        return _connect(self.database, read_only=True, memory=memory)


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is in requirements.txt
        raise AnalyticsError(
            _("The large-data engine needs the duckdb package."),
            hint="pip install -r requirements.txt",
        ) from exc
    return duckdb


def _connect(database: str, *, read_only: bool, memory: str = DEFAULT_MEMORY) -> Any:
    duckdb = _duckdb()
    config = {"memory_limit": memory, "threads": os.cpu_count() or 2}
    if not read_only:
        config["preserve_insertion_order"] = False
    return duckdb.connect(database, read_only=read_only, config=config)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _files(location: Path) -> list[Path]:
    """The data files of a file or folder (a folder: every Parquet file, else every CSV file,
    in name order, in sub-folders too: Hive-style partitions)."""
    if location.is_file():
        return [location]
    if not location.is_dir():
        raise AnalyticsError(
            _("There is no file or folder {path}.").format(path=location),
            hint=_("Give the path as the server sees it."),
        )
    for endings in (_PARQUET, _CSV):
        found = sorted(
            p for p in location.rglob("*") if p.is_file() and p.name.lower().endswith(endings)
        )
        if found:
            return found
    raise AnalyticsError(
        _("The folder {path} holds no Parquet or CSV files.").format(path=location),
        hint=_("Point at a folder of .parquet or .csv files, or at one file."),
    )


#: Text read as missing, as the in-memory reader (pyarrow's defaults) reads it.
_NULLS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "n/a",
    "nan",
    "null",
)


def _reader(files: Sequence[Path], table: str | None, text: Sequence[str] = ()) -> str:
    """The DuckDB table function (or table) that reads the files; ``text`` columns of a CSV
    stay text (identifiers, and the dates, which are read in the format the sample shows)."""
    names = "[" + ", ".join(_literal(str(p)) for p in files) + "]"
    first = files[0].name.lower()
    if first.endswith(_PARQUET):
        return f"read_parquet({names}, union_by_name = true)"
    if first.endswith(_DUCKDB):
        if not table:
            raise AnalyticsError(
                _("Name the table to read in {path}.").format(path=files[0].name),
                hint=_("Write the location as file.duckdb:table."),
            )
        return _quoted(table)
    if first.endswith(_CSV):
        nulls = "[" + ", ".join(_literal(v) for v in _NULLS) + "]"
        types = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in text)
        return (
            f"read_csv({names}, header = true, union_by_name = true, sample_size = 100000, "
            f"nullstr = {nulls}" + (f", types = {{{types}}}" if types else "") + ")"
        )
    raise AnalyticsError(
        _("{name} is not a Parquet, CSV or DuckDB file.").format(name=files[0].name),
        hint=_("Large sources are Parquet or CSV files (or folders of them), or DuckDB tables."),
    )


def large_sources(roots: Sequence[str | os.PathLike[str]], *, limit: int = 200) -> list[Path]:
    """What the operator's folders offer as large sources: data files, and folders that hold
    them (Hive-style partitions read as one source), three levels deep at most, in name order.

    Only these are offered to visitors: a path typed by a visitor is never read (see
    :func:`inside_roots`).
    """
    found: list[Path] = []
    endings = (*_PARQUET, *_CSV, *_DUCKDB)
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if len(path.relative_to(root).parts) > 3 or len(found) >= limit:
                continue
            if any(path.is_relative_to(folder) for folder in found if folder.is_dir()):
                continue  # a part of a folder offered whole
            is_data = path.is_file() and path.name.lower().endswith(endings)
            holds_data = path.is_dir() and any(
                p.is_file() and p.name.lower().endswith((*_PARQUET, *_CSV)) for p in path.iterdir()
            )
            if is_data or holds_data:
                found.append(path)
    return found


def inside_roots(path: str | os.PathLike[str], roots: Sequence[str | os.PathLike[str]]) -> Path:
    """``path`` resolved, if it lies inside one of ``roots`` (links followed); refused otherwise."""
    resolved = Path(path).resolve()
    for root in roots:
        if resolved.is_relative_to(Path(root).resolve()):
            return resolved
    raise AnalyticsError(
        _("{path} is outside the folders this server reads large files from.").format(path=path),
        hint=_("Ask whoever runs the server to add its folder to [marketlens.large] roots."),
    )


def _utf8(files: list[Path], folder: Path, say: Any) -> tuple[list[Path], list[str]]:
    """CSV files in UTF-8: a file in another encoding (GBK, Windows-1252, UTF-16 …, decided as
    the Data page decides) is converted once, in pieces, into the cache folder."""
    if not files[0].name.lower().endswith(_CSV) or files[0].name.lower().endswith(".gz"):
        return files, []
    out: list[Path] = []
    codecs: set[str] = set()
    for path in files:
        with path.open("rb") as raw:
            codec = codec_of(raw.read(_HEAD_BYTES))
        if codec in ("utf-8", "utf-8-sig"):
            out.append(path)
            continue
        codecs.add(codec)
        copy = folder / f"{_stamp([path], 'utf8')}.csv"
        if not copy.exists():
            say(0.03, _("Converting {name} to UTF-8").format(name=path.name))
            partial = copy.with_suffix(".part")
            with (
                path.open(encoding=codec, newline="") as src,
                partial.open("w", encoding="utf-8", newline="") as dst,
            ):
                while chunk := src.read(1 << 22):
                    dst.write(chunk)
            os.replace(partial, copy)
        out.append(copy)
    notes = [_("Text encoding: {name}.").format(name=c) for c in sorted(codecs)]
    return out, notes


#: How much of a text file decides its encoding.
_HEAD_BYTES = 4 << 20


def _stamp(files: Sequence[Path], extra: object) -> str:
    """A content key from the files' paths, sizes and modification times, and ``extra``."""
    digest = hashlib.sha256()
    for path in files:
        info = path.stat()
        digest.update(f"{path.resolve()}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    digest.update(repr(extra).encode())
    return digest.hexdigest()[:20]


def cache_folder() -> Path:
    """Where prepared sources are kept: ``MARKETLENS_LARGE_CACHE``, else a folder in the
    system's temporary directory."""
    folder = Path(
        os.environ.get("MARKETLENS_LARGE_CACHE") or Path(tempfile.gettempdir()) / "marketlens-large"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _attached(con: Any, files: Sequence[Path]) -> Iterator[None]:
    """A DuckDB database file attached read-only as the default schema for reading a table."""
    if files[0].name.lower().endswith(_DUCKDB):
        con.execute(f"ATTACH {_literal(str(files[0]))} AS src (READ_ONLY)")
        con.execute("USE src")
        try:
            yield
        finally:
            con.execute("USE memory")
    else:
        yield


def _sample(con: Any, reader: str) -> pd.DataFrame:
    """The first rows, as the Data page would read them (text and numbers as typed)."""
    return con.execute(f"SELECT * FROM {reader} LIMIT {SAMPLE_ROWS}").fetchdf()


def _types(con: Any, reader: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    return {str(r[0]): str(r[1]).upper() for r in rows}


_NUMERIC = re.compile(
    r"^(?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT|DECIMAL.*|FLOAT|DOUBLE|REAL)$"
)
_INTEGER = re.compile(r"^(?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|U\w*INT)$")


def _id(column: str, kind: str) -> str:
    """An identifier as text, as ``as_identifier`` reads it: whole numbers without ``.0``,
    blanks missing."""
    col = _quoted(column)
    if _INTEGER.match(kind):
        return f"CAST({col} AS VARCHAR)"
    if _NUMERIC.match(kind):
        return (
            f"CASE WHEN {col} = floor({col}) THEN CAST(CAST({col} AS HUGEINT) AS VARCHAR) "
            f"ELSE CAST({col} AS VARCHAR) END"
        )
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def _number(column: str, kind: str) -> str:
    """A number, from numbers or text such as ``1,234.50`` (anything else missing)."""
    col = _quoted(column)
    if _NUMERIC.match(kind) or kind == "BOOLEAN":
        return f"CAST({col} AS DOUBLE)"
    return f"TRY_CAST(replace(trim(CAST({col} AS VARCHAR)), ',', '') AS DOUBLE)"


def _timestamp(column: str, kind: str, fmt: str | None) -> str:
    """A timestamp: typed columns as they are; text in the format read from the sample."""
    col = _quoted(column)
    if kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        return f"CAST(timezone('UTC', {col}) AS TIMESTAMP)"
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return f"CAST({col} AS TIMESTAMP)"
    if fmt in (None, "ISO 8601", "dates"):
        # A UTC offset after the time (Shopify's "2014-11-25 14:45:53 +1100") is applied, so
        # times are UTC as the in-memory reader makes them (DuckDB's own time-zone support is an
        # extension it would download).
        text = f"trim(CAST({col} AS VARCHAR))"
        offset = r"(\d:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*([+-])(\d{2}):?(\d{2})$"
        minutes = (
            f"(CASE regexp_extract({text}, '{offset}', 2) WHEN '-' THEN -1 ELSE 1 END) * "
            f"(CAST(regexp_extract({text}, '{offset}', 3) AS INTEGER) * 60 + "
            f"CAST(regexp_extract({text}, '{offset}', 4) AS INTEGER))"
        )
        return (
            f"CASE WHEN regexp_matches({text}, '{offset}') THEN "
            f"TRY_CAST(regexp_replace({text}, '{offset}', '\\1') AS TIMESTAMP) - "
            f"to_minutes({minutes}) ELSE TRY_CAST({text} AS TIMESTAMP) END"
        )
    return f"try_strptime(trim(CAST({col} AS VARCHAR)), {_literal(fmt)})"


def _text(column: str) -> str:
    return f"NULLIF(trim(CAST({_quoted(column)} AS VARCHAR)), '')"


def _date_format(sample: pd.DataFrame, kind_of: str, mapping: ColumnMapping) -> str | None:
    """The format of text dates, read on the sample the way the Data page reads them."""
    if mapping.timestamp is None or not kind_of.startswith("VARCHAR"):
        return None
    dataset = build_dataset(sample, "transactions", mapping, source="sample")
    if dataset.dates is None:
        return None
    fmt = dataset.dates.format
    if fmt == "mixed formats" or fmt == "numbers":
        raise AnalyticsError(
            _(
                "The dates in {column!r} come in several formats, which the large-data engine "
                "cannot read in one pass."
            ).format(column=mapping.timestamp),
            hint=_("Export the dates as YYYY-MM-DD, or load the file on the Data page."),
        )
    return fmt


def prepare(
    location: str | os.PathLike[str],
    *,
    roles: Mapping[str, str | None] | None = None,
    steps: Sequence[str] = DEFAULT_STEPS,
    memory: str = DEFAULT_MEMORY,
    progress: Any = None,
) -> LargeSource:
    """Read a large file, folder or DuckDB table once into typed order lines (out of core).

    Parameters
    ----------
    location : path
        A Parquet or CSV file, a folder of them, or ``file.duckdb:table``.
    roles : mapping of role to column, optional
        Override the proposed column roles, as :func:`analytics.data.open_dataset` takes them.
    steps : sequence of str
        The cleaning steps to apply, as the Data page names them (default: the Data page's
        defaults). Cancellations stay in unless asked: they reduce revenue, and every analysis
        counts orders and customers on the ``sold`` lines only, as the in-memory path does.
    memory : str
        DuckDB's memory limit (``"1GB"``): past it, DuckDB works through its temporary files.
    progress : callable, optional
        Called with (share done, message) as the preparation goes.

    Returns
    -------
    LargeSource

    Raises
    ------
    AnalyticsError
        No such file, no order lines in it, or roles missing.

    Example
    -------
    >>> source = prepare("/data/orders/")  # doctest: +SKIP
    >>> source.rows_kept  # doctest: +SKIP
    9874211
    """
    say = progress or (lambda share, message: None)
    text = str(location)
    table = ""
    if match := re.fullmatch(r"(.+\.(?:duckdb|db)):(\w+)", text):
        text, table = match.group(1), match.group(2)
    files = _files(Path(text))
    unknown = [s for s in steps if s not in STEP_NAMES]
    if unknown:
        raise AnalyticsError(f"Unknown cleaning step {unknown[0]!r}.")
    folder = cache_folder()
    files, notes = _utf8(files, folder, say)
    con = _connect(":memory:", read_only=False, memory=memory)
    try:
        con.execute(f"SET temp_directory = {_literal(str(folder / 'spill'))}")
        with _attached(con, files):
            say(0.02, _("Reading a sample to propose the column roles"))
            names = list(_types(con, _reader(files, table or None)))
            ids = [n for n in names if looks_like_identifier(n)]
            mapping = _mapping(_sample(con, _reader(files, table or None, ids)), roles)
            stamp_column = mapping.timestamp or ""
            text_columns = [*ids, *([stamp_column] if stamp_column not in ids else [])]
            reader = _reader(files, table or None, text_columns)
            sample = _sample(con, reader)
            kinds = _types(con, reader)
            stamp = _stamp(files, (table, mapping, tuple(steps), _LAYOUT))
            database = folder / f"{stamp}.duckdb"
            if not database.exists():
                _write(con, reader, kinds, sample, mapping, tuple(steps), database, say)
                _tidy(folder, keep=_KEEP)
        say(0.98, _("Counting what was kept"))
        return _described(str(location), database, mapping, tuple(steps), stamp, notes)
    except duckdb_error() as exc:
        raise AnalyticsError(
            _("{name} could not be read: {problem}").format(
                name=Path(text).name, problem=str(exc).splitlines()[0]
            ),
            hint=_("Check that every file of the source has the same columns and format."),
        ) from exc
    finally:
        con.close()


def duckdb_error() -> type[Exception]:
    """DuckDB's own error class (for ``except``), imported only when DuckDB is used."""
    error: type[Exception] = _duckdb().Error
    return error


def prepare_table(
    engine: Any,
    table: str,
    *,
    options: Any = None,
    roles: Mapping[str, str | None] | None = None,
    steps: Sequence[str] = DEFAULT_STEPS,
    progress: Any = None,
) -> LargeSource:
    """A database table as a large source: its rows streamed read-only (as the Data page reads a
    table, without the 2,000,000-row cap) into a DuckDB file piece by piece, then prepared as a
    file is. The table is never whole in memory.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The connection of ``[connections.sql]``.
    table : str
        A table the operator allows (as :func:`analytics.data.list_tables` names it).
    options : DatabaseOptions, optional
        The allowlist.
    """
    from analytics.data import stream_table

    say = progress or (lambda share, message: None)
    url = engine.url.render_as_string(hide_password=True)
    folder = cache_folder()
    key = hashlib.sha256(f"{url}|{table}".encode()).hexdigest()[:20]
    staging = folder / f"table-{key}.duckdb"
    partial = staging.with_suffix(".part")
    partial.unlink(missing_ok=True)
    con = _connect(str(partial), read_only=False)
    written = 0

    def write(piece: pd.DataFrame) -> None:
        nonlocal written
        con.register("piece", piece)
        if written == 0 and not _has_table(con, "rows"):
            con.execute("CREATE TABLE rows AS SELECT * FROM piece")
        else:
            con.execute("INSERT INTO rows SELECT * FROM piece")
        con.unregister("piece")
        written += len(piece)
        say(0.02, _("Read {n} rows of {table}").format(n=f"{written:,}", table=table))

    try:
        stream_table(engine, table, write, options=options)
    finally:
        con.close()
    os.replace(partial, staging)
    source = prepare(f"{staging}:rows", roles=roles, steps=steps, progress=progress)
    database = Path(engine.url.database).name if engine.url.database else engine.dialect.name
    return replace(source, location=f"{table} ({database})")


#: Prepared sources kept in the cache folder (the most recently written).
_KEEP = 8


def _tidy(folder: Path, *, keep: int) -> None:
    """Delete all but the ``keep`` newest prepared sources (a session still reading an older
    one keeps its open file until it closes it)."""
    prepared = sorted(
        (p for p in folder.glob("*.duckdb") if re.fullmatch(r"[0-9a-f]{20}\.duckdb", p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in prepared[keep:]:
        old.unlink(missing_ok=True)


def _has_table(con: Any, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])


#: The version of the prepared table's layout: a change makes older cache files unused.
_LAYOUT = 3


def _mapping(sample: pd.DataFrame, roles: Mapping[str, str | None] | None) -> ColumnMapping:
    guess = detect_kind(sample)
    if guess.kind != "transactions" and not roles:
        raise AnalyticsError(
            _("The large source does not look like order lines (it looks like {kind}).").format(
                kind=guess.kind
            ),
            hint=_("The large-data engine analyses order lines: one row per product in an order."),
        )
    mapping = detect_mapping(sample, "transactions")
    if roles:
        mapping = mapping_from_options(mapping, roles)
    missing = [r for r in ("order_id", "timestamp") if getattr(mapping, r) is None]
    if missing or (mapping.revenue is None and mapping.unit_price is None):
        raise AnalyticsError(
            _("The large source needs an order, a date and a price or revenue column."),
            hint=_("Name the columns with --role, e.g. --role order_id=Invoice."),
        )
    return mapping


def _typed_select(
    kinds: Mapping[str, str], sample: pd.DataFrame, mapping: ColumnMapping, paid: str | None
) -> list[str]:
    """One SQL expression per role, each typed as the in-memory dataset types it."""
    roles = mapping.roles()
    fmt = _date_format(sample, kinds.get(mapping.timestamp or "", ""), mapping)
    select: list[str] = []
    for role in ("order_id", "customer_id", "product"):
        if role in roles:
            select.append(f"{_id(roles[role], kinds[roles[role]])} AS {role}")
    select.append(f"{_timestamp(roles['timestamp'], kinds[roles['timestamp']], fmt)} AS timestamp")
    for role in ("product_name", "category", "status"):
        if role in roles:
            select.append(f"{_text(roles[role])} AS {role}")
    quantity = (
        _number(roles["quantity"], kinds[roles["quantity"]]) if "quantity" in roles else "1.0"
    )
    select.append(f"{quantity} AS quantity")
    price = (
        _number(roles["unit_price"], kinds[roles["unit_price"]]) if "unit_price" in roles else ""
    )
    if price:
        select.append(f"{price} AS unit_price")
    if "revenue" in roles:
        select.append(f"{_number(roles['revenue'], kinds[roles['revenue']])} AS revenue")
    else:
        select.append(f"({quantity}) * ({price}) AS revenue")
    if "refund" in roles:
        select.append(f"{_number(roles['refund'], kinds[roles['refund']])} AS refund")
    if paid:
        select.append(f"{paid} AS paid")
    for column in mapping.dimensions:
        if column in kinds:
            select.append(f"{_text(column)} AS {_quoted(column)}")
    if (row_ids := row_id_column(sample)) is not None:
        # Lines equal in every mapped column are still different lines of the file.
        select.append(f"{_quoted(row_ids)} AS row_id")
    return select


#: An order id's form: letters become A, digits 9 (``US-2016-1`` → ``AA-9999-9``).
_SHAPE = "regexp_replace(regexp_replace({x}, '\\pL', 'A', 'g'), '[0-9]', '9', 'g')"


def _write(
    con: Any,
    reader: str,
    kinds: Mapping[str, str],
    sample: pd.DataFrame,
    mapping: ColumnMapping,
    steps: tuple[str, ...],
    database: Path,
    say: Any,
) -> None:
    """Write the typed, cleaned lines with their ``sold`` and ``cancelled`` flags into a new
    DuckDB file: under a temporary name, renamed when complete, so a half-written file is never
    taken for a finished one."""
    select = _typed_select(kinds, sample, mapping, _paid(con, reader, mapping))
    distinct = "DISTINCT " if "drop_duplicates" in steps else ""
    say(0.05, _("Reading every line"))
    con.execute(f"CREATE TEMP TABLE typed AS SELECT {distinct}{', '.join(select)} FROM {reader}")
    gone: dict[str, int] = {}
    if "drop_duplicates" in steps:
        total = con.execute(f"SELECT count(*) FROM {reader}").fetchone()[0]
        gone["drop_duplicates"] = int(total) - _count(con, "typed")
    order_notes = _order_level(con, mapping)
    say(0.55, _("Marking cancellations and returns"))
    con.execute(f"CREATE TEMP TABLE flagged AS {_cancelled_orders(mapping)}")
    cancelled = ["f.order_id IS NOT NULL", "coalesce(t.quantity < 0, false)"]
    if returns := _statuses(con, mapping, "returns"):
        cancelled.append(f"coalesce(t.status IN ({returns}), false)")
    con.execute(
        f"CREATE TEMP TABLE marked AS SELECT t.*, ({' OR '.join(cancelled)}) AS cancelled "
        "FROM typed t LEFT JOIN flagged f ON t.order_id = f.order_id"
    )
    con.execute("DROP TABLE typed")
    for step, condition in _conditions(con, mapping, steps).items():
        before = _count(con, "marked")
        con.execute(f"DELETE FROM marked WHERE NOT coalesce({condition}, false)")
        gone[step] = before - _count(con, "marked")
    say(0.8, _("Writing the prepared lines"))
    partial = database.with_suffix(".part")
    for stale in (partial, Path(f"{partial}.wal")):
        stale.unlink(missing_ok=True)
    con.execute(f"ATTACH {_literal(str(partial))} AS out")
    try:
        con.execute(
            "CREATE TABLE out.lines AS SELECT *, "
            "NOT cancelled AND coalesce(quantity <> 0, true) AS sold FROM marked"
        )
        con.execute("CREATE TABLE out.removed (step VARCHAR, rows BIGINT)")
        if gone:
            con.executemany("INSERT INTO out.removed VALUES (?, ?)", list(gone.items()))
        con.execute("CREATE TABLE out.notes (note VARCHAR)")
        if order_notes:
            con.executemany("INSERT INTO out.notes VALUES (?)", [[n] for n in order_notes])
    finally:
        con.execute("DETACH out")
    con.execute("DROP TABLE marked")
    os.replace(partial, database)


def _conditions(con: Any, mapping: ColumnMapping, steps: Sequence[str]) -> dict[str, str]:
    """The cleaning steps as SQL conditions on the lines to keep, in the Data page's order."""
    keep: dict[str, str] = {}
    if "drop_cancellations" in steps:
        keep["drop_cancellations"] = "NOT cancelled"
    if "drop_unpaid" in steps:
        unpaid = ["NOT paid"] if mapping.paid else []
        if statuses := _statuses(con, mapping, "unpaid", "marked"):
            unpaid.append(f"coalesce(status IN ({statuses}), false)")
        if unpaid:
            keep["drop_unpaid"] = f"NOT (({' OR '.join(unpaid)}) AND NOT cancelled)"
    if "drop_nonpositive_prices" in steps and mapping.unit_price:
        keep["drop_nonpositive_prices"] = "NOT coalesce(unit_price <= 0, false)"
    if "drop_missing_customers" in steps and mapping.customer_id:
        keep["drop_missing_customers"] = "customer_id IS NOT NULL"
    if "drop_missing_dates" in steps:
        keep["drop_missing_dates"] = "timestamp IS NOT NULL"
    if "drop_implausible_dates" in steps:
        latest = pd.Timestamp.now() + pd.Timedelta(days=366)
        keep["drop_implausible_dates"] = (
            f"timestamp IS NULL OR (timestamp >= TIMESTAMP '{EARLIEST_PLAUSIBLE:%Y-%m-%d}' AND "
            f"timestamp <= TIMESTAMP '{latest:%Y-%m-%d %H:%M:%S}')"
        )
    return keep


def _order_level(con: Any, mapping: ColumnMapping) -> list[str]:
    """Spread order-level roles over every line of their order and take refunds off revenue,
    as the in-memory build does (``_order_level``): a status written on an order's first line
    only is the status of all its lines; an order is paid when any line says so; lines of a
    cancelled order with no refund amount count no revenue; refunds are taken off revenue."""
    if not (mapping.status or mapping.paid or mapping.refund):
        return []
    notes: list[str] = []
    replace: list[str] = []
    spread: list[str] = []
    if mapping.status:
        spread.append("any_value(status) AS status")
        replace.append("coalesce(t.status, o.status) AS status")
    if mapping.paid:
        spread.append("bool_or(paid) AS paid")
        replace.append("coalesce(o.paid, false) AS paid")
    revenue = "t.revenue"
    if mapping.status and not mapping.refund:
        returns = _statuses(con, mapping, "returns")
        partial = set(_statuses(con, mapping, "partial").split(", ")) - {""}
        voided = ", ".join(v for v in returns.split(", ") if v and v not in partial)
        if voided:
            status = "coalesce(t.status, o.status)"
            condition = f"{status} IN ({voided}) AND coalesce(t.revenue > 0, false)"
            n = con.execute(
                f"SELECT count(*) FROM typed t LEFT JOIN (SELECT order_id, {', '.join(spread)} "
                f"FROM typed GROUP BY order_id) o ON t.order_id IS NOT DISTINCT FROM o.order_id "
                f"WHERE {condition}"
            ).fetchone()[0]
            if n:
                revenue = f"CASE WHEN {condition} THEN 0.0 ELSE t.revenue END"
                notes.append(
                    _(
                        "{n} line(s) of orders that {status} marks cancelled or returned count "
                        "no revenue (the file records no refund amount for them)."
                    ).format(n=f"{n:,}", status=mapping.status)
                )
    if mapping.refund:
        revenue = f"{revenue} - abs(coalesce(t.refund, 0))"
        replace.append("coalesce(t.refund, 0) AS refund")
        if con.execute("SELECT count(*) FROM typed WHERE coalesce(refund, 0) <> 0").fetchone()[0]:
            notes.append(
                _("Revenue is net of refunds: {refund} is taken off {revenue}.").format(
                    refund=mapping.refund, revenue=mapping.revenue or _("revenue")
                )
            )
    replace.append(f"{revenue} AS revenue")
    joined = (
        f"LEFT JOIN (SELECT order_id, {', '.join(spread)} FROM typed GROUP BY order_id) o "
        "ON t.order_id IS NOT DISTINCT FROM o.order_id"
        if spread
        else ""
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed AS SELECT t.* REPLACE ({', '.join(replace)}) "
        f"FROM typed t {joined}"
    )
    return notes


def _paid(con: Any, reader: str, mapping: ColumnMapping) -> str | None:
    """SQL for whether a line is paid, read as ``paid_flags`` reads the column: a yes/no flag
    (decided on its few distinct values), else a payment time that is filled in."""
    if not mapping.paid:
        return None
    col = _quoted(mapping.paid)
    distinct = [
        r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {reader} LIMIT 51").fetchall()
    ]
    if len(distinct) <= 50:
        values = pd.Series(distinct, dtype=object)
        yes = [str(v) for v, ok in zip(distinct, paid_flags(values), strict=True) if ok]
        listed = ", ".join(_literal(v) for v in yes)
        return f"coalesce(CAST({col} AS VARCHAR) IN ({listed}), false)" if yes else "false"
    return f"coalesce(trim(CAST({col} AS VARCHAR)) <> '', false)"


def _count(con: Any, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _cancelled_orders(mapping: ColumnMapping) -> str:
    """SQL for the order ids that mark a cancellation or return: the Online Retail form (a C
    before an id of another order's form, see ``cancelled_orders``), and orders with a refund."""
    shape = _SHAPE.format(x="order_id")
    rest = _SHAPE.format(x="substr(order_id, 2)")
    # In a file where every id starts with C, the C is part of every id: no other form exists.
    parts = [
        "WITH ids AS (SELECT DISTINCT order_id, regexp_matches(order_id, '^[Cc]') AS c "
        "FROM typed WHERE order_id IS NOT NULL), "
        f"shapes AS (SELECT DISTINCT {shape} AS s FROM ids WHERE NOT c) "
        f"SELECT order_id FROM ids WHERE c AND {rest} IN (SELECT s FROM shapes)"
    ]
    if mapping.refund:
        parts.append(
            "SELECT DISTINCT order_id FROM typed WHERE coalesce(refund, 0) <> 0 "
            "AND order_id IS NOT NULL"
        )
    return " UNION ".join(parts)


def _statuses(con: Any, mapping: ColumnMapping, which: str, table: str = "typed") -> str:
    """The file's statuses that mark returns (or unpaid orders), as an SQL list; '' if none."""
    if not mapping.status:
        return ""
    distinct = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT status FROM {table} WHERE status IS NOT NULL"
        ).fetchall()
    ]
    found = matching_statuses(distinct, which)  # type: ignore[arg-type]
    return ", ".join(_literal(v) for v in found)


STEP_NOTES = {
    "drop_duplicates": N_("{n} exact duplicate lines removed."),
    "drop_unpaid": N_("{n} lines of unpaid orders removed."),
    "drop_missing_dates": N_("{n} lines without a readable date removed."),
    "drop_implausible_dates": N_("{n} lines dated before 1990 or more than a year ahead removed."),
    "drop_nonpositive_prices": N_("{n} lines with a price of zero or less removed."),
    "drop_missing_customers": N_("{n} lines without a customer id removed."),
    "drop_cancellations": N_("{n} cancelled or returned lines removed."),
}


def _described(
    location: str,
    database: Path,
    mapping: ColumnMapping,
    steps: tuple[str, ...],
    stamp: str,
    read_notes: Sequence[str] = (),
) -> LargeSource:
    con = _connect(str(database), read_only=True)
    try:
        kept = _count(con, "lines")
        removed = dict(con.execute("SELECT step, rows FROM removed").fetchall())
        read_notes = [
            *read_notes,
            *(r[0] for r in con.execute("SELECT note FROM notes").fetchall()),
        ]
        columns = {str(r[0]): str(r[1]) for r in con.execute("DESCRIBE lines").fetchall()}
        names = mapping.product_name is not None
    finally:
        con.close()
    notes = [*read_notes] + [
        _(STEP_NOTES[step]).format(n=f"{int(rows):,}")
        for step, rows in removed.items()
        if rows and step in STEP_NOTES
    ]
    return LargeSource(
        location=location,
        database=str(database),
        mapping=mapping,
        dimensions=tuple(c for c in mapping.dimensions if c in columns),
        rows_read=kept + sum(int(v) for v in removed.values()),
        rows_kept=kept,
        steps=steps,
        notes=tuple(notes),
        fingerprint=stamp,
        has_customers=mapping.customer_id is not None,
        has_names=names,
        columns=columns,
    )
