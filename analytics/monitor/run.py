"""The Monitor page's analysis and the headless runner's: the figures of the window ending now
against their bands, the top movers, and the alert rules a workspace keeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from analytics.data import Dataset
from analytics.errors import AnalyticsError
from analytics.i18n import _
from analytics.monitor.alerts import AlertRule
from analytics.monitor.expected import (
    DEFAULT_SENSITIVITY,
    DEFAULT_WEEKS,
    METRICS,
    Check,
    Window,
    checks,
    mover_text,
    top_movers,
)
from analytics.monitor.live import LiveSource
from analytics.params import Constraint, Params

#: Where a workspace keeps its alert rules: ``analyses["alerts"]["rules"]``.
ALERTS_KEY = "alerts"


@dataclass(frozen=True)
class MonitorParams(Params):
    """The Monitor page's settings, and the live source when the data follows a database table
    (stages ``checks`` and ``live``)."""

    metric: str = "revenue"
    window: str = "day"
    by: str | None = None
    weeks: int = DEFAULT_WEEKS
    sensitivity: float = DEFAULT_SENSITIVITY
    live_table: str | None = None
    live_column: str | None = None
    live_interval: int = 60
    live_query: str | None = None

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "metric": Constraint("choice", "the figure followed", "checks", choices=tuple(METRICS)),
        "window": Constraint("text", "day (the day so far) or 1h … 24h", "checks"),
        "by": Constraint("column", "one check per value of this column", "checks", optional=True),
        "weeks": Constraint(
            "count", "earlier weeks the expected value comes from", "checks", low=2, high=52
        ),
        "sensitivity": Constraint(
            "number", "the band's half-width in standard units", "checks", low=1.0, high=8.0
        ),
        "live_table": Constraint("text", "the database table followed live", "live", optional=True),
        "live_column": Constraint(
            "text", "its growing id or timestamp column", "live", optional=True
        ),
        "live_interval": Constraint(
            "count", "seconds between refreshes", "live", low=1, high=86_400
        ),
        "live_query": Constraint(
            "text", "a read-only SELECT followed instead of a table", "live", optional=True
        ),
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        Window.parse(self.window)

    @property
    def live(self) -> LiveSource | None:
        """The live source, when the data follows a table."""
        if not (self.live_table and self.live_column):
            return None
        return LiveSource(self.live_table, self.live_column, self.live_interval, self.live_query)


@dataclass(frozen=True)
class MonitorResult:
    """The checks of the window ending ``now`` (largest expected first), the top movers, and the
    same in words."""

    params: MonitorParams
    now: pd.Timestamp
    checks: tuple[Check, ...]
    movers: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def window(self) -> Window:
        return Window.parse(self.params.window)

    def table(self) -> pd.DataFrame:
        """One row per check: the group, now, expected, the band, the change and the words."""
        rows = [
            {
                "group": c.group if c.group is not None else _("All"),
                "actual": c.actual,
                "expected": c.expected,
                "low": c.low,
                "high": c.high,
                "change": c.change,
                "status": c.status,
                "explanation": c.explain(self.window),
            }
            for c in self.checks
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "group",
                "actual",
                "expected",
                "low",
                "high",
                "change",
                "status",
                "explanation",
            ],
        )

    def anomalies(self) -> list[str]:
        return [c.explain(self.window) for c in self.checks if c.status in ("below", "above")]

    def mover_lines(self) -> list[str]:
        return [mover_text(row) for _i, row in self.movers.iterrows()]


def run_monitor(
    dataset: Dataset, params: MonitorParams | None = None, now: pd.Timestamp | None = None
) -> MonitorResult:
    """The checks and top movers of the window ending ``now`` (default: the clock)."""
    params = params or MonitorParams()
    if not dataset.has("timestamp"):
        raise AnalyticsError(
            _("The monitor needs a date and time column."),
            hint=_("Choose it under Column roles on the Data page."),
        )
    # Timestamps read without a zone are taken as the server's local time.
    at = pd.Timestamp(now) if now is not None else pd.Timestamp.now()
    frame = dataset.frame
    notes = []
    latest = frame["timestamp"].max()
    if pd.notna(latest) and at - latest > pd.Timedelta(days=2):
        notes.append(
            _(
                "The newest order is from {latest}, {days} days before now: the checks compare a "
                "window with no data yet. Follow a live source, or check an earlier moment."
            ).format(latest=latest.strftime("%Y-%m-%d %H:%M"), days=(at - latest).days)
        )
    found = checks(
        frame,
        at,
        metric=params.metric,
        window=params.window,
        by=params.by,
        weeks=params.weeks,
        sensitivity=params.sensitivity,
    )
    movers = (
        top_movers(frame, at, window=params.window, weeks=params.weeks)
        if dataset.has("product")
        else pd.DataFrame(columns=["product", "units", "expected", "ratio", "z"])
    )
    return MonitorResult(params, at, tuple(found), movers, tuple(notes))


def rules_from(analyses: Mapping[str, Any]) -> list[AlertRule]:
    """The alert rules a workspace keeps (``analyses["alerts"]["rules"]``)."""
    saved = analyses.get(ALERTS_KEY) or {}
    return [AlertRule.from_dict(rule) for rule in saved.get("rules", ())]


def rules_entry(rules: Sequence[AlertRule]) -> dict[str, Any]:
    """What a workspace keeps for its alert rules."""
    return {"rules": [rule.to_dict() for rule in rules]}
