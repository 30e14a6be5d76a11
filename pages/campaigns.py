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
from analytics.i18n import N_, _, current_language
from pages._cached import cached_campaign, cached_design, cached_uplift
from pages._display import current_display, table
from pages._errors import show_error
from pages._runtime import ensure_inside_app
from pages._state import current_dataset, remember
from pages._widgets import PageDone, download_buttons, kept, md, point_to_data_page, shown_as

NEEDS = N_(
    "Campaign results need an experiment table: one row per customer, a column saying which "
    "group each was in (the control, and one or more versions of the campaign) and what they "
    "did after it (a visit, a purchase, the amount spent). Load one on the Data page, or pick "
    "the sample 'E-mail test results'."
)

ensure_inside_app()
st.title(_("Campaigns"))
st.caption(
    _(
        "Did the campaign change what customers did, by how much and how surely; who responded "
        "because of it (uplift); and whom to contact next time."
    )
)
dataset = current_dataset()
if dataset.kind != "customers":
    point_to_data_page(
        _(NEEDS)
        + " "
        + _("The current dataset ({source}) is **{kind}**.").format(
            source=md(dataset.source), kind=_(dataset.kind)
        )
    )
frame = dataset.frame
candidates = group_candidates(frame)
if not candidates:
    point_to_data_page(_(NEEDS) + " " + _("No column of this table has 2 to 10 groups."))
shown = current_display()
tag = dataset.fingerprint[:8]

# --- the test ----------------------------------------------------------------------------------------
st.subheader(_("The test"))
left, middle, right = st.columns([2, 2, 3])
with left:
    group = kept(
        st.selectbox,
        _("Group column"),
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
        _("Control group"),
        levels,
        key=f"w.campaign.control.{tag}.{group}",
        default=detected.control,
        help=_("The group that did not get the campaign: every other group is compared with it."),
    )
with right:
    outcomes = kept(
        st.multiselect,
        _("Outcomes"),
        numeric,
        key=f"w.campaign.outcomes.{tag}.{group}",
        default=[o for o in detected.outcomes if o in numeric],
        help=_(
            "What customers did after the send: 0/1 columns are read as rates (visited, "
            "bought), other numbers as amounts (spend)."
        ),
    )
if not detected.control_named and control == detected.control:
    st.info(
        _(
            "No group of {group} is named like a control (control, no e-mail, holdout): check "
            "that '{control}' is the group that did not get the campaign, or choose another."
        ).format(group=md(group), control=md(control)),
        icon=":material/help:",
    )
if not outcomes:
    st.info(_("Choose at least one outcome: a 0/1 column (visit, conversion) or an amount."))
    raise PageDone
params = CampaignParams(group=group, control=control, outcomes=tuple(outcomes))
try:
    with st.spinner(_("Comparing the groups…")):
        result = cached_campaign(dataset, params, current_language())
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
design, effects = result.design, result.effects

cards = st.columns(len(effects.sizes))
for card, (name, size) in zip(cards, effects.sizes.items(), strict=True):
    card.metric(
        str(name) + (" " + _("(control)") if name == control else ""), shown.count(int(size))
    )
if result.ratio.mismatch:
    st.error(md(result.ratio.words(shown)), icon=":material/error:")
else:
    st.caption(md(result.ratio.words(shown)))

tabs = st.tabs([str(o) for o in design.outcomes])
lines = effects.words(shown)
for tab, (outcome, kind) in zip(tabs, design.outcomes.items(), strict=True):
    with tab:
        rows = effects.table.loc[effects.table["outcome"] == outcome]
        for line in (
            line
            for line, measured in zip(lines, effects.table["outcome"], strict=True)
            if measured == outcome
        ):
            st.markdown("- " + md(line))
        st.plotly_chart(
            shown.chart(effects_figure(effects, outcome)), key=f"campaign_effects_{outcome}"
        )
        columns = EFFECT_COLUMNS[kind]
        table(rows[[c for c in columns if c in rows.columns]], columns=columns)
download_buttons(effects.table, _("Effects of every group"), "campaign_effects")

