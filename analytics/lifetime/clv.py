"""Predicted customer lifetime value: BG/NBD for repeat purchases and Gamma-Gamma for spend
(Fader, Hardie & Lee 2005, "Counting your customers the easy way"; Fader & Hardie 2013, "The
Gamma-Gamma model of monetary value"), fitted by maximum likelihood with scipy.

Time is measured in weeks (days / 7) from each customer's first purchase, as in the papers.
A customer's summary is ``frequency`` (repeat purchases: purchase days after the first one),
``recency`` (weeks from the first to the last purchase), ``T`` (weeks from the first purchase to
the end of the calibration period) and ``monetary`` (mean spend of the repeat purchases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from analytics.data import Dataset, sales_mask
from analytics.display import Display
from analytics.errors import AnalyticsError
from analytics.i18n import _

#: Days in the unit of time the models count in.
WEEK = 7.0


def customer_summary(
    dataset: Dataset,
    calibration_end: dt.date | str | pd.Timestamp | None = None,
    observation_end: dt.date | str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per customer who bought by ``calibration_end``: ``frequency``, ``recency``,
    ``T`` and ``monetary`` in the calibration period, and (with an ``observation_end`` after it)
    ``holdout_purchases`` and ``holdout_spend`` in the period after.

    Purchases are days with a sale: two orders on one day are one purchase (as in the papers).
    Cancellations and returns are left out.
    """
    if not dataset.has("revenue"):
        raise AnalyticsError(
            "Lifetime value needs customer ids, dates and amounts.",
            hint="Map the customer, date and price (or line total) columns on the Data page.",
        )
    lines = customer_sales(dataset, "Lifetime value needs customer ids, dates and amounts.")
    days = (
        lines.assign(day=lines["timestamp"].dt.normalize())
        .groupby(["customer_id", "day"], observed=True)["revenue"]
        .sum()
        .reset_index()
    )
    last_day = days["day"].max()
    end = pd.Timestamp(calibration_end) if calibration_end is not None else last_day
    observed_to = pd.Timestamp(observation_end) if observation_end is not None else None
    if observed_to is not None and observed_to <= end:
        raise AnalyticsError("The observation period must end after the calibration period.")
    calibration = days.loc[days["day"] <= end]
    if calibration.empty:
        raise AnalyticsError(f"No purchase on or before {end:%Y-%m-%d}, the calibration end.")
    grouped = calibration.groupby("customer_id", observed=True)
    first = grouped["day"].min()
    last = grouped["day"].max()
    count = grouped["day"].size()
    spend = grouped["revenue"].sum()
    first_spend = grouped["revenue"].first()  # the days are in order within a customer
    frequency = (count - 1).astype(float)
    repeat_spend = spend - first_spend
    summary = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).dt.days / WEEK,
            "T": (end - first).dt.days / WEEK,
            "monetary": np.where(frequency > 0, repeat_spend / frequency.where(frequency > 0), 0.0),
            "first_purchase": first,
        }
    )
    if observed_to is not None:
        later = days.loc[(days["day"] > end) & (days["day"] <= observed_to)]
        by_customer = later.groupby("customer_id", observed=True)
        summary["holdout_purchases"] = by_customer["day"].size().reindex(summary.index).fillna(0)
        summary["holdout_spend"] = by_customer["revenue"].sum().reindex(summary.index).fillna(0)
    summary.index.name = "customer_id"
    return summary


def customer_sales(dataset: Dataset, needs: str) -> pd.DataFrame:
    """The sale lines (returns left out) that have a customer id and a date; ``needs`` says in
    words what is missing when the dataset has no customer or date column."""
    if not (dataset.has("customer_id") and dataset.has("timestamp")):
        raise AnalyticsError(needs, hint="Map the customer and date columns on the Data page.")
    lines = dataset.frame.loc[sales_mask(dataset.frame)]
    lines = lines.loc[lines["customer_id"].notna() & lines["timestamp"].notna()]
    if lines.empty:
        raise AnalyticsError("No sale has both a customer id and a date.")
    return lines


