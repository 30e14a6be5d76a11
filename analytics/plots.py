"""Figures: pure functions from results to plotly figures, one palette, words a marketer uses.

Text that came from a user's file (product names, dimension values, column names, segment names a
user typed) goes through ``plot_text`` before it reaches a figure: plotly reads a few HTML tags
in its text, and escaped they show as typed, never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analytics.data import QualityReport
from analytics.i18n import _, current_language
from analytics.overview import FREQ_LABELS, OverviewResult

#: Okabe–Ito colour-blind-safe palette; the same index means the same thing on every page.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # purple-pink
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
MUTED = "#B0BEC5"
#: Scatter plots draw with SVG up to this many points, with WebGL above: a browser allows a few
#: WebGL contexts per page, and software GL (no GPU) logs a warning for every one.
WEBGL_ABOVE = 5_000

#: Plotly's white template with the palette, registered once and made the default: a figure takes
#: it as it is created, unvalidated. Setting ``template="plotly_white"`` on each figure instead
#: validated and deep-copied the whole template every time, a third of a warm Segments rerun.
TEMPLATE = "marketlens"
if TEMPLATE not in pio.templates:
    _template = go.layout.Template(pio.templates["plotly_white"])
    _template.layout.colorway = list(PALETTE)
    pio.templates[TEMPLATE] = _template
pio.templates.default = TEMPLATE


def _styled(fig: go.Figure) -> go.Figure:
    """``fig`` with MarketLens' template. Streamlit makes its own template plotly's default when it
    is first imported; in a process that imports it after this module (a test run), a figure is
    created with Streamlit's: it gets ours explicitly, and ours is the default again."""
    if pio.templates.default != TEMPLATE:
        pio.templates.default = TEMPLATE
        fig.update_layout(template=TEMPLATE)
    return fig


def plot_text(text: object, *, limit: int | None = None) -> str:
    """Text from a user's file made literal for plotly, optionally cut to ``limit`` characters.

    Plotly reads a few HTML tags in text (``<b>``, ``<br>``, ``<a>``); escaped, they show as typed.
    """
    value = str(text)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=False)


#: Characters of a category label on a chart's axis (the whole text is in the hover).
LABEL_CHARS = 36


