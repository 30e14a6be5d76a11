"""Charts of customers over time: the cohort heat map and the cohorts' curves, the holdout
check of the lifetime models, and the segment migration Sankey."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from analytics.i18n import _, current_language
from analytics.i18n import day as i18n_day
from analytics.lifetime.clv import HoldoutCheck
from analytics.lifetime.cohorts import MEASURES, Cohorts
from analytics.lifetime.migration import Migration, Weight
from analytics.plots import MUTED, PALETTE, _layout
from analytics.segments import SEGMENTS, segment_colors


def cohort_heatmap(cohorts: Cohorts) -> go.Figure:
    """One row per cohort, one column per period since its first purchase; a cell the data
    covers only in part is grey, with its value in the hover."""
    table = cohorts.table
    share = cohorts.measure != "cumulative"
    whole = table.where(~cohorts.partial).to_numpy()
    partial = table.where(cohorts.partial).to_numpy()
    labels = [_month(c) for c in table.index]
    unit = "%{z:.0%}" if share else "%{z:,.0f}"
    text = np.where(
        np.isnan(whole), "", np.vectorize(lambda v: f"{v:.0%}" if share else f"{v:,.0f}")(whole)
    )
    fig = go.Figure(
        [
            go.Heatmap(
                z=whole,
                x=list(table.columns),
                y=labels,
                text=text,
                texttemplate="%{text}",
                textfont={"size": 10},
                colorscale="Blues",
                colorbar={"title": {"text": _("Share") if share else _("Per customer")}},
                hovertemplate=_("%{y} cohort, period %{x}") + f": {unit}<extra></extra>",
                xgap=1,
                ygap=1,
            ),
            go.Heatmap(
                z=np.where(np.isnan(partial), np.nan, 0.0),
                customdata=partial,
                x=list(table.columns),
                y=labels,
                colorscale=[[0, MUTED], [1, MUTED]],
                showscale=False,
                hovertemplate=_(
                    "%{y} cohort, period %{x}: %{customdata:.2f} so far (the data ends part way "
                    "through this period)"
                )
                + "<extra></extra>",
                xgap=1,
                ygap=1,
            ),
        ]
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        _("{measure}, by cohort (grey: period not over yet)").format(
            measure=_(MEASURES[cohorts.measure])
        ),
        _since(cohorts.period),
        _("Cohort (first purchase)"),
        height=max(320, 26 * len(table) + 120),
    )


def cohort_curves(cohorts: Cohorts, *, last: int = 8) -> go.Figure:
    """The last ``last`` cohorts' curves, and the size-weighted curve of all cohorts in bold."""
    fig = go.Figure()
    table = cohorts.table.where(~cohorts.partial)
    for i, (cohort, row) in enumerate(table.tail(last).iterrows()):
        fig.add_trace(
            go.Scatter(
                x=list(row.index),
                y=row.to_numpy(),
                mode="lines",
                name=_month(cohort),
                line={"width": 1, "color": PALETTE[i % len(PALETTE)]},
                opacity=0.6,
            )
        )
    curve = cohorts.curve()
    fig.add_trace(
        go.Scatter(
            x=list(curve.index),
            y=curve.to_numpy(),
            mode="lines+markers",
            name=_("All cohorts"),
            line={"width": 3, "color": "#1f2933"},
        )
    )
    if cohorts.measure != "cumulative":
        fig.update_yaxes(tickformat=".0%")
    return _layout(
        fig,
        _("{measure}: cohort curves").format(measure=_(MEASURES[cohorts.measure])),
        _since(cohorts.period),
        "",
    )


def _month(stamp: Any) -> str:
    """A cohort's month as a label: ``Jan 2024``, 2024年1月."""
    return f"{stamp:%b %Y}" if current_language() == "en" else f"{stamp.year}年{stamp.month}月"


def _since(period: str) -> str:
    return (
        _("Months since the first purchase")
        if period == "M"
        else _("Quarters since the first purchase")
    )


