"""A stakeholder report: one self-contained HTML file of an analysis, readable offline.

The report runs the same analysis functions as the pages, with the arguments the pages last used
(``analyses``, as a workspace stores them) or with the pages' defaults, and lays out the results:
dataset and quality, KPIs, segments, rules in plain words, forecast, propensity. plotly.js is
embedded once, so the file opens in any browser without a network.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from analytics.baskets import build_baskets, describe_rule, filter_rules, run_rules
from analytics.budget import Budget, Interrupted, check
from analytics.errors import AnalyticsError
from analytics.forecast import FREQ_LABELS, METRIC_COLUMNS, build_series, run_forecast
from analytics.forecast import MODEL_LABELS as FORECAST_MODELS
from analytics.forecast_plots import forecast_figure
from analytics.io import LoadedTable
from analytics.overview import format_value, run_overview
from analytics.plots import trend_figure
from analytics.propensity import MODEL_LABELS as PROPENSITY_MODELS
from analytics.propensity import fit_propensity, propensity_data
from analytics.propensity_plots import lift_figure
from analytics.quality import CleaningResult, quality_report
from analytics.rfm import compute_rfm
from analytics.schema import Dataset
from analytics.segment_plots import scatter_figure
from analytics.segments import FEATURE_LABELS, numeric_columns, run_segmentation

#: The report's sections, in order, with their headings.
SECTIONS: dict[str, str] = {
    "data": "Dataset and quality",
    "kpis": "Key figures",
    "segments": "Customer segments",
    "rules": "Bought together",
    "forecast": "Forecast",
    "propensity": "Who will churn or buy",
}
#: The page (and analysis) whose settings each section follows.
SECTION_ANALYSIS: dict[str, str] = {
    "kpis": "overview",
    "segments": "segments",
    "rules": "rules",
    "forecast": "forecast",
    "propensity": "propensity",
}
#: The sections that can be made from each kind of data.
SECTIONS_FOR_KIND: dict[str, tuple[str, ...]] = {
    "transactions": tuple(SECTIONS),
    "customers": ("data", "segments", "propensity"),
    "baskets": ("data", "rules"),
    "series": ("data", "forecast"),
}
#: The pages' defaults, used for an analysis the user has not run (the CLI on a plain file).
DEFAULTS: dict[str, dict[str, Any]] = {
    "rules": {
        "min_support": 0.005,
        "min_confidence": 0.2,
        "min_lift": 1.0,
        "redundant": False,
        "significant": False,
    },
}
TOP_RULES = 10


@dataclass(frozen=True)
class ReportOptions:
    """What the report shows and how it is headed.

    Parameters
    ----------
    title, author : str
        Shown at the top; the author may be empty.
    date : datetime.date, optional
        Shown under the title; default today.
    sections : sequence of str
        Keys of :data:`SECTIONS`, in any order (the report keeps its own order).
    """

    title: str = "Marketing analysis"
    author: str = ""
    date: dt.date | None = None
    sections: tuple[str, ...] = tuple(SECTIONS)

    def __post_init__(self) -> None:
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            raise AnalyticsError(
                f"Unknown report section {unknown[0]!r}.",
                hint=f"Choose from {', '.join(SECTIONS)}.",
            )
        if not self.sections:
            raise AnalyticsError("Choose at least one section for the report.")


@dataclass(frozen=True)
class SectionResult:
    """One section: its HTML, or why it could not be made for this dataset."""

    key: str
    title: str
    body: str
    problem: str | None = None


@dataclass(frozen=True)
class Report:
    """A built report.

    Attributes
    ----------
    html : str
        The whole document.
    sections : tuple of SectionResult
    seconds : float
    """

    html: str
    sections: tuple[SectionResult, ...]
    seconds: float

    @property
    def library_size(self) -> int:
        """Bytes of the embedded plotly.js, which every report carries."""
        return len(get_plotlyjs().encode("utf-8"))

    @property
    def size(self) -> int:
        """The document's size in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))


