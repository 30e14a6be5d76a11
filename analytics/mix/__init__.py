"""Marketing mix: each channel's contribution to sales with carry-over and diminishing returns,
its return, and the budget split that sells most (``model``: the data checks, the fit and the
bootstrap; ``planner``: the budget split)."""

from analytics.mix.detect import MixRoles, detect_roles
from analytics.mix.model import (
    MIX_COLUMNS,
    MixData,
    MixResult,
    adstock,
    fit_mix,
    half_life,
    hill,
    mix_data,
    periods_needed,
)
from analytics.mix.planner import BudgetPlan, plan_budget, plan_words
from analytics.mix.plots import contribution_figure, plan_figure, response_figure, shares_figure
from analytics.mix.run import MixParams, channel_bounds, run_mix
from analytics.mix.weekly import weekly_table

__all__ = [
    "MIX_COLUMNS",
    "BudgetPlan",
    "MixData",
    "MixParams",
    "MixResult",
    "MixRoles",
    "adstock",
    "channel_bounds",
    "contribution_figure",
    "detect_roles",
    "fit_mix",
    "half_life",
    "hill",
    "mix_data",
    "periods_needed",
    "plan_budget",
    "plan_figure",
    "plan_words",
    "response_figure",
    "run_mix",
    "shares_figure",
    "weekly_table",
]
