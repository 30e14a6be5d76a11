"""Sales series: one metric per day, week, month or quarter, built from transactions or read
from a series file (``build_series``, ``SalesSeries``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

# Imported here, not inside the functions: statsmodels resets warning filters when its modules
# are first imported, which would undo the ``catch_warnings`` blocks around the fits.
from analytics.data import Dataset, sales_mask
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _, day

Metric = Literal["revenue", "orders", "units", "customers"]
METRICS: tuple[str, ...] = get_args(Metric)
METRIC_LABELS = {
    "revenue": N_("Revenue"),
    "orders": N_("Orders"),
    "units": N_("Units sold"),
    "customers": N_("Active customers"),
}
Freq = Literal["D", "W", "M", "Q"]
FREQS: tuple[str, ...] = get_args(Freq)
FREQ_LABELS = {"D": N_("Day"), "W": N_("Week"), "M": N_("Month"), "Q": N_("Quarter")}
#: The season length each frequency implies (a week of days, a year of weeks, months, quarters).
SEASON = {"D": 7, "W": 52, "M": 12, "Q": 4}
#: Period frequencies: weeks run Monday to Sunday.
_PERIOD = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q"}


METRIC_COLUMNS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE")

#: Fewest points any model needs; fewer is refused.
MIN_POINTS = 6
#: Longest series forecast (11 years of days): dates spread over centuries are typos, and
#: backtesting every model on tens of thousands of periods would hold the page for minutes.
MAX_PERIODS = 4_000
#: Seasons longer than this go to SARIMA as Fourier terms and to ETS through STL (as R's stlf).
LONG_SEASON = 24


@dataclass(frozen=True)
class SalesSeries:
    """A regular series ready to forecast.

    Attributes
    ----------
    values : pandas.Series
        Float values indexed by period start (a regular DatetimeIndex).
    freq : str
        ``"D"``, ``"W"``, ``"M"`` or ``"Q"``.
    label : str
        What the values are, e.g. ``"Revenue per month"``.
    filled : numpy.ndarray
        True where a period had no data and was filled.
    notes : tuple of str
        What was filled, dropped or assumed, in plain words.
    key : str
        A content hash of the series (values, periods, label): caches key on it.
    options : dict
        The options that built the series, as :class:`ForecastParams` names them (``metric``,
        ``freq``, ``filters``, ``keep_incomplete``), for the forecast to repeat.
    """

    values: pd.Series
    freq: str
    label: str
    filled: np.ndarray
    notes: tuple[str, ...] = ()
    key: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def season(self) -> int:
        return SEASON[self.freq]

    def table(self) -> pd.DataFrame:
        """Period, value and whether it was filled, for display and export."""
        return pd.DataFrame(
            {"period": self.values.index, "value": self.values.to_numpy(), "filled": self.filled}
        )


def _periods(
    start: pd.Timestamp, freq: str, *, end: pd.Timestamp | None = None, n: int = 0
) -> pd.DatetimeIndex:
    """Period starts from ``start`` to ``end`` (or ``n`` of them)."""
    if end is not None:
        return pd.period_range(start, end, freq=_PERIOD[freq]).start_time
    return pd.period_range(start, periods=n, freq=_PERIOD[freq]).start_time


def _period_starts(stamps: pd.Series, freq: str) -> pd.Series:
    return stamps.dt.to_period(_PERIOD[freq]).dt.start_time


def _infer_freq(dates: pd.Series) -> str:
    days = float(np.median(np.diff(np.sort(dates.unique()).astype("datetime64[D]").astype(float))))
    if days < 2:
        return "D"
    if days < 10:
        return "W"
    if days < 45:
        return "M"
    return "Q"


@dataclass(frozen=True)
class _Sums:
    """Values added up per period start, before the calendar is made regular."""

    sums: pd.Series
    freq: str
    label: str
    #: How a period with no value is filled: ``"zero"`` (no sales) or ``"interpolated"``.
    filler: str
    #: The rows the sums come from, and the first and last moment the data covers.
    frame: pd.DataFrame
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    #: Whether a first or last period can be only partly covered (and is then dropped).
    may_be_partial: bool


def _series_sums(
    dataset: Dataset, frame: pd.DataFrame, freq: str | None, notes: list[str]
) -> _Sums:
    """A series file's values per period: its own spacing unless another is asked for."""
    if not dataset.has("value"):
        raise AnalyticsError(
            _("The series has no numeric values."),
            hint=_("Choose the value column under 'Column roles' on the Data page."),
        )
    frame = frame.loc[frame["value"].notna()]
    own = _infer_freq(frame["timestamp"]) if len(frame) > 1 else "D"
    freq = freq or own
    starts = _period_starts(frame["timestamp"], freq)
    duplicated = int(starts.duplicated().sum())
    if duplicated:
        notes.append(
            _("{n} rows share a period with another row; their values were added.").format(
                n=f"{duplicated:,}"
            )
        )
    return _Sums(
        sums=frame["value"].groupby(starts).sum(),
        freq=freq,
        label=_("{measure} per {step}").format(
            measure=dataset.mapping.value or _("Value"), step=_(FREQ_LABELS[freq]).lower()
        ),
        filler="interpolated",
        frame=frame,
        first_day=frame["timestamp"].min(),
        last_day=frame["timestamp"].max(),
        # Values added up into longer periods (days into weeks) can leave a part period.
        may_be_partial=FREQS.index(freq) > FREQS.index(own),
    )