def build_report(
    cleaned: CleaningResult,
    *,
    table: LoadedTable | None = None,
    analyses: Mapping[str, Mapping[str, Any]] | None = None,
    options: ReportOptions | None = None,
    progress: Callable[[str], None] | None = None,
    budget: Budget | None = None,
) -> Report:
    """Run the chosen sections' analyses and lay them out as one offline HTML document.

    Parameters
    ----------
    cleaned : CleaningResult
        The cleaned dataset and the cleaning log.
    table : LoadedTable, optional
        The table as read, for the quality findings on columns the mapping left out.
    analyses : mapping, optional
        Per section, the arguments the pages used (a workspace's ``analyses``): ``overview``,
        ``segments``, ``rules``, ``forecast``, ``propensity``. Missing ones use the defaults.
    options : ReportOptions, optional
    progress : callable, optional
        Called with a short message before each section.
    budget : Budget, optional
        Checked between sections and inside the long analyses: the whole report stops with
        :class:`~analytics.budget.Interrupted` when its visitor has gone or its time is used up.

    Returns
    -------
    Report
        A section that does not apply to the data (rules on a customer list, say) says why
        instead of failing the report.

    Example
    -------
    >>> report = build_report(clean(dataset, ()))  # doctest: +SKIP
    >>> Path("report.html").write_text(report.html)  # doctest: +SKIP
    """
    options = options or ReportOptions()
    analyses = analyses or {}
    started = time.perf_counter()
    dataset = cleaned.dataset
    builders: dict[str, Callable[[], str]] = {
        "data": lambda: _data_section(cleaned, table),
        "kpis": lambda: _kpi_section(dataset, _args(analyses, "kpis")),
        "segments": lambda: _segments_section(dataset, _args(analyses, "segments"), budget),
        "rules": lambda: _rules_section(dataset, _args(analyses, "rules")),
        "forecast": lambda: _forecast_section(dataset, _args(analyses, "forecast"), budget),
        "propensity": lambda: _propensity_section(dataset, _args(analyses, "propensity"), budget),
    }
    results = []
    for key, title in SECTIONS.items():
        if key not in options.sections:
            continue
        check(budget)
        if progress is not None:
            progress(f"Report: {title.lower()} …")
        try:
            results.append(SectionResult(key, title, builders[key]()))
        except Interrupted:
            raise
        except AnalyticsError as exc:
            results.append(SectionResult(key, title, "", problem=str(exc)))
    document = _document(options, dataset, results)
    return Report(document, tuple(results), time.perf_counter() - started)


def _args(analyses: Mapping[str, Mapping[str, Any]], section: str) -> dict[str, Any]:
    """The section's analysis arguments: the page's last ones, else the defaults."""
    return {**DEFAULTS.get(section, {}), **analyses.get(SECTION_ANALYSIS[section], {})}


# --- sections ---------------------------------------------------------------------------------------


def _data_section(cleaned: CleaningResult, table: LoadedTable | None) -> str:
    dataset = cleaned.dataset
    quality = quality_report(dataset, table=None if table is None else table.frame)
    facts = [
        ("Source", dataset.source),
        ("Kind", dataset.kind),
        ("Rows analysed", f"{dataset.n_rows:,}"),
        ("Rows removed by cleaning", f"{cleaned.rows_removed:,}"),
        ("Columns", f"{quality.n_columns:,}"),
    ]
    if quality.date_range is not None:
        first, last = quality.date_range
        facts.append(("Dates", f"{first:%d %b %Y} – {last:%d %b %Y}"))
    for role, label in (
        ("customer_id", "Customers"),
        ("order_id", "Orders"),
        ("product", "Products"),
    ):
        if dataset.has(role):
            facts.append((label, f"{dataset.frame[role].nunique():,}"))
    parts = [_facts(facts), "<h3>Column roles</h3>", _list(dataset.mapping.describe())]
    if cleaned.log:
        parts += ["<h3>Cleaning</h3>", _table(cleaned.summary)]
    parts.append("<h3>Quality findings after cleaning</h3>")
    parts.append(
        _list([f"{f.severity}: {f.message}" for f in quality.findings])
        if quality.findings
        else "<p>No problems found.</p>"
    )
    return "\n".join(parts)


def _kpi_section(dataset: Dataset, args: Mapping[str, Any]) -> str:
    _require(dataset, ("transactions",), "Key figures")
    result = run_overview(dataset, **args)
    days = (result.end - result.start).days + 1
    rows = []
    for kpi in result.kpis:
        change = kpi.change
        rows.append(
            {
                "Figure": kpi.name,
                "Value": format_value(kpi.value, kpi.unit),
                "Previous period": ""
                if kpi.previous is None
                else format_value(kpi.previous, kpi.unit),
                "Change": "" if change is None else f"{change:+.1%}",
            }
        )
    intro = (
        f"<p>{result.start:%d %b %Y} – {result.end:%d %b %Y} ({days:,} days), against the "
        f"previous {days:,} days.</p>"
    )
    return intro + _table(pd.DataFrame(rows)) + _figure(trend_figure(result), "kpis-trend")


