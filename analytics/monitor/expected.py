"""What a figure should be by now, and how far it may stray before it is news.

The expected value of a window (the day so far, or the last few hours) is the mean of the same
window on the same weekday in the weeks before: a seasonal-naive forecast with a weekly season,
averaged over several weeks, which carries the day-of-week and the time-of-day pattern at once.

The band comes from a variance function fitted on the history's own windows: ``var = a·μ +
b·μ²``. The ``a·μ`` part is the noise of counting (Poisson for orders and customers, compound
Poisson for revenue: ``a`` is at least the mean square order value over the mean order value);
``b·μ²`` is how much whole days differ beyond that. It is fitted on leave-one-week-out residuals of
every hour-aligned window of the last weeks, pooled over the groups of a breakdown, by non-negative
least squares. The predictive variance adds the expected value's own error (``1 + 1/K`` for K
weeks), and the band is the quantiles of a negative binomial (orders, customers) or a Gamma
(revenue) with that mean and variance: right-skewed as counts are, so a quiet night's three orders
are not an anomaly. The sensitivity is the band's
width in standard normal units per side (3.5 by default: one window in about 4,300 falls outside by
chance, which keeps a rule checked hourly per country under one false alarm a week).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analytics.data.schema import product_names
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

#: The figures a monitor follows: the column each is computed from, and how.
METRICS: dict[str, tuple[str, str]] = {
    "orders": ("order_id", "nunique"),
    "revenue": ("revenue", "sum"),
    "customers": ("customer_id", "nunique"),
}

METRIC_LABELS = {"orders": N_("Orders"), "revenue": N_("Revenue"), "customers": N_("Customers")}

DEFAULT_WEEKS = 8
DEFAULT_SENSITIVITY = 3.5
WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """The span a figure is measured over, ending now: the day so far, or the last ``hours``."""

    hours: int | None = None

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"day"`` (the day so far) or ``"1h"`` … ``"24h"``."""
        value = str(text).strip().lower()
        if value in ("day", "today"):
            return cls(None)
        if value.endswith("h") and value[:-1].isdigit() and 1 <= int(value[:-1]) <= 24:
            return cls(int(value[:-1]))
        raise AnalyticsError(
            _("{window!r} is not a window: use day (the day so far) or 1h to 24h.").format(
                window=text
            )
        )

    def __str__(self) -> str:
        return "day" if self.hours is None else f"{self.hours}h"

    def bounds(self, now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
        start = now.normalize() if self.hours is None else now - pd.Timedelta(hours=self.hours)
        return start, now


@dataclass(frozen=True)
class Check:
    """One figure against its expected value and band.

    ``status`` is ``"below"``, ``"above"``, ``"within"``, or ``"no history"`` (fewer than two
    earlier weeks hold the window).
    """

    metric: str
    group: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    actual: float
    expected: float | None
    low: float | None
    high: float | None
    weeks: int
    status: str

    @property
    def change(self) -> float | None:
        """actual / expected − 1 (None without an expected value, or when it is 0)."""
        if not self.expected:
            return None
        return self.actual / self.expected - 1

    def what(self) -> str:
        """The figure in words: "Revenue from France", or "Orders"."""
        label = _(METRIC_LABELS[self.metric])
        if self.group is None:
            return label
        return _("{metric} from {group}").format(metric=label, group=self.group)

    def usual(self, window: Window) -> str:
        """The comparison in words: "its usual Tuesday by 14:00"."""
        weekday = _(WEEKDAYS[self.end.day_of_week])
        clock = self.end.strftime("%H:%M")
        if window.hours is None:
            return _("its usual {weekday} by {time}").format(weekday=weekday, time=clock)
        return _("its usual {weekday} in the {hours} h to {time}").format(
            weekday=weekday, hours=window.hours, time=clock
        )

    def explain(self, window: Window) -> str:
        """The check in plain words, e.g. "Revenue from France is 62% below its usual Tuesday by
        14:00."."""
        what, when = self.what(), self.usual(window)
        if self.status == "no history":
            return _(
                "{what}: not enough history yet (needs the same window in two earlier weeks)."
            ).format(what=what)
        change = self.change
        if change is None:
            return _("{what} is {actual:,.0f}, where {when} had none.").format(
                what=what, actual=self.actual, when=when
            )
        pct = f"{abs(change):.0%}"
        if self.status == "below":
            return _("{what} is {pct} below {when}.").format(what=what, pct=pct, when=when)
        if self.status == "above":
            return _("{what} is {pct} above {when}.").format(what=what, pct=pct, when=when)
        if change >= 0:
            return _("{what} is within its usual range ({pct} above {when}).").format(
                what=what, pct=pct, when=when
            )
        return _("{what} is within its usual range ({pct} below {when}).").format(
            what=what, pct=pct, when=when
        )


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def _usable_weeks(lines: pd.DataFrame, start: pd.Timestamp, weeks: int) -> list[int]:
    """The earlier weeks (1 … ``weeks`` back) whose same window the history holds in full."""
    earliest = lines["timestamp"].min()
    if pd.isna(earliest):
        return []
    return [k for k in range(1, weeks + 1) if start - k * WEEK >= earliest.normalize()]


def metric_value(lines: pd.DataFrame, metric: str) -> float:
    column, how = METRICS[metric]
    if lines.empty:
        return 0.0
    return float(lines[column].nunique() if how == "nunique" else lines[column].sum())


def _require(frame: pd.DataFrame, metric: str, by: str | None) -> None:
    if metric not in METRICS:
        raise AnalyticsError(
            _("{metric!r} is not a figure the monitor follows: use {choices}.").format(
                metric=metric, choices=", ".join(METRICS)
            )
        )
    needed = [METRICS[metric][0], "timestamp", *([by] if by else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            _("The data has no {columns} column, which this check needs.").format(
                columns=", ".join(missing)
            ),
            hint=_("Map the column on the Data page, or choose another figure."),
        )


def filtered(frame: pd.DataFrame, where: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The lines whose columns hold the values given (``(column, value)`` pairs, all must hold)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where:
        if column not in frame.columns:
            raise AnalyticsError(
                _("The filter's column {column!r} is not in the data.").format(column=column)
            )
        mask &= frame[column].astype("string") == str(value)
    return frame[mask]


def checks(
    frame: pd.DataFrame,
    now: pd.Timestamp,
    *,
    metric: str = "revenue",
    window: Window | str = "day",
    by: str | None = None,
    where: tuple[tuple[str, str], ...] = (),
    weeks: int = DEFAULT_WEEKS,
    sensitivity: float = DEFAULT_SENSITIVITY,
) -> list[Check]:
    """The figure of the window ending ``now`` against its band, overall or per value of ``by``.

    ``frame`` holds order lines (``timestamp`` and the metric's column; ``by`` when given). Lines
    after ``now`` (future timestamps: clock skew) are not counted. Groups are the values of ``by``
    seen in the history or the window, largest expected first.
    """
    window = window if isinstance(window, Window) else Window.parse(window)
    _require(frame, metric, by)
    now = pd.Timestamp(now)
    lines = filtered(frame, where)
    lines = lines[lines["timestamp"] < now]
    start, end = window.bounds(now)
    usable = _usable_weeks(lines, start, weeks)
    seen = [] if by is None else lines[by].dropna().astype("string").unique().tolist()
    groups: list[str | None] = [None] if by is None else sorted(seen)
    keys = lines[by].astype("string") if by is not None else None
    variance = fit_variance(lines, now, metric=metric, window=window, by=by, weeks=len(usable))
    out = []
    for group in groups:
        mine = lines if keys is None else lines[(keys == group).to_numpy()]
        stamps = mine["timestamp"]
        actual = metric_value(mine.loc[(stamps >= start) & (stamps < end)], metric)
        if len(usable) < 2:
            out.append(
                Check(
                    metric, group, start, end, actual, None, None, None, len(usable), "no history"
                )
            )
            continue
        before = [
            metric_value(mine.loc[(stamps >= start - k * WEEK) & (stamps < end - k * WEEK)], metric)
            for k in usable
        ]
        expected = float(np.mean(before))
        counts = METRICS[metric][1] == "nunique"
        low, high = band(expected, variance, len(usable), sensitivity, counts=counts)
        status = "below" if actual < low else "above" if actual > high else "within"
        out.append(
            Check(metric, group, start, end, actual, expected, low, high, len(usable), status)
        )
    out.sort(key=lambda c: -(c.expected or 0))
    return out


@dataclass(frozen=True)
class Variance:
    """``var = a·μ + b·μ²`` for one figure and window (see the module's text)."""

    a: float
    b: float
    points: int

    def __call__(self, mean: float) -> float:
        return self.a * mean + self.b * mean * mean


def band(
    expected: float,
    variance: Variance,
    weeks: int,
    sensitivity: float,
    *,
    counts: bool = False,
) -> tuple[float, float]:
    """The low and high ends for an expected value, ``sensitivity`` standard normal units per
    side (a tail of 1 − Φ(sensitivity) each), with the predictive variance.

    Counts (orders, customers) use the negative binomial with that mean and variance: a figure
    is below the band when a count that low has less than the tail's chance, exactly, which a
    continuous curve gets wrong for small counts (no order in an hour that usually has five
    happens once in 150 such hours). Revenue uses a Gamma, widened by half a typical order each
    side (``variance.a``), with a low end under half an order taken as 0.
    """
    weeks = max(weeks, 1)
    step = 1.0 if counts else variance.a
    # A window that never sold in K weeks may still sell now and then: as if half a step had
    # sold once in them (so one order at 3 am, where none came for weeks, is not news; five are).
    expected = max(expected, step / (2 * weeks))
    var = variance(expected) * (1 + 1 / weeks)
    tail = stats.norm.sf(sensitivity)
    if counts:
        if var <= expected * (1 + 1e-9):
            return (
                float(stats.poisson.ppf(tail, expected)),
                float(stats.poisson.isf(tail, expected)),
            )
        size = expected * expected / (var - expected)
        chance = size / (size + expected)
        return (
            float(stats.nbinom.ppf(tail, size, chance)),
            float(stats.nbinom.isf(tail, size, chance)),
        )
    shape, scale = expected * expected / var, var / expected
    low = float(stats.gamma.ppf(tail, shape, scale=scale)) - step / 2
    high = float(stats.gamma.isf(tail, shape, scale=scale)) + step / 2
    return max(low, 0.0), high


def _floor(lines: pd.DataFrame, metric: str) -> float:
    """The counting noise's ``a``: 1 for counts; for revenue, the mean square order value over the
    mean order value (a compound Poisson sum)."""
    if metric != "revenue":
        return 1.0
    if "order_id" in lines.columns:
        per_order = lines.groupby("order_id", sort=False, observed=True)["revenue"].sum()
    else:
        per_order = lines["revenue"]
    per_order = per_order[per_order > 0]
    if per_order.empty:
        return 1.0
    return float((per_order**2).sum() / per_order.sum())


def hourly(
    lines: pd.DataFrame, metric: str, by: str | None, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The figure per hour (rows: hours from ``start`` to ``end``; columns: groups, or one).
    Counts of distinct orders or customers are per hour, so a window's sum counts a customer who
    bought in two of its hours twice: close enough to fit a variance on."""
    column, how = METRICS[metric]
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    span = lines[(lines["timestamp"] >= start) & (lines["timestamp"] < end)]
    keys = [span["timestamp"].dt.floor("h")]
    if by is not None:
        keys.append(span[by].astype("string").rename("group"))
    grouped = span.groupby(keys, sort=False, observed=True)[column]
    values = grouped.nunique() if how == "nunique" else grouped.sum()
    table = values.unstack("group") if by is not None else values.to_frame("all")
    return table.reindex(hours, fill_value=0).fillna(0)


def fit_variance(
    lines: pd.DataFrame,
    now: pd.Timestamp,
    *,
    metric: str,
    window: Window,
    by: str | None,
    weeks: int,
) -> Variance:
    """Fit ``a`` and ``b`` on the windows ending at each hour of the last week before yesterday,
    each against the mean of the same window in the ``weeks`` weeks before it."""
    floor = _floor(lines, metric)
    fitted_weeks = min(weeks, DEFAULT_WEEKS)
    if fitted_weeks < 2:
        return Variance(floor, 0.0, 0)
    last = (now - pd.Timedelta(days=1)).floor("h")  # the newest day may hold what is checked
    first = last - WEEK * (fitted_weeks + 1) - pd.Timedelta(days=1)
    table = hourly(lines, metric, by, first, last).to_numpy(dtype=float)
    hours = pd.date_range(first, last, freq="h", inclusive="left")
    if window.hours is None:  # the day so far: sums within each day, up to each hour
        day = hours.normalize()
        sums = pd.DataFrame(table).groupby(np.asarray(day)).cumsum().to_numpy()
    else:
        cumulative = np.vstack([np.zeros((1, table.shape[1])), np.cumsum(table, axis=0)])
        h = window.hours
        sums = np.full_like(table, np.nan)
        sums[h - 1 :] = cumulative[h:] - cumulative[:-h]
    step = 24 * 7
    targets = np.arange(len(hours) - step, len(hours))
    before = np.stack([sums[targets - k * step] for k in range(1, fitted_weeks + 1)])
    mean = before.mean(axis=0)
    actual = sums[targets]
    ok = np.isfinite(mean) & np.isfinite(actual) & (mean > 0)
    mean, actual = mean[ok], actual[ok]
    if mean.size < 10:
        return Variance(floor, 0.0, int(mean.size))
    squared = (actual - mean) ** 2 / (1 + 1 / fitted_weeks)
    design = np.column_stack([mean, mean * mean])
    weights = 1 / (floor * mean + 1e-9)
    a, b = optimize.nnls(design * weights[:, None], squared * weights)[0]
    current = Variance(max(a, floor), b, int(mean.size))
    weights = 1 / np.maximum(current(mean), 1e-9)  # one reweighting by the fitted variance
    a, b = optimize.nnls(design * weights[:, None], squared * weights)[0]
    return Variance(max(float(a), floor), float(b), int(mean.size))


def top_movers(
    frame: pd.DataFrame,
    now: pd.Timestamp,
    *,
    window: Window | str = "day",
    weeks: int = DEFAULT_WEEKS,
    top: int = 10,
    min_expected: float = 3.0,
) -> pd.DataFrame:
    """The products whose units in the window depart most from their own usual rate.

    Each product's expected units are the mean of the same window in earlier weeks; the departure
    is a z-score under Poisson-like counting noise widened by the expected value's own error. Only
    products that usually sell ``min_expected`` units in the window, or sell that many now, count.
    """
    window = window if isinstance(window, Window) else Window.parse(window)
    if "product" not in frame.columns:
        raise AnalyticsError(
            _("The data has no product column, so there are no products to compare."),
            hint=_("Map the product column on the Data page."),
        )
    now = pd.Timestamp(now)
    lines = frame[frame["timestamp"] < now]
    start, end = window.bounds(now)
    usable = _usable_weeks(lines, start, weeks)
    columns = ["product", "units", "expected", "ratio", "z"]
    if len(usable) < 2:
        return pd.DataFrame(columns=columns)
    units = "quantity" if "quantity" in lines.columns else None
    if units:  # returns are not sales: a product returned today is no mover
        lines = lines[lines[units] > 0]

    def per_product(a: pd.Timestamp, b: pd.Timestamp) -> pd.Series:
        span = lines[(lines["timestamp"] >= a) & (lines["timestamp"] < b)]
        grouped = span.groupby("product", sort=False, observed=True)
        return grouped[units].sum() if units else grouped.size()

    now_units = per_product(start, end)
    before = pd.concat(
        [per_product(start - k * WEEK, end - k * WEEK) for k in usable], axis=1
    ).fillna(0)
    expected = before.mean(axis=1)
    table = pd.DataFrame({"units": now_units, "expected": expected}).fillna(0)
    table = table[(table["expected"] >= min_expected) | (table["units"] >= min_expected)]
    spread = np.sqrt(np.maximum(table["expected"], 1.0) * (1 + 1 / len(usable)))
    table["z"] = (table["units"] - table["expected"]) / spread
    table["ratio"] = table["units"] / table["expected"].where(table["expected"] > 0)
    table = table.reindex(table["z"].abs().sort_values(ascending=False).index).head(top)
    table = table.rename_axis("product").reset_index()[columns]
    if "product_name" in lines.columns:
        names = product_names(lines, table["product"])
        table.insert(1, "name", table["product"].map(names))
    return table


def mover_text(row: pd.Series) -> str:
    """One mover in words: "Mug sells 5.2× its usual rate (52 against about 10)"."""
    name = row.get("name")
    product = row["product"] if name is None or pd.isna(name) else f"{name} ({row['product']})"
    if not row["expected"]:
        return _("{product} sells {units:,.0f}, where it usually sells none.").format(
            product=product, units=row["units"]
        )
    if not row["units"]:
        return _("{product} sells none, where it usually sells about {expected:,.0f}.").format(
            product=product, expected=row["expected"]
        )
    return _(
        "{product} sells {ratio:.1f}× its usual rate ({units:,.0f} against about {expected:,.0f})."
    ).format(product=product, ratio=row["ratio"], units=row["units"], expected=row["expected"])
