"""Charts of a campaign: each arm's effect with its interval, the Qini curve against random
targeting, observed and predicted uplift by decile, and the profit of targeting each share."""

from __future__ import annotations

import plotly.graph_objects as go

from analytics.campaigns.experiment import Effects
from analytics.campaigns.uplift import UpliftResult
from analytics.i18n import _
from analytics.plots import MUTED, PALETTE, _layout, plot_text


def effects_figure(effects: Effects, outcome: str) -> go.Figure:
    """Each treated arm's difference from the control on one outcome, with its 95% interval
    (points for a rate)."""
    rows = effects.table.loc[effects.table["outcome"] == outcome]
    rate = bool((rows["kind"] == "rate").all())
    scale = 100.0 if rate else 1.0
    fig = go.Figure(
        go.Bar(
            x=[plot_text(a) for a in rows["arm"]],
            y=rows["difference"] * scale,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (rows["high"] - rows["difference"]) * scale,
                "arrayminus": (rows["difference"] - rows["low"]) * scale,
            },
            marker_color=[PALETTE[0] if d >= 0 else PALETTE[5] for d in rows["difference"]],
            hovertemplate="%{x}: %{y:+.2f}"
            + (" " + _("points") if rate else "")
            + "<extra></extra>",
        )
    )
    fig.add_hline(y=0, line_color=MUTED)
    unit = _("points") if rate else _("difference in the mean")
    return _layout(
        fig,
        _("{outcome}: each group against {control} (95% interval)").format(
            outcome=plot_text(outcome), control=plot_text(effects.control)
        ),
        "",
        _("Change ({unit})").format(unit=unit),
    )


def qini_figure(result: UpliftResult) -> go.Figure:
    """The Qini curve: extra responders per 100 customers when treating the top share by
    predicted uplift, against treating a random share."""
    curve = result.curve()
    fig = go.Figure(
        [
            go.Scatter(
                x=curve["share"],
                y=curve["model"] * 100,
                mode="lines",
                name=_("By predicted uplift"),
                line={"color": PALETTE[0], "width": 3},
                hovertemplate=_("Top %{x:.0%}: %{y:.2f} extra per 100 customers")
                + "<extra></extra>",
            ),
            go.Scatter(
                x=curve["share"],
                y=curve["random"] * 100,
                mode="lines",
                name=_("Random targeting"),
                line={"color": MUTED, "dash": "dash"},
                hovertemplate=_("Random %{x:.0%}: %{y:.2f} extra per 100") + "<extra></extra>",
            ),
        ]
    )
    fig.update_xaxes(tickformat=".0%")
    return _layout(
        fig,
        _("Qini curve (coefficient {qini})").format(qini=f"{result.qini:.3f}"),
        _("Share of customers treated, best predicted uplift first"),
        _("Extra {outcome} per 100 customers").format(outcome=plot_text(result.outcome)),
    )


def deciles_figure(result: UpliftResult) -> go.Figure:
    """Observed uplift (treated minus control) in each tenth by predicted uplift, with the
    predicted mean beside it and the average effect as the random-targeting line."""
    table = result.deciles()
    scale = 100.0 if result.binary else 1.0
    fig = go.Figure(
        [
            go.Bar(
                x=table["decile"],
                y=table["observed"] * scale,
                name=_("Observed in the test"),
                marker_color=[PALETTE[0] if v >= 0 else PALETTE[5] for v in table["observed"]],
            ),
            go.Scatter(
                x=table["decile"],
                y=table["predicted"] * scale,
                name=_("Predicted"),
                mode="lines+markers",
                line={"color": "#1f2933"},
            ),
        ]
    )
    fig.add_hline(
        y=result.average_effect * scale,
        line_dash="dash",
        line_color=MUTED,
        annotation_text=_("Average (random targeting)"),
    )
    fig.update_xaxes(tickmode="array", tickvals=list(range(1, 11)))
    unit = _("points") if result.binary else _("difference")
    return _layout(
        fig,
        _("Uplift by tenth of predicted uplift (1 = highest)"),
        _("Tenth"),
        _("Uplift ({unit})").format(unit=unit),
    )


def profit_figure(result: UpliftResult, cost: float, value: float) -> go.Figure:
    """Expected profit of treating each top share, the best share marked."""
    curve = result.profit_curve(cost, value)
    best = result.best_share(cost, value)
    fig = go.Figure(
        go.Scatter(
            x=curve["share"],
            y=curve["profit"],
            mode="lines",
            line={"color": PALETTE[2], "width": 3},
            hovertemplate=_("Top %{x:.0%}: %{y:,.0f}") + "<extra></extra>",
            name=_("Expected profit"),
        )
    )
    fig.add_vline(x=best["share"], line_dash="dot", line_color=MUTED)
    fig.update_xaxes(tickformat=".0%")
    return _layout(
        fig,
        _("Expected profit by share targeted (best: top {share})").format(
            share=f"{best['share']:.0%}"
        ),
        _("Share of customers treated, best predicted uplift first"),
        _("Expected profit"),
    )