def _transaction_sums(
    dataset: Dataset,
    frame: pd.DataFrame,
    metric: str,
    freq: str | None,
    filters: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | None,
    customers: Sequence[str] | None,
) -> _Sums:
    """One metric of the (filtered) transactions per period; monthly unless asked otherwise."""
    summed = None if metric in METRICS else _numeric_column(dataset, metric)
    freq = freq or "M"
    for column, wanted in dict(filters or {}).items():
        if column not in frame:
            raise AnalyticsError(f"There is no column {column!r} to filter on.")
        if wanted:
            frame = frame.loc[frame[column].astype("str").isin([str(v) for v in wanted])]
    if customers is not None and "customer_id" in frame:
        frame = frame.loc[frame["customer_id"].astype("str").isin(set(map(str, customers)))]
    if frame.empty:
        raise AnalyticsError(
            "No rows are left to make a series from.",
            hint="Widen the filters or choose another segment.",
        )
    if summed is None:
        sums = _metric_per_period(frame, metric, freq)
    else:
        sums = frame[summed].groupby(_period_starts(frame["timestamp"], freq)).sum()
    return _Sums(
        sums=sums,
        freq=freq,
        label=_("{measure} per {step}").format(
            measure=_(METRIC_LABELS.get(metric, metric)), step=_(FREQ_LABELS[freq]).lower()
        ),
        filler="zero",
        frame=frame,
        first_day=dataset.frame["timestamp"].min(),
        last_day=dataset.frame["timestamp"].max(),
        may_be_partial=True,
    )


def _regular(summed: _Sums, notes: list[str]) -> tuple[pd.Series, np.ndarray]:
    """The sums on every period from the first to the last, gaps filled; which were filled."""
    sums, freq = summed.sums, summed.freq
    if sums.empty:
        raise AnalyticsError(_("No dated values are left to make a series from."))
    index = _periods(sums.index.min(), freq, end=sums.index.max())
    if len(index) > MAX_PERIODS:
        raise AnalyticsError(
            _(
                "The dates run from {first} to {last}: {n} {step}s, more than the {limit} "
                "MarketLens forecasts."
            ).format(
                first=day(index[0]),
                last=day(index[-1]),
                n=f"{len(index):,}",
                step=_(FREQ_LABELS[freq]).lower(),
                limit=f"{MAX_PERIODS:,}",
            ),
            hint=_(
                "Dates decades apart are usually typos: remove them with the cleaning step on "
                "the Data page, or choose a longer period (months instead of days)."
            ),
        )
    values = sums.reindex(index).astype(float)
    filled = values.isna().to_numpy()
    if filled.any():
        if summed.filler == "zero":
            values = values.fillna(0.0)
            notes.append(
                _("{n} periods had no sales and count as zero.").format(n=f"{int(filled.sum()):,}")
            )
        else:
            values = values.interpolate(limit_direction="both")
            notes.append(
                _(
                    "{n} missing periods were filled by straight-line interpolation between "
                    "their neighbours."
                ).format(n=f"{int(filled.sum()):,}")
            )
    return values, filled


