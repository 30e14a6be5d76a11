"""The analyses of a large source as SQL aggregations in DuckDB.

Each function reads the prepared lines (:func:`analytics.engines.source.prepare`) and brings into
pandas only what the in-memory analysis would have aggregated to: the Overview's figures and
trend, one row per customer for RFM, one value per period for the sales series, and the
(basket, item) pairs as two integer arrays for the baskets. The results are the in-memory
result types (``OverviewResult``, ``RFMResult``, ``SalesSeries``, ``Baskets``), finished by the
same code, so every chart, table, export and mining step works on them unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from analytics.baskets import Baskets
from analytics.engines.source import LargeSource
from analytics.errors import AnalyticsError
from analytics.forecast import SalesSeries, series_from_sums
from analytics.i18n import _, day
from analytics.lifetime import MEASURES, Cohorts, cohorts_from_cells
from analytics.overview import (
    FREQ_LABELS,
    OverviewParams,
    OverviewResult,
    incomplete_note,
    kpis_from,
    mark_complete,
    period_notes,
)
from analytics.segments import RFMResult, scored_customers

#: The period of a trend or series, as DuckDB's date_trunc names it (weeks start on Monday, as
#: pandas' weekly periods do).
_TRUNC = {"D": "day", "W": "week", "M": "month", "Q": "quarter"}


def _period(freq: str, column: str = "timestamp") -> str:
    if freq not in _TRUNC:
        raise AnalyticsError(f"freq must be one of {', '.join(_TRUNC)}, got {freq!r}.")
    return f"CAST(date_trunc('{_TRUNC[freq]}', {column}) AS TIMESTAMP)"


def _quoted(name: str, engine: str = "duckdb") -> str:
    """A column name as the engine's SQL quotes it ("x" in DuckDB, `x` in Spark)."""
    if engine == "spark":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _frame(con: Any, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).fetchdf()


def connect(source: LargeSource) -> Any:
    """A connection to the source's prepared lines (``lines``): read-only DuckDB, or the Spark
    session behind DuckDB's interface (:class:`analytics.engines.spark.SparkConnection`)."""
    if source.engine == "spark":
        from analytics.engines.spark import SparkConnection, spark_session

        return SparkConnection(spark_session(source.master or "local[2]"), source.database)
    return source.connect()


def _stamp(value: object) -> pd.Timestamp:
    return pd.Timestamp(value)  # type: ignore[arg-type]


# --- Overview --------------------------------------------------------------------------------------
def _figures(
    con: Any, source: LargeSource, since: pd.Timestamp, until: pd.Timestamp
) -> tuple[dict[str, float], int]:
    """The Overview's headline figures of lines dated in [since, until), and how many lines."""
    customers = "count(DISTINCT customer_id) FILTER (WHERE sold)" if source.has_customers else "0"
    row = con.execute(
        "SELECT coalesce(sum(revenue), 0), count(DISTINCT order_id) FILTER (WHERE sold), "
        f"{customers}, "
        "coalesce(sum(revenue) FILTER (WHERE sold), 0), "
        "coalesce(sum(quantity) FILTER (WHERE sold), 0), count(*) "
        "FROM lines WHERE timestamp >= ? AND timestamp < ?",
        [since, until],
    ).fetchone()
    revenue, orders, customers, gross, units, n = row
    return {
        "Revenue": float(revenue),
        "Orders": float(orders),
        "Customers": float(customers),
        "Average order value": float(gross) / orders if orders else float("nan"),
        "Items per order": float(units) / orders if orders else float("nan"),
    }, int(n)


