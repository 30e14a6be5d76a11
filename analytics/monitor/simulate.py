"""Simulated live traffic with known rates: order lines per country, with a weekly and a daily
rhythm, and an optional planted drop. The tests, the false-alarm bench and the test database's
writer use it, so what the monitor should find is known."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: Orders per hour at the day's peak (14:00), by country.
DEFAULT_RATES = {"France": 60.0, "Germany": 40.0, "Spain": 12.0}

#: A busier shop: halving one country's hour at its busiest is plainly news (the tests' drops).
BUSY_RATES = {"France": 150.0, "Germany": 100.0, "Spain": 30.0}

#: Monday … Sunday.
WEEKDAY_FACTORS = (0.9, 1.0, 1.0, 1.05, 1.1, 1.3, 0.8)

PRODUCTS = ("Mug", "Tea", "Cup", "Teapot", "Gift box", "Biscuits", "Coffee", "Saucer")


def hourly_rate(hours: pd.DatetimeIndex, peak: float) -> np.ndarray:
    """Expected orders per hour: a peak at 14:00, quiet nights (15% of the peak), and weekdays."""
    weekday = np.asarray(WEEKDAY_FACTORS)[hours.day_of_week]
    daily = 0.15 + np.exp(-0.5 * ((np.asarray(hours.hour) - 14) / 4.0) ** 2)
    return peak * weekday * daily


def simulated_orders(
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    *,
    rates: Mapping[str, float] | None = None,
    seed: int = 0,
    drop: tuple[str, pd.Timestamp, pd.Timestamp, float] | None = None,
    day_noise: float = 0.0,
    first_order: int = 1,
) -> pd.DataFrame:
    """Order lines (one line per order) from ``start`` to ``end``: ``order_id`` (increasing with
    time), ``customer_id``, ``timestamp``, ``country``, ``product``, ``quantity``, ``price`` and
    ``revenue``. Orders per hour are Poisson with :func:`hourly_rate`; ``day_noise`` multiplies
    each day's rate by a Gamma draw with that coefficient of variation. ``drop`` is
    ``(country, from, to, factor)``: that country's rate times ``factor`` meanwhile.
    """
    rng = np.random.default_rng(seed)
    hours = pd.date_range(
        pd.Timestamp(start).floor("h"), pd.Timestamp(end), freq="h", inclusive="left"
    )
    days = hours.normalize()
    parts = []
    for country, peak in (rates or DEFAULT_RATES).items():
        rate = hourly_rate(hours, peak)
        if day_noise > 0:
            unique_days = days.unique()
            shape = 1 / day_noise**2
            factor = pd.Series(rng.gamma(shape, 1 / shape, len(unique_days)), index=unique_days)
            rate = rate * factor.reindex(days).to_numpy()
        if drop is not None and drop[0] == country:
            inside = (hours >= pd.Timestamp(drop[1])) & (hours < pd.Timestamp(drop[2]))
            rate = np.where(inside, rate * drop[3], rate)
        counts = rng.poisson(rate)
        stamps = np.repeat(hours.to_numpy(), counts) + rng.integers(0, 3600, counts.sum()).astype(
            "timedelta64[s]"
        )
        n = int(counts.sum())
        quantity = rng.integers(1, 4, n)
        price = rng.choice([3.5, 4.0, 6.5, 12.0, 24.0], n)
        parts.append(
            pd.DataFrame(
                {
                    "timestamp": stamps,
                    "customer_id": "C" + pd.Series(rng.integers(1, 50_000, n)).astype(str),
                    "country": country,
                    "product": rng.choice(PRODUCTS, n),
                    "quantity": quantity,
                    "price": price,
                    "revenue": (quantity * price).round(2),
                }
            )
        )
    lines = pd.concat(parts, ignore_index=True).sort_values("timestamp", ignore_index=True)
    lines.insert(0, "order_id", np.arange(first_order, first_order + len(lines)))
    return lines
