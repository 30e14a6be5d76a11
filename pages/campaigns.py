"""Campaigns: did the test work, for whom, and whom to target next."""

from __future__ import annotations

import streamlit as st

from analytics.campaigns import (
    APPROACHES,
    EFFECT_COLUMNS,
    LEARNERS,
    CampaignParams,
    best_arm,
    check_levels,
    deciles_figure,
    detectable_mean,
    detectable_rate,
    effects_figure,
    group_candidates,
    outcome_kind,
    profit_figure,
    qini_figure,
    sample_size_mean,
    sample_size_rate,
    segment_columns,
)
from analytics.errors import AnalyticsError
from pages._cached import cached_campaign, cached_design, cached_uplift
from pages._display import current_display, table
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import current_dataset, remember
from pages._widgets import PageDone, download_buttons, kept, md, point_to_data_page

NEEDS = (
    "Campaign results need an experiment table: one row per customer, a column saying which "
    "group each was in (the control, and one or more versions of the campaign) and what they "
    "did after it (a visit, a purchase, the amount spent). Load one on the Data page, or pick "
    "the sample 'E-mail test results'."
)

ensure_inside_app()
st.title("Campaigns")
st.caption(
    "Did the campaign change what customers did, by how much and how surely; who responded "
    "because of it (uplift); and whom to contact next time."
)
dataset = current_dataset()
if dataset.kind != "customers":
    point_to_data_page(f"{NEEDS} The current dataset ({md(dataset.source)}) is **{dataset.kind}**.")
frame = dataset.frame
candidates = group_candidates(frame)
if not candidates:
    point_to_data_page(f"{NEEDS} No column of this table has 2 to 10 groups.")
shown = current_display()
tag = dataset.fingerprint[:8]

# --- the test ----------------------------------------------------------------------------------------
st.subheader("The test")
left, middle, right = st.columns([2, 2, 3])
with left:
    group = kept(
        st.selectbox,
        "Group column",
        candidates,
        key=f"w.campaign.group.{tag}",
        default=candidates[0],
    )
try:
    levels = check_levels(frame, group)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
numeric = [c for c in frame.columns if c != group and outcome_kind(frame[c]) is not None]
try:
    detected = cached_design(dataset, CampaignParams(group=group))
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
with middle:
    control = kept(
        st.selectbox,
        "Control group",
        levels,
        key=f"w.campaign.control.{tag}.{group}",
        default=detected.control,
        help="The group that did not get the campaign: every other group is compared with it.",
    )
with right:
    outcomes = kept(
        st.multiselect,
        "Outcomes",
        numeric,
        key=f"w.campaign.outcomes.{tag}.{group}",
        default=[o for o in detected.outcomes if o in numeric],
        help="What customers did after the send: 0/1 columns are read as rates (visited, "
        "bought), other numbers as amounts (spend).",
    )
if not detected.control_named and control == detected.control:
    st.info(
        md(
            f"No group of {group} is named like a control (control, no e-mail, holdout): check "
            f"that '{control}' is the group that did not get the campaign, or choose another."
        ),
        icon=":material/help:",
    )
if not outcomes:
    st.info("Choose at least one outcome: a 0/1 column (visit, conversion) or an amount.")
    raise PageDone
