"""Figures for propensity models: ROC and precision–recall curves, confusion matrix, calibration,
decile lift and cumulative gains, feature importance; and the shallow tree as a Graphviz diagram.

Feature names come from users' files and go through ``plot_text``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve
from sklearn.tree import DecisionTreeClassifier

from analytics.display import column_label
from analytics.i18n import _
from analytics.plots import MUTED, PALETTE, _layout, plot_text
from analytics.propensity.params import MODEL_LABELS
from analytics.propensity.results import ModelScore, PropensityResult, lift_table
from analytics.propensity.targets import _as_model_input


def _name(model: str) -> str:
    return _(MODEL_LABELS[model]).split(" (")[0].split("（")[0]


def _curves(
    result: PropensityResult,
    curve: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    label: str,
    measure: Callable[[ModelScore], float],
) -> go.Figure:
    """One line per model from ``curve(y, probabilities) -> (x, y)``; the chosen model thicker."""
    fig = go.Figure()
    for number, (model, score) in enumerate(result.scores.items()):
        x, y = curve(result.data.target, score.probabilities)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=f"{_name(model)} ({label} {measure(score):.3f})",
                line={"color": PALETTE[number], "width": 3 if model == result.model else 1.5},
            )
        )
    return fig


def _roc(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ignored = roc_curve(y, p)
    return fpr, tpr


def _pr(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    precision, recall, _ignored = precision_recall_curve(y, p)
    return recall, precision


def roc_figure(result: PropensityResult) -> go.Figure:
    """ROC curve of every model (out-of-fold), with the diagonal of a random pick."""
    fig = _curves(result, _roc, "AUC", lambda score: score.roc_auc)
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dash", "color": MUTED},
            name=_("Random"),
        )
    )
    return _layout(
        fig, _("ROC curve"), _("False positive rate"), _("True positive rate"), height=380
    )


def pr_figure(result: PropensityResult) -> go.Figure:
    """Precision against recall of every model, with the base rate."""
    fig = _curves(result, _pr, "PR AUC", lambda score: score.pr_auc)
    fig.add_hline(y=result.data.positive_share, line={"dash": "dash", "color": MUTED})
    return _layout(fig, _("Precision and recall"), _("Recall"), _("Precision"), height=380)


def confusion_figure(result: PropensityResult, threshold: float) -> go.Figure:
    """Counts of right and wrong calls at the threshold (chosen model, out-of-fold)."""
    predicted = (result.chosen.probabilities >= threshold).astype(int)
    matrix = confusion_matrix(result.data.target, predicted, labels=[0, 1])
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=[_("Predicted negative"), _("Predicted positive")],
            y=[_("Actually negative"), _("Actually positive")],
            colorscale="Blues",
            text=[[f"{v:,}" for v in row] for row in matrix],
            texttemplate="%{text}",
            showscale=False,
            hovertemplate="%{y}, %{x}: %{z:,}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        _("Confusion matrix at {threshold}").format(threshold=f"{threshold:.2f}"),
        "",
        "",
        height=320,
    )


def calibration_figure(result: PropensityResult, bins: int = 10) -> go.Figure:
    """Predicted probability against the observed rate, by bins of the prediction."""
    observed, predicted = calibration_curve(
        result.data.target, result.chosen.probabilities, n_bins=bins, strategy="quantile"
    )
    fig = go.Figure(
        [
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                line={"dash": "dash", "color": MUTED},
                name=_("Perfectly calibrated"),
            ),
            go.Scatter(
                x=predicted,
                y=observed,
                mode="lines+markers",
                name=_name(result.model),
                line={"color": PALETTE[0]},
            ),
        ]
    )
    return _layout(
        fig, _("Calibration"), _("Predicted probability"), _("Observed rate"), height=360
    )


def lift_figure(result: PropensityResult) -> go.Figure:
    """Positive rate per decile of the score, as lift over the average customer."""
    table = lift_table(result.data.target, result.chosen.probabilities)
    fig = go.Figure(
        go.Bar(
            x=table["decile"],
            y=table["lift"],
            marker_color=PALETTE[0],
            customdata=np.column_stack([table["rate"], table["positives"], table["customers"]]),
            hovertemplate=_(
                "decile %{x}<br>lift %{y:.2f}<br>rate %{customdata[0]:.1%} "
                "(%{customdata[1]:,} of %{customdata[2]:,})"
            )
            + "<extra></extra>",
            name=_("Lift"),
        )
    )
    fig.add_hline(y=1.0, line={"dash": "dash", "color": MUTED})
    fig.update_xaxes(dtick=1)
    return _layout(
        fig,
        _("Decile lift"),
        _("Decile (1 = highest scores)"),
        _("Lift over average"),
        height=340,
    )


def gains_figure(result: PropensityResult) -> go.Figure:
    """Cumulative share of positives reached against the share of customers contacted."""
    table = lift_table(result.data.target, result.chosen.probabilities)
    x = np.r_[0.0, table["cumulative_customers"].to_numpy()]
    y = np.r_[0.0, table["cumulative_gain"].to_numpy()]
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=y,
                mode="lines+markers",
                name=_name(result.model),
                line={"color": PALETTE[0]},
                hovertemplate=_("top %{x:.0%} reach %{y:.0%} of positives") + "<extra></extra>",
            ),
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                line={"dash": "dash", "color": MUTED},
                name=_("Random"),
            ),
        ]
    )
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(tickformat=".0%")
    return _layout(
        fig,
        _("Cumulative gains"),
        _("Customers contacted"),
        _("Positives reached"),
        height=340,
    )


def importance_figure(table: pd.DataFrame, top: int = 15) -> go.Figure:
    """Permutation importance (drop in ROC AUC) with its spread."""
    shown = table.head(top).iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=shown["importance"],
            y=[plot_text(f, limit=40) for f in shown["feature"]],
            orientation="h",
            error_x={"type": "data", "array": shown["sd"]},
            marker_color=PALETTE[0],
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
        )
    )
    return _layout(
        fig,
        _("What drives the prediction"),
        _("Drop in ROC AUC when shuffled"),
        "",
        height=max(280, 24 * len(shown) + 90),
    )


def tree_figure(result: PropensityResult, depth: int = 3) -> go.Figure:
    """A shallow decision tree on the same inputs, drawn as boxes: each split's question, the
    share of customers that reach a box and the share of them that are positive (darker: more).

    The tree is for reading, not the model used; its splits are in the data's own units.
    """
    # The same inputs without scaling, so the splits read in the data's own units.
    prepare = clone(result.pipeline.named_steps["prepare"]).set_params(numbers__scale="passthrough")
    x = prepare.fit_transform(_as_model_input(result.data.features))
    y = np.asarray(result.data.target, dtype=float)
    tree = DecisionTreeClassifier(
        max_depth=depth,
        min_samples_leaf=max(20, result.data.n // 100),
        class_weight="balanced",
        random_state=0,
    ).fit(x, y)
    names = [str(n) for n in prepare.get_feature_names_out()]
    structure = tree.tree_
    reached = tree.decision_path(x)  # samples x nodes
    customers = np.asarray(reached.sum(axis=0)).ravel()
    positives = np.asarray(reached.T @ y).ravel()
    left, right = structure.children_left, structure.children_right
    place: dict[int, tuple[float, int]] = {}
    leaves = 0

    def walk(node: int, level: int) -> float:
        nonlocal leaves
        if left[node] < 0:
            place[node] = (float(leaves), level)
            leaves += 1
        else:
            centre = (walk(left[node], level + 1) + walk(right[node], level + 1)) / 2
            place[node] = (centre, level)
        return place[node][0]

    walk(0, 0)
    fig = go.Figure()
    for node, (cx, level) in place.items():
        for child, answer in ((left[node], _("yes")), (right[node], _("no"))):
            if child < 0:
                continue
            kx, klevel = place[child]
            fig.add_shape(
                type="line", x0=cx, y0=-level, x1=kx, y1=-klevel, line={"color": MUTED, "width": 1}
            )
            fig.add_annotation(
                x=(cx + kx) / 2,
                y=-(level + klevel) / 2,
                text=answer,
                showarrow=False,
                font={"size": 11, "color": "#555"},
                bgcolor="white",
            )
    for node in sorted(place):  # the root first
        cx, level = place[node]
        share = positives[node] / customers[node] if customers[node] else 0.0
        lines = [
            _("{share} of customers").format(share=f"{customers[node] / len(y):.0%}"),
            "<b>" + _("{share} positive").format(share=f"{share:.0%}") + "</b>",
        ]
        if left[node] >= 0:
            question = f"{plot_text(column_label(names[structure.feature[node]]), limit=28)} ≤ "
            question += f"{structure.threshold[node]:,.4g}?"
            lines.insert(0, f"<b>{question}</b>")
        fig.add_annotation(
            x=cx,
            y=-level,
            text="<br>".join(lines),
            showarrow=False,
            align="center",
            font={"size": 12, "color": "white" if share > 0.55 else "#1f2933"},
            bgcolor=sample_colorscale("Blues", [0.1 + 0.8 * share])[0],
            bordercolor="#1f4e79",
            borderwidth=1,
            borderpad=6,
        )
    fig.update_xaxes(visible=False, range=[-0.7, max(leaves, 1) - 0.3], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-depth - 0.5, 0.5], fixedrange=True)
    fig.update_layout(
        height=120 * (depth + 1),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        plot_bgcolor="white",
        showlegend=False,
    )
    return fig
