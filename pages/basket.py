"""Market-basket page: which items sell together, as rules to explore and offers to make."""

from __future__ import annotations

import datetime as dt
from functools import partial

import streamlit as st

from analytics.baskets import (
    ENGINE_LABELS,
    ENGINES,
    MEASURE_LABELS,
    MEASURES,
    RANK_BY,
    RANK_LABELS,
    SORTABLE,
    SUPPORTS,
    Rules,
    RulesParams,
    basket_sizes_figure,
    describe_rule,
    filter_rules,
    item_options,
    nearest_support,
    recommend,
    rules_graph,
    rules_matrix,
    rules_scatter,
    shown_in_words,
    top_items_figure,
)
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, current_language
from analytics.segments import SEGMENTS
from pages._cached import (
    cached_baskets,
    cached_evaluation,
    cached_figure,
    cached_item_choices,
    cached_similar,
    cached_support_suggestion,
    rules_result,
)
from pages._display import table
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
    slid_and_typed,
)

ITEM_LABELS = {
    "product_name": N_("Product name"),
    "product": N_("Product code"),
    "category": N_("Category"),
}
ANY = N_("Any")
NO_FILTER = N_("(none)")
LAST_CLICK = "ml.basket.clicked"
SIDES = {
    "either": N_("On either side"),
    "antecedent": N_("In the 'if' items"),
    "consequent": N_("As the 'then' item"),
}
TABLE_COLUMNS = [
    "rule",
    "support",
    "confidence",
    "lift",
    "count",
    "leverage",
    "conviction",
    "zhang",
    "jaccard",
    "kulczynski",
    "certainty",
    "p_value",
    "p_adjusted",
    "redundant",
]


ensure_inside_app()
st.title(_("Market basket"))
dataset = current_dataset()
require_kind(dataset, ["transactions", "baskets"], _("Market-basket analysis"))
st.caption(
    _(
        "Which items are bought together: rules such as 'customers who buy a teacup also buy the "
        "saucer' for bundles, cross-selling and store layout, and the items to offer next."
    )
)

# --- which baskets ---------------------------------------------------------------------------------
item: str | None = None
start: dt.date | None = None
end: dt.date | None = None
filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
segments: tuple[str, ...] = ()
if dataset.kind == "transactions":
    options = item_options(dataset)
    if not options or not dataset.has("order_id"):
        point_to_data_page(
            _(
                "Baskets need an order (invoice) column and a product column. Choose them under "
                "'Column roles' on the Data page."
            )
        )
    with st.expander(_("Which baskets: items, dates, filters"), icon=":material/filter_alt:"):
        left, middle, right = st.columns(3)
        with left:
            item = kept(
                st.selectbox,
                _("An item is a"),
                options,
                key="w.basket.item",
                default=options[0],
                format_func=shown_as(ITEM_LABELS),
            )
        first_day, last_day = dataset.days or (dt.date.today(), dt.date.today())
        with middle:
            period = kept(
                st.date_input,
                _("Orders between"),
                key=f"w.basket.dates.{dataset.fingerprint[:8]}",
                default=(first_day, last_day),
                min_value=first_day,
                max_value=last_day,
                format="YYYY-MM-DD",
            )
        if isinstance(period, tuple) and len(period) == 2:
            start, end = period
            if (start, end) == (first_day, last_day):
                start = end = None
        with right:
            if dataset.has("customer_id"):
                chosen_segments = kept(
                    st.multiselect,
                    _("Customers in RFM segments"),
                    list(SEGMENTS),
                    format_func=shown_as(SEGMENTS),
                    key="w.basket.segments",
                    default=[],
                    placeholder=_("All customers"),
                )
                segments = tuple(chosen_segments)
        if dataset.dimensions:
            none_text = _(NO_FILTER)
            dim_left, dim_right = st.columns([1, 2])
            with dim_left:
                dimension = kept(
                    st.selectbox,
                    _("Filter by"),
                    [NO_FILTER, *dataset.dimensions],
                    key="w.basket.dimension",
                    default=NO_FILTER,
                    format_func=lambda option: none_text if option == NO_FILTER else option,
                )
            if dimension != NO_FILTER:
                values = dataset.distinct(dimension)
                with dim_right:
                    chosen_values = kept(
                        st.multiselect,
                        _("{column} is one of").format(column=dimension),
                        values,
                        key=f"w.basket.values.{dimension}",
                        default=[],
                        placeholder=_("Any value"),
                    )
                if chosen_values:
                    filters = ((dimension, tuple(chosen_values)),)