def _check_forecastable(dataset: Dataset, freq: str | None) -> None:
    """Refuse, in plain words, data with no dates and frequencies MarketLens does not know."""
    if dataset.kind not in ("transactions", "series"):
        raise AnalyticsError(
            _("A forecast needs transactions or a series, and this dataset is {kind}.").format(
                kind=_(dataset.kind)
            ),
            hint=_(
                "Load a sales export, or a file with a date and a value per period, on the Data "
                "page."
            ),
        )
    if not dataset.has("timestamp"):
        raise AnalyticsError(
            _(
                "A forecast needs dates, and no date column is mapped or none of its values could "
                "be read as a date."
            ),
            hint=_("Choose the date column under 'Column roles' on the Data page."),
        )
    if freq is not None and freq not in FREQS:
        raise AnalyticsError(f"Frequency must be one of {', '.join(FREQS)}, got {freq!r}.")


def build_series(
    dataset: Dataset,
    *,
    metric: str = "revenue",
    freq: str | None = None,
    filters: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | None = None,
    customers: Sequence[str] | None = None,
    keep_incomplete: bool = False,
) -> SalesSeries:
    """Aggregate a dataset into a regular series of one metric per period.

    Parameters
    ----------
    dataset : Dataset
        Transactions, or a series (date + value).
    metric : str
        Transactions: ``"revenue"`` (net of returns), ``"orders"``, ``"units"`` or
        ``"customers"`` (distinct customers with an order). Series: ignored (the value column).
    freq : str, optional
        ``"D"``, ``"W"`` (weeks start on Monday), ``"M"`` or ``"Q"``; default monthly for
        transactions and the series' own spacing for a series.
    filters : mapping or (column, values) pairs, optional
        Column → values to keep, e.g. ``{"Country": ["France"], "product_name": ["Mug"]}``.
    customers : sequence of str, optional
        Keep only these customers' orders (e.g. one segment).
    keep_incomplete : bool
        Keep a first or last period that the data covers only in part as it is (by default it
        is scaled up to a whole period when half of it or more is covered, else left out).

    Returns
    -------
    SalesSeries

    Raises
    ------
    AnalyticsError
        When the data has no dates, no value, or fewer than ``MIN_POINTS`` periods.

    Example
    -------
    >>> series = build_series(dataset, metric="orders", freq="W")
    """
    _check_forecastable(dataset, freq)
    notes: list[str] = []
    frame = dataset.frame
    undated = int(frame["timestamp"].isna().sum())
    if undated:
        notes.append(_("{n} rows without a readable date left out.").format(n=f"{undated:,}"))
        frame = frame.loc[frame["timestamp"].notna()]
    if dataset.kind == "series":
        summed = _series_sums(dataset, frame, freq, notes)
    else:
        summed = _transaction_sums(dataset, frame, metric, freq, filters, customers)
    additive = dataset.kind == "series" or metric != "customers"
    options = {
        "metric": metric,
        "freq": freq,
        "filters": dict(filters or {}),
        "keep_incomplete": keep_incomplete,
    }
    return _finished(
        summed, notes, keep_incomplete=keep_incomplete, additive=additive, options=options
    )


