"""Cached analyses: each page's computation through ``st.cache_data``, shared by all sessions.

Cached functions take every input as an argument and are keyed by content fingerprints (datasets,
baskets, series) and typed parameters, so one session can never receive another session's data,
and moving a slider back is instant."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.baskets import (
    Baskets,
    RecommendationEval,
    Rules,
    RulesParams,
    build_baskets,
    evaluate_recommendations,
    item_values,
    run_rules,
    similar_items,
    suggest_excludes,
    suggest_support,
)
from analytics.budget import Budget
from analytics.campaigns import (
    CampaignParams,
    CampaignResult,
    Design,
    UpliftResult,
    fit_uplift,
    resolve_design,
    run_campaign,
)
from analytics.data import (
    CleaningResult,
    Dataset,
    LoadedTable,
    load_table,
)
from analytics.display import Display
from analytics.errors import AnalyticsError
from analytics.forecast import (
    ForecastParams,
    ForecastResult,
    ResidualCheck,
    SalesSeries,
    build_series,
    decompose,
    residual_diagnostics,
    run_forecast,
)
from analytics.i18n import _, current_language, in_language, language
from analytics.lifetime import (
    BGNBD,
    Cohorts,
    GammaGamma,
    HoldoutCheck,
    LifetimeParams,
    LifetimeResult,
    Migration,
    SpendCheck,
    acquisition_groups,
    cohort_table,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    holdout_check,
    predict_clv,
    run_lifetime,
    segment_migration,
    slipping_away,
    spend_check,
)
from analytics.mix import MixResult, fit_mix, mix_data, weekly_table
from analytics.overview import OverviewParams, OverviewResult, run_overview
from analytics.params import Params
from analytics.propensity import (
    ModelScore,
    PropensityData,
    PropensityParams,
    PropensityResult,
    feature_importance,
    fit_propensity,
    propensity_data,
)
from analytics.report import (
    Report,
    ReportOptions,
    Runners,
    build_report,
    encode,
    fitting_sections,
    savable,
)
from analytics.segments import (
    CustomerFeatures,
    KSweep,
    RFMResult,
    SegmentationResult,
    SegmentParams,
    compute_rfm,
    customer_features,
    run_segmentation,
    scale_features,
    sweep_k,
)
from pages._display import current_display
from pages._jobs import PoolJob, in_background, job_key, job_pool, started, waited, when_ready
from pages._runtime import session_alive
from pages._state import CACHE_TTL, _dataset_key, analyses, current_dataset, data_state
from pages._widgets import PageDone

#: Wall-clock seconds one analysis may compute for a visitor before it is stopped with a message.
COMPUTE_SECONDS_ENV = "MARKETLENS_COMPUTE_SECONDS"


COMPUTE_SECONDS = 300.0


def compute_seconds() -> float:
    """``MARKETLENS_COMPUTE_SECONDS`` (default 300): wall-clock seconds one analysis may take."""
    try:
        return float(os.environ.get(COMPUTE_SECONDS_ENV) or COMPUTE_SECONDS)
    except ValueError:
        return COMPUTE_SECONDS


def compute_budget(what: str) -> Budget:
    """The budget of one analysis run for this visitor: stopped when they close the tab, or after
    ``MARKETLENS_COMPUTE_SECONDS`` (default 300) seconds."""
    return Budget(seconds=compute_seconds(), alive=session_alive(), what=what)


@st.cache_data(
    max_entries=64, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_overview(dataset: Dataset, params: OverviewParams, lang: str) -> OverviewResult:
    """Overview keyed by the dataset fingerprint, the parameters and the language of its notes."""
    with language(lang):
        return run_overview(dataset, **params.options("overview"))


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_rfm(
    dataset: Dataset, analysis_date: dt.date | None, exclude_cancellations: bool
) -> RFMResult:
    """RFM table keyed by the dataset fingerprint and the options."""
    return compute_rfm(
        dataset, analysis_date=analysis_date, exclude_cancellations=exclude_cancellations
    )


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_features(
    dataset: Dataset, params: SegmentParams, lang: str = "en"
) -> tuple[CustomerFeatures, np.ndarray]:
    """The customers' features and their scaled values (pass ``params.only("features",
    "sweep")``); what they note is in ``lang``."""
    with language(lang):
        table = customer_features(dataset, **params.options("features"))
    return table, scale_features(table.values, params.scale)  # type: ignore[arg-type]


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_sweep(
    dataset: Dataset,
    params: SegmentParams,
    _budget: Budget | None = None,
    _progress: Callable[[str], None] | None = None,
) -> KSweep:
    """Every k fitted once (choosing k afterwards is instant). Pass ``params.only("features",
    "sweep")``; not for DBSCAN."""
    _table, x = cached_features(dataset, params)
    return sweep_k(x, algorithm=params.algorithm, budget=_budget, progress=_progress)  # type: ignore[arg-type]


def _sweep_job(dataset: Dataset, params: SegmentParams) -> PoolJob:
    """The k sweep as the pool runs it (page and report alike)."""
    swept = params.only("features", "sweep")
    _table, x = cached_features(dataset, swept)
    key = job_key("sweep", dataset.fingerprint, swept)
    return PoolJob(key, sweep_k, (x,), {"algorithm": params.algorithm}, _("Finding segments"))


def _swept(what: str) -> Callable[[KSweep], str]:
    words = _("{what}: tried k = {low}–{high}")
    return lambda sweep: words.format(
        what=what, low=sweep.table["k"].min(), high=sweep.table["k"].max()
    )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_segments(
    dataset: Dataset, params: SegmentParams, _sweep: KSweep | None = None, lang: str = "en"
) -> SegmentationResult:
    """Segments keyed by the dataset fingerprint and the parameters (pass
    ``params.only("features", "sweep", "fit")``), from the k sweep of the same data and
    parameters (None for DBSCAN); their names and descriptions in ``lang``."""
    table, _scaled = cached_features(dataset, params.only("features", "sweep"), lang)
    with language(lang):
        return run_segmentation(
            dataset, **params.options("features", "sweep", "fit"), sweep=_sweep, table=table
        )


def segments_result(dataset: Dataset, params: SegmentParams) -> SegmentationResult:
    """The segments: the k sweep, the slow part, in the job pool (shared, kept while the visitor
    is away, stoppable) or, without one, in this page run (cached); then the chosen k's
    segments in this run (DBSCAN, which has no sweep, entirely here)."""
    params = params.only("features", "sweep", "fit")
    if params.algorithm == "dbscan":
        with st.spinner(_("Finding segments …")):
            return cached_segments(dataset, params, lang=current_language())
    spec = _sweep_job(dataset, params)
    sweep = in_background(
        spec,
        seconds=compute_seconds(),
        inline=lambda progress: cached_sweep(
            dataset,
            params.only("features", "sweep"),
            _budget=compute_budget(spec.what),
            _progress=progress,
        ),
        done=_swept(spec.what),
    )
    return cached_segments(dataset, params, _sweep=sweep, lang=current_language())


def _baskets_key(baskets: Baskets) -> str:
    return baskets.key


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_item_choices(dataset: Dataset, item: str | None) -> tuple[list[str], list[str]]:
    """The items a basket can hold, and those suggested for leaving out (fees, postage, bags):
    read from every line once per dataset and item column, not on every rerun."""
    values = item_values(dataset, item)
    return values, suggest_excludes(dataset, item, values)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_baskets(dataset: Dataset, params: RulesParams, lang: str = "en") -> Baskets:
    """Baskets keyed by the dataset fingerprint and the parameters (pass
    ``params.only("baskets", "customers")``); segments are RFM segments; notes in ``lang``."""
    with language(lang):
        return build_baskets(
            dataset,
            **params.options("baskets"),
            customers=_segment_customers(dataset, params.segments),
        )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_rules(baskets: Baskets, params: RulesParams) -> Rules:
    """Rules keyed by the baskets' content key and the parameters (pass ``params.only("mining")``)."""
    return run_rules(baskets, **params.options("mining"))


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_support_suggestion(baskets: Baskets, params: RulesParams) -> tuple[float, int]:
    """The support a first view of ``baskets`` opens on, and its rule count (:func:`suggest_support`
    at the confidence, lift and itemset size of ``params``)."""
    return suggest_support(
        baskets,
        min_confidence=params.min_confidence,
        min_lift=params.min_lift,
        max_len=params.max_len,
    )


