"""Experiment results: which column holds the groups and which the outcomes, the effect of each
treatment arm against the control, the sample-ratio check and the balance of the groups.

Every interval and test comes from statsmodels or scipy: Newcombe's hybrid score interval
(Wilson) and the score test for a difference of two proportions, a log interval for their
ratio, Welch's t interval and test for a difference of means with a bootstrap interval beside it
(spend is skewed), Holm's correction across arms and outcomes, and the chi-square test of the
group sizes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    test_proportions_2indep,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from analytics.display import Column, Display
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

#: Smallest arm worth reporting on: below it, an interval says little.
MIN_ARM = 30
#: p-value below which the group sizes are called a sample ratio mismatch (the usual SRM bar:
#: strict, because a real mismatch is a broken experiment, not a small effect).
SRM_ALPHA = 0.001
#: |standardised difference| above which a covariate is called unbalanced.
BALANCE_LIMIT = 0.1
#: Words in a column name that mark the groups, and in a level that marks the control.
_GROUP_WORDS = re.compile(r"group|segment|variant|arm|treat|test|cell|version|bucket", re.I)
_CONTROL_WORDS = re.compile(r"\bno\b|control|holdout|hold-out|baseline|none|placebo|^c$", re.I)
_FLAG_VALUES = {"yes", "no", "y", "n", "true", "false", "0", "1"}
#: Words that mark a column as history from before the test (``spend_last_year``): never an
#: outcome, even when named after spend or orders.
_BEFORE_WORDS = re.compile(r"last|prev|prior|before|history|past|pre_|tenure|since", re.I)
_OUTCOME_WORDS = re.compile(
    r"visit|conver|click|open|purchas|bought|buy|order|respon|spend|revenue|sales|amount|"
    r"redeem|signup|sign_up|churn",
    re.I,
)


@dataclass(frozen=True)
class Design:
    """What the experiment's columns are: ``group`` (the arms), its ``control`` level,
    ``outcomes`` (name → ``"rate"`` for 0/1 outcomes, ``"mean"`` for amounts) and
    ``covariates`` (the other columns, for the balance table and the uplift models)."""

    group: str
    control: str
    arms: tuple[str, ...]
    outcomes: dict[str, str]
    covariates: tuple[str, ...]
    #: Whether a group is named like a control (No E-Mail, control, holdout): without one, the
    #: group column and the control are guesses for the user to confirm.
    control_named: bool = True


def _key(level: object) -> str:
    """A group name reduced to its letters and digits: 'Mens E-Mail' and 'mens email' match."""
    return re.sub(r"[^0-9a-z]", "", str(level).lower())


def outcome_kind(values: pd.Series) -> str | None:
    """``rate`` for a 0/1 (or yes/no, true/false) column, ``mean`` for other numbers, ``None``
    for anything else."""
    if values.dtype == bool:
        return "rate"
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().mean() < 0.99:
        return None
    distinct = set(numbers.dropna().unique().tolist())
    if distinct <= {0, 1}:
        return "rate"
    return "mean"


def group_candidates(frame: pd.DataFrame) -> list[str]:
    """Columns that can hold the arms: 2–10 distinct text values, each in at least 1% of the
    rows. Those with a control-like value (control, no e-mail, holdout) come first, then those
    named like a group (group, segment, variant, …)."""
    found: list[tuple[bool, bool, int, str]] = []
    for i, column in enumerate(frame.columns):
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            continue
        counts = values.astype("string").value_counts(dropna=True)
        named = bool(_GROUP_WORDS.search(str(column)))
        # A yes/no flag (Newsletter: Yes/No) is an attribute, unless named like a group.
        flag = {str(v).strip().lower() for v in counts.index} <= _FLAG_VALUES
        if flag and not named:
            continue
        if 2 <= len(counts) <= 10 and counts.min() >= max(0.01 * len(frame), 1):
            has_control = any(_CONTROL_WORDS.search(str(level)) for level in counts.index)
            found.append((not has_control, not named, i, str(column)))
    return [column for *_, column in sorted(found)]


def detect_design(frame: pd.DataFrame, group: str | None = None) -> Design:
    """Guess the group column, its control level, the outcomes and the covariates; the page
    shows the guess for the user to confirm or change."""
    candidates = group_candidates(frame)
    if group is None:
        if not candidates:
            raise AnalyticsError(
                "No column looks like the experiment's groups (a column with 2 to 10 values, "
                "such as control and treatment).",
                hint="An experiment table has one row per customer, a group column and outcomes.",
            )
        group = candidates[0]
    levels = check_levels(frame, group)
    named = [lv for lv in levels if _CONTROL_WORDS.search(lv)]
    control = named[0] if named else levels[0]
    outcomes: dict[str, str] = {}
    for column in frame.columns:
        name = str(column)
        if column == group or not _OUTCOME_WORDS.search(name) or _BEFORE_WORDS.search(name):
            continue
        kind = outcome_kind(frame[column])
        if kind is not None and frame[column].nunique() > 1:
            outcomes[str(column)] = kind
    # Ids (a different text value on every row) tell models nothing about other customers.
    covariates = tuple(
        str(c)
        for c in frame.columns
        if c != group
        and c not in outcomes
        and not (
            not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() > 0.9 * len(frame)
        )
    )
    return Design(group, control, tuple(levels), outcomes, covariates, bool(named))


def check_levels(frame: pd.DataFrame, group: str) -> list[str]:
    """The groups of ``group``, biggest first; refused (in words) when there is one group only or
    when two are the same name written two ways."""
    if group not in frame.columns:
        raise AnalyticsError(f"There is no column {group!r}.")
    counts = frame[group].dropna().astype(str).value_counts()
    if len(counts) < 2:
        raise AnalyticsError(
            f"The column {group!r} has {'one group only' if len(counts) else 'no values'}: an "
            "experiment compares a control group with at least one treated group.",
            hint="Pick the column that says who got which version.",
        )
    by_key: dict[str, list[str]] = {}
    for level in counts.index:
        by_key.setdefault(_key(level), []).append(level)
    clashes = [names for names in by_key.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(" and ".join(f"'{n}'" for n in names) for names in clashes)
        raise AnalyticsError(
            f"The groups {shown} look like one group written in different ways.",
            hint="Correct the spelling in the file so each group has one name, then load it again.",
        )
    return counts.index.tolist()


@dataclass(frozen=True)
class Effects:
    """Each treatment arm against the control, per outcome.

    ``table`` has one row per (outcome, arm): ``outcome``, ``kind`` (``rate`` or ``mean``),
    ``arm``, ``n``, ``value`` (the arm's rate or mean), ``control_value``, ``difference`` (arm
    minus control: points for a rate), ``low``/``high`` (its 95% interval), ``boot_low``/
    ``boot_high`` (the bootstrap interval, means only), ``relative`` (difference over the
    control's value) with ``relative_low``/``relative_high``, ``p_value``, ``p_holm`` (Holm across
    every arm and outcome), ``incremental`` (the difference times the arm's size: what the
    treatment added in this test) and ``if_everyone`` (times everyone in the test).
    """

    group: str
    control: str
    sizes: pd.Series
    table: pd.DataFrame

    def words(self, display: Display | None = None, alpha: float = 0.05) -> list[str]:
        """One sentence per arm and outcome, e.g. "Mens E-Mail raised visit from 10.6% to
        18.3%: +7.7 points (95% CI 7.0 to 8.3), significant after Holm's correction"."""
        shown = display or Display()
        lines = []
        for _row, row in self.table.iterrows():
            rate = row["kind"] == "rate"

            # Small rates (conversions under 2%) need a second decimal to show their change.
            places = 2 if rate and max(row["value"], row["control_value"]) < 0.02 else 1

            def fmt(value: float, *, rate: bool = rate, places: int = places) -> str:
                return shown.percent(value, places) if rate else shown.number(value, 2)

            def diff(value: float, *, rate: bool = rate, places: int = places) -> str:
                sign = "+" if value >= 0 else "−"
                size = abs(value)
                text = shown.number(size * 100, places) if rate else shown.number(size, 2)
                return f"{sign}{text}"

            if rate:
                sentence = (
                    _(
                        "{arm} raised {outcome} from {before} to {after}: {change} points (95% CI "
                        "{low} to {high}), {relative}% relative; {significant}."
                    )
                    if row["difference"] > 0
                    else _(
                        "{arm} lowered {outcome} from {before} to {after}: {change} points (95% "
                        "CI {low} to {high}), {relative}% relative; {significant}."
                    )
                )
            else:
                sentence = (
                    _(
                        "{arm} raised {outcome} from {before} to {after}: {change} (95% CI {low} "
                        "to {high}), {relative}% relative; {significant}."
                    )
                    if row["difference"] > 0
                    else _(
                        "{arm} lowered {outcome} from {before} to {after}: {change} (95% CI {low} "
                        "to {high}), {relative}% relative; {significant}."
                    )
                )
            significant = (
                _("significant after Holm's correction")
                if row["p_holm"] < alpha
                else _("not significant after Holm's correction (it may be chance)")
            )
            lines.append(
                sentence.format(
                    arm=row["arm"],
                    outcome=row["outcome"],
                    before=fmt(row["control_value"]),
                    after=fmt(row["value"]),
                    change=diff(row["difference"]),
                    low=diff(row["low"]),
                    high=diff(row["high"]),
                    relative=diff(row["relative"], rate=True, places=0),
                    significant=significant,
                )
                + " "
                + self._added(row, shown)
            )
        return lines

    @staticmethod
    def _added(row: pd.Series, shown: Display) -> str:
        """What the difference adds up to: in the test's group, and for everyone in the test."""
        more = row["difference"] >= 0
        if not row["difference"]:
            return _("No change in this group.")
        everyone = shown.count(round(row["if_everyone"] / row["difference"]))
        if row["kind"] == "rate":
            words = (
                _(
                    "That is about {n} more customers with a {outcome} in this group, {all} if all "
                    "{everyone} customers got it."
                )
                if more
                else _(
                    "That is about {n} fewer customers with a {outcome} in this group, {all} if "
                    "all {everyone} customers got it."
                )
            )
            return words.format(
                n=shown.count(abs(row["incremental"])),
                outcome=row["outcome"],
                all=shown.count(abs(row["if_everyone"])),
                everyone=everyone,
            )
        words = (
            _(
                "That adds {n} to the group's total {outcome}, {all} if all {everyone} customers "
                "got it."
            )
            if more
            else _(
                "That takes {n} from the group's total {outcome}, {all} if all {everyone} "
                "customers got it."
            )
        )
        return words.format(
            n=shown.number(abs(row["incremental"]), 0),
            outcome=row["outcome"],
            all=shown.number(abs(row["if_everyone"]), 0),
            everyone=everyone,
        )