def _unique(labels: list[str]) -> list[str]:
    """Cut labels made distinct again (two names that share their first characters would be
    drawn as one bar): a repeat gets invisible zero-width spaces."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, -1) + 1
        out.append(label + "\u200b" * seen[label])
    return out


def _layout(fig: go.Figure, title: str, x: str, y: str, *, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.2},
    )
    return _styled(fig)


def sparkline_figure(
    values: Sequence[float], *, rising: bool, complete: Sequence[bool]
) -> go.Figure:
    """A KPI card's little bar chart, green when the figure rose and red when it fell, the
    incomplete last period lighter. (Streamlit's own metric sparkline logs two Vega warnings per
    card in the browser's console; this one is static and quiet.)"""
    colour = "#09AB3B" if rising else "#FF2B2B"
    fig = go.Figure(
        go.Bar(
            y=list(values),
            marker_color=[colour if whole else MUTED for whole in complete],
            marker_line_width=0,
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        height=64,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        bargap=0.15,
        showlegend=False,
        xaxis={"visible": False, "fixedrange": True},
        yaxis={"visible": False, "fixedrange": True},
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def trend_figure(result: OverviewResult, metric: str = "revenue") -> go.Figure:
    """Revenue (or orders, customers) per period; incomplete periods drawn lighter."""
    trend = result.trend
    unit = FREQ_LABELS[result.freq]
    label = {"revenue": _("Revenue"), "orders": _("Orders"), "customers": _("Customers")}[metric]
    colors = [PALETTE[0] if complete else MUTED for complete in trend["complete"]]
    fig = go.Figure(
        go.Bar(
            x=trend["period"],
            y=trend[metric],
            marker_color=colors,
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{label}: %{{y:,.0f}}<extra></extra>",
        )
    )
    _date_ticks(fig, trend["period"], result.freq)
    return _layout(
        fig,
        _("{measure} per {step}").format(measure=label, step=_(unit)),
        _STARTING[result.freq](),
        label,
    )


#: Tick labels of a trend's date axis, and one step of it, per step name.
_TICK_FORMATS = {"D": "%d %b %Y", "W": "%d %b %Y", "M": "%b %Y", "Q": "%b %Y"}
_TICK_FORMATS_ZH = {
    "D": "%Y年%-m月%-d日",
    "W": "%Y年%-m月%-d日",
    "M": "%Y年%-m月",
    "Q": "%Y年%-m月",
}
#: A trend's date axis title per step (a function: translated when drawn).
_STARTING = {
    "D": lambda: _("Day starting"),
    "W": lambda: _("Week starting"),
    "M": lambda: _("Month starting"),
    "Q": lambda: _("Quarter starting"),
}
_STEPS = {
    "D": pd.DateOffset(days=1),
    "W": pd.DateOffset(weeks=1),
    "M": pd.DateOffset(months=1),
    "Q": pd.DateOffset(months=3),
}


def _date_ticks(fig: go.Figure, periods: pd.Series, freq: str) -> None:
    """Dates as days, not times: with a few bars, one tick per bar and the axis one step wider
    on each side (alone, a bar's axis ran over a millisecond, '23:59:59.9996 …')."""
    formats = _TICK_FORMATS if current_language() == "en" else _TICK_FORMATS_ZH
    fig.update_xaxes(tickformat=formats.get(freq, formats["D"]))
    if 0 < len(periods) <= 6:
        step = _STEPS.get(freq, _STEPS["D"])
        first, last = pd.Timestamp(periods.min()), pd.Timestamp(periods.max())
        before, after = first - (first - step), (last + step) - last
        fig.update_xaxes(tickvals=list(periods), range=[first - before / 2, last + after / 2])


def top_products_figure(result: OverviewResult) -> go.Figure:
    """Horizontal bars of the products with the most revenue."""
    top = result.top_products.iloc[::-1]
    names = [
        f"{name} ({code})" if str(name) != str(code) else str(name)
        for code, name in zip(top["product"], top["name"], strict=True)
    ]
    # Cut to 36 characters on the axis (long names squeezed the bars), in full in the hover.
    labels = _unique([plot_text(name, limit=LABEL_CHARS) for name in names])
    fig = go.Figure(
        go.Bar(
            x=top["revenue"],
            y=labels,
            orientation="h",
            marker_color=PALETTE[0],
            customdata=np.column_stack(
                [[plot_text(name) for name in names], top["quantity"], top["orders"]]
            ),
            hovertemplate="%{customdata[0]}<br>"
            + _("Revenue")
            + ": %{x:,.0f}<br>"
            + _("Units")
            + ": %{customdata[1]:,.0f}<br>"
            + _("Orders")
            + ": %{customdata[2]:,}<extra></extra>",
        )
    )
    return _layout(
        fig,
        _("Top {n} products by revenue").format(n=len(top)),
        _("Revenue"),
        "",
        height=max(300, 28 * len(top) + 80),
    )


def top_values_figure(result: OverviewResult) -> go.Figure:
    """Revenue by the values of the chosen dimension (e.g. country)."""
    top = result.top_values
    if top is None:
        return _layout(go.Figure(), _("No dimension to show"), "", "")
    top = top.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=top["revenue"],
            y=[plot_text(v, limit=80) for v in top["value"]],
            orientation="h",
            marker_color=PALETTE[2],
            customdata=top[["orders", "revenue_share"]].to_numpy(),
            hovertemplate="%{y}<br>"
            + _("Revenue")
            + ": %{x:,.0f} (%{customdata[1]:.0%})<br>"
            + _("Orders")
            + ": %{customdata[0]:,}<extra></extra>",
        )
    )
    return _layout(
        fig,
        _("Revenue by {dimension}").format(dimension=plot_text(result.dimension)),
        _("Revenue"),
        "",
        height=max(300, 28 * len(top) + 80),
    )


def customers_figure(result: OverviewResult) -> go.Figure:
    """New and returning customers per period, stacked."""
    data = result.customers_by_period
    unit = FREQ_LABELS[result.freq]
    fig = go.Figure(
        [
            go.Bar(
                x=data["period"],
                y=data["returning"],
                name=_("Returning"),
                marker_color=PALETTE[0],
            ),
            go.Bar(
                x=data["period"],
                y=data["new"],
                name=_("New (first order ever)"),
                marker_color=PALETTE[1],
            ),
        ]
    )
    fig.update_layout(barmode="stack")
    return _layout(
        fig,
        _("New and returning customers per {step}").format(step=_(unit)),
        _STARTING[result.freq](),
        _("Customers"),
    )


def missing_values_figure(report: QualityReport) -> go.Figure:
    """Share of missing values per column."""
    columns = report.columns.sort_values("Missing %")
    fig = go.Figure(
        go.Bar(
            x=columns["Missing %"],
            y=[plot_text(c, limit=60) for c in columns["Column"]],
            orientation="h",
            marker_color=[
                PALETTE[5] if v >= 50 else PALETTE[1] if v > 0 else PALETTE[2]
                for v in columns["Missing %"]
            ],
            hovertemplate="%{y}: %{x:.1f}% " + _("missing") + "<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 100])
    return _layout(
        fig,
        _("Missing values per column"),
        _("% of rows missing"),
        "",
        height=max(260, 22 * len(columns) + 80),
    )