def _rules_job(baskets: Baskets, mining: RulesParams) -> PoolJob:
    """The mining as the pool runs it (page and report alike; pass ``params.only("mining")``)."""
    key = job_key("rules", baskets.key, mining)
    return PoolJob(key, run_rules, (baskets,), mining.options("mining"), _("Mining the baskets"))


def _found(rules: Rules) -> str:
    return _("Found {itemsets} frequent itemsets and {rules} rules in {seconds} s").format(
        itemsets=f"{rules.n_itemsets:,}", rules=f"{rules.n_rules:,}", seconds=f"{rules.seconds:.2f}"
    )


def rules_result(baskets: Baskets, params: RulesParams) -> Rules:
    """The rules of ``baskets``: mined in the job pool (shared, kept while the visitor is away,
    stoppable) or, without one, in this page run (cached)."""
    mining = params.only("mining")
    return in_background(
        _rules_job(baskets, mining),
        seconds=compute_seconds(),
        inline=lambda progress: cached_rules(baskets, mining),
        done=_found,
    )


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_evaluation(
    baskets: Baskets,
    min_support: float,
    min_confidence: float,
    min_lift: float | None,
    max_len: int | None,
    k: int,
    by: str,
) -> RecommendationEval:
    """Hit rate at k on a temporal split, keyed by the baskets and every option."""
    return evaluate_recommendations(
        baskets,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        max_len=max_len,
        k=k,
        by=by,  # type: ignore[arg-type]
    )