def _span(con: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    first, last = con.execute(
        "SELECT min(timestamp), max(timestamp) FROM lines WHERE timestamp IS NOT NULL"
    ).fetchone()
    if first is None:
        raise AnalyticsError(
            _("No row has a readable date."), hint=_("Check the date column on the Data page.")
        )
    return _stamp(first), _stamp(last)


def large_overview(
    source: LargeSource,
    *,
    start: dt.date | pd.Timestamp | None = None,
    end: dt.date | pd.Timestamp | None = None,
    freq: str = "W",
    dimension: str | None = None,
    top_n: int = 10,
) -> OverviewResult:
    """:func:`analytics.overview.run_overview` on a large source: the same result, in SQL.

    Example
    -------
    >>> large_overview(prepare("orders/"), freq="M").kpi("Orders").value  # doctest: +SKIP
    1203456.0
    """
    if freq not in FREQ_LABELS:
        raise AnalyticsError(f"freq must be one of {', '.join(FREQ_LABELS)}, got {freq!r}.")
    if dimension is not None and dimension not in source.dimensions:
        raise AnalyticsError(
            _("{column!r} is not a dimension of this dataset.").format(column=dimension),
            hint=_("Dimensions: {names}.").format(names=", ".join(source.dimensions) or _("none")),
        )
    con = connect(source)
    try:
        first, last = _span(con)
        first, last = first.normalize(), last.normalize()
        start_ts = pd.Timestamp(start) if start is not None else first
        end_ts = pd.Timestamp(end) if end is not None else last
        if end_ts < start_ts:
            raise AnalyticsError(
                _("The period ends ({end}) before it starts ({start}).").format(
                    end=day(end_ts), start=day(start_ts)
                )
            )
        stop = end_ts + pd.Timedelta(days=1)
        prev_start = start_ts - (stop - start_ts)
        now, n_now = _figures(con, source, start_ts, stop)
        if not n_now:
            raise AnalyticsError(
                _("No orders between {start} and {end}.").format(
                    start=day(start_ts), end=day(end_ts)
                ),
                hint=_("The data runs from {first} to {last}.").format(
                    first=day(first), last=day(last)
                ),
            )
        before, n_before = _figures(con, source, prev_start, start_ts)
        notes = period_notes(first, prev_start, has_previous=n_before > 0)
        trend = _trend(con, source, freq, start_ts, stop)
        trend = mark_complete(
            trend, freq, max(start_ts, first), min(stop, last + pd.Timedelta(days=1))
        )
        if not trend["complete"].iloc[-1]:
            notes.append(incomplete_note(freq))
        dimension = dimension or (source.dimensions[0] if source.dimensions else None)
        return OverviewResult(
            start=start_ts,
            end=end_ts,
            previous_start=prev_start,
            previous_end=start_ts - pd.Timedelta(days=1),
            freq=freq,
            kpis=kpis_from(now, before if n_before else None, has_customers=source.has_customers),
            trend=trend,
            top_products=_top_products(con, source, start_ts, stop, top_n),
            dimension=dimension,
            top_values=_top_values(con, source, dimension, start_ts, stop, top_n)
            if dimension
            else None,
            customers_by_period=_new_and_returning(con, source, freq, start_ts, stop),
            notes=tuple(notes),
            params=OverviewParams.from_dict(
                {"start": start, "end": end, "freq": freq, "dimension": dimension}
            ),
        )
    finally:
        con.close()


def _trend(
    con: Any, source: LargeSource, freq: str, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    customers = (
        ", count(DISTINCT customer_id) FILTER (WHERE sold) AS customers"
        if source.has_customers
        else ""
    )
    trend = _frame(
        con,
        f"SELECT {_period(freq)} AS period, sum(revenue) AS revenue, "
        f"count(DISTINCT order_id) FILTER (WHERE sold) AS orders{customers} "
        "FROM lines WHERE timestamp >= ? AND timestamp < ? GROUP BY 1 ORDER BY 1",
        [since, until],
    )
    trend["revenue"] = trend["revenue"].astype(float).fillna(0.0)
    trend["period"] = pd.to_datetime(trend["period"]).astype("datetime64[ns]")
    return trend


def _top_products(
    con: Any, source: LargeSource, since: pd.Timestamp, until: pd.Timestamp, top_n: int
) -> pd.DataFrame:
    columns = ["product", "name", "revenue", "quantity", "orders", "revenue_share"]
    key = (
        "product"
        if source.mapping.product
        else ("product_name" if source.mapping.product_name else None)
    )
    if key is None:
        return pd.DataFrame(columns=columns)
    where = "sold AND timestamp >= ? AND timestamp < ?"
    total = con.execute(f"SELECT sum(revenue) FROM lines WHERE {where}", [since, until]).fetchone()
    top = _frame(
        con,
        f"SELECT {key} AS product, sum(revenue) AS revenue, sum(quantity) AS quantity, "
        f"count(DISTINCT order_id) AS orders FROM lines WHERE {where} AND {key} IS NOT NULL "
        f"GROUP BY 1 ORDER BY revenue DESC, product LIMIT {int(top_n)}",
        [since, until],
    )
    if top.empty:
        return pd.DataFrame(columns=columns)
    share = float(total[0]) if total and total[0] else 0.0
    top["revenue_share"] = top["revenue"] / share if share else np.nan
    if key == "product" and source.mapping.product_name:
        names = _names(
            con,
            f"{where} AND array_contains(?, product)",
            [since, until, [str(p) for p in top["product"]]],
        )
        top["name"] = top["product"].map(names)
    else:
        top["name"] = top["product"]
    return top[columns]


def _top_values(
    con: Any,
    source: LargeSource,
    dimension: str,
    since: pd.Timestamp,
    until: pd.Timestamp,
    top_n: int,
) -> pd.DataFrame:
    customers = (
        ", count(DISTINCT customer_id) FILTER (WHERE sold) AS customers"
        if source.has_customers
        else ""
    )
    out = _frame(
        con,
        f"SELECT coalesce({_quoted(dimension, source.engine)}, '(blank)') AS value, "
        "sum(revenue) AS revenue, count(DISTINCT order_id) FILTER (WHERE sold) AS orders"
        f"{customers} FROM lines WHERE timestamp >= ? AND timestamp < ? GROUP BY 1",
        [since, until],
    )
    out["revenue"] = out["revenue"].astype(float).fillna(0.0)
    total = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    out = out.sort_values(["revenue", "value"], ascending=[False, True], kind="stable")
    return out.head(top_n).reset_index(drop=True)


def _new_and_returning(
    con: Any, source: LargeSource, freq: str, since: pd.Timestamp, until: pd.Timestamp
) -> pd.DataFrame:
    if not source.has_customers:
        return pd.DataFrame(columns=["period", "new", "returning"])
    counts = _frame(
        con,
        f"WITH firsts AS (SELECT customer_id, {_period(freq, 'min(timestamp)')} AS first "
        "FROM lines WHERE sold AND customer_id IS NOT NULL AND timestamp IS NOT NULL "
        "GROUP BY customer_id), "
        f"visits AS (SELECT DISTINCT {_period(freq)} AS period, customer_id FROM lines "
        "WHERE sold AND customer_id IS NOT NULL AND timestamp >= ? AND timestamp < ?) "
        "SELECT period, count(*) FILTER (WHERE period = first) AS new, "
        "count(*) FILTER (WHERE period <> first) AS returning "
        "FROM visits JOIN firsts USING (customer_id) GROUP BY period ORDER BY period",
        [since, until],
    )
    counts["period"] = pd.to_datetime(counts["period"]).astype("datetime64[ns]")
    return counts.astype({"new": "int64", "returning": "int64"})


# --- RFM ------------------------------------------------------------------------------------------
def large_rfm(
    source: LargeSource,
    *,
    analysis_date: dt.date | pd.Timestamp | None = None,
    exclude_cancellations: bool = True,
) -> RFMResult:
    """:func:`analytics.segments.compute_rfm` on a large source: one row per customer comes back
    from DuckDB, scored and named by the same code.

    Example
    -------
    >>> large_rfm(prepare("orders/")).summary()  # doctest: +SKIP
    """
    if not source.has_customers:
        raise AnalyticsError(
            "RFM needs a customer column, and this dataset has none.",
            hint="Choose the customer column under 'Column roles' on the Data page.",
        )
    con = connect(source)
    try:
        total, last_day = con.execute("SELECT count(*), max(timestamp) FROM lines").fetchone()
        last_day = _stamp(last_day)
        date = (
            pd.Timestamp(analysis_date).normalize()
            if analysis_date is not None
            else last_day.normalize() + pd.Timedelta(days=1)
        )
        keep = ["customer_id IS NOT NULL", "timestamp IS NOT NULL"]
        if exclude_cancellations:
            keep.append("sold")
        params: list[object] = []
        if date + pd.Timedelta(days=1) <= last_day:
            keep.append("timestamp < ?")
            params.append(date + pd.Timedelta(days=1))
        customers = _frame(
            con,
            "SELECT customer_id, min(timestamp) AS first_order, max(timestamp) AS last_order, "
            "count(DISTINCT order_id) AS frequency, coalesce(sum(revenue), 0) AS monetary, "
            f"count(*) AS n FROM lines WHERE {' AND '.join(keep)} "
            "GROUP BY customer_id ORDER BY customer_id",
            params,
        )
    finally:
        con.close()
    if customers.empty:
        raise AnalyticsError(
            f"No customer has an order before {date:%Y-%m-%d}.",
            hint="Pick a later analysis date, or check the cleaning steps on the Data page.",
        )
    kept = int(customers.pop("n").sum())
    customers = customers.set_index("customer_id")
    for column in ("first_order", "last_order"):
        customers[column] = pd.to_datetime(customers[column]).astype("datetime64[ns]")
    customers["frequency"] = customers["frequency"].astype("int64")
    customers["monetary"] = customers["monetary"].astype(float)
    customers.index = customers.index.astype("str")
    customers = customers.sort_index()
    return RFMResult(scored_customers(customers, date), date, int(total) - kept)


# --- Sales series ---------------------------------------------------------------------------------
_METRIC_SQL = {
    "revenue": ("sum(revenue)", "TRUE"),
    "orders": ("count(DISTINCT order_id)", "sold"),
    "customers": ("count(DISTINCT customer_id)", "sold"),
    "units": ("sum(quantity)", "sold"),
}


def large_series(
    source: LargeSource, *, metric: str = "revenue", freq: str = "M", keep_incomplete: bool = False
) -> SalesSeries:
    """:func:`analytics.forecast.build_series` on a large source: one value per period comes
    back from DuckDB, and the same code fills gaps and scales or drops part periods.

    Example
    -------
    >>> large_series(prepare("orders/"), freq="W").n  # doctest: +SKIP
    156
    """
    if metric not in _METRIC_SQL:
        raise AnalyticsError(
            f"metric must be one of {', '.join(_METRIC_SQL)}, got {metric!r}.",
        )
    if metric == "customers" and not source.has_customers:
        raise AnalyticsError(_("Customers need the customer id column."))
    value, where = _METRIC_SQL[metric]
    con = connect(source)
    try:
        first, last = _span(con)
        undated = con.execute("SELECT count(*) FROM lines WHERE timestamp IS NULL").fetchone()[0]
        sums = _frame(
            con,
            f"SELECT {_period(freq)} AS period, {value} AS value FROM lines "
            f"WHERE timestamp IS NOT NULL AND {where} GROUP BY 1 ORDER BY 1",
        )
        ends = _frame(
            con,
            "SELECT max(timestamp) AS last FROM lines WHERE timestamp IS NOT NULL "
            "GROUP BY CAST(timestamp AS DATE) ORDER BY 1",
        )
    finally:
        con.close()
    values = pd.Series(
        sums["value"].astype(float).to_numpy(),
        index=pd.DatetimeIndex(pd.to_datetime(sums["period"]).astype("datetime64[ns]")),
    )
    notes = (
        [_("{n} rows without a readable date left out.").format(n=f"{undated:,}")]
        if undated
        else []
    )
    return series_from_sums(
        values,
        metric=metric,
        freq=freq,
        first=first,
        last=last,
        day_ends=pd.to_datetime(ends["last"]).astype("datetime64[ns]"),
        notes=notes,
        keep_incomplete=keep_incomplete,
    )


# --- Baskets --------------------------------------------------------------------------------------
def basket_items(source: LargeSource) -> list[str]:
    """The columns that can name a basket's items, best first (the product name when there is
    one), as :func:`analytics.baskets.item_options` offers them."""
    return [
        role
        for role in ("product_name", "product", "category")
        if getattr(source.mapping, role) is not None
    ]


def large_baskets(
    source: LargeSource,
    *,
    item: str | None = None,
    exclude_cancellations: bool = True,
    exclude: Sequence[str] = (),
) -> Baskets:
    """:func:`analytics.baskets.build_baskets` on a large source: DuckDB finds the distinct
    (order, item) pairs and numbers orders and items; only two integer arrays come back.

    Example
    -------
    >>> large_baskets(prepare("orders/")).n_baskets  # doctest: +SKIP
    1534877
    """
    choices = basket_items(source)
    item_col = item or (choices[0] if choices else "product")
    if item_col not in choices:
        raise AnalyticsError(
            f"Baskets need a column that names the items; {item_col!r} is not one.",
            hint="Choose the product column under 'Column roles' on the Data page.",
        )
    notes: list[str] = []
    con = connect(source)
    try:
        keep = "TRUE"
        if exclude_cancellations:
            cancelled, empty = con.execute(
                "SELECT count(*) FILTER (WHERE cancelled), "
                "count(*) FILTER (WHERE NOT sold AND NOT cancelled) FROM lines"
            ).fetchone()
            if cancelled:
                notes.append(
                    _("{n} cancelled or returned lines left out.").format(n=f"{cancelled:,}")
                )
            if empty:
                notes.append(
                    _("{n} lines of quantity 0 (nothing sold) left out.").format(n=f"{empty:,}")
                )
            keep = "sold"
        missing = con.execute(
            f"SELECT count(*) FROM lines WHERE {keep} AND (order_id IS NULL OR {item_col} IS NULL)"
        ).fetchone()[0]
        if missing:
            notes.append(_("{n} lines without an order or item left out.").format(n=f"{missing:,}"))
        chosen = f"{keep} AND order_id IS NOT NULL AND {item_col} IS NOT NULL"
        if exclude:
            gone = con.execute(
                f"SELECT count(*) FROM lines WHERE {chosen} AND array_contains(?, {item_col})",
                [sorted(set(exclude))],
            ).fetchone()[0]
            notes.append(
                _("{n} lines of {items} excluded items left out.").format(
                    n=f"{gone:,}", items=f"{len(set(exclude)):,}"
                )
            )
            chosen += f" AND NOT array_contains(?, {item_col})"
        params: list[object] = [sorted(set(exclude))] if exclude else []
        items = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {item_col} FROM lines WHERE {chosen} ORDER BY 1", params
            ).fetchall()
        ]
        if not items:
            raise AnalyticsError(
                "No baskets are left to analyse.",
                hint="Widen the date range or the filters, or check the item and order columns.",
            )
        orders = con.execute(
            f"SELECT order_id, min(timestamp) AS first FROM lines WHERE {chosen} "
            "GROUP BY order_id ORDER BY order_id",
            params,
        ).fetchnumpy()
        # Orders and items numbered in sort order, as the two lists above are sorted.
        pairs = con.execute(
            "SELECT CAST(dense_rank() OVER (ORDER BY order_id) - 1 AS INTEGER) AS basket, "
            "CAST(dense_rank() OVER (ORDER BY item) - 1 AS INTEGER) AS item FROM "
            f"(SELECT DISTINCT order_id, {item_col} AS item FROM lines WHERE {chosen})",
            params,
        ).fetchnumpy()
        descriptions = _descriptions(con, source, item_col, items)
    finally:
        con.close()
    shape = (len(orders["order_id"]), len(items))
    matrix = sparse.csr_matrix(
        (np.ones(len(pairs["basket"]), dtype=bool), (pairs["basket"], pairs["item"])), shape=shape
    )
    matrix.sum_duplicates()
    dates = pd.to_datetime(np.asarray(orders["first"])).to_numpy()
    key: list[object] = [source.fingerprint, item_col, None, None, [], exclude_cancellations, None]
    if exclude:
        key.append(sorted(set(exclude)))
    return Baskets(
        matrix=matrix,
        items=tuple(str(i) for i in items),
        basket_ids=np.asarray(orders["order_id"], dtype=object),
        dates=dates,
        descriptions=descriptions,
        key=repr(key),
        notes=tuple(notes),
        options={
            "item": item_col,
            "start": None,
            "end": None,
            "filters": {},
            "exclude": tuple(exclude),
        },
    )