def arm_effects(
    frame: pd.DataFrame,
    group: str,
    control: str,
    outcomes: dict[str, str] | Sequence[str],
    *,
    bootstrap: int = 1000,
    random_state: int = 0,
) -> Effects:
    """Every treatment arm against ``control`` on each outcome (a rate for 0/1 outcomes, a mean
    otherwise): differences with 95% intervals, relative lifts, p-values with Holm's correction
    and what the treatment added."""
    levels = check_levels(frame, group)
    if control not in levels:
        raise AnalyticsError(
            f"{control!r} is not a group of {group!r}.",
            hint=f"The groups: {', '.join(levels)}.",
        )
    kinds = dict(outcomes) if isinstance(outcomes, dict) else {}
    if not isinstance(outcomes, dict):
        for name in outcomes:
            kind = outcome_kind(frame[name]) if name in frame.columns else None
            if kind is None:
                raise AnalyticsError(f"{name!r} is not a numeric outcome column.")
            kinds[name] = kind
    if not kinds:
        raise AnalyticsError("Choose at least one outcome (a 0/1 column or an amount).")
    labels = frame[group].astype("string")
    sizes = labels.value_counts().reindex(levels)
    small = sizes[sizes < MIN_ARM]
    if len(small):
        raise AnalyticsError(
            f"The group(s) {', '.join(f'{k!r} ({v})' for k, v in small.items())} have fewer than "
            f"{MIN_ARM} customers: too few to measure an effect.",
            hint="Merge small groups in the file, or run the test longer.",
        )
    rng = np.random.default_rng(random_state)
    rows = []
    for name, kind in kinds.items():
        values = _outcome(frame[name], name, kind)
        if values.nunique() < 2:
            raise AnalyticsError(
                f"The outcome {name!r} is the same for everyone ({values.iloc[0]}): there is "
                "nothing to compare.",
                hint="Pick another outcome column.",
            )
        base = values[labels == control].dropna().to_numpy(float)
        for arm in levels:
            if arm == control:
                continue
            treated = values[labels == arm].dropna().to_numpy(float)
            rows.append(
                {"outcome": name, "kind": kind, "arm": arm}
                | _compare(treated, base, kind, bootstrap, rng)
            )
    table = pd.DataFrame(rows)
    table["p_holm"] = multipletests(table["p_value"].to_numpy(), method="holm")[1]
    table["incremental"] = table["difference"] * table["n"]
    table["if_everyone"] = table["difference"] * len(frame)
    return Effects(group, control, sizes, table)