with st.expander(_("Are the groups alike? (balance before the send)"), icon=":material/balance:"):
    balance = result.balance
    if balance.empty:
        st.caption(_("The table has no customer attributes to compare."))
    else:
        off = balance.loc[balance["unbalanced"], "covariate"].tolist()
        st.caption(
            _(
                "Standardised differences above 0.1 mark attributes the groups differ on before "
                "the send: {attributes}"
            ).format(
                attributes=md(", ".join(map(str, off))) + _(".")
                if off
                else _("none, as a random split gives.")
            )
        )
        table(balance, own=set(balance.columns) - {"covariate", "unbalanced"})

# --- planning ------------------------------------------------------------------------------------------
with st.expander(_("Plan the next test"), icon=":material/calculate:"):
    rate_outcomes = [o for o, k in design.outcomes.items() if k == "rate"]
    kind = kept(
        st.radio,
        _("Outcome kind"),
        ["rate", "mean"],
        key="w.campaign.plan.kind",
        default="rate" if rate_outcomes else "mean",
        format_func=shown_as({"rate": N_("A rate (conversion)"), "mean": N_("An amount (spend)")}),
        horizontal=True,
    )
    a, b, c = st.columns(3)
    alpha = a.select_slider(
        _("Significance"), [0.01, 0.05, 0.1], value=0.05, key="w.campaign.alpha"
    )
    power = b.select_slider(_("Power"), [0.7, 0.8, 0.9, 0.95], value=0.8, key="w.campaign.power")
    ratio = c.number_input(
        _("Control size / treated size"), 0.1, 10.0, 1.0, 0.1, key="w.campaign.ratio"
    )
    controls = frame[design.group].astype("string") == control
    try:
        if kind == "rate":
            first = rate_outcomes[0] if rate_outcomes else None
            base = float(frame.loc[controls, first].mean()) if first else 0.05
            left, right = st.columns(2)
            baseline = left.number_input(
                _("Baseline rate (%)"),
                0.01,
                99.0,
                round(min(max(base * 100, 0.01), 99.0), 2),
                key=f"w.campaign.baseline.{tag}",
            )
            lift = right.number_input(
                _("Change to detect (points)"), 0.01, 50.0, 1.0, 0.1, key="w.campaign.lift"
            )
            plan = sample_size_rate(
                baseline / 100, lift / 100, alpha=alpha, power=power, ratio=ratio
            )
        else:
            amounts = [o for o, k in design.outcomes.items() if k == "mean"]
            spread = float(frame.loc[controls, amounts[0]].std()) if amounts else 10.0
            left, right = st.columns(2)
            sd = left.number_input(
                _("Standard deviation of the amount"),
                0.01,
                1e9,
                round(max(spread, 0.01), 2),
                key=f"w.campaign.sd.{tag}",
            )
            change = right.number_input(
                _("Change to detect"),
                0.01,
                1e9,
                round(max(sd / 10, 0.01), 2),
                key=f"w.campaign.change.{tag}",
            )
            plan = sample_size_mean(sd, change, alpha=alpha, power=power, ratio=ratio)
        st.markdown(md(plan.words(shown)))
        n = st.number_input(
            _("Or: customers in the treated group"), 10, 10_000_000, 5000, 500, key="w.campaign.n"
        )
        if kind == "rate":
            smallest = detectable_rate(
                baseline / 100, int(n), alpha=alpha, power=power, ratio=ratio
            )
            st.caption(
                _(
                    "With {n} treated customers the smallest rise you can detect is {points} "
                    "points (from {before} to {after})."
                ).format(
                    n=shown.count(int(n)),
                    points=shown.number(smallest.effect * 100, 2),
                    before=shown.percent(baseline / 100, 2),
                    after=shown.percent(baseline / 100 + smallest.effect, 2),
                )
            )
        else:
            smallest = detectable_mean(sd, int(n), alpha=alpha, power=power, ratio=ratio)
            st.caption(
                _(
                    "With {n} treated customers the smallest change in the mean you can detect "
                    "is {change}."
                ).format(n=shown.count(int(n)), change=shown.number(smallest.effect, 2))
            )
    except AnalyticsError as exc:
        show_error(exc)