def holdout_figure(check: HoldoutCheck) -> go.Figure:
    """The standard calibration-vs-holdout plot: per number of repeat purchases in the
    calibration period, the mean purchases customers made afterwards and the model's
    expectation."""
    groups = check.groups
    x = [str(g) for g in groups.index]
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=groups["actual"],
                mode="lines+markers",
                name=_("Actual"),
                line={"color": "#1f2933", "width": 3},
                customdata=groups["customers"],
                hovertemplate=_(
                    "%{x} earlier purchases (%{customdata:,} customers): %{y:.2f} actual"
                )
                + "<extra></extra>",
            ),
            go.Scatter(
                x=x,
                y=groups["predicted"],
                mode="lines+markers",
                name=_("Predicted (BG/NBD)"),
                line={"color": PALETTE[1], "width": 2, "dash": "dash"},
                hovertemplate=_("%{x} earlier purchases: %{y:.2f} predicted") + "<extra></extra>",
            ),
        ]
    )
    return _layout(
        fig,
        _("Predicted vs actual purchases in the {weeks} weeks after {day}").format(
            weeks=f"{check.weeks:.0f}", day=i18n_day(check.calibration_end)
        ),
        _("Repeat purchases before (calibration period)"),
        _("Purchases after, per customer"),
    )


def migration_sankey(migration: Migration, weight: Weight = "customers") -> go.Figure:
    """Segments at the earlier date (left) flowing into segments at the later date (right),
    each band as wide as its customers (or their revenue)."""
    table = migration.matrix(weight)
    cells = table.to_numpy(float)
    colors = segment_colors(list(SEGMENTS))
    left = list(table.index)
    right = list(table.columns)
    labels = [_(name) for name in (*left, *right)]
    node_colors = [colors.get(name, MUTED) for name in (*left, *right)]
    sources, targets, values, link_colors = [], [], [], []
    for i, source in enumerate(left):
        for j in range(len(right)):
            value = float(cells[i, j])
            if value > 0:
                sources.append(i)
                targets.append(len(left) + j)
                values.append(value)
                link_colors.append(_faded(colors.get(source, MUTED)))
    unit = _("customers") if weight == "customers" else _("spent")
    number = "%{value:,.0f}"
    fig = go.Figure(
        go.Sankey(
            # Fixed places, best segment at the top on both sides (plotly would otherwise
            # reorder the nodes to cross fewer bands, and the two sides would not line up).
            arrangement="fixed",
            node={
                "label": labels,
                "x": [0.001] * len(left) + [0.999] * len(right),
                "y": [*_centres(cells.sum(axis=1)), *_centres(cells.sum(axis=0))],
                "color": node_colors,
                "pad": 12,
                "thickness": 14,
                "hovertemplate": f"%{{label}}: {number} {unit}<extra></extra>",
            },
            link={
                "source": sources,
                "target": targets,
                "value": values,
                "color": link_colors,
                "hovertemplate": (
                    f"%{{source.label}} → %{{target.label}}: {number} {unit}<extra></extra>"
                ),
            },
        )
    )
    what = (
        _("customers")
        if weight == "customers"
        else _("revenue (what they spent up to the later date)")
    )
    fig = _layout(
        fig,
        _("Segments on {before} (left) and {after} (right), by {what}").format(
            before=i18n_day(migration.before), after=i18n_day(migration.after), what=what
        ),
        "",
        "",
        height=max(420, 34 * max(len(left), len(right)) + 120),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _centres(sizes: np.ndarray, gap: float = 0.02) -> list[float]:
    """Vertical centres (0 top, 1 bottom) of nodes stacked in order, as tall as their sizes,
    with a small gap between them."""
    total = float(sizes.sum()) or 1.0
    room = max(1.0 - gap * (len(sizes) - 1), 0.5)
    centres, top = [], 0.0
    for size in sizes:
        height = room * float(size) / total
        centres.append(min(max(top + height / 2, 0.001), 0.999))
        top += height + gap
    return centres


def _faded(color: str, alpha: float = 0.35) -> str:
    """A hex colour as a translucent rgba, for Sankey bands."""
    text = color.lstrip("#")
    if len(text) != 6:
        return f"rgba(150, 150, 150, {alpha})"
    red, green, blue = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red}, {green}, {blue}, {alpha})"