def _descriptions(con: Any, source: LargeSource, item_col: str, items: list[str]) -> dict[str, str]:
    """Item → its text: a product code's most common name, or the item itself."""
    if item_col != "product" or not source.mapping.product_name:
        return {label: label for label in items}
    names = _names(con, "sold")
    return {label: str(names.get(label, label)) for label in items}


def _names(con: Any, where: str, params: Sequence[object] = ()) -> pd.Series:
    """Each product code's name, as :func:`analytics.data.product_names` chooses it (the name
    its lines give most often, ties to the first in sort order), counted in DuckDB."""
    named = _frame(
        con,
        "SELECT product, product_name FROM (SELECT product, product_name, row_number() OVER "
        "(PARTITION BY product ORDER BY count(*) DESC, product_name) AS rank FROM lines "
        f"WHERE {where} AND product IS NOT NULL AND product_name IS NOT NULL "
        "GROUP BY product, product_name) WHERE rank = 1",
        params,
    )
    return pd.Series(named["product_name"].to_numpy(), index=named["product"].to_numpy())


# --- Cohorts --------------------------------------------------------------------------------------
#: Periods since a date, counted from year and month (or quarter): the same in DuckDB and Spark.
_ORDINAL = {"M": "year({x}) * 12 + month({x})", "Q": "year({x}) * 4 + quarter({x})"}