# --- uplift --------------------------------------------------------------------------------------------
st.subheader(_("Whom to target next (uplift)"))
st.caption(
    _(
        "Uplift models predict, for each customer, how much the campaign changes what they do: "
        "contact those it moves, not those who buy anyway. Every customer's uplift comes from models "
        "that never saw them (cross-fitting)."
    )
)
arms = [a for a in levels if a != control]
first_rate = next((o for o, k in design.outcomes.items() if k == "rate"), outcomes[0])
a, b, c, d = st.columns(4)
outcome = kept(
    a.selectbox,
    _("Outcome"),
    list(design.outcomes),
    key=f"w.campaign.uplift_outcome.{tag}.{group}",
    default=first_rate,
)
arm = kept(
    b.selectbox,
    _("Treated group"),
    arms,
    key=f"w.campaign.arm.{tag}.{group}.{control}",
    default=best_arm(effects, outcome),
)
approach = kept(
    c.selectbox,
    _("Approach"),
    list(APPROACHES),
    key="w.campaign.approach",
    default="two_model",
    format_func=shown_as(APPROACHES),
)
learner = kept(
    d.selectbox,
    _("Learner"),
    list(LEARNERS),
    key="w.campaign.learner",
    default="logreg",
    format_func=shown_as(LEARNERS),
)
left, right = st.columns(2)
cost = kept(
    left.number_input,
    _("Cost per contact"),
    key="w.campaign.cost",
    default=0.0,
    min_value=0.0,
    step=0.1,
    help=_("What sending to one customer costs (in the currency of the value below)."),
)
value = kept(
    right.number_input,
    _("Value of one extra {outcome}").format(outcome=outcome),
    key=f"w.campaign.value.{outcome}",
    default=0.0,
    min_value=0.0,
    step=1.0,
    help=_("What one more visit or purchase is worth: margin, not revenue. Zero: no profit curve."),
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
    with st.spinner(_("Fitting the uplift models on each fold…")):
        uplift = cached_uplift(dataset, params, current_language())
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
        st.caption(
            _("The Qini curve needs a yes/no outcome; the tenths beside it work for amounts.")
        )
with right:
    st.plotly_chart(shown.chart(deciles_figure(uplift)), key="campaign_deciles")
st.markdown(_("**Segments by predicted uplift**"))
table(uplift.segments, columns=segment_columns(uplift.binary))
if value > 0:
    best = uplift.best_share(float(cost), float(value))
    st.plotly_chart(
        shown.chart(profit_figure(uplift, float(cost), float(value)), "y"), key="campaign_profit"
    )
    if best["share"] > 0:
        st.markdown(
            _(
                "The best share to contact is the top **{share}** ({n} customers): about "
                "{extra} extra {outcome} and an expected profit of {profit}."
            ).format(
                share=shown.percent(best["share"], 0),
                n=shown.count(best["customers"]),
                extra=shown.count(best["incremental"]),
                outcome=md(outcome),
                profit=shown.money(best["profit"]),
            )
        )
    else:
        st.warning(
            _("At this cost and value no share of customers pays for the contact."),
            icon=":material/warning:",
        )
default_share = 0.3
share = st.slider(
    _("Contact the top share by predicted uplift"),
    0.05,
    1.0,
    default_share,
    0.05,
    key=f"w.campaign.share.{tag}",
    format="%.2f",
)
plan = uplift.target(float(share), float(cost), float(value))
st.caption(
    _("The top {share}: {n} customers, about {extra} extra {outcome} expected").format(
        share=shown.percent(share, 0),
        n=shown.count(plan["customers"]),
        extra=shown.number(plan["incremental"], 1),
        outcome=md(outcome),
    )
    + (_(", profit {profit}.").format(profit=shown.money(plan["profit"])) if value > 0 else _("."))
)
ranked = uplift.scores.sort_values("uplift", ascending=False).head(plan["customers"])
target_list = frame.loc[ranked.index].assign(predicted_uplift=ranked["uplift"])
download_buttons(target_list, _("Customers to contact"), "campaign_targets")
