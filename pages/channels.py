"""Channels: what each marketing channel's spend added to sales, and where the next dollar
should go (a marketing mix model)."""

from __future__ import annotations

import streamlit as st

from analytics.errors import AnalyticsError
from analytics.i18n import _
from analytics.mix import (
    MIX_COLUMNS,
    MixParams,
    channel_bounds,
    contribution_figure,
    detect_roles,
    plan_budget,
    plan_figure,
    plan_words,
    response_figure,
    shares_figure,
)
from pages._cached import cached_mix, cached_spend_table, cached_weekly
from pages._display import current_display, table
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import current_dataset, data_state, remember
from pages._widgets import PageDone, download_buttons, kept, md, point_to_data_page

ensure_inside_app()
st.title(_("Channels"))
st.caption(
    _(
        "What each channel's spend added to sales, with carry-over (an ad keeps working for a "
        "while) and diminishing returns, and how to split the next budget. A marketing mix model "
        "fitted in seconds, with intervals from a bootstrap."
    )
)
state = data_state()
frame, key = state.table.frame, state.table.fingerprint
roles = detect_roles(frame)
orders = state.kind == "transactions"
with st.expander(
    _("Or build the weekly table from these orders and a file of spend per channel"),
    expanded=orders and not roles.channels,
    icon=":material/merge:",
):
    st.caption(
        _(
            "The spend file: one row per day or week, a date and one column of spend per channel. "
            "Revenue and orders per week come from the orders on the Data page; only the whole "
            "weeks both files cover are used."
        )
    )
    spend_file = st.file_uploader(_("Spend per channel"), key="mix_spend")
if spend_file is not None:
    try:
        spend = cached_spend_table(spend_file.file_id, spend_file.name, spend_file.getvalue())
        frame = cached_weekly(current_dataset(), spend.fingerprint, spend.frame)
    except AnalyticsError as exc:
        show_error(exc)
        raise PageDone from None
    key = f"{current_dataset().fingerprint}-{spend.fingerprint}"
    roles = detect_roles(frame)
    st.caption(
        _("Weekly table: the orders, with {file}: {n} weeks.").format(
            file=md(spend_file.name), n=f"{len(frame):,}"
        )
    )
if roles.date is None or len(roles.numeric) < 2:
    point_to_data_page(
        _(
            "The Channels page needs a weekly (or daily) table: a date column, the sales outcome "
            "and one spend column per channel (TV, search, social …), with controls such as "
            "prices or promotions if you have them. Load one on the Data page, pick the sample "
            "'Weekly sales and marketing spend', or add a spend file to your orders above."
        )
    )
shown = current_display()
tag = key[:8]

dates = [str(c) for c in frame.columns if c not in roles.numeric]
a, b = st.columns(2)
date = kept(a.selectbox, _("Date column"), dates, key=f"w.mix.date.{tag}", default=roles.date)
outcome = kept(
    b.selectbox,
    _("Outcome (sales)"),
    list(roles.numeric),
    key=f"w.mix.outcome.{tag}",
    default=roles.outcome,
)
others = [c for c in roles.numeric if c != outcome]
channels = kept(
    st.multiselect,
    _("Channels (spend per period)"),
    others,
    key=f"w.mix.channels.{tag}.{outcome}",
    default=[c for c in roles.channels if c in others],
)
controls = kept(
    st.multiselect,
    _("Controls (prices, promotions, competitors, events)"),
    [c for c in others if c not in channels],
    key=f"w.mix.controls.{tag}.{outcome}",
    default=[c for c in roles.controls if c in others and c not in channels],
)
if not channels:
    st.info(_("Choose at least one channel: a column of spend per period."))
    raise PageDone
try:
    with st.spinner(_("Fitting the model and its bootstrap…")):
        result = cached_mix(key, date, outcome, tuple(channels), tuple(controls), frame)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

unit = _("week") if result.data.freq == "W" else _("day")
cards = st.columns(3)
cards[0].metric(
    _("Weeks") if result.data.freq == "W" else _("Days"), shown.count(len(result.data.y))
)
cards[1].metric(
    _("Out-of-sample miss"),
    shown.percent(result.holdout["mape"], 1),
    help=_("MAPE on the last {n} {unit}s, fitted without them.").format(
        n=f"{result.holdout['periods']:.0f}", unit=unit
    ),
)
cards[2].metric(_("Out-of-sample R²"), shown.number(result.holdout["r2"], 2))
words = result.words(shown)
for a_b in result.collinear:
    st.warning(
        _("{a} and {b} moved together: their shares are uncertain.").format(
            a=md(a_b[0]), b=md(a_b[1])
        )
    )
st.plotly_chart(shown.chart(contribution_figure(result)), key="mix_contributions")
left, right = st.columns(2)
with left:
    st.plotly_chart(shown.chart(shares_figure(result)), key="mix_shares")
with right:
    st.plotly_chart(shown.chart(response_figure(result)), key="mix_response")
for line in words:
    st.markdown("- " + md(line))
summary = result.summary()
table(summary, columns=MIX_COLUMNS, own=set(channels))
download_buttons(summary, _("Channel figures"), "channels")

st.subheader(_("Budget planner"))
recent = float(result.recent_spend().sum())
left, right = st.columns(2)
budget = kept(
    left.number_input,
    _("Budget per {unit}").format(unit=unit),
    key=f"w.mix.budget.{tag}",
    default=round(recent, 2),
    min_value=0.0,
    help=_("Default: the average spend per {unit} over the last 13 {unit}s.").format(unit=unit),
)
most = kept(
    right.slider,
    _("Each channel at most this many times its recent spend"),
    key="w.mix.most",
    default=3.0,
    min_value=1.0,
    max_value=10.0,
    step=0.5,
)
defaults = channel_bounds(result, MixParams(most=float(most)))
with st.expander(_("Bounds per channel"), icon=":material/tune:"):
    st.caption(_("Spend per {unit} each channel may get in the plan.").format(unit=unit))
    limits = []
    for name, (low, high) in zip(channels, defaults, strict=True):
        row = st.columns([2, 2, 2])
        row[0].markdown(md(name))
        lowest = row[1].number_input(
            _("Lowest"), 0.0, value=float(low), key=f"w.mix.low.{tag}.{name}", step=100.0
        )
        highest = row[2].number_input(
            _("Highest"),
            0.0,
            value=round(float(high), 2),
            key=f"w.mix.high.{tag}.{name}.{most}",
            step=100.0,
        )
        limits.append((name, (str(lowest), str(highest))))
params = MixParams(
    date=date,
    outcome=outcome,
    channels=tuple(channels),
    controls=tuple(controls),
    budget=float(budget),
    most=float(most),
    limits=tuple(limits),
)
remember("channels", params)
try:
    plan = plan_budget(result, float(budget), bounds=channel_bounds(result, params))
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
st.markdown(md(plan_words(plan, shown)))
st.plotly_chart(shown.chart(plan_figure(plan)), key="mix_plan")
table(plan.table, columns=MIX_COLUMNS, own=set(channels))
download_buttons(plan.table, _("Budget plan"), "budget_plan")
