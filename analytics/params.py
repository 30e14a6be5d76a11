"""Typed analysis parameters: one frozen object per analysis, every default and check in one place.

An analysis's parameters are a frozen dataclass deriving from :class:`Params`, whose
``constraints`` table says, per field, what it accepts, what it means and which stage of the
analysis uses it (in the manner of scikit-learn's ``_parameter_constraints``). From that one
declaration come:

- validation with plain-words messages (:class:`~analytics.errors.AnalyticsError`) on creation;
- ``to_dict`` / ``from_dict``: what workspaces save and the report reads (unknown keys ignored,
  JSON lists back to tuples, ISO dates back to dates);
- ``add_arguments`` / ``from_arguments``: the command line's options (``--min-support``);
- ``options(stage)``: the keyword arguments of one stage's function, and ``only(stage)``: a copy
  with every other field at its default (a cache key that ignores the other stages).

So a new parameter is one field and one table row; pages, caches, workspaces, the report and the
command line pick it up.

Example
-------
>>> params = RulesParams(min_support=0.01)  # doctest: +SKIP
>>> run_rules(baskets, **params.options("mining"))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from analytics.errors import AnalyticsError

Kind = Literal[
    "share",
    "number",
    "count",
    "choice",
    "column",
    "text",
    "texts",
    "date",
    "flag",
    "pairs",
    "names",
]


@dataclass(frozen=True)
class Constraint:
    """What one parameter accepts.

    Attributes
    ----------
    kind : str
        ``share`` (a number in (0, 1]), ``number`` (a float), ``count`` (an int), ``choice`` (one
        of ``choices``), ``column`` (a column name), ``text`` (a string), ``texts`` (a tuple of
        strings), ``date``, ``flag`` (a bool), ``pairs`` (column → values, as a tuple of pairs),
        ``names`` (text → text, as a tuple of pairs: e.g. new names of segments).
    help : str
        One line for the command line's ``--help``.
    stage : str
        The step of the analysis that takes it (``Params.options(stage)``).
    low, high : float, optional
        Bounds of a number or count (inclusive).
    choices : tuple of str, optional
        What a choice may be.
    optional : bool
        None is allowed (meaning: not set, e.g. no limit).
    cli : bool
        Offered on the command line.
    """

    kind: Kind
    help: str
    stage: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False
    cli: bool = True


class Params:
    """Base of the frozen parameter dataclasses; subclasses declare ``constraints``."""

    constraints: ClassVar[Mapping[str, Constraint]]

    def __post_init__(self) -> None:
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        if names != set(self.constraints):
            raise TypeError(f"{type(self).__name__}: fields and constraints differ")
        for name, rule in self.constraints.items():
            _check(name, getattr(self, name), rule)

    # --- stages ---------------------------------------------------------------------------------

    def options(self, *stages: str) -> dict[str, Any]:
        """The keyword arguments of these stages, as their function takes them."""
        return {n: getattr(self, n) for n, rule in self.constraints.items() if rule.stage in stages}

    def only(self, *stages: str) -> Self:
        """A copy with the fields of other stages at their defaults (a cache key for these)."""
        blank = type(self)()
        kept = {n: getattr(self, n) for n, rule in self.constraints.items() if rule.stage in stages}
        return dataclasses.replace(blank, **kept)  # type: ignore[type-var]

    # --- saving ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: dates as ISO text, tuples as lists."""
        return {name: _to_json(getattr(self, name)) for name in self.constraints}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Rebuild from ``to_dict`` output (or a workspace's older arguments): unknown keys are
        left out, missing ones take their defaults."""
        known = {
            n: _from_json(values[n], rule) for n, rule in cls.constraints.items() if n in values
        }
        return cls(**known)

    # --- command line ---------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One option per parameter offered on the command line, its default shown in --help."""
        defaults = cls()
        for name, rule in cls.constraints.items():
            if not rule.cli:
                continue
            default = getattr(defaults, name)
            flag = "--" + name.replace("_", "-")
            shown = f" (default: {default})" if default not in (None, (), False) else ""
            if rule.kind == "flag":
                parser.add_argument(flag, action="store_true", default=None, help=rule.help)
            elif rule.kind == "texts":
                parser.add_argument(
                    flag, action="append", metavar="VALUE", help=rule.help + " (repeatable)"
                )
            else:
                parser.add_argument(
                    flag,
                    type=_ARGUMENT_TYPES.get(rule.kind, str),
                    choices=rule.choices,
                    metavar=None if rule.choices else name.split("_")[-1].upper(),
                    help=rule.help + shown,
                )

    @classmethod
    def from_arguments(cls, namespace: argparse.Namespace) -> Self:
        """The parameters given on the command line; the others take their defaults."""
        given = {
            n: getattr(namespace, n)
            for n, rule in cls.constraints.items()
            if rule.cli and getattr(namespace, n, None) is not None
        }
        return cls.from_dict(given)


def share_argument(text: str) -> float:
    """argparse type of a share: a number from 0 to 1 (the command line's own message)."""
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def date_argument(text: str) -> dt.date:
    """argparse type of a day, YYYY-MM-DD (the command line's own message)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


_ARGUMENT_TYPES: dict[str, Any] = {
    "share": share_argument,
    "number": float,
    "count": int,
    "date": date_argument,
}


def _check(name: str, value: Any, rule: Constraint) -> None:
    """Raise AnalyticsError, in words, when ``value`` breaks ``rule``."""
    if value is None:
        if rule.optional:
            return
        raise AnalyticsError(f"{name} must be set.")
    kind = rule.kind
    if kind == "share":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise AnalyticsError(f"{name} must be in (0, 1], got {value!r}.")
    elif kind in ("number", "count"):
        wanted = int if kind == "count" else int | float
        if isinstance(value, bool) or not isinstance(value, wanted):
            what = "a whole number" if kind == "count" else "a number"
            raise AnalyticsError(f"{name} must be {what}, got {value!r}.")
        if rule.low is not None and value < rule.low:
            raise AnalyticsError(f"{name} must be at least {rule.low:g}, got {value!r}.")
        if rule.high is not None and value > rule.high:
            raise AnalyticsError(f"{name} must be at most {rule.high:g}, got {value!r}.")
    elif kind == "choice":
        if value not in (rule.choices or ()):
            raise AnalyticsError(
                f"{name} must be one of {', '.join(rule.choices or ())}, got {value!r}."
            )
    elif kind == "column":
        if not isinstance(value, str) or not value:
            raise AnalyticsError(f"{name} must be a column name, got {value!r}.")
    elif kind == "text":
        if not isinstance(value, str):
            raise AnalyticsError(f"{name} must be a text, got {value!r}.")
    elif kind == "texts":
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise AnalyticsError(f"{name} must be a tuple of texts, got {value!r}.")
    elif kind == "date":
        if not isinstance(value, dt.date):
            raise AnalyticsError(f"{name} must be a date, got {value!r}.")
    elif kind == "flag":
        if not isinstance(value, bool):
            raise AnalyticsError(f"{name} must be true or false, got {value!r}.")
    elif kind == "pairs" and not (
        isinstance(value, tuple)
        and all(
            isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], tuple)
            for pair in value
        )
    ):
        raise AnalyticsError(f"{name} must be (column, (values…)) pairs, got {value!r}.")
    elif kind == "names" and not (
        isinstance(value, tuple)
        and all(
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(v, str) for v in pair)
            for pair in value
        )
    ):
        raise AnalyticsError(f"{name} must be (name, new name) pairs, got {value!r}.")


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any, rule: Constraint) -> Any:
    if value is None:
        return None
    if rule.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if rule.kind == "texts":
        return tuple(str(v) for v in value)
    if rule.kind == "pairs":
        pairs = value.items() if isinstance(value, Mapping) else value
        return tuple((str(column), tuple(str(v) for v in values)) for column, values in pairs)
    if rule.kind == "names":
        pairs = value.items() if isinstance(value, Mapping) else value
        return tuple((str(old), str(new)) for old, new in pairs)
    if rule.kind == "text":
        return str(value)
    if rule.kind == "share" or (rule.kind == "number" and isinstance(value, int | float)):
        return float(value)
    if rule.kind == "count" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value
