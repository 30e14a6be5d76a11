"""Planning the next test: how many customers per group to detect an effect, or the smallest
effect a given size can detect, for rates (conversion) and means (spend). The power analysis is
statsmodels' (Cohen's h for two proportions with a normal test, Cohen's d with Welch's t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from analytics.display import Display
from analytics.errors import AnalyticsError
from analytics.i18n import _


@dataclass(frozen=True)
class Plan:
    """A test plan: ``per_group`` customers in the treated group (``per_group × ratio`` in
    the control), to detect ``effect`` (points for a rate, units for a mean) from ``baseline``
    with ``power`` at significance ``alpha``."""

    kind: str
    baseline: float
    effect: float
    per_group: int
    control: int
    alpha: float
    power: float

    def words(self, display: Display | None = None) -> str:
        shown = display or Display()
        if self.kind == "rate":
            places = 2 if self.baseline < 0.02 else 1
            change = _("from {before} to {after}").format(
                before=shown.percent(self.baseline, places),
                after=shown.percent(self.baseline + self.effect, places),
            )
        else:
            change = _("of {change} in the mean").format(change=shown.number(self.effect, 2))
        return _(
            "To detect a change {change} with {power} power at {alpha} significance "
            "(two-sided), send the treatment to {treated} customers and keep {control} as the "
            "control ({total} in all)."
        ).format(
            change=change,
            power=shown.percent(self.power, 0),
            alpha=shown.percent(self.alpha, 0),
            treated=shown.count(self.per_group),
            control=shown.count(self.control),
            total=shown.count(self.per_group + self.control),
        )


def _check(alpha: float, power: float, ratio: float) -> None:
    if not 0 < alpha < 0.5:
        raise AnalyticsError(f"Significance must be between 0 and 0.5, got {alpha}.")
    if not 0.5 <= power < 1:
        raise AnalyticsError(f"Power must be from 0.5 to just below 1, got {power}.")
    if not 0.05 <= ratio <= 20:
        raise AnalyticsError(f"The control-to-treated ratio must be 0.05 to 20, got {ratio}.")


def sample_size_rate(
    baseline: float, effect: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> Plan:
    """Customers needed to detect a rate moving from ``baseline`` by ``effect`` (e.g. 0.01 for
    one point); ``ratio`` is control size over treated size."""
    _check(alpha, power, ratio)
    if not 0 < baseline < 1 or not 0 < baseline + effect < 1 or effect == 0:
        raise AnalyticsError(
            "The baseline rate and the rate to detect must both be between 0% and 100%, and differ."
        )
    h = abs(proportion_effectsize(baseline + effect, baseline))
    n = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, ratio=ratio)
    per_group = math.ceil(n)
    return Plan("rate", baseline, effect, per_group, math.ceil(n * ratio), alpha, power)


def detectable_rate(
    baseline: float, per_group: int, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> Plan:
    """The smallest rise from ``baseline`` that ``per_group`` treated customers can detect."""
    _check(alpha, power, ratio)
    if not 0 < baseline < 1 or per_group < 2:
        raise AnalyticsError("Give a baseline rate between 0% and 100% and at least 2 customers.")
    h = NormalIndPower().solve_power(nobs1=per_group, alpha=alpha, power=power, ratio=ratio)
    # Cohen's h = 2·asin(√p1) − 2·asin(√p0): the rate it reaches from the baseline.
    angle = min(math.asin(math.sqrt(baseline)) + h / 2, math.pi / 2)
    target = math.sin(angle) ** 2
    return Plan(
        "rate",
        baseline,
        target - baseline,
        per_group,
        math.ceil(per_group * ratio),
        alpha,
        power,
    )


def sample_size_mean(
    sd: float, effect: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> Plan:
    """Customers needed to detect a change of ``effect`` in a mean whose spread is ``sd``."""
    _check(alpha, power, ratio)
    if sd <= 0 or effect == 0:
        raise AnalyticsError("Give a positive standard deviation and a non-zero change.")
    n = TTestIndPower().solve_power(
        effect_size=abs(effect) / sd, alpha=alpha, power=power, ratio=ratio
    )
    return Plan("mean", 0.0, effect, math.ceil(n), math.ceil(n * ratio), alpha, power)


def detectable_mean(
    sd: float, per_group: int, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> Plan:
    """The smallest change in a mean (spread ``sd``) that ``per_group`` customers can detect."""
    _check(alpha, power, ratio)
    if sd <= 0 or per_group < 2:
        raise AnalyticsError("Give a positive standard deviation and at least 2 customers.")
    d = TTestIndPower().solve_power(nobs1=per_group, alpha=alpha, power=power, ratio=ratio)
    return Plan("mean", 0.0, d * sd, per_group, math.ceil(per_group * ratio), alpha, power)
