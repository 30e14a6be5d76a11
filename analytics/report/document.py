"""A stakeholder report: one self-contained HTML file of an analysis, readable offline.

The report runs the same analysis functions as the pages, with the arguments the pages last used
(``analyses``, as a workspace stores them) or with the pages' defaults, and lays out the results:
dataset and quality, KPIs, segments, rules in plain words, forecast, propensity. plotly.js is
embedded once, so the file opens in any browser without a network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from analytics.baskets import (
    Rules,
    RulesParams,
    build_baskets,
    describe_rule,
    filter_rules,
    run_rules,
)
from analytics.budget import Budget, Interrupted, check
from analytics.campaigns import (
    EFFECT_COLUMNS,
    CampaignParams,
    CampaignResult,
    deciles_figure,
    detect_design,
    effects_figure,
    qini_figure,
    run_campaign,
    segment_columns,
)
from analytics.data import CleaningResult, Dataset, LoadedTable, quality_report
from analytics.display import Column, Display
from analytics.errors import AnalyticsError
from analytics.forecast import (
    FREQ_LABELS,
    ForecastParams,
    ForecastResult,
    build_series,
    forecast_figure,
    run_forecast,
)
from analytics.forecast import MODEL_LABELS as FORECAST_MODELS
from analytics.i18n import LANGUAGES, N_, _, language, ngettext
from analytics.i18n import day as i18n_day
from analytics.lifetime import (
    LifetimeParams,
    LifetimeResult,
    cohort_heatmap,
    holdout_figure,
    migration_sankey,
    run_lifetime,
)
from analytics.mix import (
    MIX_COLUMNS,
    BudgetPlan,
    MixParams,
    MixResult,
    contribution_figure,
    detect_roles,
    plan_words,
    response_figure,
    run_mix,
    shares_figure,
)
from analytics.overview import OverviewParams, OverviewResult, run_overview
from analytics.params import Params
from analytics.plots import trend_figure
from analytics.propensity import MODEL_LABELS as PROPENSITY_MODELS
from analytics.propensity import (
    PropensityParams,
    PropensityResult,
    fit_propensity,
    lift_figure,
    propensity_data,
)
from analytics.segments import (
    ALGORITHM_LABELS,
    FEATURE_LABELS,
    SegmentationResult,
    SegmentParams,
    compute_rfm,
    default_axes,
    run_segmentation,
    scatter_figure,
)

#: The segmentation's quality figures as the report names them (inertia, a sum of squares that
#: only compares fits of one k, is left out).
QUALITY_WORDS = {
    "silhouette": "silhouette (higher is better, at most 1)",
    "davies_bouldin": "Davies–Bouldin index (lower is better)",
    "calinski_harabasz": "Calinski–Harabasz index (higher is better)",
}

#: How each quality finding's severity is written in the report.
SEVERITY_WORDS = {"problem": N_("problem"), "warning": N_("warning"), "info": N_("info")}

#: The report's sections, in order, with their headings (translated where shown).
SECTIONS: dict[str, str] = {
    "data": N_("Dataset and quality"),
    "kpis": N_("Key figures"),
    "segments": N_("Customer segments"),
    "rules": N_("Bought together"),
    "forecast": N_("Forecast"),
    "propensity": N_("Who will churn or buy"),
    "lifetime": N_("Customers over time"),
    "campaign": N_("Campaign results"),
    "channels": N_("Channels and budget"),
}
#: The page (and analysis) whose settings each section follows.
SECTION_ANALYSIS: dict[str, str] = {
    "kpis": "overview",
    "segments": "segments",
    "rules": "rules",
    "forecast": "forecast",
    "propensity": "propensity",
    "lifetime": "lifetime",
    "campaign": "campaign",
    "channels": "channels",
}
#: The sections that can be made from each kind of data.
SECTIONS_FOR_KIND: dict[str, tuple[str, ...]] = {
    "transactions": tuple(s for s in SECTIONS if s != "campaign"),
    "customers": ("data", "segments", "propensity", "campaign", "channels"),
    "baskets": ("data", "rules"),
    "series": ("data", "forecast", "channels"),
}


def fitting_sections(
    dataset: Dataset, visited: Sequence[str] = (), frame: pd.DataFrame | None = None
) -> tuple[str, ...]:
    """The sections this dataset can fill: by its kind; the campaign section only for an
    experiment (a group named like a control), the channels section only for a table with
    dates and spend columns (``frame``: the table as read), or when their page was opened
    (``visited`` names the analyses the pages ran)."""
    fits = SECTIONS_FOR_KIND.get(dataset.kind, ())
    if "channels" in fits and "channels" not in visited:
        roles = detect_roles(dataset.frame if frame is None else frame)
        if roles.date is None or not roles.channels:
            fits = tuple(s for s in fits if s != "channels")
    if "campaign" in fits and "campaign" not in visited:
        try:
            experiment = detect_design(dataset.frame).control_named
        except AnalyticsError:
            experiment = False
        if not experiment:
            fits = tuple(s for s in fits if s != "campaign")
    return fits


#: The parameters of each section's analysis (read from the page's saved arguments).
SECTION_PARAMS: dict[str, type[Params]] = {
    "kpis": OverviewParams,
    "segments": SegmentParams,
    "rules": RulesParams,
    "forecast": ForecastParams,
    "propensity": PropensityParams,
    "lifetime": LifetimeParams,
    "campaign": CampaignParams,
    "channels": MixParams,
}
TOP_RULES = 10
#: Customers listed in the lifetime section's tables.
TOP_CUSTOMERS = 10


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
    display : Display
        The locale and currency figures are written in (the pages' own).
    language : str
        The language of its words (``"en"`` or ``"zh_CN"``, :data:`analytics.i18n.LANGUAGES`).
    """

    title: str = "Marketing analysis"
    author: str = ""
    date: dt.date | None = None
    sections: tuple[str, ...] = tuple(SECTIONS)
    display: Display = field(default_factory=Display)
    language: str = "en"

    def __post_init__(self) -> None:
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            raise AnalyticsError(
                _("Unknown report section {name!r}.").format(name=unknown[0]),
                hint=_("Choose from {names}.").format(names=", ".join(SECTIONS)),
            )
        if not self.sections:
            raise AnalyticsError(_("Choose at least one section for the report."))
        if self.language not in LANGUAGES:
            raise AnalyticsError(
                _("Unknown language {name!r}.").format(name=self.language),
                hint=_("Choose from {names}.").format(names=", ".join(LANGUAGES)),
            )