@st.cache_data(
    max_entries=64, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Baskets: _baskets_key}
)
def cached_similar(baskets: Baskets, item: str, k: int) -> pd.DataFrame:
    """Items with similar names, keyed by the baskets' content key."""
    return similar_items(baskets, item, k=k)


def _series_key(series: SalesSeries) -> str:
    return series.key


def _segment_customers(dataset: Dataset, segments: tuple[str, ...]) -> list[str] | None:
    """The customers in these RFM segments (None: everyone)."""
    return cached_rfm(dataset, None, True).members(segments) if segments else None


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_series(dataset: Dataset, params: ForecastParams, lang: str = "en") -> SalesSeries:
    """The series to forecast, keyed by the dataset fingerprint and the parameters (pass
    ``params.only("series", "customers")``); its label and notes in ``lang``."""
    with language(lang):
        return build_series(
            dataset,
            **params.options("series"),
            customers=_segment_customers(dataset, params.segments),
        )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={SalesSeries: _series_key}
)
def cached_forecast(
    series: SalesSeries,
    params: ForecastParams,
    _progress: Callable[[str], None] | None = None,
    _budget: Budget | None = None,
    lang: str = "en",
) -> ForecastResult:
    """Backtest, choice and forecast, keyed by the series' content hash and the parameters (pass
    ``params.only("model")``); its notes and descriptions in ``lang``."""
    with language(lang):
        return run_forecast(series, **params.options("model"), progress=_progress, budget=_budget)


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={SalesSeries: _series_key}
)
def cached_decomposition(series: SalesSeries, season: int) -> pd.DataFrame | None:
    """STL parts of a series, keyed by its content hash."""
    return decompose(series, season)


def _forecast_job(series: SalesSeries, model: ForecastParams) -> PoolJob:
    """The forecast as the pool runs it: the page's and the report's, so the report reuses it
    (pass ``params.only("model")``)."""
    lang = current_language()  # its notes are words: one job per language
    key = job_key("forecast", series.key, model, lang)
    return PoolJob(
        key, in_language, (lang, run_forecast, series), model.options("model"), _("The forecast")
    )


def _propensity_job(data: PropensityData, fit: PropensityParams) -> PoolJob:
    """The propensity models as the pool runs them, each model's scores sent as it is scored
    (page and report alike; pass ``params.only("fit")``)."""
    lang = current_language()  # its notes are words: one job per language
    key = job_key("propensity", data.key, fit, lang)
    options = fit.options("fit")
    return PoolJob(
        key,
        in_language,
        (lang, fit_propensity, data),
        options,
        _("Training the models"),
        "on_score",
    )