def _outcome(values: pd.Series, name: str, kind: str) -> pd.Series:
    numbers = pd.to_numeric(values.astype("object").replace({True: 1, False: 0}), errors="coerce")
    if kind == "rate":
        odd = set(numbers.dropna().unique().tolist()) - {0, 1}
        if odd:
            sample = ", ".join(str(v) for v in sorted(odd)[:3])
            raise AnalyticsError(
                f"The outcome {name!r} was taken as yes/no (0 or 1) but holds other values "
                f"({sample}).",
                hint="Treat it as an amount instead, or fix the column.",
            )
    return numbers


def _compare(
    treated: np.ndarray, base: np.ndarray, kind: str, bootstrap: int, rng: np.random.Generator
) -> dict[str, float]:
    n1, n0 = len(treated), len(base)
    if kind == "rate":
        c1, c0 = int(treated.sum()), int(base.sum())
        p1, p0 = c1 / n1, c0 / n0
        low, high = confint_proportions_2indep(c1, n1, c0, n0, method="newcomb")
        test = test_proportions_2indep(c1, n1, c0, n0, method="score")
        if c0 > 0 and c1 > 0:
            r_low, r_high = confint_proportions_2indep(c1, n1, c0, n0, compare="ratio")
        else:
            r_low = r_high = np.nan
        return {
            "n": n1,
            "value": p1,
            "control_value": p0,
            "difference": p1 - p0,
            "low": float(low),
            "high": float(high),
            "boot_low": np.nan,
            "boot_high": np.nan,
            "relative": p1 / p0 - 1 if p0 else np.nan,
            "relative_low": float(r_low) - 1,
            "relative_high": float(r_high) - 1,
            "p_value": float(test.pvalue),
        }
    compare = CompareMeans(DescrStatsW(treated), DescrStatsW(base))
    low, high = compare.tconfint_diff(alpha=0.05, usevar="unequal")
    p_value = float(stats.ttest_ind(treated, base, equal_var=False).pvalue)
    boot = stats.bootstrap(
        (treated, base),
        lambda a, b, axis=-1: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        n_resamples=bootstrap,
        confidence_level=0.95,
        method="percentile",
        vectorized=True,
        batch=100,  # a thousand resamples of 21,000 rows at once thrash memory: 10× slower
        random_state=rng,
    )
    m1, m0 = float(treated.mean()), float(base.mean())
    return {
        "n": n1,
        "value": m1,
        "control_value": m0,
        "difference": m1 - m0,
        "low": float(low),
        "high": float(high),
        "boot_low": float(boot.confidence_interval.low),
        "boot_high": float(boot.confidence_interval.high),
        "relative": m1 / m0 - 1 if m0 else np.nan,
        "relative_low": float(low) / m0 if m0 else np.nan,
        "relative_high": float(high) / m0 if m0 else np.nan,
        "p_value": p_value,
    }