def _finished(
    summed: _Sums,
    notes: list[str],
    *,
    keep_incomplete: bool,
    additive: bool,
    options: dict[str, Any],
) -> SalesSeries:
    """The sums on a regular calendar, part periods at the ends scaled or left out, checked."""
    values, filled = _regular(summed, notes)
    if summed.may_be_partial and not keep_incomplete:
        values, filled = _complete_ends(
            values,
            filled,
            summed.freq,
            summed.first_day,
            summed.last_day,
            summed.frame,
            notes,
            additive=additive,
        )
    if len(values) < MIN_POINTS:
        raise AnalyticsError(
            _("The series has {n} {step}s; a forecast needs at least {least}.").format(
                n=len(values), step=_(FREQ_LABELS[summed.freq]).lower(), least=MIN_POINTS
            ),
            hint=_("Choose a shorter period (e.g. weeks instead of months) or load more history."),
        )
    values.name = summed.label
    key = _digest(values, summed.freq, filled)
    return SalesSeries(values, summed.freq, summed.label, filled, tuple(notes), key, options)


def series_from_sums(
    sums: pd.Series,
    *,
    metric: str,
    freq: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
    day_ends: pd.Series,
    notes: Sequence[str] = (),
    keep_incomplete: bool = False,
) -> SalesSeries:
    """A transactions metric already added up per period elsewhere (the large-source engines
    add it up in SQL), finished exactly as :func:`build_series` finishes its own sums.

    Parameters
    ----------
    sums : pandas.Series
        The metric per period start (periods without sales may be missing).
    metric, freq, keep_incomplete
        As :func:`build_series` takes them.
    first, last : Timestamp
        The first and last moment of the whole data (which part periods are measured against).
    day_ends : pandas.Series
        The last time of each day with sales: with daily periods, a last day cut short is left
        out when it ends hours before the usual day.
    notes : sequence of str
        What was left out on the way, to head the series' own notes.
    """
    if freq not in FREQS:
        raise AnalyticsError(f"freq must be one of {', '.join(FREQS)}, got {freq!r}.")
    summed = _Sums(
        sums=sums.sort_index(),
        freq=freq,
        label=_("{measure} per {step}").format(
            measure=_(METRIC_LABELS.get(metric, metric)), step=_(FREQ_LABELS[freq]).lower()
        ),
        filler="zero",
        frame=pd.DataFrame({"timestamp": day_ends}),
        first_day=first,
        last_day=last,
        may_be_partial=True,
    )
    options = {"metric": metric, "freq": freq, "filters": {}, "keep_incomplete": keep_incomplete}
    return _finished(
        summed,
        list(notes),
        keep_incomplete=keep_incomplete,
        additive=metric != "customers",
        options=options,
    )


def series_from_values(
    values: Sequence[float] | pd.Series, *, freq: str, start: str = "2000-01-01", label: str = ""
) -> SalesSeries:
    """A series from plain numbers, one per period from ``start`` (for tests and scripts)."""
    data = np.asarray(values, dtype=float)
    index = _periods(pd.Timestamp(start), freq, n=len(data))
    if len(data) < MIN_POINTS:
        raise AnalyticsError(
            f"The series has {len(data)} points; a forecast needs at least {MIN_POINTS}."
        )
    if not np.isfinite(data).all():
        raise AnalyticsError("The series has missing or infinite values.")
    series = pd.Series(data, index=index, name=label or "value")
    filled = np.zeros(len(data), bool)
    return SalesSeries(series, freq, label or "value", filled, (), _digest(series, freq, filled))


def _digest(values: pd.Series, freq: str, filled: np.ndarray) -> str:
    """A content hash of a series: what caches key on."""
    digest = hashlib.sha256(freq.encode())
    digest.update(pd.DatetimeIndex(values.index).asi8.tobytes())
    digest.update(values.to_numpy(float).tobytes())
    digest.update(filled.tobytes())
    digest.update(str(values.name).encode())
    return digest.hexdigest()[:32]


def _numeric_column(dataset: Dataset, name: str) -> str:
    """The frame column behind a user's column name (roles are renamed), if it holds numbers."""
    by_user = {column: role for role, column in dataset.mapping.roles().items()}
    column = by_user.get(name, name)
    if column not in dataset.frame or not pd.api.types.is_numeric_dtype(dataset.frame[column]):
        raise AnalyticsError(
            f"The metric must be one of {', '.join(METRICS)} or a numeric column; "
            f"{name!r} is neither.",
        )
    return column


