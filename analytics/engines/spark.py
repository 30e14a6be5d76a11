"""The same analyses on Apache Spark, for what one machine cannot hold.

``prepare_spark`` reads typed order lines (Parquet, a folder of it, or CSV; local paths or any URI
Spark reads, such as ``s3a://`` or ``hdfs://``) on a Spark cluster (``master``: ``local[2]``,
``spark://host:7077``, ``yarn`` …), types and cleans them as :func:`prepare` does, and keeps them
as the session's ``lines`` view. :class:`SparkConnection` gives that view the interface of a
DuckDB connection, so :func:`large_overview`, :func:`large_rfm` and :func:`large_series` run their
SQL unchanged on Spark. ``spark_rules`` mines association rules with MLlib's FP-Growth and
``spark_kmeans`` clusters customers with MLlib's k-means.

PySpark (and a Java runtime) are needed only here: ``pip install pyspark``.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analytics.baskets import Baskets
from analytics.data.cleaning import DEFAULT_STEPS, EARLIEST_PLAUSIBLE, matching_statuses
from analytics.data.names import paid_flags
from analytics.engines.source import SAMPLE_ROWS, STEP_NOTES, LargeSource, _mapping
from analytics.errors import AnalyticsError
from analytics.i18n import _

# PySpark 4.x warns on every conversion that it is not yet tested with pandas 3 (our results are
# checked against the DuckDB engine's in tests/unit/test_spark.py): not a message for users.
warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
warnings.filterwarnings("ignore", "The copy keyword is deprecated", DeprecationWarning, "pyspark")

#: One Spark session per master URL in this process (starting one takes seconds).
_SESSIONS: dict[str, Any] = {}


def spark_session(master: str = "local[2]", *, memory: str = "2g") -> Any:
    """The process's Spark session for ``master`` (started the first time, then reused)."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise AnalyticsError(
            _("The Spark engine needs PySpark and a Java runtime."),
            hint="pip install pyspark  (and a Java 17 runtime, e.g. apt install default-jre-headless)",
        ) from exc
    builder = (
        SparkSession.builder.master(master)
        .appName("MarketLens")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", "8")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable: Py4J and Spark raise many kinds
        raise AnalyticsError(
            _("Spark could not be started at {master}: {problem}").format(
                master=master, problem=str(exc).splitlines()[0][:200]
            ),
            hint=_("Check the master URL and that Java is installed."),
        ) from exc
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = session
    return session


class _Result:
    """What DuckDB's ``execute`` returns, over a Spark result brought into pandas."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(_plain(v) for v in row) for row in self._frame.itertuples(index=False)]

    def fetchdf(self) -> pd.DataFrame:
        return self._frame

    def fetchnumpy(self) -> dict[str, np.ndarray]:
        return {c: self._frame[c].to_numpy() for c in self._frame.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


class SparkConnection:
    """A Spark session with the part of DuckDB's connection interface the analyses use:
    ``execute(sql, params)`` with positional ``?`` parameters, then ``fetchone``,
    ``fetchall``, ``fetchdf`` or ``fetchnumpy``; ``close`` (the session stays up)."""

    def __init__(self, session: Any, view: str = "lines") -> None:
        self.session = session
        self.view = view

    def execute(self, sql: str, params: Sequence[object] = ()) -> _Result:
        args = [_argument(p) for p in params]
        sql = re.sub(r"\bFROM lines\b", f"FROM {self.view}", sql)
        frame = self.session.sql(sql, args=args or None).toPandas()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].astype("datetime64[ns]")
        return _Result(frame)

    def close(self) -> None:
        """Nothing to close: the session serves the next query."""


def _argument(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _kind(spark_type: str) -> str:
    """A Spark column type under the name DuckDB gives it (``bigint`` → ``BIGINT``)."""
    name = spark_type.lower()
    if name == "string" or name.startswith(("varchar", "char")):
        return "VARCHAR"
    if name.startswith("timestamp"):
        return "TIMESTAMP"
    return {"int": "INTEGER", "long": "BIGINT", "short": "SMALLINT", "byte": "TINYINT"}.get(
        name, name.upper()
    )


def _read(session: Any, location: str) -> Any:
    lowered = location.lower().rstrip("/")
    if lowered.endswith((".csv", ".tsv", ".txt", ".csv.gz")):
        return session.read.options(header=True, inferSchema=True).csv(location)
    return session.read.parquet(location)


def prepare_spark(
    location: str,
    *,
    master: str = "local[2]",
    roles: Mapping[str, str | None] | None = None,
    steps: Sequence[str] = DEFAULT_STEPS,
) -> LargeSource:
    """Read, type and clean order lines on Spark, as :func:`prepare` does with DuckDB.

    Dates must be typed (Parquet timestamps) or ISO 8601 text; order-level columns (status,
    paid, refund written on an order's first line only) are read line by line.

    Example
    -------
    >>> source = prepare_spark("s3a://shop/orders/", master="spark://spark:7077")  # doctest: +SKIP
    >>> large_rfm(source).customers.shape  # doctest: +SKIP
    """
    from pyspark.sql import functions as F

    session = spark_session(master)
    try:
        raw = _read(session, str(location))
        sample = raw.limit(SAMPLE_ROWS).toPandas()
    except Exception as exc:  # Spark's AnalysisException, Py4J errors
        raise AnalyticsError(
            _("Spark could not read {location}: {problem}").format(
                location=location, problem=str(exc).splitlines()[0][:200]
            ),
            hint=_("Give a Parquet or CSV file or folder that every worker can read."),
        ) from exc
    mapping = _mapping(sample, roles)
    kinds = {f.name: _kind(f.dataType.simpleString()) for f in raw.schema.fields}
    columns = _typed_columns(F, raw, kinds, sample, mapping)
    typed = raw.select(*columns)
    if "drop_duplicates" in steps:
        typed = typed.distinct()
    gone: dict[str, int] = {}
    marked = _marked(F, typed, mapping).persist()
    conditions = {
        step: F.coalesce(condition, F.lit(False))
        for step, condition in _spark_conditions(F, mapping, steps, marked).items()
    }
    # One pass counts what each step removes of what the steps before it kept, in the Data
    # page's order, and the lines left; a second (cached) pass writes them.
    counts = [F.count(F.lit(1)).alias("total")]
    passed = F.lit(True)
    for step, condition in conditions.items():
        counts.append(F.sum(F.when(passed & ~condition, 1).otherwise(0)).alias(step))
        passed = passed & condition
    row = marked.agg(*counts).collect()[0]
    if "drop_duplicates" in steps:
        gone["drop_duplicates"] = raw.count() - int(row["total"])
    gone.update({step: int(row[step] or 0) for step in conditions})
    lines = (
        marked.where(passed)
        .withColumn("sold", ~F.col("cancelled") & F.coalesce(F.col("quantity") != 0, F.lit(True)))
        .persist()
    )
    kept = lines.count()
    marked.unpersist()
    stamp = hashlib.sha256(repr((location, master, mapping, tuple(steps))).encode()).hexdigest()
    view = f"lines_{stamp[:12]}"
    lines.createOrReplaceTempView(view)
    notes = [_(STEP_NOTES[step]).format(n=f"{rows:,}") for step, rows in gone.items() if rows]
    if mapping.status or mapping.paid or mapping.refund:
        notes.append(
            _(
                "Spark reads status, payment and refund columns line by line; an order's status "
                "written on its first line only is not spread over its other lines."
            )
        )
    return LargeSource(
        location=str(location),
        database=view,
        mapping=mapping,
        dimensions=tuple(c for c in mapping.dimensions if c in kinds),
        rows_read=kept + sum(gone.values()),
        rows_kept=kept,
        steps=tuple(steps),
        notes=tuple(notes),
        fingerprint=stamp[:20],
        has_customers=mapping.customer_id is not None,
        has_names=mapping.product_name is not None,
        columns={c: t for c, t in kinds.items()},
        engine="spark",
        master=master,
    )


def _typed_columns(
    F: Any, raw: Any, kinds: Mapping[str, str], sample: pd.DataFrame, mapping: Any
) -> list[Any]:
    """The role columns, typed as the in-memory dataset types them."""
    roles = mapping.roles()

    def text(name: str) -> Any:
        value = F.trim(F.col(f"`{name}`").cast("string"))
        return F.when(value != "", value)

    def identifier(name: str) -> Any:
        col, kind = F.col(f"`{name}`"), kinds[name]
        if kind in ("DOUBLE", "FLOAT") or kind.startswith("DECIMAL"):
            whole = col.cast("bigint").cast("string")
            return F.when(col == F.floor(col), whole).otherwise(col.cast("string"))
        return text(name)

    def number(name: str) -> Any:
        col, kind = F.col(f"`{name}`"), kinds[name]
        if kind == "VARCHAR":
            return F.regexp_replace(F.trim(col), ",", "").try_cast("double")
        return col.cast("double")

    out = [
        identifier(roles[r]).alias(r) for r in ("order_id", "customer_id", "product") if r in roles
    ]
    stamp = roles["timestamp"]
    if kinds[stamp] in ("TIMESTAMP", "DATE"):
        out.append(F.col(f"`{stamp}`").cast("timestamp").alias("timestamp"))
    else:
        _iso_or_refused(sample, stamp)
        out.append(
            F.try_to_timestamp(F.trim(F.col(f"`{stamp}`").cast("string"))).alias("timestamp")
        )
    out += [text(roles[r]).alias(r) for r in ("product_name", "category", "status") if r in roles]
    quantity = number(roles["quantity"]) if "quantity" in roles else F.lit(1.0)
    out.append(quantity.alias("quantity"))
    if "unit_price" in roles:
        out.append(number(roles["unit_price"]).alias("unit_price"))
    if "revenue" in roles:
        revenue = number(roles["revenue"])
    else:
        revenue = quantity * number(roles["unit_price"])
    if "refund" in roles:
        revenue = revenue - F.abs(F.coalesce(number(roles["refund"]), F.lit(0.0)))
    out.append(revenue.alias("revenue"))
    if "paid" in roles:
        distinct = [r[0] for r in raw.select(f"`{roles['paid']}`").distinct().limit(51).collect()]
        if len(distinct) <= 50:
            yes = [
                v
                for v, ok in zip(
                    distinct, paid_flags(pd.Series(distinct, dtype=object)), strict=True
                )
                if ok
            ]
            out.append(
                F.coalesce(F.col(f"`{roles['paid']}`").isin(yes), F.lit(False)).alias("paid")
            )
        else:
            out.append(F.coalesce(text(roles["paid"]).isNotNull(), F.lit(False)).alias("paid"))
    out += [text(c).alias(c) for c in mapping.dimensions if c in kinds]
    return out


def _iso_or_refused(sample: pd.DataFrame, column: str) -> None:
    parsed = pd.to_datetime(
        sample[column].dropna().astype("str").head(2000), errors="coerce", format="ISO8601"
    )
    if len(parsed) and parsed.notna().mean() >= 0.99:
        return
    raise AnalyticsError(
        _(
            "The Spark engine reads dates stored as timestamps or written as YYYY-MM-DD; "
            "{column!r} holds other formats."
        ).format(column=column),
        hint=_("Prepare the file with the DuckDB engine first, or store the dates as timestamps."),
    )


def _marked(F: Any, typed: Any, mapping: Any) -> Any:
    """The lines with ``cancelled``: a C-form order id, a negative quantity, a return status."""
    ids = typed.select("order_id").where(F.col("order_id").isNotNull()).distinct()
    ids = ids.withColumn("c", F.col("order_id").rlike("^[Cc]"))

    def shape(col: Any) -> Any:
        return F.regexp_replace(F.regexp_replace(col, r"\pL", "A"), "[0-9]", "9")

    shapes = ids.where(~F.col("c")).select(shape(F.col("order_id")).alias("s")).distinct()
    flagged = (
        ids.where(F.col("c"))
        .withColumn("s", shape(F.substring(F.col("order_id"), 2, 1 << 20)))
        .join(shapes, "s", "left_semi")
        .select("order_id")
        .withColumn("flag", F.lit(True))
    )
    cancelled = F.coalesce(F.col("flag"), F.lit(False)) | F.coalesce(
        F.col("quantity") < 0, F.lit(False)
    )
    if mapping.status:
        statuses = [
            r[0]
            for r in typed.select("status").where(F.col("status").isNotNull()).distinct().collect()
        ]
        returns = matching_statuses(statuses, "returns")
        if returns:
            cancelled = cancelled | F.coalesce(F.col("status").isin(returns), F.lit(False))
    return typed.join(flagged, "order_id", "left").withColumn("cancelled", cancelled).drop("flag")


def _spark_conditions(F: Any, mapping: Any, steps: Sequence[str], marked: Any) -> dict[str, Any]:
    keep: dict[str, Any] = {}
    if "drop_cancellations" in steps:
        keep["drop_cancellations"] = ~F.col("cancelled")
    if "drop_unpaid" in steps:
        unpaid = F.lit(False)
        if mapping.paid:
            unpaid = unpaid | ~F.col("paid")
        if mapping.status:
            statuses = [
                r[0]
                for r in marked.select("status")
                .where(F.col("status").isNotNull())
                .distinct()
                .collect()
            ]
            if found := matching_statuses(statuses, "unpaid"):
                unpaid = unpaid | F.coalesce(F.col("status").isin(found), F.lit(False))
        keep["drop_unpaid"] = ~(unpaid & ~F.col("cancelled"))
    if "drop_nonpositive_prices" in steps and mapping.unit_price:
        keep["drop_nonpositive_prices"] = ~F.coalesce(F.col("unit_price") <= 0, F.lit(False))
    if "drop_missing_customers" in steps and mapping.customer_id:
        keep["drop_missing_customers"] = F.col("customer_id").isNotNull()
    if "drop_missing_dates" in steps:
        keep["drop_missing_dates"] = F.col("timestamp").isNotNull()
    if "drop_implausible_dates" in steps:
        latest = (pd.Timestamp.now() + pd.Timedelta(days=366)).to_pydatetime()
        keep["drop_implausible_dates"] = F.col("timestamp").isNull() | (
            (F.col("timestamp") >= F.lit(EARLIEST_PLAUSIBLE.to_pydatetime()))
            & (F.col("timestamp") <= F.lit(latest))
        )
    return keep


# --- rules and k-means with MLlib -----------------------------------------------------------------
def spark_rules(
    baskets: Baskets | LargeSource,
    *,
    min_support: float = 0.01,
    min_confidence: float = 0.5,
    master: str = "local[2]",
    item: str | None = None,
) -> pd.DataFrame:
    """Association rules with MLlib's FP-Growth, in arules' terms: every rule with one item
    as its consequent whose itemset has support ≥ ``min_support`` and whose confidence is ≥
    ``min_confidence`` (the antecedent never empty).

    ``baskets`` is either built baskets (sent to Spark as item lists) or a Spark-prepared
    large source (baskets collected in Spark from its lines, by ``item``: default the product
    name when there is one).

    Returns
    -------
    pandas.DataFrame
        ``antecedent`` and ``consequent`` (tuples of items, as :class:`analytics.baskets.Rules`
        names them), ``support``, ``confidence``, ``lift``, strongest lift first.
    """
    from pyspark.ml.fpm import FPGrowth

    if isinstance(baskets, LargeSource):
        session = spark_session(baskets.master or master)
        column = item or ("product_name" if baskets.has_names else "product")
        frame = session.sql(
            f"SELECT order_id, collect_set({column}) AS items FROM {baskets.database} "
            f"WHERE sold AND order_id IS NOT NULL AND {column} IS NOT NULL GROUP BY order_id"
        )
    else:
        session = spark_session(master)
        items = np.asarray(baskets.items, dtype=object)
        rows = [
            (items[baskets.matrix.indices[a:b]].tolist(),)
            for a, b in zip(baskets.matrix.indptr[:-1], baskets.matrix.indptr[1:], strict=True)
        ]
        frame = session.createDataFrame(rows, "items array<string>")
    model = FPGrowth(itemsCol="items", minSupport=min_support, minConfidence=min_confidence).fit(
        frame
    )
    rules = model.associationRules.toPandas()
    if rules.empty:
        return pd.DataFrame(columns=["antecedent", "consequent", "support", "confidence", "lift"])
    out = pd.DataFrame(
        {
            "antecedent": [tuple(sorted(a)) for a in rules["antecedent"]],
            "consequent": [tuple(c) for c in rules["consequent"]],
            "support": rules["support"].astype(float),
            "confidence": rules["confidence"].astype(float),
            "lift": rules["lift"].astype(float),
        }
    )
    out = out[(out["support"] >= min_support - 1e-12) & out["antecedent"].map(len).gt(0)]
    return out.sort_values(["lift", "confidence"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def spark_kmeans(
    x: np.ndarray, k: int, *, master: str = "local[2]", random_state: int = 0
) -> tuple[np.ndarray, np.ndarray, float]:
    """k-means with MLlib on scaled customer features (one row per customer).

    Returns
    -------
    labels : numpy.ndarray
    centres : numpy.ndarray
    inertia : float
        The sum of squared distances to the nearest centre (MLlib's training cost).
    """
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.linalg import Vectors

    session = spark_session(master)
    frame = session.createDataFrame(
        [(Vectors.dense(row),) for row in np.asarray(x, dtype=float)], ["features"]
    )
    model = KMeans(k=k, seed=random_state, maxIter=100, tol=1e-6, initSteps=5).fit(frame)
    labels = model.transform(frame).select("prediction").toPandas()["prediction"].to_numpy()
    return labels, np.asarray(model.clusterCenters()), float(model.summary.trainingCost)