# --- thresholds ------------------------------------------------------------------------------------
DEFAULT = RulesParams()
# Fees, postage and carrier bags are left out from the first view (the visitor can put them back).
exclude_key = f"w.basket.exclude.{dataset.fingerprint[:8]}.{item}"
choices, suggested = cached_item_choices(dataset, item)
excluded_now = tuple(st.session_state.get(exclude_key, suggested))
# The first view of a dataset opens on the highest support that shows a readable number of
# rules (about 50 to 500); a support chosen by hand is kept for that dataset.
support_key = f"w.basket.support.{dataset.fingerprint[:8]}"
opening_support = DEFAULT.min_support
if support_key not in st.session_state:
    opening = RulesParams(
        item=item,
        start=start,
        end=end,
        filters=filters,
        segments=segments,
        exclude=excluded_now,
    )
    try:
        with st.spinner(_("Choosing a minimum support…")):
            first_baskets = cached_baskets(dataset, opening.only("baskets", "customers"))
            if not first_baskets.problem:
                opening_support = cached_support_suggestion(first_baskets, opening)[0]
    except AnalyticsError:
        pass  # the baskets' problem is explained below, with the settings the visitor picks
controls = st.columns([3, 3, 2, 2])
with controls[0]:
    min_support = slid_and_typed(
        partial(st.select_slider, options=SUPPORTS, format_func=lambda v: f"{v:.2%}"),
        _("Minimum support"),
        key=support_key,
        default=opening_support,
        snap=nearest_support,
        scale=100,
        box={"min_value": 0.01, "max_value": 100.0, "step": 0.05, "format": "%.2f"},
        box_label=N_("Exact, %"),
        help=_(MEASURES["support"])
        + " "
        + _("It opens where the rules are few enough to read; slide, or type an exact percentage."),
    )
with controls[1]:
    min_confidence = slid_and_typed(
        partial(st.slider, min_value=0.0, max_value=1.0, step=0.01),
        _("Minimum confidence"),
        key="w.basket.confidence",
        default=DEFAULT.min_confidence,
        snap=lambda v: round(min(max(v, 0.0), 1.0), 2),
        box={"min_value": 0.0, "max_value": 1.0, "step": 0.01, "format": "%.3f"},
        help=_(MEASURES["confidence"]) + " " + _("Slide, or type an exact share (0 to 1)."),
    )
with controls[2]:
    min_lift = kept(
        st.slider,
        _("Minimum lift"),
        key="w.basket.lift",
        default=DEFAULT.min_lift,
        min_value=0.0,
        max_value=20.0,
        step=0.1,
        help=_(MEASURES["lift"]) + " " + _("0 keeps every rule."),
    )
with controls[3]:
    max_len_choice = kept(
        st.selectbox,
        _("Largest itemset"),
        [ANY, *range(2, 11)],
        key="w.basket.max_len",
        default=ANY,
        format_func=shown_as({ANY: ANY, **{n: str(n) for n in range(2, 11)}}),
        help=_("The most items a rule may hold, 'if' and 'then' together."),
    )
max_len = None if max_len_choice == ANY else int(max_len_choice)
with st.expander(_("More options"), icon=":material/tune:"):
    exclude = kept(
        st.multiselect,
        _("Leave out these items"),
        choices,
        key=exclude_key,
        default=suggested,
        placeholder=_("No item left out"),
        help=_(
            "Items in nearly every basket (a carrier bag, postage) crowd out the rules worth "
            "reading. Fees, postage and bags are suggested from their names."
        ),
    )
    more = st.columns(4)
    with more[0]:
        engine = kept(
            st.selectbox,
            _("Engine"),
            ENGINES,
            key="w.basket.engine",
            default=DEFAULT.engine,
            format_func=shown_as(ENGINE_LABELS),
            help=_("All engines find the same rules; the mlxtend ones are slower."),
        )
    with more[1]:
        max_consequent = kept(
            st.number_input,
            _("Items on the 'then' side"),
            key="w.basket.consequent",
            default=DEFAULT.max_consequent,
            min_value=1,
            max_value=4,
            help=_("1 is the usual choice (as in R's arules)."),
        )
    with more[2]:
        show_redundant = kept(
            st.checkbox,
            _("Show redundant rules"),
            key="w.basket.redundant",
            default=DEFAULT.redundant,
            help=_(
                "A rule is redundant when a rule with fewer 'if' items predicts the same item "
                "at least as well."
            ),
        )
    with more[3]:
        significant = kept(
            st.checkbox,
            _("Only significant rules"),
            key="w.basket.significant",
            default=DEFAULT.significant,
            help=_(
                "Keep rules whose Fisher test stays below 5% after the Benjamini–Hochberg "
                "correction for testing many rules."
            ),
        )

