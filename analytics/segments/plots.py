"""Figures for the segmentation page: RFM segments, k selection, scatter plots, profiles.

A segment's colour depends on its position (Segment 1 is always the first colour), so renaming a
segment keeps its colour, and every chart on the page agrees. Segment names (typed by users),
customer ids and column names go through ``plot_text``: they show as typed, never as markup.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.i18n import _
from analytics.plots import MUTED, PALETTE, WEBGL_ABOVE, _layout, _styled, plot_text
from analytics.segments.clustering import SegmentationResult
from analytics.segments.features import FEATURE_LABELS, RFM_FEATURES
from analytics.segments.fit import NOISE
from analytics.segments.rfm import SEGMENT_GRID, RFMResult

#: Okabe–Ito first, then Paul Tol's muted scheme: colour-blind-safe up to 17 segments.
SEGMENT_PALETTE: tuple[str, ...] = (
    *PALETTE[:6],
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#000000",
    "#DDDDDD",
)
MAX_POINTS = 20_000


def segment_colors(names: list[str]) -> dict[str, str]:
    """Colour per segment name, by position; noise is grey."""
    colors, i = {}, 0
    for name in names:
        if name == NOISE:
            colors[name] = MUTED
        else:
            colors[name] = SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)]
            i += 1
    return colors


def _number(value: float) -> str:
    """A number as a marketer reads it: 12,345 · 123.4 · 1.23."""
    if pd.isna(value):
        return "—"
    size = abs(value)
    return f"{value:,.0f}" if size >= 1000 else f"{value:,.1f}" if size >= 10 else f"{value:,.2f}"


def _label(feature: str) -> str:
    return plot_text(_(FEATURE_LABELS.get(feature, feature)), limit=60)


def rfm_segments_figure(rfm: RFMResult) -> go.Figure:
    """Share of customers and share of revenue per named RFM segment."""
    summary = rfm.summary.iloc[::-1]
    fig = go.Figure(
        [
            go.Bar(
                y=summary["segment"],
                x=summary["share"],
                orientation="h",
                name=_("Share of customers"),
                marker_color=PALETTE[0],
                customdata=summary[["customers"]].to_numpy(),
                hovertemplate="%{y}: %{customdata[0]:,} "
                + _("customers")
                + " (%{x:.1%})<extra></extra>",
            ),
            go.Bar(
                y=summary["segment"],
                x=summary["revenue_share"],
                orientation="h",
                name=_("Share of revenue"),
                marker_color=PALETTE[1],
                hovertemplate="%{y}: %{x:.1%} " + _("of revenue") + "<extra></extra>",
            ),
        ]
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickformat=".0%")
    return _layout(fig, _("RFM segments: customers and revenue"), _("Share"), "", height=460)


def rf_grid_figure(rfm: RFMResult) -> go.Figure:
    """Customers in each (recency score, frequency score) cell, labelled with the segment name."""
    grid = rfm.rf_grid
    counts = grid.to_numpy()
    rows, columns = (5, 4, 3, 2, 1), (1, 2, 3, 4, 5)
    # Each segment is named once, in the cell nearest the middle of its block; the other cells
    # show their count only (25 names in 25 small cells could not be read).
    cells: dict[str, list[tuple[int, int]]] = {}
    for i, r in enumerate(rows):
        for j, f in enumerate(columns):
            cells.setdefault(SEGMENT_GRID[(r, f)], []).append((i, j))
    labelled = {}
    for name, where in cells.items():
        mid_i = sum(i for i, _j in where) / len(where)
        mid_j = sum(j for _i, j in where) / len(where)
        labelled[min(where, key=lambda c: (c[0] - mid_i) ** 2 + (c[1] - mid_j) ** 2)] = name
    text = [
        [
            (f"<b>{_wrap(_(labelled[(i, j)]))}</b><br>" if (i, j) in labelled else "")
            + f"{counts[i, j]:,}"
            for j in range(len(columns))
        ]
        for i in range(len(rows))
    ]
    segment = [[_(SEGMENT_GRID[(r, f)]) for f in columns] for r in rows]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[f"F {f}" for f in grid.columns],
            y=[f"R {r}" for r in grid.index],
            text=text,
            customdata=segment,
            texttemplate="%{text}",
            textfont={"size": 11},
            colorscale="Blues",
            hovertemplate="%{customdata}<br>%{y}, %{x}: %{z:,} "
            + _("customers")
            + "<extra></extra>",
            colorbar={"title": {"text": _("Customers")}},
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed")  # R 5 on top: Champions sit top right
    return _layout(
        fig,
        _("Recency × frequency scores (5 = most recent / most frequent)"),
        _("Frequency score"),
        _("Recency score"),
        height=460,
    )


def _wrap(name: str, width: int = 10) -> str:
    """A segment name on two lines when it is long ("Can't Lose<br>Them")."""
    if len(name) <= width or " " not in name:
        return name
    words, first = name.split(), ""
    while words and len(first) + len(words[0]) <= width:
        first = f"{first} {words.pop(0)}".strip()
    return f"{first or words.pop(0)}<br>{' '.join(words)}".removesuffix("<br>")


def k_selection_figure(result: SegmentationResult) -> go.Figure:
    """Inertia (elbow), silhouette, Davies–Bouldin and Calinski–Harabasz for every k tried."""
    sweep = result.sweep
    if sweep is None:
        return _layout(go.Figure(), _("No k to choose: DBSCAN finds its own segments"), "", "")
    panels = [
        ("inertia", _("Inertia (elbow; lower is tighter)")),
        ("silhouette", _("Silhouette (higher is better)")),
        ("davies_bouldin", _("Davies–Bouldin (lower is better)")),
        ("calinski_harabasz", _("Calinski–Harabasz (higher is better)")),
    ]
    fig = make_subplots(
        rows=2, cols=2, subplot_titles=[title for _column, title in panels], horizontal_spacing=0.12
    )
    short = {
        "inertia": _("Inertia"),
        "silhouette": _("Silhouette"),
        "davies_bouldin": _("Davies–Bouldin"),
        "calinski_harabasz": _("Calinski–Harabasz"),
    }
    for i, (column, _title) in enumerate(panels):
        row, col = divmod(i, 2)
        fig.add_trace(
            go.Scatter(
                x=sweep["k"],
                y=sweep[column],
                mode="lines+markers",
                marker_color=PALETTE[i],
                showlegend=False,
                hovertemplate=f"k = %{{x}}: %{{y:,.3f}}<extra>{short[column]}</extra>",
            ),
            row=row + 1,
            col=col + 1,
        )
        fig.add_vline(x=result.k, line_dash="dot", line_color="#555555", row=row + 1, col=col + 1)
    fig.update_xaxes(dtick=1, title_text=_("Number of segments (k)"))
    fig.update_layout(
        height=520,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        title=_("Choosing k (dotted line: k = {k})").format(k=result.k),
    )
    return _styled(fig)


def _axis(result: SegmentationResult, name: str) -> tuple[pd.Series, str]:
    if name in result.projection.columns:
        i = int(name[2:]) - 1
        return result.projection[name], _("{name} ({share} of variance)").format(
            name=name, share=f"{result.explained[i]:.0%}"
        )
    return result.customers[name], _label(name)


def default_axes(result: SegmentationResult) -> tuple[str, str]:
    """The map's opening axes, for the page and the report alike: recency against spend for RFM;
    the first two principal components for three or more chosen columns (0/1 columns such as
    SeniorCitizen make poor axes); else the two columns."""
    if tuple(result.features) == RFM_FEATURES:
        return "recency", "monetary"
    if len(result.features) > 2 and {"PC1", "PC2"} <= set(result.projection.columns):
        return "PC1", "PC2"
    axes = [*result.features, *result.projection.columns]
    return axes[0], axes[1]


def scatter_figure(
    result: SegmentationResult,
    x: str,
    y: str,
    z: str | None = None,
    *,
    log_axes: bool = False,
    max_points: int = MAX_POINTS,
    random_state: int = 0,
) -> go.Figure:
    """Customers on two (or three) axes, coloured by segment; hover shows id and features.

    Axes are feature names or ``PC1``–``PC3``. Above ``max_points`` customers a fixed random
    sample is drawn (the title says so); above ``WEBGL_ABOVE`` points WebGL draws them. With
    ``log_axes``, feature axes whose values are all positive use a log scale (money, counts).
    """
    customers = result.customers
    rows = np.arange(len(customers))
    if len(rows) > max_points:
        rows = np.sort(
            np.random.default_rng(random_state).choice(len(rows), max_points, replace=False)
        )
    xs, x_title = _axis(result, x)
    ys, y_title = _axis(result, y)
    zs, z_title = _axis(result, z) if z else (None, "")
    hover_columns = [c for c in result.features if c in customers.columns]
    colors = segment_colors(result.segment_names)
    traces = []
    for name in result.segment_names:
        members = rows[customers["segment"].to_numpy()[rows] == name]
        custom = np.column_stack(
            [np.array([plot_text(c) for c in customers["customer_id"].to_numpy()[members]])]
            + [customers[c].to_numpy()[members] for c in hover_columns]
        )
        hover = (
            _("Customer")
            + " %{customdata[0]}<br>"
            + "<br>".join(
                f"{_label(c)}: %{{customdata[{j + 1}]:,.4~g}}" for j, c in enumerate(hover_columns)
            )
            + f"<extra>{plot_text(name, limit=40)}</extra>"
        )
        common = {
            "name": plot_text(name, limit=40),
            "customdata": custom,
            "hovertemplate": hover,
            "marker": {"color": colors[name], "size": 4 if z else 6, "opacity": 0.75},
            "mode": "markers",
        }
        if zs is not None:
            traces.append(
                go.Scatter3d(
                    x=xs.to_numpy()[members],
                    y=ys.to_numpy()[members],
                    z=zs.to_numpy()[members],
                    **common,
                )
            )
        elif len(rows) > WEBGL_ABOVE:
            traces.append(
                go.Scattergl(x=xs.to_numpy()[members], y=ys.to_numpy()[members], **common)
            )
        else:
            traces.append(go.Scatter(x=xs.to_numpy()[members], y=ys.to_numpy()[members], **common))
    fig = go.Figure(traces)
    sampled = (
        _(" (a sample of {n} of {total})").format(n=f"{len(rows):,}", total=f"{len(customers):,}")
        if len(rows) < len(customers)
        else ""
    )
    title = _("Customers by segment") + sampled
    if z:
        fig.update_layout(
            scene={"xaxis_title": x_title, "yaxis_title": y_title, "zaxis_title": z_title}
        )
        return _layout(fig, title, "", "", height=620)
    fig.update_layout(dragmode="lasso")
    if log_axes:
        if x not in result.projection.columns and (xs > 0).all():
            fig.update_xaxes(type="log", **log_ticks(xs))
        if y not in result.projection.columns and (ys > 0).all():
            fig.update_yaxes(type="log", **log_ticks(ys))
    return _layout(fig, title, x_title, y_title, height=560)


def log_ticks(values: Any) -> dict[str, list[Any]]:
    """Ticks for a log axis over ``values`` (all above zero): 1, 2 and 5 times the powers of ten
    in range, written in full ("20", "500", "2,000"), or the powers alone when those are too
    many. Plotly's own read "1 2 5 10 2 5 100": the digits between powers stand alone."""
    array = np.asarray(values, dtype=float)
    low, high = float(array.min()), float(array.max())
    powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks = [m * 10.0**p for p in powers for m in (1, 2, 5) if low / 2 <= m * 10.0**p <= high * 2]
    if len(ticks) > 10:
        ticks = [10.0**p for p in powers if low / 10 <= 10.0**p <= high * 10]
    return {"tickvals": ticks, "ticktext": [f"{t:,.0f}" if t >= 1 else f"{t:g}" for t in ticks]}


