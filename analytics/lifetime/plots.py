"""Charts of customers over time: the cohort heat map and the cohorts' curves."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analytics.lifetime.cohorts import MEASURES, Cohorts
from analytics.plots import MUTED, PALETTE, _layout


def cohort_heatmap(cohorts: Cohorts) -> go.Figure:
    """One row per cohort, one column per period since its first purchase; a cell the data
    covers only in part is grey, with its value in the hover."""
    table = cohorts.table
    share = cohorts.measure != "cumulative"
    whole = table.where(~cohorts.partial).to_numpy()
    partial = table.where(cohorts.partial).to_numpy()
    labels = [f"{c:%b %Y}" for c in table.index]
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
                colorbar={"title": {"text": "Share" if share else "Per customer"}},
                hovertemplate=f"%{{y}} cohort, period %{{x}}: {unit}<extra></extra>",
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
                hovertemplate=(
                    "%{y} cohort, period %{x}: %{customdata:.2f} so far (the data ends part way "
                    "through this period)<extra></extra>"
                ),
                xgap=1,
                ygap=1,
            ),
        ]
    )
    fig.update_yaxes(autorange="reversed")
    period = "Months" if cohorts.period == "M" else "Quarters"
    return _layout(
        fig,
        f"{MEASURES[cohorts.measure]}, by cohort (grey: period not over yet)",
        f"{period} since the first purchase",
        "Cohort (first purchase)",
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
                name=f"{cohort:%b %Y}",
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
            name="All cohorts",
            line={"width": 3, "color": "#1f2933"},
        )
    )
    if cohorts.measure != "cumulative":
        fig.update_yaxes(tickformat=".0%")
    period = "Months" if cohorts.period == "M" else "Quarters"
    return _layout(
        fig, f"{MEASURES[cohorts.measure]}: cohort curves", f"{period} since the first purchase", ""
    )
