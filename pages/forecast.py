"""Forecast page: a sales series, backtested models and the forecast with its intervals."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from analytics.baskets import item_options
from analytics.errors import AnalyticsError
from analytics.forecast import (
    FREQ_LABELS,
    FREQS,
    METRIC_LABELS,
    METRICS,
    MODEL_LABELS,
    MODELS,
    SEASON,
    TRANSFORM_LABELS,
    TRANSFORMS,
    ForecastParams,
    acf_figure,
    backtest_figure,
    decomposition_figure,
    forecast_figure,
)
from analytics.i18n import N_, _, current_language
from analytics.segments import SEGMENTS
from pages._cached import (
    cached_decomposition,
    cached_residuals,
    cached_series,
    forecast_result,
)
from pages._display import current_display, table
from pages._errors import show_error
from pages._live import follow_live
from pages._runtime import ensure_inside_app
from pages._state import current_dataset, remember
from pages._widgets import (
    PageDone,
    download_buttons,
    kept,
    md,
    point_to_data_page,
    require_kind,
    shown_as,
)

DEFAULT_HORIZON = {"D": 14, "W": 13, "M": 12, "Q": 4}
PRODUCT_LABELS = {
    "product_name": N_("Product"),
    "product": N_("Product code"),
    "category": N_("Category"),
}
NONE = N_("(none)")
OWN_PERIOD = N_("The data's own period")
ensure_inside_app()
st.title(_("Forecast"))
none_text = _(NONE)
#: Each model's name without its note in brackets ("Exponential smoothing").
model_names = {key: _(label).split(" (")[0].split("（")[0] for key, label in MODEL_LABELS.items()}
shown = current_display()
follow_live()  # a table followed live: new rows redraw the page
dataset = current_dataset()
require_kind(dataset, ["transactions", "series"], _("Forecasting"))
st.caption(
    _(
        "What the next weeks and months look like: a sales series, several statistical models "
        "scored on the past by backtesting, and the forecast with 80% and 95% intervals."
    )
)
if not dataset.has("timestamp"):
    point_to_data_page(
        _("A forecast needs a date column. Choose it under 'Column roles' on the Data page.")
    )

# --- which series ----------------------------------------------------------------------------------
top = st.columns(4)
metric = "revenue"
if dataset.kind == "transactions":
    with top[0]:
        metric = kept(
            st.selectbox,
            _("Metric"),
            list(METRICS),
            key="w.forecast.metric",
            default="revenue",
            format_func=shown_as(METRIC_LABELS),
            help=_(
                "Revenue is net of returns; orders, units and active customers leave "
                "cancellations out."
            ),
        )
else:
    top[0].metric(_("Series"), md(dataset.mapping.value or _("value")))  # values render Markdown
with top[1]:
    if dataset.kind == "transactions":
        freq = kept(
            st.selectbox,
            _("Per"),
            list(FREQS),
            key="w.forecast.freq",
            default="W",
            format_func=shown_as(FREQ_LABELS),
        )
    else:
        freq = kept(
            st.selectbox,
            _("Per"),
            ["auto", *FREQS],
            key="w.forecast.series_freq",
            default="auto",
            format_func=shown_as({"auto": OWN_PERIOD, **FREQ_LABELS}),
            help=_("Longer periods add the values up."),
        )
chosen_freq = None if freq == "auto" else freq
with top[2]:
    model = kept(
        st.selectbox,
        _("Model"),
        ["auto", *MODELS],
        key="w.forecast.model",
        default="auto",
        format_func=shown_as(MODEL_LABELS),
        help=_("Auto backtests every model and keeps the one with the lowest error (MASE)."),
    )

filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
segments: tuple[str, ...] = ()
with st.expander(_("Filters and options"), icon=":material/tune:"):
    if dataset.kind == "transactions":
        left, middle, right = st.columns(3)
        chosen: list[tuple[str, tuple[str, ...]]] = []
        with left:
            dimensions = [*dataset.dimensions]
            dimension = kept(
                st.selectbox,
                _("Filter by"),
                [NONE, *dimensions],
                key="w.forecast.dimension",
                default=NONE,
                format_func=lambda option: none_text if option == NONE else option,
            )
            if dimension != NONE:
                values = dataset.distinct(dimension)
                picked = kept(
                    st.multiselect,
                    _("{column} is one of").format(column=dimension),
                    values,
                    key=f"w.forecast.values.{dimension}",
                    default=[],
                    placeholder=_("Any value"),
                )
                if picked:
                    chosen.append((dimension, tuple(picked)))
        with middle:
            products = [c for c in item_options(dataset) if c != "product"] or item_options(dataset)
            if products:
                product_column = kept(
                    st.selectbox,
                    _("Only products by"),
                    products,
                    key="w.forecast.product_column",
                    default=products[0],
                    format_func=shown_as(PRODUCT_LABELS),
                )
                names = dataset.distinct(product_column)
                picked = kept(
                    st.multiselect,
                    _("{column} is one of").format(column=_(PRODUCT_LABELS[product_column])),
                    names,
                    key=f"w.forecast.products.{product_column}",
                    default=[],
                    placeholder=_("All products"),
                )
                if picked:
                    chosen.append((product_column, tuple(picked)))
        with right:
            if dataset.has("customer_id"):
                segments = tuple(
                    kept(
                        st.multiselect,
                        _("Customers in RFM segments"),
                        list(SEGMENTS),
                        format_func=shown_as(SEGMENTS),
                        key="w.forecast.segments",
                        default=[],
                        placeholder=_("All customers"),
                    )
                )
        filters = tuple(chosen)
    options = st.columns(4)
    with options[0]:
        season_choice = kept(
            st.number_input,
            _("Season length (0: from the period)"),
            key="w.forecast.season",
            default=0,
            min_value=0,
            max_value=366,
            help=_(
                "Periods in one seasonal cycle: 7 for days, 52 for weeks, 12 for months, "
                "4 for quarters. 1 means no season."
            ),
        )
    with options[1]:
        transform = kept(
            st.selectbox,
            _("Transform"),
            list(TRANSFORMS),
            key="w.forecast.transform",
            default="none",
            format_func=shown_as(TRANSFORM_LABELS),
            help=_(
                "Log or Box-Cox steady a series whose swings grow with its level; forecasts are "
                "turned back into the series' units."
            ),
        )
    with options[2]:
        origins = kept(
            st.slider,
            _("Backtest origins"),
            key="w.forecast.origins",
            default=5,
            min_value=0,
            max_value=10,
            help=_(
                "How many times the past is cut, the models fitted on what came before and "
                "scored on what followed. More origins: steadier scores, slower."
            ),
        )
    with options[3]:
        keep_incomplete = kept(
            st.checkbox,
            _("Keep a part first or last period"),
            key="w.forecast.keep_incomplete",
            default=False,
            help=_(
                "A period the data covers only in part looks like a drop and misleads every "
                "model; it is left out unless you keep it."
            ),
        )

try:
    params = ForecastParams(
        metric=metric,
        freq=chosen_freq,
        filters=filters,
        segments=segments,
        keep_incomplete=bool(keep_incomplete),
        model=model,
        season=int(season_choice) or None,
        transform=transform,
        origins=int(origins),
    )
    series = cached_series(dataset, params.only("series", "customers"), current_language())
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

with top[3]:
    horizon = kept(
        st.number_input,
        _("Periods ahead"),
        key=f"w.forecast.horizon.{series.freq}",
        default=DEFAULT_HORIZON[series.freq],
        min_value=1,
        max_value=3 * SEASON[series.freq] if series.freq != "D" else 90,
    )

done_words = _("{model} forecast of {n} {step}s in {seconds} s")
try:
    params = replace(params, horizon=int(horizon))
    result = forecast_result(
        series,
        params,
        done=lambda result: done_words.format(
            model=model_names[result.model],
            n=series.n,
            step=_(FREQ_LABELS[series.freq]).lower(),
            seconds=f"{result.seconds:.1f}",
        ),
    )
    remember("forecast", params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

for note in result.notes:
    st.caption(md(note))

board = result.backtest.leaderboard
cards = st.columns(4)
cards[0].metric(
    _("Model"),
    model_names[result.model],
    help=md(result.description),
)
period_name = _(FREQ_LABELS[series.freq]).lower()
if result.model in board.index:
    # Plain words first: the miss in the series' own units (a percentage error blows up on
    # small counts: 157% on daily orders), then the comparison with a seasonal guess.
    miss = float(board.loc[result.model, "MAE"])
    mase = float(board.loc[result.model, "MASE"])
    cards[1].metric(
        _("Typical miss"),
        "±"
        + (
            shown.money(miss)
            if result.value_kind == "money"
            else shown.number(miss, 0 if abs(miss) >= 10 else 1)
        ),
        help=_(
            "How far the backtest's forecasts were from what happened, on average, per {step} "
            "(mean absolute error, in the series' units)."
        ).format(step=period_name),
    )
    cards[2].metric(
        _("Error vs. a seasonal guess"),
        shown.number(mase, 2),
        help=_(
            "The typical miss divided by that of repeating the last season's value (MASE): "
            "below 1 beats that guess."
        ),
    )
else:
    cards[1].metric(_("Typical miss"), "—", help=_("No backtest: too few periods."))
total = float(result.forecast["forecast"].sum())
cards[3].metric(
    _("Next {n} {step}s").format(n=len(result.forecast), step=period_name),
    shown.money(total) if result.value_kind == "money" else shown.count(total),
    help=_("The forecasts added up (their intervals do not add up this way)."),
)

show_fitted = st.toggle(_("Show fitted values"), value=True, key="forecast_fitted")
st.plotly_chart(
    shown.chart(
        forecast_figure(result, show_fitted=show_fitted),
        "y" if result.value_kind == "money" else "",
    ),
    key="forecast_chart",
)
st.caption(
    _("Model: {model}. Transform: {transform}. Season length: {season}.").format(
        model=md(result.description), transform=md(result.transform), season=result.season
    )
)

st.subheader(_("Backtest"))
st.caption(md(result.backtest.describe()))
if not board.empty:
    table(
        result.leaderboard_table({k: _(v) for k, v in MODEL_LABELS.items()}),
        columns=result.display_columns(),
    )
    st.caption(
        _(
            "Each model is fitted on the data up to an origin and scored on the periods after it. "
            "Model forms and orders are chosen on the data before the first origin, so no choice "
            "sees the periods it is scored on."
        )
    )
for name, why in result.backtest.failures.items():
    st.warning(
        _("{model} could not be backtested: {why}").format(
            model=_(MODEL_LABELS[name]), why=md(why)
        ),
        icon=":material/warning:",
    )

parts_tab, residual_tab, origins_tab, table_tab = st.tabs(
    [_("Decomposition"), _("Residuals"), _("Backtest by origin"), _("Forecast table")]
)
with parts_tab:
    parts = cached_decomposition(series, result.season)
    if parts is None:
        st.info(
            _(
                "A decomposition needs at least two full seasons ({least} periods with a season "
                "of {season}); this series has {n}."
            ).format(least=2 * result.season, season=result.season, n=series.n),
            icon=":material/info:",
        )
    else:
        st.plotly_chart(decomposition_figure(parts, series.label), key="forecast_stl")
        st.caption(
            _(
                "STL splits the series into a slow trend, a repeating seasonal pattern and what is "
                "left. A large remainder means much of the series is noise no model can forecast."
            )
        )
with residual_tab:
    check = cached_residuals(result)
    if len(check.acf):
        st.plotly_chart(acf_figure(check), key="forecast_acf")
    st.write(check.verdict())
with origins_tab:
    if result.backtest.per_origin.empty:
        st.info(_("No backtest was run."), icon=":material/info:")
    else:
        st.plotly_chart(backtest_figure(result.backtest.per_origin), key="forecast_origins")
with table_tab:
    table(result.forecast, columns=result.display_columns())
    download_buttons(
        result.export_table(), _("Download forecast"), "forecast", sheet_name="forecast"
    )