def forecast_result(
    series: SalesSeries, params: ForecastParams, done: Callable[[ForecastResult], str]
) -> ForecastResult:
    """The forecast of ``series``: in the job pool (shared by everyone asking the same, kept
    while the visitor is away, stoppable) or, without one, in this page run (cached)."""
    model = params.only("model")
    return in_background(
        _forecast_job(series, model),
        seconds=compute_seconds(),
        inline=lambda progress: cached_forecast(
            series,
            model,
            _progress=progress,
            _budget=compute_budget(_("The forecast")),
            lang=current_language(),
        ),
        done=done,
    )


def _forecast_key(result: ForecastResult) -> str:
    return "|".join(
        map(
            str,
            (result.series.key, result.model, result.description, result.transform, result.season),
        )
    )


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={ForecastResult: _forecast_key}
)
def cached_residuals(result: ForecastResult) -> ResidualCheck:
    """Residual ACF and Ljung–Box test of a forecast's fit."""
    return residual_diagnostics(result)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_propensity_data(
    dataset: Dataset, params: PropensityParams, lang: str = "en"
) -> PropensityData:
    """Features and target: a yes/no column, or churn / buying again derived from orders (pass
    ``params.only("data")``); its notes and reasons in ``lang``."""
    with language(lang):
        return propensity_data(dataset, **params.options("data"))


def _propensity_data_key(data: PropensityData) -> str:
    return data.key


@st.cache_data(
    max_entries=16,
    show_spinner=False,
    ttl=CACHE_TTL,
    hash_funcs={PropensityData: _propensity_data_key},
)
def cached_propensity(
    data: PropensityData,
    params: PropensityParams,
    _progress: Callable[[str], None] | None = None,
    _budget: Budget | None = None,
    _on_score: Callable[[ModelScore], None] | None = None,
    lang: str = "en",
) -> PropensityResult:
    """Cross-validated models, keyed by the data's key and the parameters (pass
    ``params.only("fit")``); their notes in ``lang``."""
    with language(lang):
        return fit_propensity(
            data, **params.options("fit"), progress=_progress, budget=_budget, on_score=_on_score
        )


def propensity_key(result: PropensityResult) -> str:
    """What a propensity result was made from: the data, the fitting parameters (models, search,
    folds; not the display's threshold), the chosen model and how it was validated."""
    fit = result.params.only("data", "fit")
    return "|".join(
        map(
            str,
            (
                result.data.key,
                fit,
                result.model,
                result.folds,
                result.validation,
                sorted(result.scores),
            ),
        )
    )


def propensity_result(
    data: PropensityData,
    params: PropensityParams,
    done: Callable[[PropensityResult], str],
    headline: Callable[[ModelScore], str],
    live: Callable[[list[ModelScore]], None],
) -> PropensityResult:
    """The models of ``data``: in the job pool, each model's scores drawn by ``live`` as they
    arrive; without one, in this page run (cached), the first model's ``headline`` leading the
    status line while the others fit."""
    fit = params.only("fit")

    def inline(progress: Callable[[str], None]) -> PropensityResult:
        first: list[str] = []

        def said(message: str) -> None:
            progress((f"{first[0]} · " if first else "") + message)

        def scored(score: ModelScore) -> None:
            if not first:  # the quickest model comes first: its figure stays in view
                first.append(headline(score))

        return cached_propensity(
            data,
            fit,
            _progress=said,
            _budget=compute_budget(_("Training the models")),
            _on_score=scored,
            lang=current_language(),
        )

    return in_background(
        _propensity_job(data, fit),
        seconds=compute_seconds(),
        inline=inline,
        done=done,
        live=lambda job: live(list(job.events)),
    )


#: The cache of everything computed from a propensity result, keyed by ``propensity_key``.
_RESULT_CACHE = {
    "max_entries": 16,
    "show_spinner": False,
    "ttl": CACHE_TTL,
    "hash_funcs": {PropensityResult: propensity_key},
}


@st.cache_data(**_RESULT_CACHE)  # type: ignore[call-overload]
def cached_importance(result: PropensityResult) -> pd.DataFrame:
    """Permutation importance of the chosen model's inputs."""
    return feature_importance(result)


