"""Marketing mix: what each channel's spend added to sales, and what the next dollar buys.

sales(t) = base(t) + Σ_c β_c · hill(adstock_c(spend_c)(t) / max_c)

- **adstock**: geometric carry-over, a share ``decay`` of this week's effect carries to the
  next, over at most ``L_MAX`` weeks, with weights that sum to one (the normalised form
  PyMC-Marketing and Robyn use), so the decay moves the effect in time without changing its size;
- **saturation**: a Hill curve x / (x + half) on the carried-over spend scaled by its largest
  value (``half`` = the scaled spend at which a channel gives half its most);
- **base**: intercept, linear trend, two yearly Fourier pairs and the controls (any sign);
- β ≥ 0: spend never lowers sales.

Fitting: for each channel's (decay, half) on a grid, the linear part is solved exactly by
bounded least squares with a light ridge on the channel coefficients (the base projected out,
the channels by scipy's non-negative least squares); a coordinate search over the grid keeps the pair that lowers the error most, until
no pair does. Intervals come from a moving-block bootstrap of the residuals (blocks of four
weeks), refitting the grid search from the estimate on every replicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from analytics.display import Column, Display
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _

#: Longest carry-over, in periods.
L_MAX = 12
#: The grids the search walks: share carried to the next period, and the half-saturation point
#: on spend scaled by its maximum.
DECAYS = np.round(np.linspace(0.0, 0.9, 10), 2)
HALVES = np.array([0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.5, 5.0, 20.0])
RIDGE = 1e-3
BLOCK = 4


def adstock(x: np.ndarray, decay: float, l_max: int = L_MAX) -> np.ndarray:
    """Geometric carry-over with weights decay⁰ … decay^(l_max−1), normalised to sum to one."""
    weights = decay ** np.arange(l_max)
    return np.convolve(x, weights / weights.sum())[: len(x)]


def hill(x: np.ndarray, half: float) -> np.ndarray:
    """Diminishing returns: 0 at 0, one half at ``half``, approaching 1."""
    return x / (x + half)


def half_life(decay: float) -> float:
    """Periods until a carried-over effect halves (0 when nothing carries over)."""
    return float(np.log(0.5) / np.log(decay)) if decay > 0 else 0.0


def base_design(dates: pd.DatetimeIndex, controls: np.ndarray) -> np.ndarray:
    """Intercept, linear trend, two yearly sine/cosine pairs and the controls."""
    n = len(dates)
    angle = 2 * np.pi * dates.day_of_year.to_numpy() / 365.25
    columns = [np.ones(n), np.arange(n) / max(n - 1, 1)]
    for k in (1, 2):
        columns += [np.sin(k * angle), np.cos(k * angle)]
    return np.column_stack([*columns, *(controls[:, j] for j in range(controls.shape[1]))])


def _basis(base: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the base's columns (collinear ones dropped)."""
    q, r = np.linalg.qr(base)
    keep = np.abs(np.diag(r)) > 1e-10 * max(np.abs(np.diag(r)).max(), 1e-300)
    return q[:, keep]


def _channels(q: np.ndarray, ry: np.ndarray, media: np.ndarray) -> tuple[np.ndarray, float]:
    """The channel coefficients and the squared error, with the base projected out
    (Frisch–Waugh: the same optimum as bounded least squares on every coefficient, with only
    the channels through non-negative least squares, far faster inside the grid search) and a
    light ridge on the channels. ``ry`` is the outcome with the base projected out."""
    rm = media - q @ (q.T @ media)
    nm = media.shape[1]
    penalty = np.sqrt(RIDGE * len(ry)) * np.eye(nm)
    m, _ignored = nnls(np.vstack([rm, penalty]), np.r_[ry, np.zeros(nm)])
    residual = ry - rm @ m
    return m, float(residual @ residual)


def _media(scaled: np.ndarray, params: Sequence[tuple[float, float]]) -> np.ndarray:
    return np.column_stack(
        [hill(adstock(scaled[:, i], decay), half) for i, (decay, half) in enumerate(params)]
    )


