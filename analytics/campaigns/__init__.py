"""Campaigns: did a test work, for whom, and whom to target next.

Modules: ``experiment`` (the design of an experiment table, each arm's effect against the
control with intervals and Holm's correction, the sample-ratio check, the balance table),
``planning`` (sample size and detectable effect for the next test), ``uplift`` (two-model and
class-transformation uplift, cross-fitted; Qini curve, deciles, targeting and profit, harmful
segments), ``run`` (the page's settings and every part in one call) and ``plots``.
"""

from analytics.campaigns.experiment import (
    BALANCE_LIMIT,
    EFFECT_COLUMNS,
    SRM_ALPHA,
    Design,
    Effects,
    RatioCheck,
    arm_effects,
    balance_table,
    check_levels,
    detect_design,
    group_candidates,
    outcome_kind,
    ratio_check,
)
from analytics.campaigns.planning import (
    Plan,
    detectable_mean,
    detectable_rate,
    sample_size_mean,
    sample_size_rate,
)
from analytics.campaigns.plots import deciles_figure, effects_figure, profit_figure, qini_figure
from analytics.campaigns.run import (
    CampaignParams,
    CampaignResult,
    best_arm,
    resolve_design,
    run_campaign,
)
from analytics.campaigns.uplift import (
    APPROACHES,
    LEARNERS,
    UpliftResult,
    features,
    fit_uplift,
    holdout_qini,
    qini_coefficient,
    qini_curve,
    segment_columns,
)

__all__ = [
    "APPROACHES",
    "BALANCE_LIMIT",
    "EFFECT_COLUMNS",
    "LEARNERS",
    "SRM_ALPHA",
    "CampaignParams",
    "CampaignResult",
    "Design",
    "Effects",
    "Plan",
    "RatioCheck",
    "UpliftResult",
    "arm_effects",
    "balance_table",
    "best_arm",
    "check_levels",
    "deciles_figure",
    "detect_design",
    "detectable_mean",
    "detectable_rate",
    "effects_figure",
    "features",
    "fit_uplift",
    "group_candidates",
    "holdout_qini",
    "outcome_kind",
    "profit_figure",
    "qini_coefficient",
    "qini_curve",
    "qini_figure",
    "ratio_check",
    "resolve_design",
    "run_campaign",
    "sample_size_mean",
    "sample_size_rate",
    "segment_columns",
]
