"""Customers over time: acquisition cohorts, predicted lifetime value with its holdout check,
and segment migration between two dates."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.errors import AnalyticsError
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
from pages._widgets import PageDone, download_buttons, kept, md, point_to_data_page, require_kind

HORIZONS = {13: "3 months", 26: "6 months", 52: "1 year", 104: "2 years"}
EVERYONE = ""

ensure_inside_app()
st.title("Customers over time")
st.caption(
    "Do new customers come back, and what will each be worth? Cohorts group customers by when "
    "they first bought; the lifetime models predict who is still active and what they will spend; "
    "migration shows who moved between segments."
)
dataset = current_dataset()
require_kind(dataset, ["transactions"], "Customers over time")
if not (dataset.has("customer_id") and dataset.has("timestamp")):
    point_to_data_page(
        "This page follows customers over time, so it needs a customer column and a date column. "
        "Choose them under 'Column roles' on the Data page."
    )
shown = current_display()
tag = dataset.fingerprint[:8]
first_day, last_day = dataset.days or (dt.date.today(), dt.date.today())

# --- cohorts ---------------------------------------------------------------------------------------
st.subheader("Cohort retention")
try:
    groups = cached_acquisition_groups(dataset)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
cells = st.columns(4 if groups else 2)
with cells[0]:
    period = kept(
        st.selectbox,
        "Cohorts by",
        ["M", "Q"],
        key="w.customers.period",
        default="M",
        format_func={"M": "Month of the first purchase", "Q": "Quarter of the first purchase"}.get,
    )
with cells[1]:
    measure = kept(
        st.selectbox,
        "Show",
        list(MEASURES),
        key="w.customers.measure",
        default="active",
        format_func=MEASURES.__getitem__,
    )
by = value = None
if groups:
    with cells[2]:
        chosen = kept(
            st.selectbox,
            "Customers acquired by",
            [EVERYONE, *groups],
            key=f"w.customers.by.{tag}",
            default=EVERYONE,
            format_func=lambda c: "Everyone" if c == EVERYONE else c.replace("_", " ").capitalize(),
            help="Only the customers whose first purchase had this value: acquired in one "
            "country, through one channel, or with a first order from one category.",
        )
    if chosen != EVERYONE:
        with cells[3]:
            value = kept(
                st.selectbox,
                "Value",
                groups[chosen],
                key=f"w.customers.value.{tag}.{chosen}",
                default=groups[chosen][0],
            )
        by = chosen
try:
    with st.spinner("Grouping customers by their first purchase…"):
        cohorts = cached_cohorts(dataset, period, measure, by, value)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
curve = cohorts.curve()
year = 12 if period == "M" else 4
if measure == "active" and len(curve) > 1:
    st.caption(
        f"{shown.count(int(cohorts.sizes.sum()))} customers in {len(cohorts.sizes)} cohorts"
        + (f" (first purchase with {md(by)} = {md(value)})" if by else "")
        + f". On average {shown.percent(float(curve.iloc[1]), 0)} buy again in the "
        f"{'month' if period == 'M' else 'quarter'} after their first"
        + (
            f", and {shown.percent(float(curve[year]), 0)} in the same period a year later."
            if year in curve.index
            else "."
        )
    )
st.plotly_chart(shown.chart(cohort_heatmap(cohorts)), key="cohort_heatmap")
st.plotly_chart(shown.chart(cohort_curves(cohorts)), key="cohort_curves")

# --- lifetime value --------------------------------------------------------------------------------
st.subheader("Predicted lifetime value")
left, right = st.columns(2)
with left:
    horizon = kept(
        st.selectbox,
        "Over the next",
        list(HORIZONS),
        key="w.customers.horizon",
        default=52,
        format_func=HORIZONS.__getitem__,
    )
with right:
    discount = kept(
        st.number_input,
        "Discount rate a year",
        key="w.customers.discount",
        default=0.10,
        min_value=0.0,
        max_value=0.5,
        step=0.01,
        help="Money next year is worth this much less than money today.",
    )
values = None
try:
    with st.spinner("Fitting the lifetime models…"):
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
    cards[0].metric("Customers", shown.count(len(values)))
    cards[1].metric("Bought more than once", shown.count(repeaters))
    cards[2].metric("Expected purchases", shown.count(float(values["expected_purchases"].sum())))
    cards[3].metric(
        "Expected value",
        shown.money(float(values["clv"].sum())),
        help=f"Over {HORIZONS[horizon]}, discounted at {shown.percent(float(discount), 0)} a year.",
    )
    st.caption(
        "BG/NBD (Fader, Hardie & Lee) predicts repeat purchases and the chance each customer "
        "is still active; Gamma-Gamma predicts the spend per purchase. Customers who bought "
        f"once are valued at the average spend. Fitted on every purchase up to "
        f"{shown.date(last_day)}."
    )
    for note in checked.notes(shown):
        st.caption(md(note))
    most, slipping_tab = st.tabs(["Most valuable", "Valuable but slipping away"])
    with most:
        table(values.head(50).reset_index(), height=320)
    with slipping_tab:
        st.caption(
            "Customers in the top quarter by expected value whose chance of being still active "
            f"fell by 5 points or more in the last 13 weeks: {shown.count(len(slipping))}, the "
            "least likely to be still active first."
        )
        if not slipping.empty:
            table(slipping.head(50).reset_index(), height=320)
            download_buttons(slipping.reset_index(), "Valuable but slipping away", "slipping_away")
    download_buttons(values.reset_index(), "All customers' predicted value", "lifetime_value")

# --- holdout check ---------------------------------------------------------------------------------
st.subheader("How good are the predictions?")
st.caption(
    "The model is fitted again on the history up to a day, asked for the purchases after it, "
    "and compared with what customers then did."
)
calibration_end = None
try:
    suggested = default_calibration_end(dataset).date()
except AnalyticsError:
    suggested = None
if suggested is not None and first_day < last_day - dt.timedelta(days=1):
    calibration_end = kept(
        st.date_input,
        "Fit on purchases up to",
        key=f"w.customers.calibration.{tag}",
        default=max(first_day, min(suggested, last_day - dt.timedelta(days=1))),
        min_value=first_day,
        max_value=last_day - dt.timedelta(days=1),
        format="YYYY-MM-DD",
    )
    try:
        with st.spinner("Fitting on the earlier history…"):
            check = cached_holdout(dataset, calibration_end)
    except AnalyticsError as exc:
        show_error(exc)
    else:
        st.markdown(md(check.words(shown)))
        st.plotly_chart(shown.chart(holdout_figure(check)), key="holdout_chart")
else:
    st.info("The data covers too few days to hold some back for a check.")

# --- segment migration -----------------------------------------------------------------------------
st.subheader("Segment migration")
st.caption(
    "Each customer's RFM segment on two dates (by default a quarter ago and the last day of the "
    "data): who moved up, who moved down, who is new."
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
        "From",
        key=f"w.customers.migration_from.{tag}",
        default=max(first_day, default_before),
        min_value=first_day,
        max_value=last_day,
        format="YYYY-MM-DD",
    )
with middle:
    after = kept(
        st.date_input,
        "To",
        key=f"w.customers.migration_to.{tag}",
        default=default_after,
        min_value=first_day,
        max_value=last_day,
        format="YYYY-MM-DD",
    )
with right:
    weight = kept(
        st.radio,
        "Band width",
        ["customers", "revenue"],
        key="w.customers.migration_weight",
        default="customers",
        format_func={"customers": "Customers", "revenue": "What they spent"}.get,
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
    with st.spinner("Scoring customers on both dates…"):
        migration = cached_migration(dataset, before, after)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
counts = migration.counts()
flow = migration.biggest_flow()
st.markdown(
    f"Between {shown.date(migration.before)} and {shown.date(migration.after)}: "
    f"**{shown.count(counts['down'])} customers moved down** a segment, "
    f"{shown.count(counts['up'])} moved up, {shown.count(counts['same'])} stayed and "
    f"{shown.count(counts['new'])} are new."
    + (
        f" The largest move: {shown.count(flow[2])} from {flow[0]} to {flow[1]}."
        if flow is not None
        else ""
    )
)
st.plotly_chart(shown.chart(migration_sankey(migration, weight)), key="migration_sankey")
with st.expander("Transition matrix", icon=":material/grid_on:"):
    st.caption(
        f"Rows: the segment on {shown.date(migration.before)} ('{NEW}': first bought after it). "
        f"Columns: the segment on {shown.date(migration.after)}. Cells: customers."
    )
    table(migration.matrix().reset_index(), height=460)
down = migration.moved_down()
st.markdown("**Moved down, most valuable first**")
if down.empty:
    st.caption("Nobody moved to a lower segment between these dates.")
else:
    table(
        down[["customer_id", "segment_before", "segment_after", "revenue", "revenue_between"]],
        columns={"revenue": "Spent in all"},
        height=320,
    )
    download_buttons(down, "Customers who moved down", "moved_down")