def _campaign(dataset: Dataset, params: CampaignParams) -> CampaignResult:
    return run_campaign(dataset.frame, params)


def _overview(dataset: Dataset, params: OverviewParams) -> OverviewResult:
    return run_overview(dataset, **params.options("overview"))


def _segments(dataset: Dataset, params: SegmentParams, budget: Budget | None) -> SegmentationResult:
    return run_segmentation(dataset, **params.options("features", "sweep", "fit"), budget=budget)


def _rules(dataset: Dataset, params: RulesParams) -> Rules:
    customers = rfm_customers(dataset, params.segments)
    baskets = build_baskets(dataset, **params.options("baskets"), customers=customers)
    return run_rules(baskets, **params.options("mining"))


def _forecast(dataset: Dataset, params: ForecastParams, budget: Budget | None) -> ForecastResult:
    customers = rfm_customers(dataset, params.segments)
    series = build_series(dataset, **params.options("series"), customers=customers)
    return run_forecast(series, **params.options("model"), budget=budget)


def _propensity(
    dataset: Dataset, params: PropensityParams, budget: Budget | None
) -> PropensityResult:
    data = propensity_data(dataset, **params.options("data"))
    return fit_propensity(data, **params.options("fit"), budget=budget)


@dataclass(frozen=True)
class Runners:
    """How the report gets each analysis's result from its parameters.

    By default it computes them. The app passes its cached functions instead, keyed by the same
    parameters as the pages', so a report made after visiting the pages reuses their results.
    """

    overview: Callable[[Dataset, OverviewParams], OverviewResult] = _overview
    segments: Callable[[Dataset, SegmentParams, Budget | None], SegmentationResult] = _segments
    rules: Callable[[Dataset, RulesParams], Rules] = _rules
    forecast: Callable[[Dataset, ForecastParams, Budget | None], ForecastResult] = _forecast
    propensity: Callable[[Dataset, PropensityParams, Budget | None], PropensityResult] = _propensity
    lifetime: Callable[[Dataset, LifetimeParams], LifetimeResult] = run_lifetime
    campaign: Callable[[Dataset, CampaignParams], CampaignResult] = _campaign
    channels: Callable[[pd.DataFrame, MixParams], tuple[MixResult, BudgetPlan]] = run_mix
    #: Called before any section is made, once per chosen section that applies to the data, with
    #: its parameters: the app starts the slow analyses (the k sweep, the forecast, the models)
    #: in its worker pool there, so they compute side by side while the report makes the others.
    start: Callable[[Dataset, str, Params], None] | None = None


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
    runners: Runners | None = None,
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
    runners : Runners, optional
        How each analysis is computed (default: directly; the app passes its caches).

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
    with language(options.language):
        return _build(cleaned, table, analyses or {}, options, progress, budget, runners)