params = CampaignParams(group=group, control=control, outcomes=tuple(outcomes))
try:
    with st.spinner("Comparing the groups…"):
        result = cached_campaign(dataset, params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
design, effects = result.design, result.effects

cards = st.columns(len(effects.sizes))
for card, (name, size) in zip(cards, effects.sizes.items(), strict=True):
    card.metric(str(name) + (" (control)" if name == control else ""), shown.count(int(size)))
if result.ratio.mismatch:
    st.error(md(result.ratio.words(shown)), icon=":material/error:")
else:
    st.caption(md(result.ratio.words(shown)))

tabs = st.tabs([str(o) for o in design.outcomes])
lines = effects.words(shown)
for tab, (outcome, kind) in zip(tabs, design.outcomes.items(), strict=True):
    with tab:
        rows = effects.table.loc[effects.table["outcome"] == outcome]
        for line in (line for line in lines if f" {outcome} from " in line):
            st.markdown("- " + md(line))
        st.plotly_chart(
            shown.chart(effects_figure(effects, outcome)), key=f"campaign_effects_{outcome}"
        )
        columns = EFFECT_COLUMNS[kind]
        table(rows[[c for c in columns if c in rows.columns]], columns=columns)
download_buttons(effects.table, "Effects of every group", "campaign_effects")

with st.expander("Are the groups alike? (balance before the send)", icon=":material/balance:"):
    balance = result.balance
    if balance.empty:
        st.caption("The table has no customer attributes to compare.")
    else:
        off = balance.loc[balance["unbalanced"], "covariate"].tolist()
        st.caption(
            md(
                "Standardised differences above 0.1 mark attributes the groups differ on before "
                "the send: "
                + (", ".join(map(str, off)) + "." if off else "none, as a random split gives.")
            )
        )
        table(balance, own=set(balance.columns) - {"covariate", "unbalanced"})

# --- planning ------------------------------------------------------------------------------------------
with st.expander("Plan the next test", icon=":material/calculate:"):
    rate_outcomes = [o for o, k in design.outcomes.items() if k == "rate"]
    kind = kept(
        st.radio,
        "Outcome kind",
        ["rate", "mean"],
        key="w.campaign.plan.kind",
        default="rate" if rate_outcomes else "mean",
        format_func={"rate": "A rate (conversion)", "mean": "An amount (spend)"}.get,
        horizontal=True,
    )
    a, b, c = st.columns(3)
    alpha = a.select_slider("Significance", [0.01, 0.05, 0.1], value=0.05, key="w.campaign.alpha")
    power = b.select_slider("Power", [0.7, 0.8, 0.9, 0.95], value=0.8, key="w.campaign.power")
    ratio = c.number_input(
        "Control size / treated size", 0.1, 10.0, 1.0, 0.1, key="w.campaign.ratio"
    )
    controls = frame[design.group].astype("string") == control
    try:
        if kind == "rate":
            first = rate_outcomes[0] if rate_outcomes else None
            base = float(frame.loc[controls, first].mean()) if first else 0.05
            left, right = st.columns(2)
            baseline = left.number_input(
                "Baseline rate (%)",
                0.01,
                99.0,
                round(min(max(base * 100, 0.01), 99.0), 2),
                key=f"w.campaign.baseline.{tag}",
            )
            lift = right.number_input(
                "Change to detect (points)", 0.01, 50.0, 1.0, 0.1, key="w.campaign.lift"
            )
            plan = sample_size_rate(
                baseline / 100, lift / 100, alpha=alpha, power=power, ratio=ratio
            )
        else:
            amounts = [o for o, k in design.outcomes.items() if k == "mean"]
            spread = float(frame.loc[controls, amounts[0]].std()) if amounts else 10.0
            left, right = st.columns(2)
            sd = left.number_input(
                "Standard deviation of the amount",
                0.01,
                1e9,
                round(max(spread, 0.01), 2),
                key=f"w.campaign.sd.{tag}",
            )
            change = right.number_input(
                "Change to detect",
                0.01,
                1e9,
                round(max(sd / 10, 0.01), 2),
                key=f"w.campaign.change.{tag}",
            )
            plan = sample_size_mean(sd, change, alpha=alpha, power=power, ratio=ratio)
        st.markdown(md(plan.words(shown)))
        n = st.number_input(
            "Or: customers in the treated group", 10, 10_000_000, 5000, 500, key="w.campaign.n"
        )
        if kind == "rate":
            smallest = detectable_rate(
                baseline / 100, int(n), alpha=alpha, power=power, ratio=ratio
            )
            st.caption(
                f"With {shown.count(int(n))} treated customers the smallest rise you can detect "
                f"is {shown.number(smallest.effect * 100, 2)} points (from "
                f"{shown.percent(baseline / 100, 2)} to "
                f"{shown.percent(baseline / 100 + smallest.effect, 2)})."
            )
        else:
            smallest = detectable_mean(sd, int(n), alpha=alpha, power=power, ratio=ratio)
            st.caption(
                f"With {shown.count(int(n))} treated customers the smallest change in the mean "
                f"you can detect is {shown.number(smallest.effect, 2)}."
            )
    except AnalyticsError as exc:
        show_error(exc)

# --- uplift --------------------------------------------------------------------------------------------
st.subheader("Whom to target next (uplift)")
st.caption(
    "Uplift models predict, for each customer, how much the campaign changes what they do: "
    "contact those it moves, not those who buy anyway. Every customer's uplift comes from models "
    "that never saw them (cross-fitting)."
)
arms = [a for a in levels if a != control]
first_rate = next((o for o, k in design.outcomes.items() if k == "rate"), outcomes[0])
a, b, c, d = st.columns(4)
outcome = kept(
    a.selectbox,
    "Outcome",
    list(design.outcomes),
    key=f"w.campaign.uplift_outcome.{tag}.{group}",
    default=first_rate,
)
arm = kept(
    b.selectbox,
    "Treated group",
    arms,
    key=f"w.campaign.arm.{tag}.{group}.{control}",
    default=best_arm(effects, outcome),
)
approach = kept(
    c.selectbox,
    "Approach",
    list(APPROACHES),
    key="w.campaign.approach",
    default="two_model",
    format_func=APPROACHES.__getitem__,
)
learner = kept(
    d.selectbox,
    "Learner",
    list(LEARNERS),
    key="w.campaign.learner",
    default="logreg",
    format_func=LEARNERS.__getitem__,
)
left, right = st.columns(2)
cost = kept(
    left.number_input,
    "Cost per contact",
    key="w.campaign.cost",
    default=0.0,
    min_value=0.0,
    step=0.1,
    help="What sending to one customer costs (in the currency of the value below).",
)
value = kept(
    right.number_input,
    f"Value of one extra {outcome}",
    key=f"w.campaign.value.{outcome}",
    default=0.0,
    min_value=0.0,
    step=1.0,
    help="What one more visit or purchase is worth: margin, not revenue. Zero: no profit curve.",
)
params = CampaignParams(
    group=group,
    control=control,
    outcomes=tuple(outcomes),
    arm=arm,
    uplift_outcome=outcome,
    approach=approach,
    learner=learner,
    cost=float(cost),
    value=float(value),
)
remember("campaign", params)
try:
    with st.spinner("Fitting the uplift models on each fold…"):
        uplift = cached_uplift(dataset, params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
for line in uplift.words(shown):
    st.markdown("- " + md(line))
left, right = st.columns(2)
with left:
    if uplift.binary:
        st.plotly_chart(shown.chart(qini_figure(uplift)), key="campaign_qini")
    else:
        st.caption("The Qini curve needs a yes/no outcome; the tenths beside it work for amounts.")
with right:
    st.plotly_chart(shown.chart(deciles_figure(uplift)), key="campaign_deciles")
st.markdown("**Segments by predicted uplift**")
table(uplift.segments, columns=segment_columns(uplift.binary))
if value > 0:
    best = uplift.best_share(float(cost), float(value))
    st.plotly_chart(
        shown.chart(profit_figure(uplift, float(cost), float(value)), "y"), key="campaign_profit"
    )
    if best["share"] > 0:
        st.markdown(
            f"The best share to contact is the top **{shown.percent(best['share'], 0)}** "
            f"({shown.count(best['customers'])} customers): about "
            f"{shown.count(best['incremental'])} extra {md(outcome)} and an expected profit of "
            f"{shown.money(best['profit'])}."
        )
    else:
        st.warning(
            "At this cost and value no share of customers pays for the contact.",
            icon=":material/warning:",
        )
default_share = 0.3
share = st.slider(
    "Contact the top share by predicted uplift",
    0.05,
    1.0,
    default_share,
    0.05,
    key=f"w.campaign.share.{tag}",
    format="%.2f",
)
plan = uplift.target(float(share), float(cost), float(value))
st.caption(
    f"The top {shown.percent(share, 0)}: {shown.count(plan['customers'])} customers, about "
    f"{shown.number(plan['incremental'], 1)} extra {md(outcome)} expected"
    + (f", profit {shown.money(plan['profit'])}." if value > 0 else ".")
)
ranked = uplift.scores.sort_values("uplift", ascending=False).head(plan["customers"])
target_list = frame.loc[ranked.index].assign(predicted_uplift=ranked["uplift"])
download_buttons(target_list, "Customers to contact", "campaign_targets")
