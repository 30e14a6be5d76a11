"""Charts of a marketing mix: contribution over time, each channel's share with its interval,
the response curves with today's spend marked, and the budget split."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analytics.i18n import _
from analytics.mix.model import MixResult
from analytics.mix.planner import BudgetPlan
from analytics.plots import MUTED, PALETTE, _layout, plot_text


def contribution_figure(result: MixResult) -> go.Figure:
    """Stacked areas: the base, then what each channel added, period by period."""
    table = result.contributions()
    fig = go.Figure()
    for i, column in enumerate(table.columns):
        fig.add_trace(
            go.Scatter(
                x=table.index,
                y=table[column],
                name=_("Base (trend, season, controls)") if column == "base" else plot_text(column),
                mode="lines",
                stackgroup="one",
                line={"width": 0.5, "color": MUTED if column == "base" else PALETTE[i % 8]},
                hovertemplate="%{x|%d %b %Y}: %{y:,.0f}<extra>%{fullData.name}</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=result.data.dates,
            y=result.data.y,
            name=_("Actual"),
            mode="lines",
            line={"color": "#1f2933", "width": 1.5},
        )
    )
    return _layout(
        fig,
        _("What made {outcome}, period by period").format(outcome=plot_text(result.data.outcome)),
        "",
        _("Outcome"),
    )


def shares_figure(result: MixResult) -> go.Figure:
    """Each channel's share of what the channels added, with its 95% bootstrap interval."""
    summary = result.summary()
    fig = go.Figure(
        go.Bar(
            x=[plot_text(c) for c in summary["channel"]],
            y=summary["share"] * 100,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (summary["share_high"] - summary["share"]) * 100,
                "arrayminus": (summary["share"] - summary["share_low"]) * 100,
            },
            marker_color=[PALETTE[(i + 1) % 8] for i in range(len(summary))],
            hovertemplate="%{x}: %{y:.1f}%<extra></extra>",
        )
    )
    return _layout(
        fig,
        _("Share of what the channels added (95% interval)"),
        "",
        _("Share of contribution (%)"),
    )


def response_figure(result: MixResult) -> go.Figure:
    """Outcome per period against a steady spend per period, for each channel; the recent
    spend marked."""
    fig = go.Figure()
    recent = result.recent_spend()
    for i, channel in enumerate(result.data.channels):
        spend = np.linspace(0, 2.0 * result.scale[i], 60)
        color = PALETTE[(i + 1) % 8]
        fig.add_trace(
            go.Scatter(
                x=spend,
                y=result.response(i, spend),
                mode="lines",
                name=plot_text(channel),
                line={"color": color},
                hovertemplate=_("Spend %{x:,.0f}: %{y:,.0f}") + "<extra>%{fullData.name}</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[recent[i]],
                y=result.response(i, recent[i]).ravel(),
                mode="markers",
                marker={"color": color, "size": 10, "symbol": "diamond"},
                name=_("{channel}: recent spend").format(channel=plot_text(channel)),
                showlegend=False,
                hovertemplate=_("Recent spend %{x:,.0f}: %{y:,.0f}") + "<extra></extra>",
            )
        )
    return _layout(
        fig,
        _("Response curves (diamonds: the last 13 periods' spend)"),
        _("Spend per period"),
        _("Outcome per period"),
    )


def plan_figure(plan: BudgetPlan) -> go.Figure:
    """Current and planned spend per channel."""
    table = plan.table
    names = [plot_text(c) for c in table["channel"]]
    fig = go.Figure(
        [
            go.Bar(x=names, y=table["current"], name=_("Current split"), marker_color=MUTED),
            go.Bar(x=names, y=table["planned"], name=_("Planned split"), marker_color=PALETTE[1]),
        ]
    )
    fig.update_layout(barmode="group")
    return _layout(fig, _("Spend per period: current and planned"), "", _("Spend per period"))