def _build(
    cleaned: CleaningResult,
    table: LoadedTable | None,
    analyses: Mapping[str, Mapping[str, Any]],
    options: ReportOptions,
    progress: Callable[[str], None] | None,
    budget: Budget | None,
    runners: Runners | None,
) -> Report:
    run = runners or Runners()
    started = time.perf_counter()
    dataset = cleaned.dataset

    def saved(section: str) -> dict[str, Any]:
        return _args(analyses, section)

    shown = options.display
    builders: dict[str, Callable[[], Markup]] = {
        "data": lambda: _data_section(cleaned, table, shown),
        "kpis": lambda: _kpi_section(dataset, saved("kpis"), run, shown),
        "segments": lambda: _segments_section(dataset, saved("segments"), run, shown, budget),
        "rules": lambda: _rules_section(dataset, saved("rules"), run, shown),
        "forecast": lambda: _forecast_section(dataset, saved("forecast"), run, shown, budget),
        "propensity": lambda: _propensity_section(dataset, saved("propensity"), run, shown, budget),
        "lifetime": lambda: _lifetime_section(dataset, saved("lifetime"), run, shown),
        "campaign": lambda: _campaign_section(dataset, saved("campaign"), run, shown),
        "channels": lambda: _channels_section(
            dataset.frame if table is None else table.frame, saved("channels"), run, shown
        ),
    }
    if run.start is not None:
        for key in SECTION_PARAMS:
            if key in options.sections and key in SECTIONS_FOR_KIND.get(dataset.kind, ()):
                with contextlib.suppress(AnalyticsError):  # the section says why when it runs
                    run.start(dataset, key, SECTION_PARAMS[key].from_dict(saved(key)))
    results = []
    for key, english in SECTIONS.items():
        if key not in options.sections:
            continue
        title = _(english)
        check(budget)
        if progress is not None:
            progress(_("Report: {section} …").format(section=title.lower()))
        try:
            results.append(SectionResult(key, title, builders[key]()))
        except Interrupted:
            raise
        except AnalyticsError as exc:
            results.append(SectionResult(key, title, "", problem=str(exc)))
    document = _document(options, dataset, results)
    return Report(document, tuple(results), time.perf_counter() - started)


def _args(analyses: Mapping[str, Mapping[str, Any]], section: str) -> dict[str, Any]:
    """The section's analysis arguments: the page's last ones (missing ones: the defaults)."""
    return dict(analyses.get(SECTION_ANALYSIS[section], {}))


# --- sections ---------------------------------------------------------------------------------------