@dataclass(frozen=True)
class RatioCheck:
    """The sample-ratio check: the group sizes against the intended split."""

    sizes: pd.Series
    expected: pd.Series
    statistic: float
    p_value: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < SRM_ALPHA

    def words(self, display: Display | None = None) -> str:
        shown = display or Display()
        sizes = ", ".join(f"{k} {shown.count(v)}" for k, v in self.sizes.items())
        if self.mismatch:
            return _(
                "Sample ratio mismatch: the groups ({sizes}) differ from the intended split by "
                "more than chance explains (chi-square p = {p}). Something dropped or moved "
                "customers between groups (a broken send, a filter, bots): the effects below may "
                "be biased. Find the cause before trusting them."
            ).format(sizes=sizes, p=f"{self.p_value:.2g}")
        return _(
            "The group sizes ({sizes}) match the intended split (chi-square p = {p}): no sign of "
            "a broken assignment."
        ).format(sizes=sizes, p=shown.number(self.p_value, 2))


def ratio_check(sizes: pd.Series, intended: Sequence[float] | None = None) -> RatioCheck:
    """Chi-square test of the group sizes against the intended shares (default: equal)."""
    observed = sizes.astype(float)
    shares = np.full(len(observed), 1 / len(observed)) if intended is None else np.asarray(intended)
    if len(shares) != len(observed) or np.any(shares <= 0):
        raise AnalyticsError("The intended split needs one positive share per group.")
    shares = shares / shares.sum()
    expected = pd.Series(shares * observed.sum(), index=observed.index)
    statistic, p_value = stats.chisquare(observed.to_numpy(), expected.to_numpy())
    return RatioCheck(sizes, expected, float(statistic), float(p_value))