def segment_sizes_figure(result: SegmentationResult) -> go.Figure:
    """Share of customers and of revenue per segment, in segment colours."""
    profiles = result.profiles
    colors = segment_colors(result.segment_names)
    fig = go.Figure(
        go.Bar(
            x=[plot_text(s, limit=40) for s in profiles["segment"]],
            y=profiles["share"],
            name=_("Share of customers"),
            marker_color=[colors[s] for s in profiles["segment"]],
            customdata=profiles[["customers"]].to_numpy(),
            hovertemplate="%{x}: %{customdata[0]:,} "
            + _("customers")
            + " (%{y:.1%})<extra></extra>",
        )
    )
    if "revenue_share" in profiles:
        fig.add_trace(
            go.Scatter(
                x=[plot_text(s, limit=40) for s in profiles["segment"]],
                y=profiles["revenue_share"],
                name=_("Share of revenue"),
                mode="markers",
                marker={"symbol": "diamond", "size": 14, "color": "#333333"},
                hovertemplate="%{x}: %{y:.1%} " + _("of revenue") + "<extra></extra>",
            )
        )
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, _("Segment sizes (bars) and share of revenue (diamonds)"), "", _("Share"))


def profile_heatmap(result: SegmentationResult) -> go.Figure:
    """Segment × feature: standardised mean (blue below average, red above), mean in the cell."""
    z = result.zscores
    means = result.profiles.set_index("segment")[[f"mean_{f}" for f in z.columns]]
    text = [[_number(means.loc[s, f"mean_{f}"]) for f in z.columns] for s in z.index]
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=[_label(str(f)) for f in z.columns],
            y=[plot_text(s, limit=40) for s in z.index],
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu",
            reversescale=True,
            zmid=0,
            colorbar={"title": _("Std. devs<br>from average")},
            hovertemplate="%{y}, %{x}: " + _("mean %{text} (%{z:+.2f} sd)") + "<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        _("Segment profiles (mean of each feature)"),
        "",
        "",
        height=max(300, 50 * len(z) + 120),
    )


def k_distance_figure(result: SegmentationResult) -> go.Figure:
    """DBSCAN: each customer's distance to its k-th neighbour, sorted; the knee suggests eps."""
    curve = result.k_distance
    if curve is None:
        return _layout(go.Figure(), _("Only DBSCAN uses a k-distance plot"), "", "")
    fig = go.Figure(
        go.Scatter(
            y=curve, mode="lines", line_color=PALETTE[0], hovertemplate="%{y:.3f}<extra></extra>"
        )
    )
    if result.eps is not None:
        fig.add_hline(
            y=result.eps,
            line_dash="dot",
            line_color=PALETTE[5],
            annotation_text=f"eps = {result.eps:.3g}",
        )
    return _layout(
        fig,
        "k-distance plot (pick eps at the knee)",
        _("Customers, sorted"),
        _("Distance to k-th neighbour (scaled units)"),
    )