def _search(
    base: np.ndarray,
    scaled: np.ndarray,
    y: np.ndarray,
    start: Sequence[tuple[float, float]],
    cycles: int = 4,
) -> tuple[list[tuple[float, float]], np.ndarray]:
    """Coordinate search over each channel's (decay, half) grid from ``start``."""
    params = list(start)
    q = _basis(base)
    ry = y - q @ (q.T @ y)

    def error(columns: list[np.ndarray]) -> float:
        return _channels(q, ry, np.column_stack(columns))[1]

    columns = [hill(adstock(scaled[:, i], d), h) for i, (d, h) in enumerate(params)]
    best = error(columns)
    for _cycle in range(cycles):
        improved = False
        for i in range(scaled.shape[1]):
            carried = {d: adstock(scaled[:, i], d) for d in DECAYS}
            for decay in DECAYS:
                for half in HALVES:
                    trial = list(columns)
                    trial[i] = hill(carried[decay], half)
                    found = error(trial)
                    if found < best - 1e-12 * max(best, 1.0):
                        best, params[i], columns = found, (float(decay), float(half)), trial
                        improved = True
        if not improved:
            break
    media = np.column_stack(columns)
    m, _ignored = _channels(q, ry, media)
    b = np.linalg.lstsq(base, y - media @ m, rcond=None)[0]
    return params, np.r_[b, m]


@dataclass(frozen=True)
class MixData:
    """A mix model's input: one row per period (``dates``), the outcome, each channel's spend
    and the controls."""

    dates: pd.DatetimeIndex
    outcome: str
    y: np.ndarray
    spend: pd.DataFrame
    controls: pd.DataFrame
    freq: str

    @property
    def channels(self) -> list[str]:
        return [str(c) for c in self.spend.columns]


def periods_needed(channels: int, controls: int) -> int:
    """The fewest periods a fit needs: four per unknown of the model (three per channel, six for
    the base, one per control), and at least 26."""
    return max(26, 4 * (3 * channels + 6 + controls))


def mix_data(
    frame: pd.DataFrame,
    date: str,
    outcome: str,
    channels: Sequence[str],
    controls: Sequence[str] = (),
) -> MixData:
    """Check and order a weekly (or daily) table for a mix model; refused in words when it has
    gaps, negative or empty spend, a constant outcome or too few periods."""
    if not channels:
        raise AnalyticsError("Choose at least one channel (a column of spend or impressions).")
    missing = [c for c in (date, outcome, *channels, *controls) if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"There is no column {missing[0]!r}.")
    dates = pd.to_datetime(frame[date], errors="coerce")
    if dates.isna().any():
        raise AnalyticsError(f"{int(dates.isna().sum())} row(s) of {date!r} are not dates.")
    table = frame.assign(_date=dates).sort_values("_date")
    if table["_date"].duplicated().any():
        raise AnalyticsError(
            f"Some dates appear twice in {date!r}: a mix model needs one row per week (or day).",
            hint="Add the rows of each week together first.",
        )
    steps = table["_date"].diff().dropna().dt.days
    step = int(steps.mode().iloc[0]) if len(steps) else 7
    if step not in (1, 7):
        raise AnalyticsError(
            f"The dates are {step} days apart: a mix model needs weekly or daily rows."
        )
    gaps = table.loc[table["_date"].diff().dt.days > step, "_date"]
    if len(gaps):
        first = gaps.iloc[0] - pd.Timedelta(days=step)
        raise AnalyticsError(
            f"{len(gaps)} gap(s) in the {'weeks' if step == 7 else 'days'}: the first "
            f"missing one is {first:%Y-%m-%d}.",
            hint="Add the missing periods (with zero spend if nothing was spent).",
        )
    y = pd.to_numeric(table[outcome], errors="coerce")
    if y.isna().any() or y.nunique() < 2:
        raise AnalyticsError(
            f"The outcome {outcome!r} must be a number in every row and must vary."
        )
    spend = table[list(channels)].apply(pd.to_numeric, errors="coerce")
    if spend.isna().any().any():
        bad = spend.columns[spend.isna().any()].tolist()
        raise AnalyticsError(f"The channel column(s) {', '.join(bad)} hold empty or text cells.")
    negative = spend.columns[(spend < 0).any()].tolist()
    if negative:
        raise AnalyticsError(
            f"Spend cannot be negative, and {', '.join(negative)} has negative values.",
            hint="Refunds and credits belong in a control column, not in spend.",
        )
    empty = spend.columns[(spend == 0).all()].tolist()
    if empty:
        raise AnalyticsError(
            f"{', '.join(empty)} spent nothing in every period: its effect cannot be measured.",
            hint="Leave it out of the channels.",
        )
    needed = periods_needed(len(channels), len(controls))
    if len(table) < needed:
        raise AnalyticsError(
            f"{len(channels)} channel(s) and {len(controls)} control(s) need at least {needed} "
            f"{'weeks' if step == 7 else 'days'} of data; this table has {len(table)}.",
            hint="Load a longer history, or model fewer channels.",
        )
    control_frame = table[list(controls)].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    return MixData(
        pd.DatetimeIndex(table["_date"]),
        outcome,
        y.to_numpy(float),
        spend.reset_index(drop=True).astype(float),
        control_frame.reset_index(drop=True),
        "W" if step == 7 else "D",
    )