def balance_table(
    frame: pd.DataFrame, group: str, control: str, covariates: Sequence[str]
) -> pd.DataFrame:
    """Each covariate's mean per group (a category: the share with each value) and the
    standardised difference of every arm from the control; ``unbalanced`` when any exceeds
    :data:`BALANCE_LIMIT`."""
    labels = frame[group].astype("string")
    arms = [a for a in check_levels(frame, group) if a != control]
    parts = []
    for column in covariates:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and values.nunique() > 2:
            parts.append(pd.DataFrame({column: pd.to_numeric(values, errors="coerce")}))
        elif values.nunique() <= 20:
            dummies = pd.get_dummies(values.astype("string"), prefix=column, prefix_sep=" = ")
            parts.append(dummies.astype(float))
    if not parts:
        return pd.DataFrame(columns=["covariate", "unbalanced"])
    wide = pd.concat(parts, axis=1)
    rows = []
    for name in wide.columns:
        values = wide[name]
        base = values[labels == control]
        row: dict[str, object] = {"covariate": name, control: float(base.mean())}
        worst = 0.0
        for arm in arms:
            treated = values[labels == arm]
            pooled = np.sqrt((treated.var() + base.var()) / 2)
            smd = (treated.mean() - base.mean()) / pooled if pooled > 0 else 0.0
            row[arm] = float(treated.mean())
            row[_("{arm}: standardised difference").format(arm=arm)] = float(smd)
            worst = max(worst, abs(float(smd)))
        row["unbalanced"] = worst > BALANCE_LIMIT
        rows.append(row)
    return pd.DataFrame(rows)


#: How the effects table reads, per kind of outcome (the page's tables and the report's).
_RATE_COLUMNS = {
    "arm": Column(N_("Group"), "text"),
    "value": Column(N_("Rate"), "percent"),
    "control_value": Column(N_("Control's rate"), "percent"),
    "difference": Column(N_("Change (points)"), "percent", N_("Group's rate minus the control's.")),
    "low": Column(N_("Low (95%)"), "percent", N_("Newcombe's interval of the change.")),
    "high": Column(N_("High (95%)"), "percent", N_("Newcombe's interval of the change.")),
    "relative": Column(N_("Relative change"), "percent"),
    "p_holm": Column(
        N_("Chance of a fluke (Holm)"),
        "percent",
        N_("p-value corrected for every group and outcome."),
    ),
    "incremental": Column(N_("Extra in this test"), "number", decimals=0),
}
_MEAN_COLUMNS = {
    **_RATE_COLUMNS,
    "value": Column(N_("Mean"), "number", decimals=2),
    "control_value": Column(N_("Control's mean"), "number", decimals=2),
    "difference": Column(
        N_("Change"), "number", N_("Group's mean minus the control's."), decimals=2
    ),
    "low": Column(N_("Low (95%, Welch)"), "number", decimals=2),
    "high": Column(N_("High (95%, Welch)"), "number", decimals=2),
    "boot_low": Column(N_("Low (95%, bootstrap)"), "number", decimals=2),
    "boot_high": Column(N_("High (95%, bootstrap)"), "number", decimals=2),
    "incremental": Column(N_("Extra in this test"), "number", decimals=0),
}
EFFECT_COLUMNS: dict[str, dict[str, Column]] = {"rate": _RATE_COLUMNS, "mean": _MEAN_COLUMNS}