def importance_result(result: PropensityResult) -> pd.DataFrame | None:
    """Permutation importance: in the job pool (None while it runs, its live line drawn), or
    without one in this page run (cached)."""
    key = job_key("importance", propensity_key(result))
    spec = PoolJob(key, feature_importance, (result,), {}, _("Measuring what drives the scores"))
    return when_ready(spec, seconds=compute_seconds(), inline=lambda: cached_importance(result))


@st.cache_data(**_RESULT_CACHE)  # type: ignore[call-overload]
def cached_leaderboard(result: PropensityResult, threshold: float) -> pd.DataFrame:
    """The models' figures at a threshold (the threshold metrics are computed per model)."""
    return result.leaderboard(threshold)


@st.cache_data(**_RESULT_CACHE)  # type: ignore[call-overload]
def cached_action_list(result: PropensityResult) -> pd.DataFrame:
    """Every customer scored by the chosen model, most likely first."""
    return result.action_list()


def _report_runners() -> Runners:
    """The report's analyses through the pages' caches and pool jobs, keyed as the pages key
    them: a report made after visiting the pages reuses their results instead of computing them
    again."""

    def rules(dataset: Dataset, params: RulesParams) -> Rules:
        baskets = cached_baskets(dataset, params.only("baskets", "customers"), current_language())
        mining = params.only("mining")
        if job_pool() is None:
            return cached_rules(baskets, mining)
        return waited(_rules_job(baskets, mining), budget=None)

    def forecast(dataset: Dataset, params: ForecastParams, budget: Budget | None) -> ForecastResult:
        series = cached_series(dataset, params.only("series", "customers"), current_language())
        model = params.only("model")
        if job_pool() is None:
            return cached_forecast(series, model, _budget=budget, lang=current_language())
        return waited(_forecast_job(series, model), budget)

    def segments(
        dataset: Dataset, params: SegmentParams, budget: Budget | None
    ) -> SegmentationResult:
        params = params.only("features", "sweep", "fit")
        if params.algorithm == "dbscan":  # no sweep
            return cached_segments(dataset, params, lang=current_language())
        if job_pool() is None:
            sweep = cached_sweep(dataset, params.only("features", "sweep"), _budget=budget)
        else:
            sweep = waited(_sweep_job(dataset, params), budget)
        return cached_segments(dataset, params, _sweep=sweep, lang=current_language())

    def propensity(
        dataset: Dataset, params: PropensityParams, budget: Budget | None
    ) -> PropensityResult:
        data = cached_propensity_data(dataset, params.only("data"), current_language())
        fit = params.only("fit")
        if job_pool() is None:
            return cached_propensity(data, fit, _budget=budget, lang=current_language())
        return waited(_propensity_job(data, fit), budget)

    def overview(dataset: Dataset, params: OverviewParams) -> OverviewResult:
        return cached_overview(dataset, params, current_language())

    return Runners(
        start=_start_report_job,
        overview=overview,
        segments=segments,
        rules=rules,
        forecast=forecast,
        propensity=propensity,
        lifetime=cached_run_lifetime,
        campaign=cached_report_campaign,
    )


def _start_report_job(dataset: Dataset, section: str, params: Params) -> None:
    """Start a report section's slow analysis in the pool, as its page names it, without
    waiting: the sweep, the mining, the forecast and the models compute side by side while the
    report makes the other sections, and the section's runner then waits for its job."""
    if job_pool() is None:
        return
    spec: PoolJob | None = None
    if isinstance(params, SegmentParams) and params.algorithm != "dbscan":
        spec = _sweep_job(dataset, params)
    elif isinstance(params, RulesParams):
        baskets = cached_baskets(dataset, params.only("baskets", "customers"), current_language())
        spec = _rules_job(baskets, params.only("mining"))
    elif isinstance(params, ForecastParams):
        series = cached_series(dataset, params.only("series", "customers"), current_language())
        spec = _forecast_job(series, params.only("model"))
    elif isinstance(params, PropensityParams):
        data = cached_propensity_data(dataset, params.only("data"), current_language())
        spec = _propensity_job(data, params.only("fit"))
    if spec is not None:
        started(spec, compute_seconds())