@dataclass(frozen=True)
class MixResult:
    """A fitted mix model: each channel's (decay, half) and coefficient, with bootstrap
    replicates of both, the out-of-sample check and the channels too alike to separate."""

    data: MixData
    params: list[tuple[float, float]]
    coefficients: np.ndarray
    replicates: list[tuple[list[tuple[float, float]], np.ndarray]]
    holdout: dict[str, float]
    collinear: list[tuple[str, str, float]]

    @property
    def scale(self) -> np.ndarray:
        return self.data.spend.max().to_numpy(float)

    def _base(self) -> np.ndarray:
        return base_design(self.data.dates, self.data.controls.to_numpy(float))

    def _channel_contributions(
        self, params: Sequence[tuple[float, float]], coefficients: np.ndarray
    ) -> np.ndarray:
        media = _media(self.data.spend.to_numpy(float) / self.scale, params)
        return media * coefficients[-len(params) :]

    def contributions(self) -> pd.DataFrame:
        """Per period: the base (trend, season, controls, intercept) and each channel's part."""
        base = self._base() @ self.coefficients[: -len(self.params)]
        parts = self._channel_contributions(self.params, self.coefficients)
        table = pd.DataFrame(parts, columns=self.data.channels, index=self.data.dates)
        table.insert(0, "base", base)
        table.index.name = "period"
        return table

    def summary(self) -> pd.DataFrame:
        """Per channel: spend, contribution, share of the channels' contribution with its 95%
        interval, ROI, marginal ROI at the recent spend, decay, half-life and half-saturation."""
        parts = self._channel_contributions(self.params, self.coefficients).sum(axis=0)
        shares = parts / parts.sum() if parts.sum() > 0 else np.zeros_like(parts)
        boot = np.array(
            [
                (lambda p: p / p.sum() if p.sum() > 0 else p)(
                    self._channel_contributions(params, coefs).sum(axis=0)
                )
                for params, coefs in self.replicates
            ]
        )
        low, high = np.percentile(boot, [2.5, 97.5], axis=0) if len(boot) else (shares, shares)
        spend = self.data.spend.sum().to_numpy(float)
        recent = self.recent_spend()
        marginal = [self.marginal_return(i, recent[i]) for i in range(len(self.params))]
        return pd.DataFrame(
            {
                "channel": self.data.channels,
                "spend": spend,
                "contribution": parts,
                "share": shares,
                "share_low": low,
                "share_high": high,
                "roi": np.divide(parts, spend, out=np.zeros_like(parts), where=spend > 0),
                "marginal_roi": marginal,
                "decay": [d for d, _ in self.params],
                "half_life": [half_life(d) for d, _ in self.params],
                "half_saturation": [
                    h * s for (_, h), s in zip(self.params, self.scale, strict=True)
                ],
            }
        )

    def words(self, display: Display | None = None) -> list[str]:
        """The fit's check and each channel's figures in a sentence."""
        shown = display or Display()
        unit = _("week") if self.data.freq == "W" else _("day")
        lines = [
            _(
                "Fitted without the last {n} {unit}s, the model predicted them with an average "
                "miss of {miss} (R² {r2})."
            ).format(
                n=f"{self.holdout['periods']:.0f}",
                unit=unit,
                miss=shown.percent(self.holdout["mape"], 1),
                r2=shown.number(self.holdout["r2"], 2),
            )
        ]
        for a, b, r in self.collinear:
            lines.append(
                _(
                    "{a} and {b} rose and fell together (correlation {r}): the model cannot tell "
                    "their effects apart well; read their shares as one."
                ).format(a=a, b=b, r=shown.number(r, 2))
            )
        for _row, row in self.summary().iterrows():
            lines.append(
                _(
                    "{channel}: {share} of what the channels added (95% interval {low} to "
                    "{high}); each unit spent brought back {roi}, and one more unit at the recent "
                    "spend would bring {marginal}; its effect halves in {half} {unit}s."
                ).format(
                    channel=row["channel"],
                    share=shown.percent(row["share"], 0),
                    low=shown.percent(row["share_low"], 0),
                    high=shown.percent(row["share_high"], 0),
                    roi=shown.number(row["roi"], 2),
                    marginal=shown.number(row["marginal_roi"], 2),
                    half=shown.number(row["half_life"], 1),
                    unit=unit,
                )
            )
        return lines

    def recent_spend(self, periods: int = 13) -> np.ndarray:
        """Each channel's mean spend per period over the last ``periods``."""
        return self.data.spend.tail(periods).mean().to_numpy(float)

    def response(
        self, i: int, spend: np.ndarray | float, params=None, coefficients=None
    ) -> np.ndarray:
        """Channel ``i``'s contribution per period at a steady spend per period (with the
        normalised carry-over, a steady spend carries over to itself)."""
        params = self.params if params is None else params
        coefficients = self.coefficients if coefficients is None else coefficients
        _ignored, half = params[i]
        beta = coefficients[-len(params) + i]
        return beta * hill(np.asarray(spend, float) / self.scale[i], half)

    def marginal_return(self, i: int, spend: float) -> float:
        """Extra outcome per extra unit of spend per period, at ``spend``."""
        _ignored, half = self.params[i]
        beta = self.coefficients[-len(self.params) + i]
        x = spend / self.scale[i]
        return float(beta * half / (x + half) ** 2 / self.scale[i])