def _data_section(cleaned: CleaningResult, table: LoadedTable | None, shown: Display) -> Markup:
    dataset = cleaned.dataset
    quality = quality_report(dataset, table=None if table is None else table.frame)
    facts = [
        (_("Source"), dataset.source),
        (_("Kind"), _(dataset.kind)),
        (_("Rows analysed"), shown.count(dataset.n_rows)),
        (_("Rows removed by cleaning"), shown.count(cleaned.rows_removed)),
        (_("Columns"), shown.count(quality.n_columns)),
    ]
    if quality.date_range is not None:
        first, last = quality.date_range
        facts.append((_("Dates"), f"{shown.date(first)} – {shown.date(last)}"))
    for role, label in (
        ("customer_id", N_("Customers")),
        ("order_id", N_("Orders")),
        ("product", N_("Products")),
    ):
        if dataset.has(role):
            facts.append((_(label), shown.count(dataset.frame[role].nunique())))
    return _render(
        "data.html",
        facts=facts,
        roles=dataset.mapping.describe(),
        cleaning=_table(cleaned.summary, shown) if cleaned.log else None,
        findings=[
            _("{severity}: {message}").format(
                severity=_(SEVERITY_WORDS[f.severity]), message=f.message
            )
            for f in quality.findings
        ],
    )


def _kpi_section(dataset: Dataset, args: Mapping[str, Any], run: Runners, shown: Display) -> Markup:
    _require(dataset, ("transactions",), "Key figures")
    result = run.overview(dataset, OverviewParams.from_dict(args))
    summary = result.summary(shown)
    return _render(
        "kpis.html",
        start=shown.date(result.start),
        end=shown.date(result.end),
        days=shown.count((result.end - result.start).days + 1),
        table=_table(summary, shown),
        figure=_figure(trend_figure(result), "kpis-trend"),
    )


def _segments_section(
    dataset: Dataset,
    args: Mapping[str, Any],
    run: Runners,
    shown: Display,
    budget: Budget | None = None,
) -> Markup:
    _require(dataset, ("transactions", "customers"), "Segmentation")
    params = SegmentParams.from_dict(args)
    result = run.segments(dataset, params, budget)
    # The page's names, or (a report built without the page) the names suggested in words.
    result = result.renamed(params.renames() if params.names else result.suggested)
    axes = [*result.features, *result.projection.columns]
    default_x, default_y = default_axes(result)
    x = params.x if params.x is not None and params.x in axes else default_x
    y = params.y if params.y is not None and params.y in axes else default_y
    return _render(
        "segments.html",
        customers=shown.count(len(result.customers)),
        k=result.k,
        algorithm=ALGORITHM_LABELS.get(result.algorithm, result.algorithm),
        features=", ".join(FEATURE_LABELS.get(f, f) for f in result.features),
        metrics=", ".join(
            f"{QUALITY_WORDS[name]} {shown.number(value, 3)}"
            for name, value in result.metrics.items()
            if name in QUALITY_WORDS and value == value
        ),
        descriptions=[f"{n}: {result.descriptions[n]}" for n in result.segment_names],
        figure=_figure(scatter_figure(result, x, y, log_axes=params.log_axes), "segments-scatter"),
        profiles=_table(result.profiles, shown),
    )


def _rules_section(
    dataset: Dataset, args: Mapping[str, Any], run: Runners, shown: Display
) -> Markup:
    _require(dataset, ("transactions", "baskets"), "Market basket analysis")
    params = RulesParams.from_dict(args)
    rules = run.rules(dataset, params)
    table = filter_rules(rules.table, **params.options("display"))
    top = table.sort_values(["lift", "confidence"], ascending=False).head(TOP_RULES)
    readings = []
    for _row, rule in top.iterrows():
        lines = describe_rule(rule, rules.n_baskets)
        readings.append(
            {
                "sides": " + ".join(map(str, rule["antecedent"]))
                + " → "
                + " + ".join(map(str, rule["consequent"])),
                "story": f"{lines[0][1]} {lines[1][1][0].upper()}{lines[1][1][1:]}",
            }
        )
    top_table = top[["rule", "support", "confidence", "lift", "count"]]
    return _render(
        "rules.html",
        shown=shown.count(len(table)),
        hidden=shown.count(rules.n_rules - len(table)) if rules.n_rules > len(table) else None,
        baskets=shown.count(rules.n_baskets),
        items=shown.count(rules.n_items),
        min_support=shown.percent(rules.min_support, 2),
        min_confidence=shown.percent(rules.min_confidence, 0),
        min_lift=shown.number(rules.min_lift, 2) if rules.min_lift else None,
        readings=readings,
        table=_table(top_table, shown),
    )


