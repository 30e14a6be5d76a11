"""The one result API the analyses share (:class:`Result`).

Every analysis returns a frozen dataclass that also derives from :class:`Result`:

* ``params`` repeats the parameters it was computed with, as the analysis's typed parameters
  object (``OverviewParams``, ``SegmentParams``, ``RulesParams``, ``ForecastParams``,
  ``PropensityParams``), as scipy's result objects repeat their inputs;
* ``to_dict()`` is the JSON-ready dictionary the command line prints (``params`` included);
* ``summary()`` is a table of the headline figures: one row per single value of ``to_dict()``,
  as text a person reads (``figure``, ``value``).

Example
-------
>>> rules = run_rules(build_baskets(dataset), min_support=0.01)  # doctest: +SKIP
>>> rules.params.min_support, rules.to_dict()["n_rules"], rules.summary().shape  # doctest: +SKIP
(0.01, 42, (11, 2))
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


class Result:
    """Base of the analyses' result dataclasses; subclasses give ``params`` and ``to_dict``."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready result, as ``python -m analytics`` prints it."""
        raise NotImplementedError

    def summary(self) -> pd.DataFrame:
        """The headline figures as a two-column table (``figure``, ``value`` as text)."""
        rows = [
            (name, _as_text(value))
            for name, value in self.to_dict().items()
            if name != "params" and _single(value)
        ]
        return pd.DataFrame(rows, columns=["figure", "value"])


def json_number(value: object) -> float | None:
    """A figure for JSON: rounded to four decimals; None when missing or not finite."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return round(number, 4) if math.isfinite(number) else None


def _single(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _as_text(value: object) -> str:
    """A figure as a person reads it: thousands separated, at most four significant decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)