def _fitted_search(data: MixData, y: np.ndarray, rows: slice | None = None):
    scaled = data.spend.to_numpy(float) / data.spend.max().to_numpy(float)
    base = base_design(data.dates, data.controls.to_numpy(float))
    if rows is not None:
        scaled, base, y = scaled[rows], base[rows], y[rows]
    start = [(0.3, 0.5)] * scaled.shape[1]
    return _search(base, scaled, y, start)


def fit_mix(
    data: MixData,
    *,
    replicates: int = 60,
    holdout: int | None = None,
    random_state: int = 0,
) -> MixResult:
    """Fit the mix model, check it on the last ``holdout`` periods (default: 13 weeks, or a
    tenth of the data if shorter) fitted without them, and bootstrap it ``replicates`` times."""
    n = len(data.y)
    params, coefficients = _fitted_search(data, data.y)
    scaled = data.spend.to_numpy(float) / data.spend.max().to_numpy(float)
    base = base_design(data.dates, data.controls.to_numpy(float))
    fitted = np.column_stack([base, _media(scaled, params)]) @ coefficients
    residual = data.y - fitted
    # Out of sample: the search and the coefficients from the earlier periods only.
    h = holdout if holdout is not None else min(13, max(n // 10, 4))
    train = slice(0, n - h)
    early_params, early_coefficients = _fitted_search(data, data.y, train)
    predicted = np.column_stack([base, _media(scaled, early_params)])[n - h :] @ early_coefficients
    actual = data.y[n - h :]
    mape = float(np.mean(np.abs(predicted - actual) / np.abs(actual))) if np.all(actual) else np.nan
    r2 = float(1 - np.sum((actual - predicted) ** 2) / np.sum((actual - actual.mean()) ** 2))
    # Moving-block bootstrap of the residuals, the search restarted from the estimate.
    rng = np.random.default_rng(random_state)
    starts = np.arange(max(n - BLOCK + 1, 1))
    boot = []
    for _replicate in range(replicates):
        picks = rng.choice(starts, size=int(np.ceil(n / BLOCK)))
        noise = np.concatenate([residual[s : s + BLOCK] for s in picks])[:n]
        replicate_params, replicate_coefficients = _search(
            base, scaled, fitted + noise, params, cycles=1
        )
        boot.append((replicate_params, replicate_coefficients))
    media = _media(scaled, params)
    collinear = []
    for i in range(media.shape[1]):
        for j in range(i + 1, media.shape[1]):
            r = float(np.corrcoef(media[:, i], media[:, j])[0, 1])
            if abs(r) > 0.8:
                collinear.append((data.channels[i], data.channels[j], r))
    return MixResult(
        data,
        params,
        coefficients,
        boot,
        {"periods": h, "mape": mape, "r2": r2},
        collinear,
    )


#: How the channel figures read (the page's table and the report's).
MIX_COLUMNS: dict[str, Column] = {
    "channel": Column(N_("Channel"), "text"),
    "spend": Column(N_("Spend"), "money"),
    "current": Column(N_("Current spend"), "money"),
    "planned": Column(N_("Planned spend"), "money"),
    "current_outcome": Column(N_("Outcome now"), "number", decimals=0),
    "planned_outcome": Column(N_("Outcome planned"), "number", decimals=0),
    "contribution": Column(N_("Contribution"), "number", decimals=0),
    "share": Column(N_("Share"), "percent"),
    "share_low": Column(N_("Low (95%)"), "percent"),
    "share_high": Column(N_("High (95%)"), "percent"),
    "roi": Column(N_("ROI"), "number", N_("Contribution per unit of spend."), decimals=2),
    "marginal_roi": Column(
        N_("Marginal ROI"), "number", N_("What one more unit of spend brings now."), decimals=2
    ),
    "decay": Column(
        N_("Decay"), "number", N_("Share of the effect carried to the next period."), 2
    ),
    "half_life": Column(N_("Half-life (periods)"), "number", decimals=1),
    "half_saturation": Column(
        N_("Half-saturation spend"),
        "money",
        N_("Spend per period at which half the most is reached."),
    ),
}
