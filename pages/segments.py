"""Segments page: RFM named segments, clustering with k selection, scatter, profiles, exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial
from hashlib import blake2b

import streamlit as st

from analytics.data import to_csv_bytes
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.segments import (
    ALGORITHM_LABELS,
    ALGORITHMS,
    FEATURE_LABELS,
    RFM_FEATURES,
    SEGMENT_ACTIONS,
    SegmentParams,
    default_axes,
    k_distance_figure,
    k_selection_figure,
    numeric_columns,
    profile_heatmap,
    rf_grid_figure,
    rfm_segments_figure,
    scatter_figure,
    segment_sizes_figure,
    summarize_selection,
)
from pages._cached import cached_figure, cached_rfm, segments_result
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

SCALE_LABELS = {
    "log-standard": N_("Log of skewed columns, then standardise (default)"),
    "standard": N_("Standardise"),
    "none": N_("As is"),
}
AUTO = N_("Auto (best silhouette)")

ensure_inside_app()
st.title(_("Segments"))
dataset = current_dataset()
require_kind(dataset, ["transactions", "customers"], _("Segmentation"))
st.caption(
    _(
        "Group customers who behave alike, to treat them differently: reward the best, win back the "
        "lapsing. Transactions are segmented on RFM; a customers table on the numeric columns you pick."
    )
)

# --- RFM -------------------------------------------------------------------------------------------
analysis_date: dt.date | None = None
exclude_cancellations = True
if dataset.kind == "transactions":
    if not dataset.has("customer_id"):
        point_to_data_page(
            _(
                "Segmentation needs a customer column, and this dataset has none. Choose it under "
                "'Column roles' on the Data page."
            )
        )
    st.subheader(_("RFM: recency, frequency, monetary value"))
    last_day = (dataset.days or (dt.date.today(), dt.date.today()))[1]
    left, right = st.columns(2)
    with left:
        analysis_date = kept(
            st.date_input,
            _("Analysis date (recency counts from this day)"),
            key=f"w.seg.date.{dataset.fingerprint[:8]}",
            default=last_day + dt.timedelta(days=1),
            format="YYYY-MM-DD",
        )
    with right:
        exclude_cancellations = kept(
            st.checkbox,
            _("Leave out cancellations and returns"),
            key="w.seg.exclude",
            default=True,
            help=_("On the Data page you can also remove them for every page."),
        )
    try:
        rfm = cached_rfm(dataset, analysis_date, exclude_cancellations)
    except AnalyticsError as exc:
        show_error(exc)
        raise PageDone from None
    st.caption(
        _(
            "{n} customers as of {day}. Scores 1–5 are quintiles (5 = most recent, most orders, "
            "most spent); customers with the same value share a score."
        ).format(n=f"{len(rfm.customers):,}", day=current_display().date(rfm.analysis_date))
    )
    chart_left, chart_right = st.columns(2)
    rfm_key = (dataset.fingerprint, analysis_date, bool(exclude_cancellations))
    chart_left.plotly_chart(
        cached_figure(rfm_segments_figure, rfm_key, rfm), key="rfm_segments_chart"
    )
    chart_right.plotly_chart(cached_figure(rf_grid_figure, rfm_key, rfm), key="rf_grid_chart")
    with st.expander(_("RFM segments: sizes, medians and what to do")):
        summary = rfm.summary
        table(summary)
        st.caption(
            _(
                "Segments by R and F score: Champions R5 F4–5 · Loyal R3–4 F4–5 · Potential Loyalist "
                "R4–5 F2–3 · New Customers R5 F1 · Promising R4 F1 · Need Attention R3 F3 · About to "
                "Sleep R3 F1–2 · At Risk R1–2 F3–4 · Can't Lose Them R1–2 F5 · Hibernating R2 F1–2, R1 F2 · Lost R1 F1."
            )
        )

# --- clustering ------------------------------------------------------------------------------------
st.subheader(_("Clustering"))
features: tuple[str, ...] = ()  # RFM
if dataset.kind == "transactions":
    st.caption(_("Clustering on recency, frequency and monetary value."))
else:
    options = numeric_columns(dataset)
    if len(options) < 2:
        st.warning(
            _(
                "Clustering needs at least two numeric columns, and this table has {n}{names}. "
                "Load a table with more numeric attributes (age, income, spend, visits …)."
            ).format(n=len(options), names=f" ({md(', '.join(options))})" if options else ""),
            icon=":material/warning:",
        )
        raise PageDone
    chosen_columns = kept(
        st.multiselect,
        _("Columns to segment on"),
        options,
        key=f"w.seg.columns.{dataset.fingerprint[:8]}",
        default=options,
    )
    features = tuple(chosen_columns)

controls = st.columns(4)
with controls[0]:
    algorithm = kept(
        st.selectbox,
        _("Algorithm"),
        ALGORITHMS,
        key="w.seg.algorithm",
        default="kmeans",
        format_func=shown_as(ALGORITHM_LABELS),
    )
with controls[1]:
    scale = kept(
        st.selectbox,
        _("Scaling"),
        list(SCALE_LABELS),
        key="w.seg.scale",
        default="log-standard",
        format_func=shown_as(SCALE_LABELS),
    )
eps: float | None = None
min_samples: int | None = None
k: int | None = None
with controls[2]:
    if algorithm == "dbscan":
        auto_eps = kept(
            st.checkbox,
            _("Radius (eps) from the k-distance knee"),
            key="w.seg.auto_eps",
            default=True,
        )
        if not auto_eps:
            eps = kept(
                st.number_input,
                _("eps"),
                key="w.seg.eps",
                default=0.5,
                min_value=0.01,
                max_value=10.0,
                step=0.05,
            )
    else:
        k_choice = kept(
            st.selectbox,
            _("Number of segments (k)"),
            [AUTO, *range(2, 11)],
            key="w.seg.k",
            default=AUTO,
            format_func=shown_as({AUTO: AUTO, **{n: str(n) for n in range(2, 11)}}),
        )
        k = None if k_choice == AUTO else int(k_choice)
with controls[3]:
    if algorithm == "dbscan":
        min_samples = kept(
            st.number_input,
            _("Minimum neighbours"),
            key="w.seg.min_samples",
            default=6,
            min_value=2,
            max_value=100,
        )

if dataset.kind != "transactions" and len(features) < 2:
    st.info(_("Pick at least two columns to segment on."), icon=":material/info:")
    raise PageDone
try:
    params = SegmentParams(
        features=features,
        analysis_date=analysis_date,
        exclude_cancellations=bool(exclude_cancellations),
        algorithm=algorithm,
        scale=scale,
        k=k,
        eps=None if eps is None else float(eps),
        min_samples=None if min_samples is None else int(min_samples),
    )
    result = segments_result(dataset, params)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

signature = blake2b(
    repr((dataset.fingerprint, features, algorithm, scale, result.k)).encode(), digest_size=6
).hexdigest()
with st.expander(_("Segment names: suggested from their profiles, yours to change")):
    cells = st.columns(min(4, len(result.segment_names)))
    names = {}
    for i, name in enumerate(result.segment_names):
        with cells[i % len(cells)]:
            names[name] = kept(
                st.text_input,
                _("Name of {segment}").format(segment=name),
                key=f"w.seg.name.{signature}.{i}",
                default=result.suggested.get(name, name),
                help=_("Suggested from how the segment differs from everyone; type your own."),
            )
try:
    result = result.renamed(names)
except AnalyticsError as exc:
    show_error(exc)
# What the charts below are drawn from: each is built once per such result.
result_key = (dataset.fingerprint, params.only("features", "sweep", "fit"), tuple(names.items()))

metric_cells = st.columns(4)
metric_cells[0].metric(
    _("Segments"), result.k, help=_("Chosen by the best silhouette unless you pick k.")
)
for cell, (key, label, help_text) in zip(
    metric_cells[1:],
    [
        (
            "silhouette",
            _("Silhouette"),
            _(
                "−1 to 1: how much closer customers are to their own segment than to the next. "
                "Above 0.5 is clear structure."
            ),
        ),
        (
            "davies_bouldin",
            _("Davies–Bouldin"),
            _("0 and up: how much segments overlap. Lower is better."),
        ),
        (
            "calinski_harabasz",
            _("Calinski–Harabasz"),
            _("Between-segment over within-segment spread. Higher is better."),
        ),
    ],
    strict=True,
):
    value = result.metrics.get(key)
    cell.metric(label, "—" if value is None or value != value else f"{value:,.3f}", help=help_text)
for note in result.notes:
    st.caption(f":material/info: {md(note)}")

if algorithm == "dbscan":
    st.plotly_chart(cached_figure(k_distance_figure, result_key, result), key="k_distance_chart")
else:
    st.plotly_chart(cached_figure(k_selection_figure, result_key, result), key="k_selection_chart")

# --- scatter ---------------------------------------------------------------------------------------
st.subheader(_("Customers on a map"))
axes = [*result.features, *result.projection.columns]
# Labels stay the same when the segmentation changes (Streamlit keeps a choice by its label): the
# components' shares of the variance go in the help, not in the options.
axis_label = {
    **{key: _(label) for key, label in FEATURE_LABELS.items()},
    **{f"PC{i + 1}": _("Component {n}").format(n=i + 1) for i in range(9)},
}
variance = _(", ").join(
    _("{share} by component {n}").format(share=f"{v:.0%}", n=i + 1)
    for i, v in enumerate(result.explained)
)
axis_help = (
    _(
        "Components are the principal components of the columns segmented on: {variance} of the "
        "variance is explained."
    ).format(variance=variance)
    if variance
    else None
)
axis_cells = st.columns([2, 2, 1, 1, 2])
default_x, default_y = default_axes(result)
with axis_cells[0]:
    x_axis = kept(
        st.selectbox,
        _("Horizontal axis"),
        axes,
        key="w.seg.x",
        default=default_x,
        format_func=lambda a: axis_label.get(a, a),
        help=axis_help,
    )
with axis_cells[1]:
    y_axis = kept(
        st.selectbox,
        _("Vertical axis"),
        axes,
        key="w.seg.y",
        default=default_y,
        format_func=lambda a: axis_label.get(a, a),
        help=axis_help,
    )
with axis_cells[2]:
    log_axes = kept(
        st.toggle,
        _("Log axes"),
        key="w.seg.log",
        default=True,
        help=_("Log scale for axes of positive values, such as revenue and orders."),
    )
with axis_cells[3]:
    three_d = kept(st.toggle, _("3-D"), key="w.seg.3d", default=False)
z_axis = None
if three_d:
    with axis_cells[4]:
        z_axis = kept(
            st.selectbox,
            _("Depth axis"),
            axes,
            key="w.seg.z",
            # Depth: the first axis not already drawn (it once repeated the vertical one).
            default=next((a for a in axes if a not in (x_axis, y_axis)), axes[0]),
            format_func=lambda a: axis_label.get(a, a),
            help=axis_help,
        )
remember(
    "segments",
    replace(params, names=tuple(names.items()), x=x_axis, y=y_axis, log_axes=bool(log_axes)),
)
figure = cached_figure(
    scatter_figure,
    (result_key, x_axis, y_axis, z_axis, bool(log_axes)),
    result,
    x_axis,
    y_axis,
    z_axis,
    log_axes=log_axes,
)
if three_d:
    st.plotly_chart(figure, key="segment_scatter_3d")
    st.caption(_("Rotate with the mouse. Switch 3-D off to select customers with a box or lasso."))
else:
    event = st.plotly_chart(
        figure, key="segment_scatter", on_select="rerun", selection_mode=("box", "lasso")
    )
    points = event.selection.points if event and event.selection else []
    ids = [p["customdata"][0] for p in points if p.get("customdata")]
    if ids:
        picked = summarize_selection(result, ids)
        st.markdown(
            _("**{n} customers selected** ({share} of all).").format(
                n=f"{picked.count:,}", share=f"{picked.share:.1%}"
            )
        )
        sel_left, sel_right = st.columns(2)
        sel_left.dataframe(picked.by_segment, hide_index=True)
        sel_right.dataframe(picked.comparison, hide_index=True)
        st.download_button(
            _("Download the selected customers (CSV)"),
            data=partial(to_csv_bytes, picked.customers),
            file_name="selected_customers.csv",
            mime="text/csv",
            on_click="ignore",
            icon=":material/download:",
        )
    else:
        st.caption(
            _("Draw a box or a lasso on the chart to see and download exactly those customers.")
        )

# --- profiles --------------------------------------------------------------------------------------
st.subheader(_("Segment profiles"))
for name in result.segment_names:
    st.markdown(f"**{md(name)}** — {md(result.descriptions[name])}")
profile_left, profile_right = st.columns(2)
profile_left.plotly_chart(
    cached_figure(segment_sizes_figure, result_key, result), key="segment_sizes_chart"
)
profile_right.plotly_chart(
    cached_figure(profile_heatmap, result_key, result), key="profile_heatmap"
)
with st.expander(_("Profile table")):
    table(result.profiles)
if not features and "rfm_segment" in result.customers:  # clustered on RFM
    with st.expander(_("How clusters relate to the named RFM segments")):
        crosstab = result.customers.groupby(["segment", "rfm_segment"]).size().unstack(fill_value=0)
        crosstab.columns = [_(c) for c in crosstab.columns]
        table(crosstab.rename_axis(_("Segment")).rename_axis(columns=None), hide_index=False)
        st.caption(" · ".join(f"**{md(_(k))}**: {md(_(v))}" for k, v in SEGMENT_ACTIONS.items()))

# --- exports ---------------------------------------------------------------------------------------
st.subheader(_("Export for your CRM"))
export = result.export_table()
st.caption(
    (
        _("{n} customers with their segment, RFM values, scores and named RFM segment.")
        if set(RFM_FEATURES) <= set(export.columns)
        else _("{n} customers with their segment and features.")
    ).format(n=f"{len(export):,}")
    + " "
    + _("Cells that a spreadsheet would run as a formula are made safe.")
)
download_buttons(export, _("Customer segments"), "customer_segments", sheet_name="segments")
