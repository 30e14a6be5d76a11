"""Overview page: the KPIs, trend and top lists of the current transactions."""

from __future__ import annotations

import streamlit as st

from analytics.errors import AnalyticsError
from analytics.i18n import _, current_language, ngettext
from analytics.overview import (
    FREQ_LABELS,
    PERIOD_PRESETS,
    OverviewParams,
    default_period,
    natural_freq,
    preset_period,
)
from analytics.plots import (
    customers_figure,
    sparkline_figure,
    top_products_figure,
    top_values_figure,
    trend_figure,
)
from pages._cached import cached_overview
from pages._display import current_display, table
from pages._errors import show_error
from pages._live import follow_live
from pages._runtime import ensure_inside_app
from pages._state import current_dataset, remember
from pages._widgets import PageDone, kept, md, require_kind, shown_as

ensure_inside_app()
st.title(_("Overview"))
shown = current_display()
follow_live()  # a table followed live: new rows redraw the page
dataset = current_dataset()
require_kind(dataset, ["transactions"], _("The overview"))

days = dataset.days
if days is None:
    st.warning(
        _(
            "No row has a readable date, so there is nothing to show over time. Check the date "
            "column on the Data page."
        )
    )
    raise PageDone
first, last = days
st.caption(
    _("{source}: {n} order lines from {first} to {last}.").format(
        source=md(dataset.source),
        n=shown.count(dataset.n_rows),
        first=shown.date(first),
        last=shown.date(last),
    )
)

key_range = f"w.overview.range.{dataset.fingerprint[:8]}"


def _apply_preset() -> None:
    preset = st.session_state.get("w.overview.preset")
    if preset:
        st.session_state[key_range] = preset_period(first, last, preset)


kept(
    st.pills,
    _("Quick period"),
    list(PERIOD_PRESETS),
    format_func=shown_as(list(PERIOD_PRESETS)),
    key="w.overview.preset",
    default=None,
    on_change=_apply_preset,
)
controls = st.columns([2, 1, 1])
with controls[0]:
    period = kept(
        st.date_input,
        _("Period"),
        key=key_range,
        default=default_period(first, last),
        min_value=first,
        max_value=last,
        format="YYYY-MM-DD",
    )
# The trend's step follows the period (days for a month, months for years): a new period gets
# its natural step, and a step chosen by hand is kept while the period stays that long.
natural = (
    natural_freq(*period)
    if isinstance(period, tuple) and len(period) == 2
    else OverviewParams().freq
)
with controls[1]:
    freq = kept(
        st.selectbox,
        _("Trend by"),
        list(FREQ_LABELS),
        format_func=shown_as(FREQ_LABELS),
        key=f"w.overview.freq.{natural}",
        default=natural,
    )
with controls[2]:
    dims = list(dataset.dimensions)
    dimension = None
    if dims:
        dimension = kept(
            st.selectbox, _("Break down by"), dims, key="w.overview.dim", default=dims[0]
        )

if not isinstance(period, tuple) or len(period) != 2:
    st.info(_("Pick the last day of the period."))
    raise PageDone
start, end = period
try:
    params = OverviewParams(start=start, end=end, freq=freq, dimension=dimension)
    with st.spinner(_("Computing the KPIs …")):
        result = cached_overview(dataset, params, current_language())
    remember("overview", params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

days = (result.end - result.start).days + 1
compare = ngettext(
    "the previous {n} day ({start} – {end})", "the previous {n} days ({start} – {end})", days
).format(
    n=shown.count(days),
    start=shown.date(result.previous_start),
    end=shown.date(result.previous_end),
)


series = {"Revenue": "revenue", "Orders": "orders", "Customers": "customers"}
cards = st.columns(len(result.kpis))
for card, kpi in zip(cards, result.kpis, strict=True):
    change = kpi.change
    column = series.get(kpi.name)
    with card.container(border=True, height="stretch"):
        st.metric(
            _(kpi.name),
            shown.kpi(kpi.value, kpi.unit),
            delta=shown.change(change),
            help=_("{help} Change against {compare}.").format(help=_(kpi.help), compare=compare),
        )
        if column in result.trend:
            st.plotly_chart(
                sparkline_figure(
                    result.trend[column].tolist(),
                    rising=(change or 0) >= 0,
                    complete=result.trend["complete"].tolist(),
                ),
                key=f"spark_{column}",
                config={"staticPlot": True},
            )
if any(k.change is not None for k in result.kpis):
    st.caption(_("Changes are against {compare}.").format(compare=compare))
for note in result.notes:
    st.caption(f":material/info: {md(note)}")

metric = kept(
    st.radio,
    _("Trend of"),
    [m for m in ("revenue", "orders", "customers") if m in result.trend],
    horizontal=True,
    format_func=shown_as({"revenue": "Revenue", "orders": "Orders", "customers": "Customers"}),
    key="w.overview.metric",
    default="revenue",
)
st.plotly_chart(
    shown.chart(trend_figure(result, metric), money="y" if metric == "revenue" else ""),
    key="trend_chart",
)

left, right = st.columns(2)
with left:
    if result.top_products.empty:
        st.info(_("No product column, so no top products. Choose one on the Data page."))
    else:
        st.plotly_chart(shown.chart(top_products_figure(result), "x"), key="top_products_chart")
with right:
    if result.top_values is None:
        st.info(
            _(
                "No dimension (such as country or channel) to break revenue down by. Choose one "
                "on the Data page."
            )
        )
    else:
        st.plotly_chart(shown.chart(top_values_figure(result), "x"), key="top_values_chart")

if result.customers_by_period.empty:
    st.info(
        _(
            "No customer column, so new and returning customers cannot be told apart. Choose "
            "one on the Data page."
        )
    )
else:
    st.plotly_chart(customers_figure(result), key="customers_chart")

with st.expander(_("Tables")):
    table(result.trend)
    table(result.top_products)
    if result.top_values is not None:
        table(result.top_values, columns={"value": params.dimension or _("Value")})
