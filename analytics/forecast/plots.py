"""Figures for forecasts: history with the forecast and its intervals, STL parts, residual ACF,
and the backtest per origin.

The series label can come from a user's column name, so it goes through ``plot_text``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.forecast.diagnostics import ResidualCheck
from analytics.forecast.models import MODEL_LABELS
from analytics.forecast.run import ForecastResult
from analytics.i18n import _
from analytics.plots import MUTED, PALETTE, _layout, plot_text

_BAND_80 = "rgba(0, 114, 178, 0.30)"
_BAND_95 = "rgba(0, 114, 178, 0.14)"


def _band(x: pd.Series, low: pd.Series, high: pd.Series, color: str, name: str) -> go.Scatter:
    """A filled interval: up along the upper bound, back along the lower one."""
    return go.Scatter(
        x=list(x) + list(x[::-1]),
        y=list(high) + list(low[::-1]),
        fill="toself",
        fillcolor=color,
        line={"width": 0},
        hoverinfo="skip",
        name=name,
    )


def forecast_figure(result: ForecastResult, *, show_fitted: bool = True) -> go.Figure:
    """History, fitted values, the forecast and its 80% / 95% intervals."""
    series = result.series
    history = series.values
    future = result.forecast
    label = plot_text(series.label, limit=60)
    # Counts (orders, units, customers) in whole numbers; amounts from 100 up without decimals.
    typical = float(history.abs().median()) if len(history) else 0.0
    digits = ",.0f" if result.value_kind == "count" or typical >= 100 else ",.1f"
    fig = go.Figure()
    fig.add_trace(_band(future["period"], future["lower_95"], future["upper_95"], _BAND_95, "95%"))
    fig.add_trace(_band(future["period"], future["lower_80"], future["upper_80"], _BAND_80, "80%"))
    fig.add_trace(
        go.Scatter(
            x=history.index,
            y=history.to_numpy(),
            mode="lines",
            line={"color": "#37474F", "width": 1.6},
            name=_("Actual"),
            hovertemplate="%{x|%Y-%m-%d}<br>" + _("actual") + f" %{{y:{digits}}}<extra></extra>",
        )
    )
    if series.filled.any():
        fig.add_trace(
            go.Scatter(
                x=history.index[series.filled],
                y=history.to_numpy()[series.filled],
                mode="markers",
                marker={"symbol": "x", "size": 7, "color": PALETTE[5]},
                name=_("Filled (no data)"),
                hovertemplate="%{x|%Y-%m-%d}<br>"
                + _("filled")
                + f" %{{y:{digits}}}<extra></extra>",
            )
        )
    if show_fitted and result.fitted.notna().any():
        fig.add_trace(
            go.Scatter(
                x=result.fitted.index,
                y=result.fitted.to_numpy(),
                mode="lines",
                line={"color": PALETTE[1], "width": 1.2, "dash": "dot"},
                name=_("Fitted"),
                hovertemplate="%{x|%Y-%m-%d}<br>"
                + _("fitted")
                + f" %{{y:{digits}}}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=future["period"],
            y=future["forecast"],
            mode="lines+markers",
            line={"color": PALETTE[0], "width": 2.2},
            marker={"size": 4},
            name=_("Forecast"),
            customdata=np.column_stack(
                [future[c] for c in ("lower_80", "upper_80", "lower_95", "upper_95")]
            ),
            hovertemplate=(
                "%{x|%Y-%m-%d}<br>"
                + _("forecast")
                + f" %{{y:{digits}}}<br>80%: %{{customdata[0]:{digits}}} "
                + _("to")
                + f" %{{customdata[1]:{digits}}}<br>95%: %{{customdata[2]:{digits}}} "
                + _("to")
                + f" %{{customdata[3]:{digits}}}"
                "<extra></extra>"
            ),
        )
    )
    title = _("{series}: {model} forecast").format(
        series=label, model=_(MODEL_LABELS[result.model]).split(" (")[0].split("（")[0]
    )
    starting = {
        "D": _("Day starting"),
        "W": _("Week starting"),
        "M": _("Month starting"),
        "Q": _("Quarter starting"),
    }
    return _layout(fig, title, starting[series.freq], label, height=420)


def decomposition_figure(parts: pd.DataFrame, label: str = "") -> go.Figure:
    """STL parts in four stacked panels sharing the time axis."""
    names = {
        "observed": _("Observed"),
        "trend": _("Trend"),
        "seasonal": _("Seasonal"),
        "remainder": _("Remainder"),
    }
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=list(names.values()),
    )
    for row, (column, name) in enumerate(names.items(), start=1):
        kind = go.Bar if column == "remainder" else go.Scatter
        trace = kind(
            x=parts.index,
            y=parts[column],
            name=name,
            marker_color=MUTED if column == "remainder" else None,
            hovertemplate=f"%{{x|%Y-%m-%d}}<br>{name.lower()} %{{y:,.1f}}<extra></extra>",
        )
        if kind is go.Scatter:
            trace.update(line={"color": PALETTE[0] if column != "observed" else "#37474F"})
        fig.add_trace(trace, row=row, col=1)
    _layout(
        fig,
        _("STL decomposition of {series}").format(series=plot_text(label, limit=60)).strip(),
        "",
        "",
        height=620,
    )
    fig.update_layout(showlegend=False)
    return fig


def acf_figure(check: ResidualCheck) -> go.Figure:
    """Autocorrelation of the residuals by lag, with the ±1.96/√n band of chance."""
    lags = np.arange(1, len(check.acf) + 1)
    outside = np.abs(check.acf) > check.bound
    fig = go.Figure(
        go.Bar(
            x=lags,
            y=check.acf,
            marker_color=[PALETTE[5] if o else PALETTE[0] for o in outside],
            hovertemplate=_("lag %{x}<br>autocorrelation %{y:.2f}") + "<extra></extra>",
            name="ACF",
        )
    )
    for bound in (check.bound, -check.bound):
        fig.add_hline(y=bound, line={"dash": "dash", "color": MUTED})
    _layout(
        fig,
        _("Residual autocorrelation"),
        _("Lag (periods)"),
        _("Autocorrelation"),
        height=300,
    )
    fig.update_layout(showlegend=False)
    return fig


def backtest_figure(per_origin: pd.DataFrame) -> go.Figure:
    """MASE of each model at each backtest origin (below 1: better than seasonal naive in-sample)."""
    fig = go.Figure()
    for number, (model, rows) in enumerate(per_origin.groupby("model", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=rows["origin"],
                y=rows["MASE"],
                mode="lines+markers",
                name=_(MODEL_LABELS[str(model)]).split(" (")[0].split("（")[0],
                line={"color": PALETTE[number % len(PALETTE)]},
                hovertemplate=_("origin %{x|%Y-%m-%d}<br>MASE %{y:.2f}") + "<extra></extra>",
            )
        )
    fig.add_hline(y=1.0, line={"dash": "dash", "color": MUTED})
    return _layout(fig, _("Backtest error by origin"), _("Last period fitted"), "MASE", height=320)
