"""Propensity page: who will churn, buy or respond; honest models, lift charts, a list to act on."""

from __future__ import annotations

import datetime as dt
import pickle
from functools import partial

import pandas as pd
import streamlit as st

from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, current_language
from analytics.propensity import (
    MODEL_LABELS,
    MODELS,
    NO_YES_NO_COLUMN,
    OUTCOME_NAMES,
    ModelScore,
    PropensityParams,
    calibration_figure,
    confusion_figure,
    contact_top,
    default_positive,
    gains_figure,
    importance_figure,
    lift_figure,
    logistic_coefficients,
    outcome_values,
    pr_figure,
    roc_figure,
    tree_figure,
    yes_no_columns,
)
from pages._cached import (
    cached_action_list,
    cached_figure,
    cached_leaderboard,
    cached_propensity_data,
    importance_result,
    propensity_key,
    propensity_result,
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

DERIVED = {
    "churn": N_("Churn (no order in the window)"),
    "buy": N_("Buy again (an order in the window)"),
}
ensure_inside_app()
st.title(_("Propensity"))
#: Each model's name without its note in brackets.
model_names = {key: _(label).split(" (")[0].split("（")[0] for key, label in MODEL_LABELS.items()}
done_words = _("{model}: cross-validated on {n} customers in {seconds} s")
dataset = current_dataset()
require_kind(dataset, ["customers", "transactions"], _("Propensity modelling"))
st.caption(
    _(
        "Who is likely to churn, buy again or respond: models trained and scored by "
        "cross-validation, so every figure is on customers the model did not see, and a ranked "
        "list to act on."
    )
)

# --- what to predict ------------------------------------------------------------------------------
target: str | None = None
positive: str | None = None
derive: str | None = None
days = 90
cutoff: dt.date | None = None
left, middle, right = st.columns(3)
if dataset.kind == "customers":
    two_valued, preferred = yes_no_columns(dataset)
    if not two_valued:
        point_to_data_page(" ".join(_(text) for text in NO_YES_NO_COLUMN))
    with left:
        target = kept(
            st.selectbox,
            _("Predict"),
            two_valued,
            key="w.propensity.target",
            default=preferred,
            help=_("Columns with exactly two values.")
            + " "
            + (
                _(
                    "**{column}** is suggested: its name reads as an outcome to predict (churn, "
                    "response, y, converted …), not an attribute of the customer."
                ).format(column=md(preferred))
                if preferred is not None and preferred.strip().lower() in OUTCOME_NAMES
                else _(
                    "No column is named as an outcome (churn, response, y, converted …), so the "
                    "first is suggested: pick the outcome you want to predict."
                )
            ),
        )
    values = outcome_values(dataset, target)
    with middle:
        positive = kept(
            st.selectbox,
            _("Positive outcome"),
            values,
            key=f"w.propensity.positive.{target}",
            default=default_positive(values),
        )
else:
    if not (dataset.has("customer_id") and dataset.has("order_id") and dataset.has("timestamp")):
        point_to_data_page(
            _(
                "Predicting churn from transactions needs customer, order and date columns. "
                "Choose them under 'Column roles' on the Data page."
            )
        )
    with left:
        derive = kept(
            st.selectbox,
            _("Predict"),
            list(DERIVED),
            key="w.propensity.derive",
            default="churn",
            format_func=shown_as(DERIVED),
        )
    with middle:
        days = kept(
            st.slider,
            _("Window (days after the cutoff)"),
            key="w.propensity.days",
            default=90,
            min_value=14,
            max_value=365,
            step=7,
        )
    first_day, last_day = dataset.days or (dt.date.today(), dt.date.today())
    earliest = first_day + dt.timedelta(days=30)
    with right:
        cutoff = kept(
            st.date_input,
            _("Cutoff (features from before it)"),
            key=f"w.propensity.cutoff.{dataset.fingerprint[:8]}.{days}",
            # Short data (a few weeks) cannot hold 30 days of history and the whole window.
            default=min(last_day, max(earliest, last_day - dt.timedelta(days=days - 1))),
            min_value=min(earliest, last_day),
            max_value=last_day,
            format="YYYY-MM-DD",
        )

with st.expander(_("Model options"), icon=":material/tune:"):
    options = st.columns(4)
    with options[0]:
        model = kept(
            st.selectbox,
            _("Model"),
            ["auto", *MODELS],
            key="w.propensity.model",
            default="auto",
            format_func=shown_as(MODEL_LABELS),
        )
    with options[1]:
        folds = kept(
            st.slider,
            _("Cross-validation folds"),
            key="w.propensity.folds",
            default=5,
            min_value=3,
            max_value=10,
        )
    with options[2]:
        threshold = kept(
            st.slider,
            _("Threshold"),
            key="w.propensity.threshold",
            default=0.5,
            min_value=0.05,
            max_value=0.95,
            step=0.05,
            help=_(
                "Customers scored at or above it count as predicted positive (accuracy, "
                "precision, recall, F1, confusion matrix)."
            ),
        )
    with options[3]:
        search = kept(
            st.checkbox,
            _("Search each model's settings"),
            key="w.propensity.search",
            default=False,
            help=_(
                "Try a small grid of settings per model instead of one good default, and "
                "compare the random forest too: several times slower, rarely better."
            ),
        )


def _headline(score: ModelScore) -> str:
    return f"{model_names[score.model]}: ROC AUC {score.roc_auc:.3f}"


def _scores_so_far(scores: list[ModelScore]) -> None:
    """While the models fit in the background: each one's figures as soon as it has them."""
    if not scores:
        return
    table(
        pd.DataFrame(
            {
                "model": [_(MODEL_LABELS[s.model]) for s in scores],
                "roc_auc": [s.roc_auc for s in scores],
                "pr_auc": [s.pr_auc for s in scores],
                "seconds": [s.seconds for s in scores],
            }
        )
    )
    st.caption(_("Models cross-validated so far; the others follow."))


try:
    params = PropensityParams(
        target=target,
        positive=positive,
        derive=derive,
        days=int(days),
        cutoff=cutoff,
        model=model,
        folds=int(folds),
        search=bool(search),
        threshold=float(threshold),
    )
    with st.spinner(_("Preparing the customers…")):
        data = cached_propensity_data(dataset, params.only("data"), current_language())
    result = propensity_result(
        data,
        params,
        done=lambda result: done_words.format(
            model=_(MODEL_LABELS[result.model]), n=f"{data.n:,}", seconds=f"{result.seconds:.1f}"
        ),
        headline=_headline,
        live=_scores_so_far,
    )
    remember("propensity", params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

for note in result.notes:
    st.caption(md(note))
for column, auc in result.leakage.items():
    st.warning(
        _(
            "**{column}** alone predicts the target almost perfectly (ROC AUC {auc}). It may be "
            "recorded after the outcome (leakage): check it, and remove it on the Data page if so."
        ).format(column=md(column), auc=f"{auc:.3f}"),
        icon=":material/warning:",
    )
if data.dropped:
    with st.expander(
        _("{n} column(s) not used").format(n=len(data.dropped)), icon=":material/block:"
    ):
        for column, why in data.dropped.items():
            st.write(f"**{md(column)}**: {md(why)}")

chosen = result.chosen
low, high = result.auc_interval
cards = st.columns(4)
cards[0].metric(_("Model"), model_names[result.model])
cards[1].metric(
    _("ROC AUC"),
    f"{chosen.roc_auc:.3f}",
    help=_(
        "Cross-validated over {folds} folds (sd {sd}); 95% interval {low} to {high}. 0.5 is a "
        "coin toss, 1.0 ranks every positive above every negative."
    ).format(
        folds=result.folds, sd=f"{chosen.roc_auc_sd:.3f}", low=f"{low:.3f}", high=f"{high:.3f}"
    ),
)
cards[2].metric(
    _("PR AUC"),
    f"{chosen.pr_auc:.3f}",
    help=_("Average precision; a random ranking scores the positive share, {share}.").format(
        share=f"{data.positive_share:.1%}"
    ),
)
cards[3].metric(_("Positive"), f"{data.positive_share:.1%}", help=md(data.target_name))
if not result.better_than_chance:
    st.warning(
        _(
            "**No better than chance.** The cross-validated ROC AUC is {auc} and its 95% "
            "interval, {low} to {high}, includes 0.5: a coin toss would rank these customers "
            "about as well. Nothing here tells who will be positive from who will not, so no "
            "list to act on is offered. Try another outcome, add columns that describe the "
            "customers' behaviour, or use more customers."
        ).format(auc=f"{chosen.roc_auc:.3f}", low=f"{low:.2f}", high=f"{high:.2f}"),
        icon=":material/casino:",
    )

board = cached_leaderboard(result, float(threshold)).reset_index()
board["model"] = board["model"].map(lambda model: _(MODEL_LABELS[model]))
table(board)
if data.cutoff is None or not result.temporal:
    st.caption(
        _(
            "Every figure comes from {folds}-fold stratified cross-validation: each customer is "
            "scored by a model trained without them. When several models (or settings) are "
            "compared, the best is chosen on the same folds, so its ROC AUC is a little "
            "optimistic."
        ).format(folds=result.folds)
    )
else:
    st.caption(
        _(
            "Temporal split: {how}. Every figure is on a later period than the model learned "
            "from, as it will be used."
        ).format(how=md(result.validation))
    )

key = propensity_key(result)  # the charts below are built once per result
lift_tab, curves_tab, calls_tab, drivers_tab, action_tab = st.tabs(
    [
        _("Lift and gains"),
        _("ROC and precision–recall"),
        _("Threshold and calibration"),
        _("Drivers"),
        _("Act on it"),
    ]
)
with lift_tab:
    columns = st.columns(2)
    columns[0].plotly_chart(cached_figure(lift_figure, key, result), key="propensity_lift")
    columns[1].plotly_chart(cached_figure(gains_figure, key, result), key="propensity_gains")
with curves_tab:
    columns = st.columns(2)
    columns[0].plotly_chart(cached_figure(roc_figure, key, result), key="propensity_roc")
    columns[1].plotly_chart(cached_figure(pr_figure, key, result), key="propensity_pr")
with calls_tab:
    columns = st.columns(2)
    columns[0].plotly_chart(
        cached_figure(confusion_figure, (key, float(threshold)), result, float(threshold)),
        key="propensity_confusion",
    )
    columns[1].plotly_chart(
        cached_figure(calibration_figure, key, result), key="propensity_calibration"
    )
# The drivers (permutation importance, the slowest part) are drawn last, in place: every other
# tab is on screen while they compute.
with drivers_tab:
    drivers = st.empty()
with action_tab:
    if not result.better_than_chance:
        st.info(
            _("No list to act on: the model ranks customers no better than chance (see above)."),
            icon=":material/block:",
        )
    else:
        share = kept(
            st.slider,
            _("Contact the top"),
            key="w.propensity.contact",
            default=20,
            min_value=1,
            max_value=100,
            format="%d%%",
        )
        reach = contact_top(data.target, chosen.probabilities, share / 100)
        st.write(
            _(
                "Contacting the **{share}%** most likely ({contacted} customers) reaches "
                "**{reached}** positives ({of_all} of all), against about {random} for a random "
                "{share}%: **{lift} times** as many."
            ).format(
                share=share,
                contacted=f"{reach['contacted']:,}",
                reached=f"{reach['positives_reached']:,}",
                of_all=f"{reach['share_of_positives']:.0%}",
                random=f"{reach['random_expected']:,.0f}",
                lift=f"{reach['lift']:.1f}",
            )
        )
        scored = cached_action_list(result)
        if data.now is not None and dataset.days is not None:
            st.write(
                _(
                    "**Customers to act on now**: everyone who bought before {day}, scored on all "
                    "their history by the model refitted on the latest window."
                ).format(day=current_display().date(dataset.days[1]))
            )
        top = scored.head(max(1, round(len(scored) * share / 100)))
        if "actual" in top:
            top = top.assign(actual=top["actual"].astype(bool))
        table(
            top,
            columns={"actual": _("Known outcome ({target})").format(target=data.target_name)},
            height=300,
        )
        downloads = st.columns(3)
        download_buttons(
            scored, _("Scored list"), "scores", sheet_name="scores", slots=downloads[:2]
        )
        downloads[2].download_button(
            _("Fitted model (pickle)"),
            data=partial(pickle.dumps, result.pipeline),
            on_click="ignore",
            file_name="propensity_model.pkl",
            mime="application/octet-stream",
            icon=":material/download:",
        )
        st.caption(
            _(
                "The model is a scikit-learn pipeline (preparation and model in one). Load it in "
                "Python with the same scikit-learn version: {load}, then {predict} on a table with "
                "the same columns ({columns}). Only load pickles from sources you trust: opening "
                "one can run any code."
            ).format(
                load="`model = pickle.load(open('propensity_model.pkl', 'rb'))`",
                predict="`model.predict_proba(table[columns])[:, 1]`",
                columns=", ".join(f"`{column}`" for column in data.features.columns),
            )
        )

with drivers.container():
    with st.spinner(_("Measuring what drives the scores…")):
        importance = importance_result(result)  # None: still measuring, in the background
    if importance is not None:
        st.plotly_chart(
            cached_figure(importance_figure, key, importance), key="propensity_importance"
        )
        st.caption(
            _(
                "How much the cross-validated ROC AUC drops when a column's values are shuffled, on "
                "a quarter of the customers held out from fitting."
            )
        )
    coefficients = logistic_coefficients(result)
    if coefficients is not None:
        st.write(
            _(
                "**Logistic regression coefficients** (per standard deviation; positive raises "
                "the odds)"
            )
        )
        table(coefficients)
    st.write(_("**A three-level decision tree on the same inputs** (readable, not the model used)"))
    st.plotly_chart(
        cached_figure(tree_figure, key, result),
        key="propensity_tree",
        config={"staticPlot": True},
    )