@st.cache_data(max_entries=4, show_spinner=False, ttl=CACHE_TTL)
def cached_report(
    cleaning_key: str,
    table_key: str,
    analyses_key: str,
    title: str,
    author: str,
    day: dt.date,
    sections: tuple[str, ...],
    locale: str,
    currency: str,
    lang: str,
    _cleaned: CleaningResult,
    _table: LoadedTable,
    _analyses: dict[str, dict[str, Any]],
    _progress: Callable[[str], None] | None = None,
    _budget: Budget | None = None,
) -> Report:
    """The HTML report, keyed by the content of the data, the analyses' arguments and options
    (the language of its words among them)."""
    options = ReportOptions(
        title=title,
        author=author,
        date=day,
        sections=sections,
        display=Display(locale, currency),
        language=lang,
    )
    return build_report(
        _cleaned,
        table=_table,
        analyses=_analyses,
        options=options,
        progress=_progress,
        budget=_budget,
        runners=_report_runners(),
    )


def build_report_cached(
    title: str,
    author: str,
    day: dt.date,
    sections: tuple[str, ...],
    progress: Callable[[str], None] | None = None,
) -> Report:
    """The report of the session's data and analyses (built once per content and options)."""
    current_dataset()  # while the roles are incomplete, says why and stops the page
    state = data_state()
    if state.cleaned is None:  # for the type checker: current_dataset() stopped the page
        raise PageDone
    done = savable(analyses())
    shown = current_display()
    cleaning_key = "|".join([state.cleaned.dataset.fingerprint, *state.steps])
    analyses_key = json.dumps(encode(done), sort_keys=True)
    return cached_report(
        cleaning_key,
        state.table.fingerprint,
        analyses_key,
        title,
        author,
        day,
        sections,
        shown.locale,
        shown.currency,
        current_language(),
        state.cleaned,
        state.table,
        done,
        progress,
        compute_budget(_("The report")),
    )


@st.cache_resource(max_entries=256, show_spinner=False, ttl=CACHE_TTL)
def _figure(name: str, key: str, _build: Callable[[], go.Figure]) -> go.Figure:
    return _build()


def cached_figure(
    build: Callable[..., go.Figure], key: object, *args: Any, **kwargs: Any
) -> go.Figure:
    """``build(*args)``, built once per ``key`` and then reused, so a rerun that changes nothing
    in a chart (another widget moved) does not build it again.

    ``key`` must name everything the figure is drawn from (a result's key and the parameters
    that shaped its input). Plotly validates every property as a figure is built, about 20 ms
    a chart; ``st.plotly_chart`` copies the figure before drawing, so a shared one is never
    changed.
    """
    name = f"{build.__module__}.{build.__qualname__}"
    # Titles, axes and legends are words: one figure per language.
    return _figure(name, repr((key, current_language())), lambda: build(*args, **kwargs))


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_cohorts(
    dataset: Dataset, period: str, measure: str, by: str | None = None, value: str | None = None
) -> Cohorts:
    """Acquisition cohorts keyed by the dataset fingerprint, the period, the measure and the
    first-purchase value they are narrowed to."""
    return cohort_table(dataset, period, measure, by=by, value=value)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_acquisition_groups(dataset: Dataset) -> dict[str, list[str]]:
    """What cohorts can be narrowed to (dimensions and category, with their values)."""
    return acquisition_groups(dataset)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_design(dataset: Dataset, params: CampaignParams) -> Design:
    """The experiment's design: detected, with the page's choices laid over it."""
    return resolve_design(dataset.frame, params.only("design"))


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_campaign(dataset: Dataset, params: CampaignParams, lang: str = "en") -> CampaignResult:
    """Effects, the sample-ratio check and the balance table (the uplift is cached apart)."""
    with language(lang):  # the balance table's headers are words
        return run_campaign(dataset.frame, params.only("design"), uplift=False)


@st.cache_data(max_entries=8, show_spinner=False, ttl=CACHE_TTL)
def cached_spend_table(file_id: str, name: str, _data: bytes) -> LoadedTable:
    """A spend file uploaded on the Channels page, read through the normal loader."""
    table = load_table(_data, name=name)
    _ignored = table.fingerprint
    return table


