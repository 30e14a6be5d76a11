"""What a visitor's SQL may do: one plain read of the tables and views the operator allows.

A query typed on the Data page is parsed (sqlglot, in the database's dialect) and accepted only
when it is exactly one ``SELECT`` (or ``WITH … SELECT``, or a ``UNION`` of them) that

- writes nothing, anywhere (no INSERT/UPDATE/DELETE/MERGE, also not inside a ``WITH``; no DDL,
  ``SELECT … INTO``, ``COPY``, transaction control, ``SET``, locks);
- reads only tables and views the visitor may list (see :class:`TableName`), each resolved to its
  schema the way the database will resolve it, so ``pg_catalog`` and other schemas stay out of
  reach; a name that a ``WITH`` defines counts as that query only where the database would see it;
- calls only functions that compute with values: aggregates, arithmetic, text, dates, casts,
  windows. Server-side file, admin, network, sleep, lock, sequence, extension and
  query-running functions, and functions used as row sources (``generate_series``), are refused.

What is sent to the database is the statement *as parsed*, written back out by sqlglot with every
table qualified by its schema: whatever the visitor typed, the database runs the query that was
checked, never a text that a different tokenizer might read as something else.

This is the first of three guards; the database's own read-only transaction and a least-privilege
user are the others (see ``analytics.data.sql``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ErrorLevel, SqlglotError

from analytics.errors import AnalyticsError

# sqlglot logs a warning for statements it reads only as a generic command (EXPLAIN, CALL …);
# they are refused here with a message of our own.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

MAX_QUERY_CHARS = 100_000

#: SQLAlchemy dialect name → sqlglot dialect. Queries on other databases are refused (tables can
#: still be read whole).
DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql"}

_HINT = "MarketLens only reads: write a SELECT … FROM … query."
_ASK_OPERATOR = (
    "If you need it, ask whoever runs this MarketLens server to make a view that does it and "
    "allow that view."
)


def _words(text: str) -> list[str]:
    return text.split()


# Functions that compute with values and need no help from the server beyond that. sqlglot knows
# most built-ins by type (Sum, DateTrunc, Upper …); these are the ones it leaves anonymous. Any
# other anonymous function, user-defined ones included, is refused: an allowlist, not a
# denylist, so that a function nobody thought of stays out.
_PLAIN_FUNCTIONS = frozenset(
    _words(
        """
    abs acos age ascii asin atan atan2 avg bit_length bool_and bool_or btrim cardinality cbrt ceil
    ceiling char char_length character_length chr coalesce concat concat_ws corr cos cot count
    covar_pop covar_samp cume_dist current_date date date_add date_diff date_part date_sub
    date_trunc datediff datetime day dayname dayofmonth dayofweek dayofyear degrees dense_rank div
    every exp extract first_value floor format format_date greatest group_concat hex hour ifnull
    iif initcap instr isfinite julianday justify_days justify_hours justify_interval lag last_day
    last_value lead least left length ln log log10 log2 lower lpad ltrim make_date make_interval
    make_time make_timestamp max md5 min minute mod mode month monthname now nth_value ntile nullif
    nvl octet_length percent_rank percentile_cont percentile_disc pi position pow power printf
    quarter radians random rank regexp_like regexp_replace regexp_substr regr_intercept regr_r2
    regr_slope replace reverse right round row_number rpad rtrim second sign sin split_part sqrt
    stddev stddev_pop stddev_samp strftime string_agg strpos substr substring sum tan time
    timezone to_char to_date to_number to_timestamp total translate trim trunc typeof unicode
    unixepoch upper var_pop var_samp variance week weekday weekofyear year
    """
    )
)

# Known dangerous functions, each with what it would do: for a precise refusal message. (They are
# refused anyway, as none is in the allowlist above; typed sqlglot functions whose name lands
# here are refused too.)
_DANGEROUS = {
    "reads or writes files on the database server": """
        pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file pg_ls_logdir pg_ls_waldir
        pg_ls_tmpdir pg_ls_archive_statusdir pg_file_write pg_file_rename pg_file_unlink
        pg_logdir_ls lo_import lo_export lo_get lo_put lo_from_bytea lo_create lo_creat lo_unlink
        lo_open loread lowrite load_file readfile writefile edit fts3_tokenizer read_csv
        read_parquet read_json read_text
    """,
    "loads code into the database server": "load_extension",
    "controls the database server or other sessions": """
        pg_terminate_backend pg_cancel_backend pg_reload_conf pg_rotate_logfile pg_promote
        pg_switch_wal pg_create_restore_point pg_backup_start pg_backup_stop pg_start_backup
        pg_stop_backup set_config pg_notify pg_logical_emit_message kill
    """,
    "reads the server's settings": "current_setting pg_settings version",
    "takes locks that outlive the query": """
        pg_advisory_lock pg_advisory_lock_shared pg_advisory_xact_lock
        pg_advisory_xact_lock_shared pg_try_advisory_lock pg_try_advisory_lock_shared
        pg_try_advisory_xact_lock pg_try_advisory_xact_lock_shared pg_advisory_unlock
        pg_advisory_unlock_all get_lock release_lock
    """,
    "waits on purpose": "pg_sleep pg_sleep_for pg_sleep_until sleep benchmark",
    "changes a sequence": "nextval setval currval lastval",
    "runs another query from a text": """
        query_to_xml query_to_xml_and_xmlschema query_to_xmlschema cursor_to_xml
        table_to_xml table_to_xmlschema table_to_xml_and_xmlschema schema_to_xml
        database_to_xml dblink dblink_exec dblink_connect dblink_send_query
    """,
    "makes a very large value": "repeat zeroblob randomblob",
}
_WHY = {name: why for why, names in _DANGEROUS.items() for name in _words(names)}

# Typed sqlglot functions that produce rows, read files, draw sequences or call out: refused.
_REFUSED_TYPED = (
    exp.ExplodingGenerateSeries,
    exp.GenerateSeries,
    exp.GenerateDateArray,
    exp.GenerateTimestampArray,
    exp.GenerateTable,
    exp.Explode,
    exp.Posexplode,
    exp.Unnest,
    exp.SplitToTable,
    exp.StrtokSplitToTable,
    exp.JSONTable,
    exp.XMLTable,
    exp.OpenJSON,
    exp.ReadCSV,
    exp.ReadParquet,
    exp.ToFile,
    exp.NextValueFor,
    exp.AIGenerate,
    exp.GenerateEmbedding,
    exp.Repeat,
)
# Statements and clauses that write, lock or leave the read-only transaction, wherever they sit.
_REFUSED_NODES: tuple[tuple[type[exp.Expression], str], ...] = (
    (exp.Insert, "INSERT"),
    (exp.Update, "UPDATE"),
    (exp.Delete, "DELETE"),
    (exp.Merge, "MERGE"),
    (exp.Create, "CREATE"),
    (exp.Drop, "DROP"),
    (exp.Alter, "ALTER"),
    (exp.TruncateTable, "TRUNCATE"),
    (exp.Copy, "COPY"),
    (exp.Command, "a command"),
    (exp.Transaction, "BEGIN"),
    (exp.Commit, "COMMIT"),
    (exp.Rollback, "ROLLBACK"),
    (exp.Set, "SET"),
    (exp.Pragma, "PRAGMA"),
    (exp.Into, "INTO"),
)

#: Schemas of the database system itself: never readable, whatever the operator allows.
SYSTEM_SCHEMAS = frozenset(
    {
        "pg_catalog",
        "information_schema",
        "pg_toast",
        "mysql",
        "performance_schema",
        "sys",
        "temp",
    }
)


class _PostgresStandardStrings(Postgres):
    """PostgreSQL as configured since 9.1 (``standard_conforming_strings = on``): a backslash in
    a plain '…' string is an ordinary character, so it is written back as one (sqlglot's own
    Postgres writer doubles it, which would change the query's text values)."""

    class Generator(Postgres.Generator):  # type: ignore[misc,valid-type]  # sqlglot's pattern
        def escape_str(
            self,
            text: str,
            escape_backslash: bool = True,
            delimiter: str | None = None,
            escaped_delimiter: str | None = None,
            is_byte_string: bool = False,
            is_bytes: bool = False,
        ) -> str:
            if is_byte_string:  # E'…' strings do read backslash escapes
                return super().escape_str(
                    text, escape_backslash, delimiter, escaped_delimiter, is_byte_string, is_bytes
                )
            return self._replace_line_breaks(text).replace(
                delimiter or self.dialect.QUOTE_END,
                escaped_delimiter or self._escaped_quote_end,
            )


_WRITERS: dict[str, str | type[Dialect]] = {"postgres": _PostgresStandardStrings}


@dataclass(frozen=True, order=True)
class TableName:
    """A table or view as the database knows it: its schema and its exact name."""

    schema: str
    name: str

    def label(self, default_schema: str | None) -> str:
        """How the visitor sees it: the bare name in the default schema, else schema.name."""
        return self.name if self.schema == default_schema else f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed :func:`check_query`.

    Attributes
    ----------
    sql : str
        The statement to send: the parsed query written back out, tables schema-qualified.
    tables : tuple of TableName
        The tables and views it reads.
    """

    sql: str
    tables: tuple[TableName, ...]


def check_query(
    query: str,
    *,
    dialect: str,
    tables: Collection[TableName],
    default_schema: str | None,
) -> CheckedQuery:
    """Accept one plain read of allowed tables, or refuse it with a plain-language reason.

    Parameters
    ----------
    query : str
        SQL typed by the visitor.
    dialect : str
        The SQLAlchemy dialect name of the database (``"postgresql"``, ``"sqlite"``, …).
    tables : collection of TableName
        The tables and views the visitor may read (what the Data page lists).
    default_schema : str or None
        Where an unqualified name is looked up (``public``, ``main``, the MySQL database).

    Returns
    -------
    CheckedQuery

    Raises
    ------
    AnalyticsError
        For anything but a single read: writes, DDL, locks, transaction control, settings,
        several statements, functions that reach beyond computing with values, row-producing
        functions, placeholders, and tables or views that are not allowed.

    Example
    -------
    >>> orders = TableName("public", "orders")
    >>> check_query(
    ...     "select count(*) from orders", dialect="postgresql", tables=[orders],
    ...     default_schema="public",
    ... ).sql
    'SELECT COUNT(*) FROM "public"."orders"'
    """
    text = query.strip()
    if not text:
        raise AnalyticsError("Type a SELECT query first.")
    if len(text) > MAX_QUERY_CHARS:
        raise AnalyticsError(f"The query is over {MAX_QUERY_CHARS:,} characters.")
    if dialect not in DIALECTS:
        raise AnalyticsError(
            f"Queries can be typed for PostgreSQL, MySQL/MariaDB and SQLite; this database is "
            f"{dialect}.",
            hint="Read a whole table instead.",
        )
    read = DIALECTS[dialect]
    statements = _parse(text, read)
    if len(statements) > 1:
        raise AnalyticsError(
            "Only one statement can run at a time, and this text holds several (separated by ;).",
            hint="Keep a single SELECT.",
        )
    (tree,) = statements
    if isinstance(tree, exp.Subquery):  # "(SELECT …)"
        tree = tree.unnest()
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise AnalyticsError(
            f"Only read-only SELECT queries can run here, and this one starts with "
            f"{_first_word(text)!r}.",
            hint=_HINT,
        )
    _refuse_writes(tree)
    _refuse_functions(tree, read)
    read_tables = _resolve_tables(tree, read, tables, default_schema)
    try:
        sql = tree.sql(
            dialect=_WRITERS.get(read, read), unsupported_level=ErrorLevel.RAISE, comments=False
        )
    except SqlglotError as exc:
        raise AnalyticsError(
            f"MarketLens could not check this query safely: {_first_line(exc)}",
            hint="Write it more simply (standard SQL), or read a whole table.",
        ) from exc
    return CheckedQuery(sql=sql, tables=tuple(sorted(set(read_tables))))


def _parse(text: str, read: str) -> list[exp.Expr]:
    try:
        statements = [s for s in sqlglot.parse(text, read=read) if s is not None]
    except SqlglotError as exc:
        raise AnalyticsError(
            f"MarketLens could not read this query, so it was not run: {_first_line(exc)}",
            hint="Check its syntax. " + _HINT,
        ) from exc
    if not statements:
        raise AnalyticsError("Type a SELECT query first.")
    return statements


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _first_word(text: str) -> str:
    try:
        tokens = sqlglot.tokenize(text)
    except SqlglotError:
        tokens = []
    word = next((t.text for t in tokens if t.text not in ("(", ")")), text[:20])
    return word.upper()


def _refuse_writes(tree: exp.Expression) -> None:
    for node in tree.walk():
        for kind, name in _REFUSED_NODES:
            if isinstance(node, kind):
                why = (
                    "(SELECT … INTO makes a new table)"
                    if kind is exp.Into
                    else "(it could change the database or end its read-only transaction)"
                )
                raise AnalyticsError(
                    f"This query contains {name} {why}, so it was not run.", hint=_HINT
                )
        if isinstance(node, exp.Lock):
            raise AnalyticsError(
                "This query locks rows (FOR UPDATE/SHARE), so it was not run.", hint=_HINT
            )
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise AnalyticsError(
                "This query has a parameter (such as :name, ? or %s); MarketLens runs queries as "
                "typed, without parameters.",
                hint="Type the value itself in the query.",
            )


def _function_name(node: exp.Func, dialect: str) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    try:
        written = node.sql(dialect=dialect)
    except SqlglotError:
        written = node.sql_name()
    return written.split("(", 1)[0].strip().strip('"`').lower()


def _refuse_functions(tree: exp.Expression, dialect: str) -> None:
    for node in tree.find_all(exp.Func):
        name = _function_name(node, dialect)
        parent = node.parent
        if isinstance(parent, exp.Dot) and parent.expression is node:
            schema = parent.this.name.lower() if isinstance(parent.this, exp.Expression) else ""
            if schema != "pg_catalog":
                raise AnalyticsError(
                    f"This query calls {parent.sql(dialect=dialect).split('(')[0]}(), a function "
                    "from a schema; MarketLens only calls built-in functions.",
                    hint=_ASK_OPERATOR,
                )
        if name in _WHY:
            raise AnalyticsError(
                f"This query calls {name}(), which {_WHY[name]}, so it was not run.",
                hint=_ASK_OPERATOR,
            )
        if isinstance(node, _REFUSED_TYPED):
            raise AnalyticsError(
                f"This query calls {name}(), which makes rows or values of its own rather than "
                "reading tables, so it was not run.",
                hint="Read from tables and views; " + _ASK_OPERATOR,
            )
        if isinstance(node, exp.Anonymous) and name not in _PLAIN_FUNCTIONS:
            raise AnalyticsError(
                f"This query calls {name}(), which is not among the functions MarketLens runs: "
                "those that compute with values (sum, count, avg, date_trunc, upper, round, "
                "coalesce …).",
                hint=_ASK_OPERATOR,
            )


def _fold(identifier: exp.Identifier | str, dialect: str) -> str:
    """A name as the database compares it: PostgreSQL folds unquoted names to lower case."""
    if isinstance(identifier, str):
        return identifier
    name = str(identifier.this)
    if dialect == "postgres" and not identifier.quoted:
        return name.lower()
    return name


def _same(a: str, b: str, dialect: str) -> bool:
    # SQLite compares names without regard to ASCII case; the others exactly (after folding).
    return a.lower() == b.lower() if dialect == "sqlite" else a == b


def _visible_ctes(table: exp.Table, dialect: str) -> Iterator[str]:
    """The WITH names a table reference at this place would mean, innermost first.

    Without RECURSIVE, a WITH query sees only the WITH queries before it (and the main query sees
    them all); with RECURSIVE, every one of its list. Any other name is a real table, as the
    database resolves it, so a WITH name never hides a table from the checks.
    """
    path: list[exp.Expr] = [table]
    node = table.parent
    while node is not None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            ctes = list(with_.expressions)
            # Came up through one of this WITH's queries (path: … CTE, With) or the main query.
            through = path[-2] if len(path) >= 2 and path[-1] is with_ else None
            if through is None or with_.args.get("recursive"):
                seen = ctes
            else:
                seen = ctes[: next(i for i, c in enumerate(ctes) if c is through)]
            for cte in seen:
                yield _fold(cte.args["alias"].this, dialect)
        path.append(node)
        node = node.parent


def _resolve_tables(
    tree: exp.Expression,
    dialect: str,
    allowed: Collection[TableName],
    default_schema: str | None,
) -> list[TableName]:
    found: list[TableName] = []
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            what = table.this.sql(dialect=dialect) if table.this else "?"
            raise AnalyticsError(
                f"This query reads rows from {what.split('(')[0]}(…), a function, not from a "
                "table or view, so it was not run.",
                hint="Read from tables and views; " + _ASK_OPERATOR,
            )
        if table.args.get("catalog"):
            raise AnalyticsError(
                f"This query names {table.sql(dialect=dialect)} with a database part; name tables "
                "as schema.table or just table.",
            )
        name = _fold(table.this, dialect)
        schema_id = table.args.get("db")
        if schema_id is None and any(
            _same(name, cte, dialect) for cte in _visible_ctes(table, dialect)
        ):
            continue  # the WITH query of that name
        schema = _fold(schema_id, dialect) if schema_id is not None else default_schema
        match = next(
            (
                t
                for t in allowed
                if schema is not None
                and _same(t.schema, schema, dialect)
                and _same(t.name, name, dialect)
            ),
            None,
        )
        if match is None or match.schema.lower() in SYSTEM_SCHEMAS:
            shown = name if schema_id is None else f"{schema}.{name}"
            raise AnalyticsError(
                f"There is no table or view called {shown!r} that MarketLens may read.",
                hint="The list of tables on this page shows what can be read; the operator "
                "decides it in .streamlit/secrets.toml.",
            )
        table.set("db", exp.to_identifier(match.schema, quoted=True))
        table.set("this", exp.to_identifier(match.name, quoted=True))
        found.append(match)
    return found