def _segments_section(
    dataset: Dataset, args: Mapping[str, Any], budget: Budget | None = None
) -> str:
    _require(dataset, ("transactions", "customers"), "Segmentation")
    args = dict(args)
    names = args.pop("names", {}) or {}
    x, y = args.pop("x", None), args.pop("y", None)
    log_axes = bool(args.pop("log_axes", True))
    if "features" not in args:
        args["features"] = (
            "rfm" if dataset.kind == "transactions" else tuple(numeric_columns(dataset))
        )
    result = run_segmentation(dataset, **args, budget=budget)
    if names:
        result = result.renamed(names)
    axes = [*result.features, *result.projection.columns]
    default_x, default_y = ("recency", "monetary") if args["features"] == "rfm" else axes[:2]
    x = x if x in axes else default_x
    y = y if y in axes else default_y
    metrics = ", ".join(f"{name} {value:.3f}" for name, value in result.metrics.items())
    intro = (
        f"<p>{len(result.customers):,} customers in {result.k} segments "
        f"({html.escape(result.algorithm)} on "
        f"{html.escape(', '.join(FEATURE_LABELS.get(f, f) for f in result.features))}; "
        f"{html.escape(metrics)}).</p>"
    )
    descriptions = _list([f"{n}: {result.descriptions[n]}" for n in result.segment_names])
    return (
        intro
        + descriptions
        + _figure(scatter_figure(result, x, y, log_axes=log_axes), "segments-scatter")
        + "<h3>Segment profiles</h3>"
        + _table(result.profiles)
    )


def _rules_section(dataset: Dataset, args: Mapping[str, Any]) -> str:
    _require(dataset, ("transactions", "baskets"), "Market basket analysis")
    args = dict(args)
    basket_args = {k: args.pop(k) for k in ("item", "start", "end", "filters") if k in args}
    segments = tuple(args.pop("segments", ()) or ())
    redundant = bool(args.pop("redundant", False))
    significant = bool(args.pop("significant", False))
    baskets = build_baskets(
        dataset,
        item=basket_args.get("item"),
        start=_stamp(basket_args.get("start")),
        end=_stamp(basket_args.get("end")),
        filters=dict(basket_args.get("filters") or ()),
        customers=rfm_customers(dataset, segments),
    )
    rules = run_rules(baskets, **args)
    table = filter_rules(rules.table, redundant=redundant, significant=significant)
    hidden = rules.n_rules - len(table)
    intro = (
        f"<p>{len(table):,} rules"
        + (f" ({hidden:,} redundant or not significant left out)" if hidden else "")
        + " among {baskets.n_baskets:,} baskets and {rules.n_items:,} "
        f"items (support ≥ {rules.min_support:.2%}, confidence ≥ {rules.min_confidence:.0%}"
        + (f", lift ≥ {rules.min_lift:.2f}" if rules.min_lift else "")
        + "). The strongest, by lift:</p>"
    )
    if table.empty:
        return intro.replace("The strongest, by lift:", "No rule meets these thresholds.")
    top = table.sort_values(["lift", "confidence"], ascending=False).head(TOP_RULES)
    readings = []
    for _, rule in top.iterrows():
        lines = describe_rule(rule, rules.n_baskets)
        readings.append(
            "<li><strong>"
            + html.escape(" + ".join(map(str, rule["antecedent"])))
            + " → "
            + html.escape(" + ".join(map(str, rule["consequent"])))
            + "</strong><br>"
            + html.escape(lines[0][1])
            + " "
            + html.escape(lines[1][1][0].upper() + lines[1][1][1:])
            + "</li>"
        )
    shown = top[["antecedent", "consequent", "support", "confidence", "lift"]].copy()
    for side in ("antecedent", "consequent"):
        shown[side] = shown[side].map(lambda items: " + ".join(map(str, items)))
    return intro + "<ol class='rules'>" + "".join(readings) + "</ol>" + _table(shown)


def _forecast_section(
    dataset: Dataset, args: Mapping[str, Any], budget: Budget | None = None
) -> str:
    _require(dataset, ("transactions", "series"), "Forecasting")
    args = dict(args)
    series_args = {k: args.pop(k) for k in ("metric", "freq", "keep_incomplete") if k in args}
    filters = dict(args.pop("filters", ()) or ())
    segments = tuple(args.pop("segments", ()) or ())
    series = build_series(
        dataset, filters=filters, customers=rfm_customers(dataset, segments), **series_args
    )
    result = run_forecast(series, **args, budget=budget)
    period = FREQ_LABELS[series.freq].lower()
    total = float(result.forecast["forecast"].sum())
    intro = (
        f"<p>{html.escape(FORECAST_MODELS.get(result.model, result.model))} — "
        f"{html.escape(result.description)} — on {series.n:,} {period}s; the next "
        f"{len(result.forecast):,} {period}s add up to {total:,.0f}. The shaded bands are "
        "prediction intervals.</p>"
    )
    board = result.backtest.leaderboard.reset_index()
    board.insert(0, "Model", [FORECAST_MODELS.get(m, m).split(" (")[0] for m in board["model"]])
    board = board[["Model", *[c for c in METRIC_COLUMNS if c in board.columns]]]
    return (
        intro
        + _figure(forecast_figure(result), "forecast-chart")
        + "<h3>Backtest</h3>"
        + f"<p>{html.escape(result.backtest.describe())}</p>"
        + (_table(board) if not board.empty else "<p>Too few periods for a backtest.</p>")
        + "<h3>Forecast with intervals</h3>"
        + _table(result.forecast.reset_index() if result.forecast.index.name else result.forecast)
    )