def large_cohorts(
    source: LargeSource,
    period: str = "M",
    measure: str = "active",
    *,
    by: str | None = None,
    value: str | None = None,
) -> Cohorts:
    """:func:`analytics.lifetime.cohort_table` on a large source: customers and revenue per
    (acquisition period, periods since) come back from SQL; the same code makes the table.

    Example
    -------
    >>> large_cohorts(prepare("orders/"), "Q", "revenue").table.shape  # doctest: +SKIP
    (12, 12)
    """
    if period not in _ORDINAL:
        raise AnalyticsError(f"The cohort period must be M or Q, got {period!r}.")
    if measure not in MEASURES:
        raise AnalyticsError(f"The measure must be one of {', '.join(MEASURES)}, got {measure!r}.")
    if not source.has_customers:
        raise AnalyticsError(
            "Cohorts need customer ids and dates.",
            hint="Map the customer and date columns on the Data page.",
        )
    sales = "sold AND customer_id IS NOT NULL AND timestamp IS NOT NULL"
    chosen, params = "", []
    if by is not None and value is not None:
        if by not in (*source.dimensions, *(["category"] if source.mapping.category else [])):
            raise AnalyticsError(f"{by!r} is not a column of this dataset.")
        column = _quoted(by, source.engine)
        # Customers whose first day's lines have by = value (a first day with several values
        # counts for each), as the in-memory path chooses them.
        chosen = (
            "AND customer_id IN (SELECT l.customer_id FROM lines l JOIN (SELECT customer_id, "
            f"min(CAST(timestamp AS DATE)) AS d FROM lines WHERE {sales} GROUP BY customer_id) f "
            "ON l.customer_id = f.customer_id AND CAST(l.timestamp AS DATE) = f.d "
            f"WHERE l.sold AND CAST(l.{column} AS {'STRING' if source.engine == 'spark' else 'VARCHAR'}) = ?)"
        )
        params = [str(value)]
    ordinal = _ORDINAL[period]
    con = connect(source)
    try:
        last = con.execute(f"SELECT max(timestamp) FROM lines WHERE {sales}").fetchone()[0]
        if last is None:
            raise AnalyticsError("No sale has both a customer id and a date.")
        cells = _frame(
            con,
            f"WITH s AS (SELECT customer_id, timestamp, revenue FROM lines WHERE {sales} {chosen}), "
            f"f AS (SELECT customer_id, min({_period(period)}) AS cohort FROM s GROUP BY customer_id) "
            f"SELECT f.cohort AS cohort, ({ordinal.format(x='s.timestamp')}) - "
            f"({ordinal.format(x='f.cohort')}) AS age, count(DISTINCT s.customer_id) AS customers, "
            "coalesce(sum(s.revenue), 0) AS revenue FROM s JOIN f ON s.customer_id = f.customer_id "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            params,
        )
    finally:
        con.close()
    if cells.empty:
        raise AnalyticsError(
            _("No customer's first purchase has {column} = {value!r}.").format(
                column=by, value=value
            ),
            hint=_("Pick another value, or show all customers."),
        )
    cells["cohort"] = pd.to_datetime(cells["cohort"]).astype("datetime64[ns]")
    cells["age"] = cells["age"].astype("int64")
    indexed = cells.set_index(["cohort", "age"])
    sizes = indexed.xs(0, level="age")["customers"].astype("int64")
    sizes.index.name = "cohort"
    column = "customers" if measure == "active" else "revenue"
    return cohorts_from_cells(
        sizes,
        indexed[column].astype("int64" if measure == "active" else float),
        measure=measure,
        period=period,
        last=_stamp(last),
    )