def _forecast_section(
    dataset: Dataset,
    args: Mapping[str, Any],
    run: Runners,
    shown: Display,
    budget: Budget | None = None,
) -> Markup:
    _require(dataset, ("transactions", "series"), "Forecasting")
    params = ForecastParams.from_dict(args)
    result = run.forecast(dataset, params, budget)
    series = result.series
    board = result.leaderboard_table(FORECAST_MODELS).drop(columns="description")
    columns = result.display_columns()
    total = float(result.forecast["forecast"].sum())
    return _render(
        "forecast.html",
        model=FORECAST_MODELS.get(result.model, result.model),
        description=result.description,
        periods=shown.count(series.n),
        period=_(FREQ_LABELS[series.freq]).lower(),
        horizon=shown.count(len(result.forecast)),
        total=shown.money(total) if result.value_kind == "money" else shown.count(total),
        figure=_figure(forecast_figure(result), "forecast-chart"),
        backtest=result.backtest.describe(),
        board=None if board.empty else _table(board, shown, columns),
        table=_table(
            result.forecast.reset_index() if result.forecast.index.name else result.forecast,
            shown,
            columns,
        ),
    )


def _propensity_section(
    dataset: Dataset,
    args: Mapping[str, Any],
    run: Runners,
    shown: Display,
    budget: Budget | None = None,
) -> Markup:
    _require(dataset, ("transactions", "customers"), "Propensity")
    params = PropensityParams.from_dict(args)
    result = run.propensity(dataset, params, budget)
    data = result.data
    chosen = result.chosen
    low, high = result.auc_interval
    facts = [
        ("Predicting", data.target_name),
        ("Customers", shown.count(data.n)),
        ("Positive share", shown.percent(data.positive_share)),
        ("Model", PROPENSITY_MODELS.get(result.model, result.model)),
        (
            "ROC AUC",
            shown.number(chosen.roc_auc, 3)
            + (
                ""
                if _missing(chosen.roc_auc_sd)
                else f" (± {shown.number(chosen.roc_auc_sd, 3)} over the folds)"
            ),
        ),
        ("PR AUC", shown.number(chosen.pr_auc, 3)),
        ("Validation", result.validation),
        (
            "Verdict",
            "Better than chance: the 95% interval of the ROC AUC, "
            f"{low:.2f} to {high:.2f}, lies above 0.5."
            if result.better_than_chance
            else f"No better than chance: the 95% interval of the ROC AUC, {low:.2f} to "
            f"{high:.2f}, includes 0.5. Do not choose whom to contact from these scores.",
        ),
    ]
    board = result.leaderboard().reset_index()
    board["model"] = board["model"].map(lambda m: PROPENSITY_MODELS.get(m, m))
    return _render(
        "propensity.html",
        facts=facts,
        figure=_figure(lift_figure(result), "propensity-lift"),
        board=_table(board.drop(columns=[c for c in ("params",) if c in board.columns]), shown),
    )


def rfm_customers(dataset: Dataset, segments: Sequence[str]) -> list[str] | None:
    """The customers in these named RFM segments (None: everyone)."""
    return compute_rfm(dataset).members(segments) if segments else None


def _require(dataset: Dataset, kinds: Sequence[str], what: str) -> None:
    if dataset.kind not in kinds:
        raise AnalyticsError(
            f"{what} needs {' or '.join(kinds)} data, and this dataset is {dataset.kind}."
        )


