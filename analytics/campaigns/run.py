"""The Campaigns page's settings and every part of it in one call, for the report, the command
line and saved workspaces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from analytics.campaigns.experiment import (
    Design,
    Effects,
    RatioCheck,
    arm_effects,
    balance_table,
    detect_design,
    outcome_kind,
    ratio_check,
)
from analytics.campaigns.uplift import APPROACHES, LEARNERS, UpliftResult, fit_uplift
from analytics.errors import AnalyticsError
from analytics.params import Constraint, Params


@dataclass(frozen=True)
class CampaignParams(Params):
    """What the Campaigns page takes (stages ``design``, ``uplift`` and ``targeting``); a
    missing group, control or outcome is detected."""

    group: str | None = None
    control: str | None = None
    outcomes: tuple[str, ...] = ()
    arm: str | None = None
    uplift_outcome: str | None = None
    approach: str = "two_model"
    learner: str = "logreg"
    folds: int = 5
    cost: float = 0.0
    value: float = 0.0

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "group": Constraint("column", "the column of groups", "design", optional=True),
        "control": Constraint("text", "the control group", "design", optional=True),
        "outcomes": Constraint("texts", "outcome columns", "design"),
        "arm": Constraint("text", "uplift: the treated group", "uplift", optional=True),
        "uplift_outcome": Constraint(
            "column", "uplift: the outcome to model", "uplift", optional=True
        ),
        "approach": Constraint("choice", "uplift approach", "uplift", choices=tuple(APPROACHES)),
        "learner": Constraint("choice", "uplift learner", "uplift", choices=tuple(LEARNERS)),
        "folds": Constraint("count", "cross-fitting folds", "uplift", low=2, high=10),
        "cost": Constraint("number", "cost per contact", "targeting", low=0.0),
        "value": Constraint("number", "value per extra outcome", "targeting", low=0.0),
    }


@dataclass(frozen=True)
class CampaignResult:
    """Every part of the page: the design used, the effects, the sample-ratio check, the balance
    table and (when asked and possible) the uplift model; ``problems`` says why a part is
    missing."""

    design: Design
    effects: Effects
    ratio: RatioCheck
    balance: pd.DataFrame
    uplift: UpliftResult | None = None
    problems: dict[str, str] = field(default_factory=dict)


def resolve_design(frame: pd.DataFrame, params: CampaignParams) -> Design:
    """The detected design with the user's choices laid over it."""
    design = detect_design(frame, params.group)
    control = params.control or design.control
    if control not in design.arms:
        raise AnalyticsError(
            f"{control!r} is not a group of {design.group!r}.",
            hint=f"The groups: {', '.join(design.arms)}.",
        )
    outcomes = dict(design.outcomes)
    if params.outcomes:
        chosen = {}
        for name in params.outcomes:
            if name not in frame.columns:
                raise AnalyticsError(f"There is no column {name!r}.")
            kind = outcomes.get(name) or outcome_kind(frame[name])
            if kind is None:
                raise AnalyticsError(f"{name!r} is not a numeric outcome column.")
            chosen[name] = kind
        outcomes = chosen
    # Outcomes (chosen or not) happened after the send: never inputs to the balance table or
    # the uplift models, which must see only what was known before it.
    covariates = tuple(c for c in design.covariates if c not in outcomes)
    return Design(
        design.group,
        control,
        design.arms,
        outcomes,
        covariates,
        design.control_named or params.control is not None,
    )


def run_campaign(
    frame: pd.DataFrame, params: CampaignParams | None = None, *, uplift: bool = True
) -> CampaignResult:
    """Effects, the sample-ratio check, the balance table and the uplift of ``params.arm``
    (default: the arm with the largest effect on the first rate outcome) on
    ``params.uplift_outcome`` (default: the first 0/1 outcome)."""
    params = params or CampaignParams()
    design = resolve_design(frame, params)
    if not design.outcomes:
        raise AnalyticsError(
            "No outcome column found (a 0/1 column such as visit or conversion, or an amount "
            "such as spend).",
            hint="Choose the outcome columns.",
        )
    effects = arm_effects(frame, design.group, design.control, design.outcomes)
    ratio = ratio_check(effects.sizes)
    balance = balance_table(frame, design.group, design.control, design.covariates)
    problems: dict[str, str] = {}
    model = None
    if uplift:
        try:
            outcome = params.uplift_outcome or next(
                (o for o, kind in design.outcomes.items() if kind == "rate"),
                next(iter(design.outcomes)),
            )
            arm = params.arm or best_arm(effects, outcome)
            model = fit_uplift(
                frame,
                design.group,
                design.control,
                arm,
                outcome,
                design.covariates,
                approach=params.approach,
                learner=params.learner,
                folds=params.folds,
            )
        except AnalyticsError as exc:
            problems["uplift"] = str(exc)
    return CampaignResult(design, effects, ratio, balance, model, problems)


def best_arm(effects: Effects, outcome: str) -> str:
    """The treated group with the largest effect on ``outcome``."""
    rows = effects.table.loc[effects.table["outcome"] == outcome]
    if rows.empty:
        raise AnalyticsError(f"{outcome!r} is not one of the outcomes measured.")
    return str(rows.sort_values("difference", ascending=False)["arm"].iloc[0])