def _propensity_section(
    dataset: Dataset, args: Mapping[str, Any], budget: Budget | None = None
) -> str:
    _require(dataset, ("transactions", "customers"), "Propensity")
    args = dict(args)
    fit_args = {k: args.pop(k) for k in ("model", "folds") if k in args}
    data = propensity_data(dataset, **args)
    result = fit_propensity(data, **fit_args, budget=budget)
    chosen = result.chosen
    facts = [
        ("Predicting", data.target_name),
        ("Customers", f"{data.n:,}"),
        ("Positive share", f"{data.positive_share:.1%}"),
        ("Model", PROPENSITY_MODELS.get(result.model, result.model)),
        ("ROC AUC", f"{chosen.roc_auc:.3f} (sd {chosen.roc_auc_sd:.3f})"),
        ("PR AUC", f"{chosen.pr_auc:.3f}"),
        ("Validation", result.validation),
    ]
    board = result.leaderboard().reset_index()
    board["model"] = board["model"].map(lambda m: PROPENSITY_MODELS.get(m, m))
    return (
        _facts(facts)
        + _figure(lift_figure(result), "propensity-lift")
        + "<h3>Models compared</h3>"
        + _table(board.drop(columns=[c for c in ("params",) if c in board.columns]))
    )


def rfm_customers(dataset: Dataset, segments: Sequence[str]) -> list[str] | None:
    """The customers in these named RFM segments (None: everyone)."""
    return compute_rfm(dataset).members(segments) if segments else None


def _require(dataset: Dataset, kinds: Sequence[str], what: str) -> None:
    if dataset.kind not in kinds:
        raise AnalyticsError(
            f"{what} needs {' or '.join(kinds)} data, and this dataset is {dataset.kind}."
        )


def _stamp(value: Any) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


# --- HTML -------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2933;
background:#f7f8fa}
header{background:#1f4e79;color:#fff;padding:28px 40px}header h1{margin:0 0 6px}
header p{margin:2px 0;opacity:.9}nav{padding:10px 40px;background:#fff;border-bottom:1px solid #ddd}
nav a{margin-right:18px;color:#1f4e79}main{max-width:1100px;margin:0 auto;padding:10px 40px 40px}
section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:6px 24px 18px;
margin:22px 0}table{border-collapse:collapse;margin:8px 0 14px;font-size:14px}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 10px;text-align:left}th{background:#f0f3f6}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 18px}dt{font-weight:600}dd{margin:0}
.problem{color:#8a5300;background:#fff6e5;padding:8px 12px;border-radius:6px}
footer{color:#667;font-size:13px;text-align:center;padding:20px}
"""


def _document(options: ReportOptions, dataset: Dataset, sections: Sequence[SectionResult]) -> str:
    day = options.date or dt.date.today()
    byline = f"<p>{html.escape(options.author)}</p>" if options.author.strip() else ""
    nav = "".join(f"<a href='#{s.key}'>{html.escape(s.title)}</a>" for s in sections)
    body = "".join(
        f"<section id='{s.key}' data-section='{s.key}'><h2>{html.escape(s.title)}</h2>"
        + (
            f"<p class='problem' data-problem='1'>Not in this report: {html.escape(s.problem)}</p>"
            if s.problem
            else s.body
        )
        + "</section>"
        for s in sections
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='MarketLens'><title>{html.escape(options.title)}</title>"
        f"<style>{_STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{html.escape(options.title)}</h1>{byline}"
        f"<p>{day:%d %B %Y} · data: {html.escape(dataset.source)}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        "<footer>Made with MarketLens. Every figure was computed from the data named above; "
        "the charts are interactive and need no network.</footer></body></html>"
    )


def _figure(fig: go.Figure, div_id: str) -> str:
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _table(frame: pd.DataFrame) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:,.3f}")
        elif pd.api.types.is_integer_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: f"{v:,}")
        elif pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = shown[column].dt.strftime("%Y-%m-%d")
    return str(shown.to_html(index=False, escape=True, border=0, na_rep=""))


def _facts(pairs: Sequence[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in pairs)
    return f"<dl>{items}</dl>"


def _list(lines: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