def _lifetime_section(
    dataset: Dataset, args: Mapping[str, Any], run: Runners, shown: Display
) -> Markup:
    _require(dataset, ("transactions",), "Customers over time")
    params = LifetimeParams.from_dict(args)
    result = run.lifetime(dataset, params)
    cohorts, values, migration = result.cohorts, result.values, result.migration
    horizon = f"{params.horizon_weeks} weeks"
    value = None
    if values is not None:
        value = {
            "customers": shown.count(len(values)),
            "repeat": shown.count(result.repeat_buyers),
            "purchases": shown.count(float(values["expected_purchases"].sum())),
            "total": shown.money(float(values["clv"].sum())),
            "horizon": horizon,
            "discount": shown.percent(params.discount, 0),
            "top": _table(values.head(TOP_CUSTOMERS).reset_index(), shown),
            "slipping": None
            if result.slipping is None or result.slipping.empty
            else _table(result.slipping.head(TOP_CUSTOMERS).reset_index(), shown),
        }
    moved = None
    if migration is not None:
        counts = migration.counts()
        moved = {
            "before": shown.date(migration.before),
            "after": shown.date(migration.after),
            "down": shown.count(counts["down"]),
            "up": shown.count(counts["up"]),
            "same": shown.count(counts["same"]),
            "new": shown.count(counts["new"]),
            "figure": _figure(migration_sankey(migration), "lifetime-migration"),
            "matrix": _table(migration.matrix().reset_index(), shown),
            "list": _table(
                migration.moved_down().head(TOP_CUSTOMERS)[
                    ["customer_id", "segment_before", "segment_after", "revenue"]
                ],
                shown,
            ),
        }
    return _render(
        "lifetime.html",
        cohorts=None
        if cohorts is None
        else {
            "customers": shown.count(int(cohorts.sizes.sum())),
            "count": len(cohorts.sizes),
            "narrowed": f"{params.by} = {params.value}" if params.by and params.value else None,
            "heatmap": _figure(cohort_heatmap(cohorts), "lifetime-cohorts"),
        },
        value=value,
        notes=result.notes(),
        holdout=None
        if result.holdout is None
        else {
            "words": result.holdout.words(shown),
            "figure": _figure(holdout_figure(result.holdout), "lifetime-holdout"),
        },
        migration=moved,
        problems=[f"{part.capitalize()}: {text}" for part, text in result.problems.items()],
    )


def _campaign_section(
    dataset: Dataset, args: Mapping[str, Any], run: Runners, shown: Display
) -> Markup:
    _require(dataset, ("customers",), "Campaign results")
    params = CampaignParams.from_dict(args)
    if not args and not detect_design(dataset.frame).control_named:
        raise AnalyticsError(
            "No experiment found: no column has a group named like a control (control, no "
            "e-mail, holdout). Open the Campaigns page to choose the groups."
        )
    result = run.campaign(dataset, params)
    effects = result.effects
    tables = []
    for outcome, kind in result.design.outcomes.items():
        rows = effects.table.loc[effects.table["outcome"] == outcome]
        columns = EFFECT_COLUMNS[kind]
        tables.append(
            {
                "outcome": outcome,
                "table": _table(rows[[c for c in columns if c in rows.columns]], shown, columns),
                "figure": _figure(effects_figure(effects, outcome), f"campaign-{outcome}"),
            }
        )
    model = result.uplift
    uplift = None
    if model is not None:
        best = model.best_share(params.cost, params.value) if params.value > 0 else None
        uplift = {
            "words": model.words(shown),
            "figure": _figure(qini_figure(model), "campaign-qini")
            if model.binary
            else _figure(deciles_figure(model), "campaign-deciles"),
            "segments": _table(model.segments, shown, segment_columns(model.binary)),
            "best": None
            if best is None
            else f"At a cost of {shown.money(params.cost)} a contact and "
            f"{shown.money(params.value)} an extra {model.outcome}, the best share to contact "
            f"is the top {shown.percent(best['share'], 0)} ({shown.count(best['customers'])} "
            f"customers), for an expected profit of {shown.money(best['profit'])}.",
        }
    unbalanced = result.balance.loc[result.balance["unbalanced"], "covariate"].tolist()
    return _render(
        "campaign.html",
        group=result.design.group,
        control=result.design.control,
        sizes=", ".join(f"{k} {shown.count(v)}" for k, v in effects.sizes.items()),
        ratio=result.ratio.words(shown),
        mismatch=result.ratio.mismatch,
        words=effects.words(shown),
        tables=tables,
        unbalanced=", ".join(map(str, unbalanced)),
        uplift=uplift,
        problems=list(result.problems.values()),
    )


