"""The budget planner: the split of a budget per period across channels that sells most under
the fitted response curves, within per-channel bounds, next to the current split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from analytics.display import Display
from analytics.errors import AnalyticsError
from analytics.i18n import _
from analytics.mix.model import MixResult


@dataclass(frozen=True)
class BudgetPlan:
    """Per channel: ``current`` and ``planned`` spend per period and the expected outcome of
    each; ``gain`` is the planned minus the current expected outcome per period, with its 95%
    interval over the bootstrap replicates."""

    table: pd.DataFrame
    budget: float
    gain: float
    gain_low: float
    gain_high: float


def plan_words(plan: BudgetPlan, display: Display | None = None) -> str:
    """The plan in a sentence: the budget, the biggest moves and the expected gain."""
    shown = display or Display()
    moves = (plan.table["planned"] - plan.table["current"]).to_numpy()
    order = np.argsort(moves)
    down, up = plan.table["channel"].iloc[order[0]], plan.table["channel"].iloc[order[-1]]
    return _(
        "With {budget} to spend per period, moving money from {down} to {up} (and the rest "
        "as in the table) is expected to add {gain} per period (95% interval {low} to {high})"
    ).format(
        budget=shown.number(plan.budget, 0),
        down=down,
        up=up,
        gain=shown.number(plan.gain, 0),
        low=shown.number(plan.gain_low, 0),
        high=shown.number(plan.gain_high, 0),
    ) + (
        _("; the interval includes zero, so the gain is not certain.")
        if plan.gain_low <= 0
        else _(".")
    )


def _total(result: MixResult, spend: np.ndarray, params=None, coefficients=None) -> float:
    return float(
        sum(result.response(i, spend[i], params, coefficients).item() for i in range(len(spend)))
    )


def plan_budget(
    result: MixResult,
    budget: float | None = None,
    *,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> BudgetPlan:
    """Split ``budget`` (per period; default: the current spend per period) across the
    channels to maximise the expected outcome, each channel within ``bounds`` (default: from
    nothing to three times its current spend)."""
    current = result.recent_spend()
    total = float(current.sum()) if budget is None else float(budget)
    if total <= 0:
        raise AnalyticsError("The budget must be above zero.")
    limits = bounds or [
        (0.0, 3.0 * max(c, s * 0.05)) for c, s in zip(current, result.scale, strict=True)
    ]
    if len(limits) != len(current):
        raise AnalyticsError("Give one lower and upper bound per channel.")
    low = np.array([lo for lo, _ in limits], float)
    high = np.array([hi for _ignored, hi in limits], float)
    if low.sum() > total or high.sum() < total:
        raise AnalyticsError(
            f"The bounds allow {low.sum():,.0f} to {high.sum():,.0f} per period, and the budget "
            f"is {total:,.0f}.",
            hint="Widen the bounds or change the budget.",
        )
    start = np.clip(current * total / max(current.sum(), 1e-12), low, high)
    if abs(start.sum() - total) > 1e-9 * total:
        start = low + (high - low) * (total - low.sum()) / max((high - low).sum(), 1e-12)
    scale = max(total, 1.0)
    found = minimize(
        lambda s: -_total(result, s * scale) / scale,
        start / scale,
        method="SLSQP",
        bounds=list(zip(low / scale, high / scale, strict=True)),
        constraints=[{"type": "eq", "fun": lambda s: s.sum() - total / scale}],
        options={"maxiter": 500, "ftol": 1e-12},
    )
    planned = np.clip(found.x * scale, low, high)
    gains = np.array(
        [
            _total(result, planned, p, c)
            - _total(result, current * total / max(current.sum(), 1e-12), p, c)
            for p, c in result.replicates
        ]
    )
    same_budget_current = current * total / max(current.sum(), 1e-12)
    gain = _total(result, planned) - _total(result, same_budget_current)
    table = pd.DataFrame(
        {
            "channel": result.data.channels,
            "current": same_budget_current,
            "planned": planned,
            "current_outcome": [
                result.response(i, same_budget_current[i]).item() for i in range(len(planned))
            ],
            "planned_outcome": [result.response(i, planned[i]).item() for i in range(len(planned))],
        }
    )
    low_gain, high_gain = np.percentile(gains, [2.5, 97.5]) if len(gains) else (gain, gain)
    return BudgetPlan(table, total, gain, float(low_gain), float(high_gain))
