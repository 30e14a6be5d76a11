"""Figures for market baskets: rule scatter, rule matrix, rule graph, top items, basket sizes.

Item names come from users' files and go through ``analytics.plots.plot_text`` first: a
product called ``<b>Mug</b>`` shows its tags as typed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.baskets.build import Baskets
from analytics.i18n import _
from analytics.plots import MUTED, PALETTE, WEBGL_ABOVE, _layout, plot_text

#: Colour scale for lift: colour-blind safe and readable in grey.
LIFT_SCALE = "Cividis"


def _side(items: tuple[str, ...], limit: int | None = None) -> str:
    return " + ".join(plot_text(i, limit=limit) for i in items)


def _hover(table: pd.DataFrame) -> list[str]:
    words = _(
        "{lhs} → {rhs}<br>support {support} ({n} baskets)<br>confidence {confidence}<br>lift {lift}"
    )
    return [
        words.format(
            lhs=_side(a),
            rhs=_side(c),
            support=f"{s:.2%}",
            n=f"{n:,}",
            confidence=f"{conf:.1%}",
            lift=f"{lift:.2f}",
        )
        for a, c, s, n, conf, lift in zip(
            table["antecedent"],
            table["consequent"],
            table["support"],
            table["count"],
            table["confidence"],
            table["lift"],
            strict=True,
        )
    ]


def rules_scatter(table: pd.DataFrame, *, limit: int = 5000) -> go.Figure:
    """Support × confidence, one point per rule, coloured by lift; the rule in the hover."""
    shown = table.nlargest(limit, "lift") if len(table) > limit else table
    title = _("Rules: support and confidence, coloured by lift")
    if len(shown) < len(table):
        title += _(" (the {n} with the highest lift)").format(n=f"{limit:,}")
    trace = go.Scattergl if len(shown) > WEBGL_ABOVE else go.Scatter
    fig = go.Figure(
        trace(
            x=shown["support"],
            y=shown["confidence"],
            mode="markers",
            marker={
                "color": shown["lift"],
                "colorscale": LIFT_SCALE,
                "colorbar": {"title": {"text": _("Lift")}},
                "size": 8,
                "opacity": 0.8,
                "line": {"width": 0},
            },
            hovertext=_hover(shown),
            hoverinfo="text",
        )
    )
    fig.update_xaxes(tickformat=".1%")
    fig.update_yaxes(tickformat=".0%")
    return _layout(
        fig, title, _("Support (share of baskets with all items)"), _("Confidence"), height=440
    )


def rules_matrix(table: pd.DataFrame, *, top: int = 25) -> go.Figure:
    """Antecedents (rows) × consequents (columns) of the strongest rules, coloured by lift."""
    if table.empty:
        return _layout(go.Figure(), _("No rules to show"), "", "")
    strongest = table.nlargest(top * 4, "lift")
    lhs = strongest.groupby(strongest["antecedent"].map(_side), sort=False)["lift"].max()
    rhs = strongest.groupby(strongest["consequent"].map(_side), sort=False)["lift"].max()
    rows = list(lhs.nlargest(top).index)
    cols = list(rhs.nlargest(top).index)
    grid = pd.DataFrame(np.nan, index=rows, columns=cols)
    text = pd.DataFrame("", index=rows, columns=cols)
    filled: set[tuple[str, str]] = set()
    for a, c, lift, conf in zip(
        strongest["antecedent"].map(_side),
        strongest["consequent"].map(_side),
        strongest["lift"],
        strongest["confidence"],
        strict=True,
    ):
        if a in grid.index and c in grid.columns and (a, c) not in filled:
            filled.add((a, c))
            grid.at[a, c] = lift
            text.at[a, c] = _("{lhs} → {rhs}<br>lift {lift}, confidence {confidence}").format(
                lhs=a, rhs=c, lift=f"{lift:.2f}", confidence=f"{conf:.1%}"
            )
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[_short(c) for c in cols],
            y=[_short(r) for r in rows],
            text=text.to_numpy(),
            hoverinfo="text",
            colorscale=LIFT_SCALE,
            colorbar={"title": {"text": _("Lift")}},
            hoverongaps=False,
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        _("Rule matrix: if these items (rows), then this item (columns)"),
        _("Then"),
        _("If"),
        height=max(380, 24 * len(rows) + 160),
    )


def _short(label: str, limit: int = 40) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…}"


def _graph_lines(
    rules: pd.DataFrame, pos: dict[str, tuple[float, float]]
) -> tuple[tuple[list[float | None], list[float | None]], tuple[list[float], list[float]]]:
    """Where each rule's dot sits (near its items, a little apart from the others) and the lines
    from its items to it, as plotly line segments separated by None."""
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    rule_x: list[float] = []
    rule_y: list[float] = []
    for n, (a, c) in enumerate(zip(rules["antecedent"], rules["consequent"], strict=True)):
        members = [pos[i] for i in (*a, *c)]
        cx, cy = np.mean(members, axis=0) * 0.8
        jitter = 0.04 * np.array([np.cos(n * 2.4), np.sin(n * 2.4)])
        x, y = float(cx + jitter[0]), float(cy + jitter[1])
        rule_x.append(x)
        rule_y.append(y)
        for i in (*a, *c):
            edge_x += [pos[i][0], x, None]
            edge_y += [pos[i][1], y, None]
    return (edge_x, edge_y), (rule_x, rule_y)


def rules_graph(table: pd.DataFrame, *, top: int = 30) -> go.Figure:
    """The strongest rules as a graph: items on a circle, each rule a dot linking its items.

    Arrows run from the 'if' items into the rule's dot and on to the 'then' item; the dot's
    size is the rule's support and its colour the lift (as in arulesViz's graph view).
    """
    rules = table.nlargest(top, "lift")
    if rules.empty:
        return _layout(go.Figure(), _("No rules to show"), "", "")
    # Items in order of first appearance: the items of a rule sit side by side on the circle.
    items = list(
        dict.fromkeys(
            i
            for a, c in zip(rules["antecedent"], rules["consequent"], strict=True)
            for i in (*a, *c)
        )
    )
    angle = 2 * np.pi * np.arange(len(items)) / max(len(items), 1)
    pos = {item: (np.cos(a), np.sin(a)) for item, a in zip(items, angle, strict=True)}
    (edge_x, edge_y), (rule_x, rule_y) = _graph_lines(rules, pos)
    support = rules["support"].to_numpy()
    size = 8 + 14 * (support - support.min()) / max(np.ptp(support), 1e-12)
    fig = go.Figure(
        [
            go.Scatter(
                x=edge_x,
                y=edge_y,
                mode="lines",
                line={"color": MUTED, "width": 1},
                hoverinfo="skip",
                showlegend=False,
            ),
            go.Scatter(
                x=rule_x,
                y=rule_y,
                mode="markers",
                marker={
                    "size": size,
                    "color": rules["lift"],
                    "colorscale": LIFT_SCALE,
                    "colorbar": {"title": {"text": _("Lift")}},
                    "line": {"width": 0},
                },
                hovertext=_hover(rules),
                hoverinfo="text",
                showlegend=False,
                name=_("Rules"),
            ),
            go.Scatter(
                x=[pos[i][0] for i in items],
                y=[pos[i][1] for i in items],
                mode="markers+text",
                text=[plot_text(i, limit=24) for i in items],
                textposition="top center",
                marker={"size": 9, "color": PALETTE[1], "symbol": "square"},
                hovertext=[plot_text(i) for i in items],
                hoverinfo="text",
                showlegend=False,
                name=_("Items"),
            ),
        ]
    )
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.25, 1.25], scaleanchor="x")
    return _layout(
        fig,
        _("The {n} rules with the highest lift: items (squares) and rules (dots)").format(
            n=len(rules)
        ),
        "",
        "",
        height=560,
    )


def top_items_figure(baskets: Baskets, *, n: int = 20) -> go.Figure:
    """The items in the most baskets."""
    top = baskets.top_items(n).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=top["support"],
            y=[plot_text(i, limit=40) for i in top["item"]],
            orientation="h",
            marker_color=PALETTE[0],
            customdata=top[["baskets"]].to_numpy(),
            hovertemplate="%{y}<br>"
            + _("In %{x:.1%} of baskets (%{customdata[0]:,})")
            + "<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=".0%")
    return _layout(
        fig,
        _("Top {n} items by share of baskets").format(n=len(top)),
        _("Share of baskets"),
        "",
        height=max(300, 24 * len(top) + 90),
    )


def basket_sizes_figure(baskets: Baskets, *, cap: int = 30) -> go.Figure:
    """How many distinct items baskets hold (the last bar gathers the largest baskets)."""
    sizes = np.minimum(baskets.sizes, cap)
    values, counts = np.unique(sizes, return_counts=True)
    labels = [f"{v}+" if v == cap and (baskets.sizes > cap).any() else str(v) for v in values]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=counts,
            marker_color=PALETTE[2],
            hovertemplate=_("%{x} items: %{y:,} baskets") + "<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    mean = float(baskets.sizes.mean()) if baskets.n_baskets else 0.0
    return _layout(
        fig,
        _("Basket sizes (mean {mean} items)").format(mean=f"{mean:.1f}"),
        _("Distinct items in the basket"),
        _("Baskets"),
    )