try:
    params = RulesParams(
        item=item,
        start=start,
        end=end,
        filters=filters,
        exclude=tuple(exclude),
        segments=segments,
        min_support=float(min_support),
        min_confidence=float(min_confidence),
        min_lift=float(min_lift),
        max_len=max_len,
        max_consequent=int(max_consequent),
        engine=engine,
        redundant=bool(show_redundant),
        significant=bool(significant),
    )
    with st.spinner(_("Building baskets…")):
        baskets = cached_baskets(dataset, params.only("baskets", "customers"), current_language())
    rules: Rules = rules_result(baskets, params)
    remember("rules", params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

left_out = [name for name in exclude if name in suggested]
if left_out:
    st.caption(
        ":material/filter_alt_off: "
        + _("Left out as fees, postage or bags rather than products: {items}.").format(
            items=md(", ".join(left_out[:8]))
            + (_(" and {n} more").format(n=len(left_out) - 8) if len(left_out) > 8 else "")
        )
        + " "
        + _("Put them back under More options.")
    )
for note in (*baskets.notes, *rules.notes):
    st.caption(md(note))
shown_all = filter_rules(rules.table, **params.options("display"))
metrics = st.columns(4)
metrics[0].metric(_("Baskets"), f"{baskets.n_baskets:,}")
metrics[1].metric(_("Items"), f"{baskets.n_items:,}")
metrics[2].metric(_("Frequent itemsets"), f"{rules.n_itemsets:,}")
metrics[3].metric(
    _("Rules"),
    f"{len(shown_all):,}",
    help=_("{n} before hiding redundant or non-significant rules.").format(n=f"{rules.n_rules:,}"),
)

if baskets.problem:
    st.warning(md(baskets.problem), icon=":material/warning:")
elif rules.n_rules == 0:
    st.warning(
        _(
            "No rule reaches these thresholds. Lower the minimum support or confidence, or the "
            "minimum lift."
        ),
        icon=":material/warning:",
    )

# --- explorer --------------------------------------------------------------------------------------
st.subheader(_("Rules"))
rule_items = sorted(
    {i for side in ("antecedent", "consequent") for s in rules.table[side] for i in s}
)
pick_left, pick_mid, pick_right = st.columns([2, 1, 1])
with pick_left:
    wanted = kept(
        st.multiselect,
        _("Rules with these items"),
        rule_items,
        key="w.basket.filter_items",
        default=[],
        placeholder=_("Any item"),
    )
with pick_mid:
    side = kept(
        st.selectbox,
        _("Where"),
        list(SIDES),
        key="w.basket.side",
        default="either",
        format_func=shown_as(SIDES),
    )
with pick_right:
    sort_by = kept(
        st.selectbox,
        _("Sort by"),
        list(SORTABLE),
        key="w.basket.sort",
        default="lift",
        format_func=shown_as(MEASURE_LABELS),
    )
shown = filter_rules(rules.table, items=wanted, side=side, **params.options("display"))
shown = shown.sort_values(sort_by, ascending=sort_by == "p_value", kind="stable")
# Everything the rules shown come from: the charts below are built once per such view.
shown_key = (baskets.key, params, tuple(wanted), side, sort_by)
st.caption(md(shown_in_words(rules.table, items=wanted, side=side, **params.options("display"))))
picked = table(
    shown[TABLE_COLUMNS],
    height=360,
    on_select="rerun",
    selection_mode="single-row",
    key="basket_table",
)
download_buttons(rules.export_table().loc[shown.index], _("Download rules"), "rules")

if len(shown):
    texts = shown["rule"].head(500).tolist()
    # A row clicked in the table is explained (once per click: the box stays free to change).
    clicked = picked.selection.rows if picked is not None else []
    if clicked and clicked[0] < len(shown):
        rule_text = shown["rule"].iloc[clicked[0]]
        if st.session_state.get(LAST_CLICK) != rule_text:
            st.session_state[LAST_CLICK] = rule_text
            if rule_text not in texts:
                texts.append(rule_text)
            st.session_state["w.basket.explain"] = rule_text
    chosen_rule = kept(
        st.selectbox,
        _("Explain a rule"),
        texts,
        key="w.basket.explain",
        default=texts[0],
        help=_("The first 500 rules of the table, in its order, or click a row of the table."),
    )
    row = shown[shown["rule"] == chosen_rule].iloc[0]
    with st.container(border=True):
        story, *measures = describe_rule(row, rules.n_baskets)
        st.markdown(
            md(story[1])
            + "\n\n"
            + "\n".join(f"- **{label}**: {md(text)}" for label, text in measures)
        )

views = st.tabs([_("Scatter"), _("Matrix"), _("Graph"), _("Top items"), _("Basket sizes")])
with views[0]:
    st.plotly_chart(cached_figure(rules_scatter, shown_key, shown), key="basket_scatter")
with views[1]:
    st.plotly_chart(cached_figure(rules_matrix, shown_key, shown), key="basket_matrix")
with views[2]:
    top_n = kept(
        st.slider,
        _("Rules in the graph"),
        key="w.basket.graph_n",
        default=25,
        min_value=5,
        max_value=100,
        step=5,
    )
    st.plotly_chart(
        cached_figure(rules_graph, (shown_key, int(top_n)), shown, top=int(top_n)),
        key="basket_graph",
    )
with views[3]:
    st.plotly_chart(cached_figure(top_items_figure, baskets.key, baskets), key="basket_top_items")
with views[4]:
    st.plotly_chart(cached_figure(basket_sizes_figure, baskets.key, baskets), key="basket_sizes")
with st.expander(_("What the measures mean")):
    st.markdown(
        "\n".join(f"- **{_(MEASURE_LABELS[m])}**: {_(text)}" for m, text in MEASURES.items())
    )

# --- recommendations -------------------------------------------------------------------------------
st.subheader(_("Bought together: what to offer next"))
rec_left, rec_mid, rec_right = st.columns([2, 1, 1])
with rec_left:
    in_basket = kept(
        st.multiselect,
        _("Items in the basket"),
        list(baskets.items),
        key="w.basket.rec_items",
        default=[],
        placeholder=_("Pick one or more items"),
    )
with rec_mid:
    k = kept(st.slider, _("Items to offer"), key="w.basket.k", default=5, min_value=1, max_value=10)
with rec_right:
    rank_by = kept(
        st.selectbox,
        _("Rank by"),
        list(RANK_BY),
        key="w.basket.rank_by",
        default="confidence",
        format_func=shown_as(RANK_LABELS),
    )
if in_basket:
    offers = recommend(rules, baskets, in_basket, k=int(k), by=rank_by)
    table(offers, columns={"item": _("Offer"), "support": _("In baskets")})
    similar_to = in_basket[-1]
    similar = cached_similar(baskets, similar_to, int(k))
    if len(similar):
        st.caption(
            _(
                "Items with names like {item} (for items too rare to appear in rules): {similar}"
            ).format(item=md(similar_to), similar=", ".join(md(i) for i in similar["item"]))
        )
else:
    st.caption(_("Pick items to see what to offer with them."))

evaluate = kept(
    st.toggle,
    _("Test these recommendations on later baskets"),
    key="w.basket.evaluate",
    default=False,
    help=_(
        "Rules from the first 80% of the dates; in each later basket one item is hidden and "
        "predicted from the others."
    ),
)
if evaluate:
    try:
        with st.spinner(_("Mining rules on the earlier baskets and testing on the later ones…")):
            mining = params.options("mining")
            evaluation = cached_evaluation(
                baskets,
                mining["min_support"],
                mining["min_confidence"],
                mining["min_lift"],
                mining["max_len"],
                int(k),
                rank_by,
            )
    except AnalyticsError as exc:
        show_error(exc)
    else:
        scores = st.columns(3)
        scores[0].metric(
            _("Hit rate @ {k} (rules)").format(k=evaluation.k),
            f"{evaluation.hit_rate:.1%}",
            delta=_("{points} points").format(
                points=f"{(evaluation.hit_rate - evaluation.popularity_hit_rate) * 100:+.1f}"
            ),
        )
        scores[1].metric(
            _("Hit rate @ {k} (most popular)").format(k=evaluation.k),
            f"{evaluation.popularity_hit_rate:.1%}",
        )
        scores[2].metric(_("Test baskets"), f"{evaluation.n_test:,}")
        st.caption(
            _(
                "{split}: {n} baskets to learn {rules} rules; a rule applied in {share} of the "
                "test baskets, popular items filled the rest."
            ).format(
                split=evaluation.split[:1].upper() + evaluation.split[1:],
                n=f"{evaluation.n_train:,}",
                rules=f"{evaluation.n_rules:,}",
                share=f"{evaluation.rule_share:.0%}",
            )
        )