def _channels_section(
    frame: pd.DataFrame, args: Mapping[str, Any], run: Runners, shown: Display
) -> Markup:
    params = MixParams.from_dict(args)
    result, plan = run.channels(frame, params)
    return _render(
        "channels.html",
        words=result.words(shown),
        contributions=_figure(contribution_figure(result), "channels-contributions"),
        shares=_figure(shares_figure(result), "channels-shares"),
        response=_figure(response_figure(result), "channels-response"),
        summary=_table(result.summary(), shown, MIX_COLUMNS),
        plan_words=plan_words(plan, shown),
        plan=_table(plan.table, shown),
    )


# --- HTML -------------------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","Source Han Sans SC",
"PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",sans-serif;margin:0;color:#1f2933;
background:#f7f8fa}
header{background:#1f4e79;color:#fff;padding:28px 40px}header h1{margin:0 0 6px}
header p{margin:2px 0;opacity:.9}nav{padding:10px 40px;background:#fff;border-bottom:1px solid #ddd}
nav a{margin-right:18px;color:#1f4e79}main{max-width:1100px;margin:0 auto;padding:10px 40px 40px}
section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:6px 24px 18px;
margin:22px 0}table{border-collapse:collapse;margin:8px 0 14px;font-size:14px;display:block;overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 10px;text-align:left}th{background:#f0f3f6}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 18px}dt{font-weight:600}dd{margin:0}
.note{color:#555;font-size:.85em}
.problem{color:#8a5300;background:#fff6e5;padding:8px 12px;border-radius:6px}
footer{color:#667;font-size:13px;text-align:center;padding:20px}
.warning{color:#b42318;font-weight:600}
"""


#: The report's templates (analytics/report/templates/), HTML-escaped unless marked safe (Markup).
_TEMPLATES = Environment(
    loader=PackageLoader("analytics.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    extensions=["jinja2.ext.i18n"],
)
# {% trans %} blocks and _() in the templates read the catalogs in the report's language.
_TEMPLATES.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=lambda message: _(message), ngettext=ngettext, newstyle=True
)


def _render(template: str, **context: Any) -> Markup:
    return Markup(_TEMPLATES.get_template(template).render(**context))


def _document(options: ReportOptions, dataset: Dataset, sections: Sequence[SectionResult]) -> str:
    day = options.date or dt.date.today()
    return str(
        _render(
            "report.html",
            title=options.title,
            author=options.author.strip(),
            day=f"{day:%d %B %Y}" if options.language == "en" else i18n_day(day),
            lang="zh-CN" if options.language == "zh_CN" else "en",
            source=dataset.source,
            sections=sections,
            style=Markup(_STYLE),
            plotlyjs=Markup(get_plotlyjs()),
        )
    )


def _figure(fig: go.Figure, div_id: str) -> Markup:
    return Markup(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # None or NaN


def _table(
    frame: pd.DataFrame, shown: Display, columns: Mapping[str, Column] | None = None
) -> Markup:
    """A table as the pages show it: headers in words, figures in the locale and currency."""
    text = shown.text_table(frame, dict(columns or {}))
    return Markup(text.to_html(index=False, escape=True, border=0, na_rep="—"))
