"""Everything the Customers over time page shows, in one call: the report's lifetime section and
a workspace's saved settings use it.

:class:`LifetimeParams` holds the page's settings (cohort period and measure, the first-purchase
value cohorts are narrowed to, the value horizon and discount rate, the holdout's calibration end,
the migration's two dates); :func:`run_lifetime` computes every part. A part that cannot be made
on this data (no repeat buyers for the models, a history too short for a holdout) says why in
``problems`` instead of failing the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import pandas as pd

from analytics.data import Dataset
from analytics.errors import AnalyticsError
from analytics.lifetime.clv import (
    BGNBD,
    GammaGamma,
    HoldoutCheck,
    SpendCheck,
    customer_summary,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_notes,
    holdout_check,
    predict_clv,
    slipping_away,
    spend_check,
)
from analytics.lifetime.cohorts import MEASURES, Cohorts, cohort_table
from analytics.lifetime.migration import Migration, segment_migration
from analytics.params import Constraint, Params

T = TypeVar("T")


@dataclass(frozen=True)
class LifetimeParams(Params):
    """The Customers over time page's settings (stages ``cohorts``, ``value``, ``holdout`` and
    ``migration``)."""

    period: str = "M"
    measure: str = "active"
    by: str | None = None
    value: str | None = None
    horizon_weeks: int = 52
    discount: float = 0.1
    calibration_end: dt.date | None = None
    before: dt.date | None = None
    after: dt.date | None = None

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "period": Constraint(
            "choice", "cohorts by month or quarter", "cohorts", choices=("M", "Q")
        ),
        "measure": Constraint(
            "choice", "what the cohort table shows", "cohorts", choices=tuple(MEASURES)
        ),
        "by": Constraint(
            "column", "narrow cohorts by this first-purchase column", "cohorts", optional=True
        ),
        "value": Constraint("text", "with by: the value", "cohorts", optional=True),
        "horizon_weeks": Constraint("count", "weeks of predicted value", "value", low=1, high=520),
        "discount": Constraint("number", "annual discount rate", "value", low=0.0, high=0.99),
        "calibration_end": Constraint(
            "date", "holdout check: fit up to this day", "holdout", optional=True
        ),
        "before": Constraint("date", "migration: the earlier date", "migration", optional=True),
        "after": Constraint("date", "migration: the later date", "migration", optional=True),
    }


@dataclass(frozen=True)
class LifetimeResult:
    """The page's parts. A part that could not be made is ``None`` with its reason in
    ``problems`` (keyed ``cohorts``, ``value``, ``holdout``, ``migration``)."""

    params: LifetimeParams
    cohorts: Cohorts | None = None
    purchases: BGNBD | None = None
    spend: GammaGamma | None = None
    values: pd.DataFrame | None = None
    slipping: pd.DataFrame | None = None
    repeat_buyers: int = 0
    spend_check: SpendCheck | None = None
    holdout: HoldoutCheck | None = None
    migration: Migration | None = None
    problems: dict[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """The models' checks in words (convergence, spend left out, the correlation)."""
        notes: list[str] = []
        if self.purchases is not None and self.spend is not None:
            notes += fit_notes(self.purchases, self.spend)
        if self.spend_check is not None:
            notes += self.spend_check.notes()
        return notes


def run_lifetime(dataset: Dataset, params: LifetimeParams | None = None) -> LifetimeResult:
    """Cohorts, predicted value, the holdout check and segment migration with ``params``."""
    params = params or LifetimeParams()
    if not (dataset.has("customer_id") and dataset.has("timestamp")):
        raise AnalyticsError(
            "Customers over time needs a customer column and a date column.",
            hint="Choose them under 'Column roles' on the Data page.",
        )
    problems: dict[str, str] = {}

    def attempt(name: str, make: Callable[[], T]) -> T | None:
        try:
            return make()
        except AnalyticsError as exc:
            problems[name] = str(exc)
            return None

    cohorts = attempt("cohorts", lambda: cohort_table(dataset, **params.options("cohorts")))
    summary = attempt("value", lambda: customer_summary(dataset))
    purchases = spend = values = None
    if summary is not None:
        purchases = attempt("value", lambda: fit_bgnbd(summary))
        spend = attempt("value", lambda: fit_gamma_gamma(summary)) if purchases else None
    if summary is not None and purchases is not None and spend is not None:
        values = predict_clv(
            summary,
            purchases,
            spend,
            horizon_weeks=params.horizon_weeks,
            annual_discount=params.discount,
        )
    return LifetimeResult(
        params=params,
        cohorts=cohorts,
        purchases=purchases,
        spend=spend,
        values=values,
        slipping=None
        if values is None or purchases is None
        else slipping_away(dataset, values, purchases),
        repeat_buyers=0 if summary is None else int((summary["frequency"] > 0).sum()),
        spend_check=None if values is None or summary is None else spend_check(summary),
        holdout=attempt("holdout", lambda: holdout_check(dataset, params.calibration_end)),
        migration=attempt(
            "migration", lambda: segment_migration(dataset, params.before, params.after)
        ),
        problems=problems,
    )
