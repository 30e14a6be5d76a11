"""Customers over time: acquisition cohorts and predicted lifetime value."""

from __future__ import annotations

import streamlit as st

from analytics.errors import AnalyticsError
from analytics.lifetime import MEASURES, cohort_curves, cohort_heatmap
from pages._cached import cached_cohorts, cached_lifetime
from pages._display import current_display, table
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import current_dataset
from pages._widgets import PageDone, download_buttons, kept, md, point_to_data_page, require_kind

HORIZONS = {13: "3 months", 26: "6 months", 52: "1 year", 104: "2 years"}

ensure_inside_app()
st.title("Customers over time")
st.caption(
    "Do new customers come back, and what will each be worth? Cohorts group customers by when "
    "they first bought; the lifetime models predict who is still active and what they will spend."
)
dataset = current_dataset()
require_kind(dataset, ["transactions"], "Customers over time")
if not (dataset.has("customer_id") and dataset.has("timestamp")):
    point_to_data_page(
        "This page follows customers over time, so it needs a customer column and a date column. "
        "Choose them under 'Column roles' on the Data page."
    )
shown = current_display()

# --- cohorts ---------------------------------------------------------------------------------------
st.subheader("Cohort retention")
left, right = st.columns(2)
with left:
    period = kept(
        st.selectbox,
        "Cohorts by",
        ["M", "Q"],
        key="w.customers.period",
        default="M",
        format_func={"M": "Month of the first purchase", "Q": "Quarter of the first purchase"}.get,
    )
with right:
    measure = kept(
        st.selectbox,
        "Show",
        list(MEASURES),
        key="w.customers.measure",
        default="active",
        format_func=MEASURES.__getitem__,
    )
try:
    with st.spinner("Grouping customers by their first purchase…"):
        cohorts = cached_cohorts(dataset, period, measure)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
curve = cohorts.curve()
year = 12 if period == "M" else 4
if measure == "active" and len(curve) > 1:
    st.caption(
        f"{shown.count(int(cohorts.sizes.sum()))} customers in {len(cohorts.sizes)} cohorts. On "
        f"average {shown.percent(float(curve.iloc[1]), 0)} buy again in the "
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
try:
    with st.spinner("Fitting the lifetime models…"):
        purchases, spend, values, repeaters = cached_lifetime(
            dataset, int(horizon), float(discount)
        )
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
if not (purchases.converged and spend.converged):
    st.warning(
        "The lifetime models did not fully converge on this data: read the figures as rough.",
        icon=":material/warning:",
    )
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
    "BG/NBD (Fader, Hardie & Lee) predicts repeat purchases and the chance each customer is "
    "still active; Gamma-Gamma predicts the spend per purchase. Customers who bought once are "
    f"valued at the average spend. Fitted on every purchase up to "
    f"{shown.date(dataset.days[1]) if dataset.days else 'the last date'}."
)
most, slipping = st.tabs(["Most valuable", "Valuable but slipping away"])
with most:
    table(values.head(50).reset_index(), height=320)
with slipping:
    worth = values["clv"] >= values["clv"].quantile(0.75)
    at_risk = values.loc[worth].sort_values("p_alive").head(50)
    st.caption(md("The top quarter by expected value, least likely to be still active first."))
    table(at_risk.reset_index(), height=320)
download_buttons(values.reset_index(), "All customers' predicted value", "lifetime_value")
