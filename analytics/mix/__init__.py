"""Marketing mix: each channel's contribution to sales with carry-over and diminishing returns,
its return, and the budget split that sells most (``model``: the data checks, the fit and the
bootstrap; ``planner``: the budget split)."""

from analytics.mix.model import (
    MixData,
    MixResult,
    adstock,
    fit_mix,
    half_life,
    hill,
    mix_data,
    periods_needed,
)
from analytics.mix.planner import BudgetPlan, plan_budget

__all__ = [
    "BudgetPlan",
    "MixData",
    "MixResult",
    "adstock",
    "fit_mix",
    "half_life",
    "hill",
    "mix_data",
    "periods_needed",
    "plan_budget",
]
