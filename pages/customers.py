"""Customers over time: acquisition cohorts, predicted lifetime value with its holdout check,
and segment migration between two dates."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.lifetime import (
    MEASURES,
    NEW,
    LifetimeParams,
    cohort_curves,
    cohort_heatmap,
    default_calibration_end,
    default_dates,
    fit_notes,
    holdout_figure,
    migration_sankey,
)
from pages._cached import (
    cached_acquisition_groups,
    cached_cohorts,
    cached_holdout,
    cached_lifetime,
    cached_lifetime_fit,
    cached_migration,
    cached_slipping,
)
from pages._display import current_display, table
from pages._errors import show_error
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

HORIZONS = {13: N_("3 months"), 26: N_("6 months"), 52: N_("1 year"), 104: N_("2 years")}
EVERYONE = ""

ensure_inside_app()
st.title(_("Customers over time"))
st.caption(
    _(
        "Do new customers come back, and what will each be worth? Cohorts group customers by when "
        "they first bought; the lifetime models predict who is still active and what they will spend; "
        "migration shows who moved between segments."
    )
)
dataset = current_dataset()
require_kind(dataset, ["transactions"], _("Customers over time"))
if not (dataset.has("customer_id") and dataset.has("timestamp")):
    point_to_data_page(
        _(
            "This page follows customers over time, so it needs a customer column and a date "
            "column. Choose them under 'Column roles' on the Data page."
        )
    )
shown = current_display()
tag = dataset.fingerprint[:8]
first_day, last_day = dataset.days or (dt.date.today(), dt.date.today())
everyone = _("Everyone")

# --- cohorts ---------------------------------------------------------------------------------------
st.subheader(_("Cohort retention"))
try:
    groups = cached_acquisition_groups(dataset)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
cells = st.columns(4 if groups else 2)
with cells[0]:
    period = kept(
        st.selectbox,
        _("Cohorts by"),
        ["M", "Q"],
        key="w.customers.period",
        default="M",
        format_func=shown_as(
            {"M": N_("Month of the first purchase"), "Q": N_("Quarter of the first purchase")}
        ),
    )
with cells[1]:
    measure = kept(
        st.selectbox,
        _("Show"),
        list(MEASURES),
        key="w.customers.measure",
        default="active",
        format_func=shown_as(MEASURES),
    )
by = value = None
if groups:
    with cells[2]:
        chosen = kept(
            st.selectbox,
            _("Customers acquired by"),
            [EVERYONE, *groups],
            key=f"w.customers.by.{tag}",
            default=EVERYONE,
            format_func=lambda c: everyone if c == EVERYONE else c,
            help=_(
                "Only the customers whose first purchase had this value: acquired in one "
                "country, through one channel, or with a first order from one category."
            ),
        )
    if chosen != EVERYONE:
        with cells[3]:
            value = kept(
                st.selectbox,
                _("Value"),
                groups[chosen],
                key=f"w.customers.value.{tag}.{chosen}",
                default=groups[chosen][0],
            )
        by = chosen
try:
    with st.spinner(_("Grouping customers by their first purchase…")):
        cohorts = cached_cohorts(dataset, period, measure, by, value)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
curve = cohorts.curve()
year = 12 if period == "M" else 4
if measure == "active" and len(curve) > 1:
    st.caption(
        _("{n} customers in {cohorts} cohorts").format(
            n=shown.count(int(cohorts.sizes.sum())), cohorts=len(cohorts.sizes)
        )
        + (
            _(" (first purchase with {column} = {value})").format(column=md(by), value=md(value))
            if by
            else ""
        )
        + ". "
        + (
            _("On average {share} buy again in the month after their first")
            if period == "M"
            else _("On average {share} buy again in the quarter after their first")
        ).format(share=shown.percent(float(curve.iloc[1]), 0))
        + (
            _(", and {share} in the same period a year later.").format(
                share=shown.percent(float(curve[year]), 0)
            )
            if year in curve.index
            else "."
        )
    )
st.plotly_chart(shown.chart(cohort_heatmap(cohorts)), key="cohort_heatmap")
st.plotly_chart(shown.chart(cohort_curves(cohorts)), key="cohort_curves")

# --- lifetime value --------------------------------------------------------------------------------
st.subheader(_("Predicted lifetime value"))
left, right = st.columns(2)
with left:
    horizon = kept(
        st.selectbox,
        _("Over the next"),
        list(HORIZONS),
        key="w.customers.horizon",
        default=52,
        format_func=shown_as(HORIZONS),
    )
with right:
    discount = kept(
        st.number_input,
        _("Discount rate a year"),
        key="w.customers.discount",
        default=0.10,
        min_value=0.0,
        max_value=0.5,
        step=0.01,
        help=_("Money next year is worth this much less than money today."),
    )
values = None
try:
    with st.spinner(_("Fitting the lifetime models…")):
        purchases, spend, values, repeaters = cached_lifetime(
            dataset, int(horizon), float(discount)
        )
        checked = cached_lifetime_fit(dataset)[3]
        slipping = cached_slipping(dataset, int(horizon), float(discount))
except AnalyticsError as exc:
    show_error(exc)
if values is not None:
    for note in fit_notes(purchases, spend):
        st.warning(note, icon=":material/warning:")
    cards = st.columns(4)
    cards[0].metric(_("Customers"), shown.count(len(values)))
    cards[1].metric(_("Bought more than once"), shown.count(repeaters))
    cards[2].metric(_("Expected purchases"), shown.count(float(values["expected_purchases"].sum())))
    cards[3].metric(
        _("Expected value"),
        shown.money(float(values["clv"].sum())),
        help=_("Over {horizon}, discounted at {rate} a year.").format(
            horizon=_(HORIZONS[horizon]), rate=shown.percent(float(discount), 0)
        ),
    )
    st.caption(
        _(
            "BG/NBD (Fader, Hardie & Lee) predicts repeat purchases and the chance each customer "
            "is still active; Gamma-Gamma predicts the spend per purchase. Customers who bought "
            "once are valued at the average spend. Fitted on every purchase up to {day}."
        ).format(day=shown.date(last_day))
    )
    for note in checked.notes(shown):
        st.caption(md(note))
    most, slipping_tab = st.tabs([_("Most valuable"), _("Valuable but slipping away")])
    with most:
        table(values.head(50).reset_index(), height=320)
    with slipping_tab:
        st.caption(
            _(
                "Customers in the top quarter by expected value whose chance of being still "
                "active fell by 5 points or more in the last 13 weeks: {n}, the least likely to "
                "be still active first."
            ).format(n=shown.count(len(slipping)))
        )
        if not slipping.empty:
            table(slipping.head(50).reset_index(), height=320)
            download_buttons(
                slipping.reset_index(), _("Valuable but slipping away"), "slipping_away"
            )
    download_buttons(values.reset_index(), _("All customers' predicted value"), "lifetime_value")

# --- holdout check ---------------------------------------------------------------------------------
st.subheader(_("How good are the predictions?"))
st.caption(
    _(
        "The model is fitted again on the history up to a day, asked for the purchases after it, "
        "and compared with what customers then did."
    )
)
calibration_end = None
try:
    suggested = default_calibration_end(dataset).date()
except AnalyticsError:
    suggested = None
if suggested is not None and first_day < last_day - dt.timedelta(days=1):
    calibration_end = kept(
        st.date_input,
        _("Fit on purchases up to"),
        key=f"w.customers.calibration.{tag}",
        default=max(first_day, min(suggested, last_day - dt.timedelta(days=1))),
        min_value=first_day,
        max_value=last_day - dt.timedelta(days=1),
        format="YYYY-MM-DD",
    )
    try:
        with st.spinner(_("Fitting on the earlier history…")):
            check = cached_holdout(dataset, calibration_end)
    except AnalyticsError as exc:
        show_error(exc)
    else:
        st.markdown(md(check.words(shown)))
        st.plotly_chart(shown.chart(holdout_figure(check)), key="holdout_chart")
else:
    st.info(_("The data covers too few days to hold some back for a check."))

# --- segment migration -----------------------------------------------------------------------------
st.subheader(_("Segment migration"))
st.caption(
    _(
        "Each customer's RFM segment on two dates (by default a quarter ago and the last day of the "
        "data): who moved up, who moved down, who is new."
    )
)
try:
    default_before, default_after = default_dates(dataset)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
left, middle, right = st.columns([2, 2, 3])
with left:
    before = kept(
        st.date_input,
        _("From"),
        key=f"w.customers.migration_from.{tag}",
        default=max(first_day, default_before),
        min_value=first_day,
        max_value=last_day,
        format="YYYY-MM-DD",
    )
with middle:
    after = kept(
        st.date_input,
        _("To"),
        key=f"w.customers.migration_to.{tag}",
        default=default_after,
        min_value=first_day,
        max_value=last_day,
        format="YYYY-MM-DD",
    )
with right:
    weight = kept(
        st.radio,
        _("Band width"),
        ["customers", "revenue"],
        key="w.customers.migration_weight",
        default="customers",
        format_func=shown_as({"customers": N_("Customers"), "revenue": N_("What they spent")}),
        horizontal=True,
    )
remember(
    "lifetime",
    LifetimeParams(
        period=period,
        measure=measure,
        by=by,
        value=value,
        horizon_weeks=int(horizon),
        discount=float(discount),
        calibration_end=calibration_end,
        before=before,
        after=after,
    ),
)
try:
    with st.spinner(_("Scoring customers on both dates…")):
        migration = cached_migration(dataset, before, after)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
counts = migration.counts()
flow = migration.biggest_flow()
st.markdown(
    _(
        "Between {before} and {after}: **{down} customers moved down** a segment, {up} moved up, "
        "{same} stayed and {new} are new."
    ).format(
        before=shown.date(migration.before),
        after=shown.date(migration.after),
        down=shown.count(counts["down"]),
        up=shown.count(counts["up"]),
        same=shown.count(counts["same"]),
        new=shown.count(counts["new"]),
    )
    + (
        " "
        + _("The largest move: {n} from {source} to {target}.").format(
            n=shown.count(flow[2]), source=_(flow[0]), target=_(flow[1])
        )
        if flow is not None
        else ""
    )
)
st.plotly_chart(shown.chart(migration_sankey(migration, weight)), key="migration_sankey")
with st.expander(_("Transition matrix"), icon=":material/grid_on:"):
    st.caption(
        _(
            "Rows: the segment on {before} ('{new}': first bought after it). Columns: the segment "
            "on {after}. Cells: customers."
        ).format(before=shown.date(migration.before), new=_(NEW), after=shown.date(migration.after))
    )
    matrix = migration.matrix()
    matrix = matrix.rename(index=_, columns=_)
    table(matrix.reset_index(), height=460)
down = migration.moved_down()
st.markdown(_("**Moved down, most valuable first**"))
if down.empty:
    st.caption(_("Nobody moved to a lower segment between these dates."))
else:
    table(
        down[
            ["customer_id", "segment_before", "segment_after", "revenue", "revenue_between"]
        ].assign(
            segment_before=down["segment_before"].map(_), segment_after=down["segment_after"].map(_)
        ),
        columns={"revenue": _("Spent in all")},
        height=320,
    )
    download_buttons(down, _("Customers who moved down"), "moved_down")
