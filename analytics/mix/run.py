"""The Channels page's settings and its results in one call, for the report and saved
workspaces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analytics.errors import AnalyticsError
from analytics.mix.detect import detect_roles
from analytics.mix.model import MixResult, fit_mix, mix_data
from analytics.mix.planner import BudgetPlan, plan_budget
from analytics.params import Constraint, Params


@dataclass(frozen=True)
class MixParams(Params):
    """What the Channels page takes (stages ``model`` and ``plan``); missing roles are
    detected, a missing budget is the recent spend."""

    date: str | None = None
    outcome: str | None = None
    channels: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    budget: float | None = None
    most: float = 3.0
    limits: tuple[tuple[str, tuple[str, ...]], ...] = ()

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "date": Constraint("column", "the date column", "model", optional=True),
        "outcome": Constraint("column", "the sales column", "model", optional=True),
        "channels": Constraint("texts", "spend columns", "model"),
        "controls": Constraint("texts", "control columns", "model"),
        "budget": Constraint("number", "budget per period", "plan", low=0.0, optional=True),
        "most": Constraint(
            "number", "each channel at most this × its recent spend", "plan", low=1.0
        ),
        "limits": Constraint(
            "pairs", "per channel: lowest and highest spend per period", "plan", cli=False
        ),
    }


def run_mix(frame: pd.DataFrame, params: MixParams | None = None) -> tuple[MixResult, BudgetPlan]:
    """Fit the mix model with the page's roles (or the detected ones) and plan the budget."""
    params = params or MixParams()
    roles = detect_roles(frame)
    date = params.date or roles.date
    outcome = params.outcome or roles.outcome
    channels = params.channels or roles.channels
    controls = params.controls if params.channels else roles.controls
    if date is None or outcome is None or not channels:
        raise AnalyticsError(
            "No marketing-mix table found: it needs a date column, the sales outcome and one "
            "spend column per channel.",
            hint="Open the Channels page to choose the columns.",
        )
    result = fit_mix(mix_data(frame, date, outcome, channels, controls))
    return result, plan_budget(result, params.budget, bounds=channel_bounds(result, params))


def channel_bounds(result: MixResult, params: MixParams) -> list[tuple[float, float]]:
    """Each channel's lowest and highest spend per period: the page's own figures where it set
    them (``limits``), else from nothing to ``most`` times the recent spend."""
    given = {name: values for name, values in params.limits}
    bounds = []
    for name, recent, scale in zip(
        result.data.channels, result.recent_spend(), result.scale, strict=True
    ):
        if name in given and len(given[name]) == 2:
            low, high = (float(v) for v in given[name])
        else:
            low, high = 0.0, params.most * max(recent, scale * 0.05)
        if low > high:
            raise AnalyticsError(f"{name}: the lowest spend is above the highest.")
        bounds.append((low, high))
    return bounds