@dataclass(frozen=True)
class BGNBD:
    """BG/NBD parameters: purchase rates Gamma(r, α); dropout probability Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool

    def p_alive(self, frequency, recency, T) -> np.ndarray:
        """P(a customer is still active at T | x purchases, the last at t_x)."""
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        ratio = np.where(
            x > 0,
            self.a / (self.b + x - 1) * ((self.alpha + big_t) / (self.alpha + t_x)) ** (self.r + x),
            0.0,
        )
        return 1.0 / (1.0 + ratio)

    def expected_purchases(self, t: float, frequency, recency, T) -> np.ndarray:
        """Expected purchases in the next ``t`` weeks (FHL 2005, eq. 10)."""
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + big_t + t)
        hyper = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1)
        body = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyper
        return head * body * self.p_alive(x, t_x, big_t)


def _bgnbd_log_likelihood(params: np.ndarray, x, t_x, big_t, weight=1.0) -> float:
    r, alpha, a, b = np.exp(params)
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a_term = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_term = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-12))
            - special.betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return float(np.sum(weight * (common + np.logaddexp(a_term, d_term))))


def fit_bgnbd(summary: pd.DataFrame) -> BGNBD:
    """BG/NBD by maximum likelihood on a :func:`customer_summary` (L-BFGS on log parameters)."""
    x, t_x, big_t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    if len(x) < 20 or not (x > 0).any():
        raise AnalyticsError(
            f"BG/NBD needs repeat purchases from a few dozen customers; this data has {len(x):,} "
            f"customers and {int((x > 0).sum()):,} who bought again.",
            hint="Choose a longer calibration period or load more history.",
        )
    # Customers with the same (x, t_x, T) add the same term: each distinct one is computed once,
    # weighted by how many share it (23,570 CDNOW customers are 8,685 distinct summaries).
    distinct = pd.DataFrame({"x": x, "t_x": t_x, "T": big_t}).value_counts(sort=False)
    x, t_x, big_t = (distinct.index.get_level_values(c).to_numpy(float) for c in ("x", "t_x", "T"))
    weight = distinct.to_numpy(float)
    found = optimize.minimize(
        lambda p: -_bgnbd_log_likelihood(p, x, t_x, big_t, weight),
        x0=np.log([1.0, 1.0, 1.0, 1.0]),
        method="L-BFGS-B",
        bounds=[(-10, 8)] * 4,
    )
    r, alpha, a, b = np.exp(found.x)
    return BGNBD(float(r), float(alpha), float(a), float(b), float(-found.fun), bool(found.success))


@dataclass(frozen=True)
class GammaGamma:
    """Gamma-Gamma parameters of spend per purchase: p, and ν ~ Gamma(q, γ)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool

    def expected_spend(self, frequency, monetary) -> np.ndarray:
        """Expected mean spend per purchase given x repeat purchases of mean m (the population
        mean for a customer with none)."""
        x, m = np.asarray(frequency, float), np.asarray(monetary, float)
        population = self.population_mean
        weight = (self.q - 1) / (self.p * x + self.q - 1)
        # A zero or negative mean (free orders, returns) says nothing about spend: such a
        # customer is valued at the population mean, as the fit left them out.
        return np.where((x > 0) & (m > 0), weight * population + (1 - weight) * m, population)

    @property
    def population_mean(self) -> float:
        """The mean spend per purchase across customers, p·γ/(q − 1) (infinite for q ≤ 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGamma:
    """Gamma-Gamma by maximum likelihood on the repeat buyers with a positive mean spend."""
    buyers = summary.loc[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
    if len(buyers) < 20:
        raise AnalyticsError(
            f"Gamma-Gamma needs a few dozen repeat buyers with a positive spend; there are "
            f"{len(buyers):,}."
        )
    x, m = buyers["frequency"].to_numpy(float), buyers["monetary"].to_numpy(float)

    def negative(params: np.ndarray) -> float:
        p, q, gamma = np.exp(params)
        ll = (
            special.gammaln(p * x + q)
            - special.gammaln(p * x)
            - special.gammaln(q)
            + q * np.log(gamma)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + m * x)
        )
        return -float(np.sum(ll))

    found = optimize.minimize(
        negative, x0=np.log([1.0, 1.0, 1.0]), method="L-BFGS-B", bounds=[(-10, 10)] * 3
    )
    p, q, gamma = np.exp(found.x)
    return GammaGamma(float(p), float(q), float(gamma), float(-found.fun), bool(found.success))


def predict_clv(
    summary: pd.DataFrame,
    purchases: BGNBD,
    spend: GammaGamma,
    *,
    horizon_weeks: int = 52,
    annual_discount: float = 0.1,
) -> pd.DataFrame:
    """Per customer: ``p_alive``, ``expected_purchases`` and ``expected_spend`` per purchase
    over the next ``horizon_weeks``, and ``clv``: the expected value of those purchases, each
    week's expected purchases discounted at ``annual_discount`` a year. Most valuable first."""
    if not 1 <= horizon_weeks <= 520:
        raise AnalyticsError(f"The horizon must be 1 to 520 weeks, got {horizon_weeks}.")
    if not 0 <= annual_discount < 1:
        raise AnalyticsError(f"The discount rate must be 0 to 1 a year, got {annual_discount}.")
    x, t_x, big_t = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    weeks = np.arange(horizon_weeks + 1, dtype=float)
    cumulative = np.stack([purchases.expected_purchases(w, x, t_x, big_t) for w in weeks[1:]])
    per_week = np.diff(np.vstack([np.zeros_like(x), cumulative]), axis=0)
    factors = (1 + annual_discount) ** (-weeks[1:] / 52.0)
    mean_spend = spend.expected_spend(x, summary["monetary"].to_numpy(float))
    table = pd.DataFrame(
        {
            "p_alive": purchases.p_alive(x, t_x, big_t),
            "expected_purchases": cumulative[-1],
            "expected_spend": mean_spend,
            "clv": (factors @ per_week) * mean_spend,
        },
        index=summary.index,
    )
    return table.sort_values("clv", ascending=False, kind="stable")