def _metric_per_period(frame: pd.DataFrame, metric: str, freq: str) -> pd.Series:
    starts = _period_starts(frame["timestamp"], freq)
    if metric == "revenue":
        return frame["revenue"].groupby(starts).sum()
    sales = sales_mask(frame)
    if metric == "orders":
        column = "order_id"
    elif metric == "customers":
        column = "customer_id"
    else:
        return frame.loc[sales, "quantity"].groupby(starts[sales]).sum()
    if column not in frame:
        raise AnalyticsError(
            _("{metric} need the {column} column.").format(
                metric=_(METRIC_LABELS[metric]), column=column.replace("_", " ")
            ),
            hint=_("Map it under 'Column roles' on the Data page, or choose another metric."),
        )
    return frame.loc[sales, column].groupby(starts[sales]).nunique()


def _complete_ends(
    values: pd.Series,
    filled: np.ndarray,
    freq: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
    frame: pd.DataFrame,
    notes: list[str],
    *,
    additive: bool,
) -> tuple[pd.Series, np.ndarray]:
    """A first or last period the data covers only in part, with a note: scaled up to a whole
    period when the figure adds up over days (revenue, orders, units) and the data covers at
    least half of it (a sample that starts on 2 January keeps its first month, and so its second
    season); left out otherwise (distinct customers do not add up over days; a few days are too
    few to scale). A day cut short is left out."""
    keep = np.ones(len(values), bool)
    name = _(FREQ_LABELS[freq]).lower()
    if freq == "D":
        # A day is cut short when the data stops hours before the usual last order of a day.
        times = frame["timestamp"]
        if (times.dt.normalize() != times).any():
            day_ends = (
                times.groupby(times.dt.normalize()).max()
                - times.dt.normalize().groupby(times.dt.normalize()).max()
            )
            usual = day_ends.median()
            if (last - last.normalize()) < usual - pd.Timedelta(hours=2):
                keep[-1] = False
                notes.append(
                    _(
                        "The last day ({day}) ends at {time}, earlier than usual; it was left out "
                        "so a part day does not look like a drop."
                    ).format(day=day(last), time=f"{last:%H:%M}")
                )
    else:
        values = values.copy()
        period_start = values.index[0]
        first_end = pd.Period(period_start, freq=_PERIOD[freq]).end_time.normalize()
        if first.normalize() > period_start:
            days, covered = (
                (first_end - period_start).days + 1,
                (first_end - first.normalize()).days + 1,
            )
            if additive and covered >= days / 2:
                values.iloc[0] *= days / covered
                notes.append(
                    _(
                        "The first {step} ({start}) starts on {first}, part way through: its "
                        "{covered} days of {days} were scaled up to a whole {step} (×{factor}), "
                        "so no season is lost."
                    ).format(
                        step=name,
                        start=day(period_start),
                        first=day(first),
                        covered=covered,
                        days=days,
                        factor=f"{days / covered:.2f}",
                    )
                )
            else:
                keep[0] = False
                notes.append(
                    _(
                        "The first {step} ({start}) starts on {first}, part way through; it was left out."
                    ).format(step=name, start=day(period_start), first=day(first))
                )
        last_start = values.index[-1]
        period_end = pd.Period(last_start, freq=_PERIOD[freq]).end_time.normalize()
        if last.normalize() < period_end:
            days, covered = (
                (period_end - last_start).days + 1,
                (last.normalize() - last_start).days + 1,
            )
            if additive and covered >= days / 2 and len(values) > 1:
                values.iloc[-1] *= days / covered
                notes.append(
                    _(
                        "The last {step} ({start}) has data only up to {last}: its {covered} days "
                        "of {days} were scaled up to a whole {step} (×{factor})."
                    ).format(
                        step=name,
                        start=day(last_start),
                        last=day(last),
                        covered=covered,
                        days=days,
                        factor=f"{days / covered:.2f}",
                    )
                )
            else:
                keep[-1] = False
                notes.append(
                    _(
                        "The last {step} ({start}) has data only up to {last}; it was left out so "
                        "a part {step} does not look like a drop."
                    ).format(step=name, start=day(last_start), last=day(last))
                )
    return values[keep], filled[keep]