@st.cache_data(max_entries=8, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key})
def cached_weekly(dataset: Dataset, spend_key: str, _spend: pd.DataFrame) -> pd.DataFrame:
    """The orders' revenue and the spend file's channels, per whole week."""
    return weekly_table(dataset, _spend)


@st.cache_data(max_entries=16, show_spinner=False, ttl=CACHE_TTL)
def cached_mix(
    table_key: str,
    date: str,
    outcome: str,
    channels: tuple[str, ...],
    controls: tuple[str, ...],
    _frame: pd.DataFrame,
) -> MixResult:
    """The marketing mix fitted on a table (keyed by its content fingerprint and the roles)."""
    return fit_mix(mix_data(_frame, date, outcome, channels, controls))


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_fitting_sections(
    dataset: Dataset, visited: tuple[str, ...], _table: LoadedTable
) -> tuple[str, ...]:
    """The report sections this dataset can fill (an experiment, or a marketing-mix table, is
    recognised once per dataset; the table as read goes with its dataset)."""
    return fitting_sections(dataset, visited, _table.frame)


@st.cache_data(max_entries=8, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key})
def cached_report_campaign(dataset: Dataset, params: CampaignParams) -> CampaignResult:
    """The report's campaign section: effects, checks and the uplift with the page's settings."""
    return run_campaign(dataset.frame, params)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_uplift(dataset: Dataset, params: CampaignParams, lang: str = "en") -> UpliftResult:
    """The cross-fitted uplift model of the chosen group and outcome; a new cost or value per
    contact does not fit it again."""
    design = cached_design(dataset, params)
    if params.arm is None or params.uplift_outcome is None:
        raise AnalyticsError("Choose the treated group and the outcome to model.")
    with language(lang):  # the segments are described in words
        return fit_uplift(
            dataset.frame,
            design.group,
            design.control,
            params.arm,
            params.uplift_outcome,
            design.covariates,
            approach=params.approach,
            learner=params.learner,
            folds=params.folds,
        )


@st.cache_data(max_entries=8, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key})
def cached_run_lifetime(dataset: Dataset, params: LifetimeParams) -> LifetimeResult:
    """The report's lifetime section: every part of the page with its settings."""
    return run_lifetime(dataset, params)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_slipping(dataset: Dataset, horizon_weeks: int, discount: float) -> pd.DataFrame:
    """The valuable customers whose chance of being still active fell over the last quarter."""
    purchases, _ignored, values, _ignored = cached_lifetime(dataset, horizon_weeks, discount)
    return slipping_away(dataset, values, purchases)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_holdout(dataset: Dataset, calibration_end: dt.date) -> HoldoutCheck:
    """BG/NBD fitted up to a date and checked against the purchases after it."""
    return holdout_check(dataset, calibration_end)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_migration(dataset: Dataset, before: dt.date, after: dt.date) -> Migration:
    """Customers' RFM segments at two dates, keyed by the dataset and the dates."""
    return segment_migration(dataset, before, after)


@st.cache_data(
    max_entries=16, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_lifetime_fit(
    dataset: Dataset,
) -> tuple[pd.DataFrame, BGNBD, GammaGamma, SpendCheck]:
    """The customers' summary, BG/NBD and Gamma-Gamma fitted on every purchase, and the spend
    model's checks."""
    summary = customer_summary(dataset)
    return summary, fit_bgnbd(summary), fit_gamma_gamma(summary), spend_check(summary)


@st.cache_data(
    max_entries=32, show_spinner=False, ttl=CACHE_TTL, hash_funcs={Dataset: _dataset_key}
)
def cached_lifetime(
    dataset: Dataset, horizon_weeks: int, discount: float
) -> tuple[BGNBD, GammaGamma, pd.DataFrame, int]:
    """Each customer's predicted value over a horizon, from the fit made once per dataset (a
    new horizon or discount rate does not fit the models again)."""
    summary, purchases, spend, _ignored = cached_lifetime_fit(dataset)
    table = predict_clv(
        summary, purchases, spend, horizon_weeks=horizon_weeks, annual_discount=discount
    )
    return purchases, spend, table, int((summary["frequency"] > 0).sum())