def default_calibration_end(dataset: Dataset) -> pd.Timestamp:
    """Where a holdout check splits the history by default: half-way, so the models are
    checked on as much time as they learnt from (39 + 39 weeks on CDNOW), but with a holdout of
    at most a year."""
    return _default_end(customer_sales(dataset, _HOLDOUT_NEEDS))


_HOLDOUT_NEEDS = "The holdout check needs customer ids and dates."


def _default_end(lines: pd.DataFrame) -> pd.Timestamp:
    first = lines["timestamp"].min().normalize()
    last = lines["timestamp"].max().normalize()
    half = pd.Timedelta(days=max((last - first).days // 2, 1))
    return last - min(half, pd.Timedelta(days=365))


@dataclass(frozen=True)
class HoldoutCheck:
    """BG/NBD fitted on the purchases up to ``calibration_end`` and asked for the purchases up
    to ``observation_end``, against what the customers then did.

    ``groups`` has one row per number of repeat purchases in the calibration period (the last
    row gathers ``censor`` and more): ``customers``, ``actual`` and ``predicted`` (mean repeat
    purchases per customer in the holdout): the standard calibration-vs-holdout plot.
    """

    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp
    weeks: float
    customers: int
    predicted: float
    actual: float
    groups: pd.DataFrame

    @property
    def error(self) -> float:
        """The predicted total against the actual one (−0.12: 12% fewer than happened)."""
        return self.predicted / self.actual - 1 if self.actual else float("nan")

    def words(self, display: Display | None = None) -> str:
        """The check in a sentence or two, with a verdict."""
        shown = display or Display()
        head = _(
            "Fitted on purchases up to {end}, the model expected {predicted} repeat purchases "
            "from these {customers} customers in the {weeks} weeks to {last}; they made {actual}."
        ).format(
            end=shown.date(self.calibration_end),
            predicted=shown.count(self.predicted),
            customers=shown.count(self.customers),
            weeks=shown.number(self.weeks),
            last=shown.date(self.observation_end),
            actual=shown.count(self.actual),
        )
        if not self.actual:
            return head + " " + _("Nobody bought again in that time, so the check cannot say more.")
        error = self.error
        size = (
            _("{share} fewer than happened") if error < 0 else _("{share} more than happened")
        ).format(share=shown.percent(abs(error), 0))
        if abs(error) <= 0.1:
            verdict = _("That is {size}: close enough to plan with.")
        elif abs(error) <= 0.25:
            verdict = _("That is {size}: use the predictions as a rough guide.")
        else:
            verdict = _(
                "That is {size}: buying changed after the calibration period (a season, a "
                "campaign, a different mix of customers), so treat the predictions with care."
            )
        return f"{head} {verdict.format(size=size)}"


def holdout_check(
    dataset: Dataset,
    calibration_end: dt.date | str | pd.Timestamp | None = None,
    observation_end: dt.date | str | pd.Timestamp | None = None,
    *,
    censor: int = 7,
) -> HoldoutCheck:
    """Fit BG/NBD on the history up to ``calibration_end`` (default
    :func:`default_calibration_end`) and compare its expected repeat purchases up to
    ``observation_end`` (default: the last purchase) with the actual ones, per number of
    purchases in the calibration period."""
    lines = customer_sales(dataset, _HOLDOUT_NEEDS)
    end = (
        pd.Timestamp(calibration_end).normalize()
        if calibration_end is not None
        else _default_end(lines)
    )
    last = lines["timestamp"].max().normalize()
    observed_to = pd.Timestamp(observation_end).normalize() if observation_end else last
    if observed_to <= end:
        raise AnalyticsError(
            f"The data ends on {last:%Y-%m-%d}: the calibration period must end before that "
            "to leave purchases to check against.",
            hint="Pick an earlier calibration end.",
        )
    summary = customer_summary(dataset, end, observed_to)
    fit = fit_bgnbd(summary)
    weeks = (observed_to - end).days / WEEK
    predicted = fit.expected_purchases(
        weeks, summary["frequency"], summary["recency"], summary["T"]
    )
    group = summary["frequency"].clip(upper=censor).astype(int)
    frame = pd.DataFrame(
        {"group": group, "actual": summary["holdout_purchases"], "predicted": predicted}
    )
    groups = frame.groupby("group").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    groups.index = [f"{g}+" if g == censor else str(g) for g in groups.index]
    groups.index.name = "calibration_purchases"
    return HoldoutCheck(
        end,
        observed_to,
        weeks,
        len(summary),
        float(predicted.sum()),
        float(summary["holdout_purchases"].sum()),
        groups,
    )


@dataclass(frozen=True)
class SpendCheck:
    """What the Gamma-Gamma spend model was fitted on, and whether its assumption holds.

    ``correlation`` is Pearson's between the number of repeat purchases and their mean spend
    among the repeat buyers it was fitted on (the model assumes there is none; ``None`` with
    fewer than three of them).
    """

    repeat_buyers: int
    left_out: int
    correlation: float | None

    def notes(self, display: Display | None = None) -> list[str]:
        """The checks in words, for the page, the report and the command line."""
        shown = display or Display()
        notes = []
        if self.left_out:
            notes.append(
                _(
                    "{n} repeat buyer(s) with a zero or negative spend (free orders, or returns "
                    "larger than the purchases) are left out of the spend model; their value uses "
                    "the average spend."
                ).format(n=shown.count(self.left_out))
            )
        r = self.correlation
        if r is None:
            return notes
        strength = _("(correlation {r})").format(r=shown.number(r, 2))
        if abs(r) < 0.1:
            notes.append(
                _(
                    "How often customers buy and how much they spend per purchase are hardly "
                    "related {strength}, as the spend model assumes."
                ).format(strength=strength)
            )
        elif abs(r) < 0.3:
            notes.append(
                _(
                    "How often customers buy and how much they spend per purchase are weakly "
                    "related {strength}; the spend model assumes they are not, which is close "
                    "enough here."
                ).format(strength=strength)
            )
        else:
            notes.append(
                (
                    _(
                        "Customers who buy more often spend more per purchase {strength}. The "
                        "spend model assumes the two are unrelated, so the expected values of "
                        "frequent buyers may be off: read them as rough."
                    )
                    if r > 0
                    else _(
                        "Customers who buy more often spend less per purchase {strength}. The "
                        "spend model assumes the two are unrelated, so the expected values of "
                        "frequent buyers may be off: read them as rough."
                    )
                ).format(strength=strength)
            )
        return notes


def spend_check(summary: pd.DataFrame) -> SpendCheck:
    """The repeat buyers Gamma-Gamma uses, those it leaves out, and the frequency–spend
    correlation among those it uses."""
    repeat = summary.loc[summary["frequency"] > 0]
    used = repeat.loc[repeat["monetary"] > 0]
    correlation = None
    if len(used) >= 3 and used["frequency"].nunique() > 1 and used["monetary"].nunique() > 1:
        correlation = float(np.corrcoef(used["frequency"], used["monetary"])[0, 1])
    return SpendCheck(len(repeat), len(repeat) - len(used), correlation)


def fit_notes(purchases: BGNBD, spend: GammaGamma) -> list[str]:
    """Plain words for fits that did not converge or landed where their figures mean little."""
    notes = []
    if not purchases.converged:
        notes.append(
            _(
                "The purchase model (BG/NBD) did not converge on this data: its predictions of "
                "purchases and of who is still active are rough."
            )
        )
    if not spend.converged:
        notes.append(
            _(
                "The spend model (Gamma-Gamma) did not converge on this data: expected spend per "
                "purchase is rough."
            )
        )
    if spend.q <= 1:
        notes.append(
            _(
                "Spend per purchase varies so much between customers that the spend model finds "
                "no finite average: expected values are not reliable. A few very large orders "
                "(wholesale, errors) may be the cause; try leaving them out on the Data page."
            )
        )
    return notes


def slipping_away(
    dataset: Dataset,
    values: pd.DataFrame,
    purchases: BGNBD,
    *,
    weeks: int = 13,
    top_share: float = 0.25,
    min_fall: float = 0.05,
) -> pd.DataFrame:
    """The valuable customers whose chance of being still active has fallen: the top
    ``top_share`` by expected value (:func:`predict_clv`'s table) whose ``p_alive_before`` (the
    chance ``weeks`` ago, from their purchases up to then and the same fitted model) is at least
    ``min_fall`` above ``p_alive`` now (a few days without a purchase lower everyone's chance a
    little); the least likely to be still active first. Customers who had not bought
    yet back then are left out."""
    if not 0 < top_share <= 1:
        raise AnalyticsError(f"The top share must be above 0 and at most 1, got {top_share}.")
    lines = customer_sales(dataset, "Lifetime value needs customer ids and dates.")
    earlier_end = lines["timestamp"].max().normalize() - pd.Timedelta(weeks=weeks)
    try:
        earlier = customer_summary(dataset, earlier_end)
    except AnalyticsError:
        return values.iloc[:0].assign(p_alive_before=[], p_alive_change=[])
    before = pd.Series(
        purchases.p_alive(earlier["frequency"], earlier["recency"], earlier["T"]),
        index=earlier.index,
    )
    top = values.loc[values["clv"] >= values["clv"].quantile(1 - top_share)]
    table = top.assign(p_alive_before=before.reindex(top.index))
    table = table.assign(p_alive_change=table["p_alive"] - table["p_alive_before"])
    falling = table.loc[table["p_alive_change"] <= -min_fall]
    return falling.sort_values(["p_alive", "clv"], ascending=[True, False], kind="stable")
