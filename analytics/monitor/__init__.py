"""Monitor: today's figures against what the weeks before lead to expect, alert rules, live data.

- ``expected``: the expected value and band of a figure (orders, revenue, customers) for the day
  so far or the last hours, overall or per value of a dimension; top movers among products;
- ``alerts``: alert rules, their quiet periods, the alert log, delivery (webhook, SMTP);
- ``live``: a database table followed live (only new rows fetched), with its guards;
- ``simulate``: traffic with known rates and planted drops, for tests and the bench.
"""

from __future__ import annotations

from analytics.monitor.alerts import (
    CONDITIONS,
    Alert,
    AlertLog,
    AlertRule,
    Delivery,
    deliver,
    evaluate,
    run_rules,
)
from analytics.monitor.expected import (
    DEFAULT_SENSITIVITY,
    DEFAULT_WEEKS,
    METRIC_LABELS,
    METRICS,
    Check,
    Variance,
    Window,
    band,
    checks,
    fit_variance,
    mover_text,
    top_movers,
)
from analytics.monitor.live import LiveSource, LiveState, open_live, refresh
from analytics.monitor.simulate import simulated_orders

__all__ = [
    "CONDITIONS",
    "DEFAULT_SENSITIVITY",
    "DEFAULT_WEEKS",
    "METRICS",
    "METRIC_LABELS",
    "Alert",
    "AlertLog",
    "AlertRule",
    "Check",
    "Delivery",
    "LiveSource",
    "LiveState",
    "Variance",
    "Window",
    "band",
    "checks",
    "deliver",
    "evaluate",
    "fit_variance",
    "mover_text",
    "open_live",
    "refresh",
    "run_rules",
    "simulated_orders",
    "top_movers",
]
