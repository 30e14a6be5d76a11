"""Alert rules: a figure, a filter, a condition, a window and a quiet period; checked, logged and
delivered to a webhook (a JSON POST) or by e-mail (SMTP).

A rule is checked per value of its breakdown (``by``), and raises at most one alert per quiet
period, naming every value that met the condition: a storm of alerts is one alert. Every alert is
written to the alert log (JSON lines) with what triggered it and where it was delivered; the log
is also what the quiet period is read from, so the app and the headless runner
(``python -m analytics watch``) share it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.monitor.expected import (
    DEFAULT_SENSITIVITY,
    DEFAULT_WEEKS,
    METRICS,
    Check,
    Window,
    checks,
)

log = logging.getLogger("marketlens.alerts")

#: Conditions: against the expected band, or against a fixed threshold.
CONDITIONS = {
    "below": N_("below the expected band"),
    "above": N_("above the expected band"),
    "outside": N_("outside the expected band"),
    "under": N_("under a fixed threshold"),
    "over": N_("over a fixed threshold"),
}


@dataclass(frozen=True)
class AlertRule:
    """One rule. ``where`` filters the lines first (``(column, value)`` pairs); ``by`` checks
    each value of a dimension on its own. ``threshold`` is for the fixed conditions."""

    name: str
    metric: str = "revenue"
    condition: str = "below"
    window: str = "1h"
    by: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    threshold: float | None = None
    quiet_hours: float = 6.0
    sensitivity: float = DEFAULT_SENSITIVITY

    def __post_init__(self) -> None:
        object.__setattr__(self, "where", tuple((str(c), str(v)) for c, v in self.where))
        if not self.name.strip():
            raise AnalyticsError(_("An alert rule needs a name."))
        if self.metric not in METRICS:
            raise AnalyticsError(
                _("{metric!r} is not a figure the monitor follows: use {choices}.").format(
                    metric=self.metric, choices=", ".join(METRICS)
                )
            )
        if self.condition not in CONDITIONS:
            raise AnalyticsError(
                _("{condition!r} is not a condition: use {choices}.").format(
                    condition=self.condition, choices=", ".join(CONDITIONS)
                )
            )
        if self.condition in ("under", "over") and self.threshold is None:
            raise AnalyticsError(_("A fixed-threshold rule needs a threshold."))
        Window.parse(self.window)
        if not 0 < self.quiet_hours <= 24 * 7:
            raise AnalyticsError(_("The quiet period is between a minute and a week."))
        if not 1 <= self.sensitivity <= 8:
            raise AnalyticsError(_("The sensitivity is between 1 and 8."))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["where"] = [list(pair) for pair in self.where]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertRule:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        known["where"] = tuple(tuple(pair) for pair in data.get("where", ()))
        return cls(**known)

    def met(self, check: Check) -> bool:
        """Whether one check meets the rule's condition."""
        if self.condition == "under":
            return check.actual < float(self.threshold or 0)
        if self.condition == "over":
            return check.actual > float(self.threshold or 0)
        if check.status == "no history":
            return False
        wanted = {"below": ("below",), "above": ("above",), "outside": ("below", "above")}
        return check.status in wanted[self.condition]


@dataclass(frozen=True)
class Alert:
    """One raised alert: the rule, when, and the checks that met it (with their words)."""

    rule: AlertRule
    at: pd.Timestamp
    checks: tuple[Check, ...]
    lines: tuple[str, ...]

    @property
    def subject(self) -> str:
        return _("MarketLens alert: {rule}").format(rule=self.rule.name)

    def to_json(self) -> dict[str, Any]:
        """What the webhook receives and the log keeps (no personal data: figures and the values
        of the rule's dimension)."""
        return {
            "rule": self.rule.name,
            "at": self.at.isoformat(),
            "metric": self.rule.metric,
            "condition": self.rule.condition,
            "window": self.rule.window,
            "by": self.rule.by,
            "where": [list(pair) for pair in self.rule.where],
            "findings": [
                {
                    "group": c.group,
                    "actual": round(c.actual, 2),
                    "expected": None if c.expected is None else round(c.expected, 2),
                    "low": None if c.low is None else round(c.low, 2),
                    "high": None if c.high is None else round(c.high, 2),
                    "status": c.status,
                    "text": text,
                }
                for c, text in zip(self.checks, self.lines, strict=True)
            ],
        }


class AlertLog:
    """The alert log: one JSON object per line, appended; safe across threads of one process and
    across processes for appends of a line."""

    _lock = threading.Lock()

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a crash: skipped
                continue
        return out

    def last(self, rule: str) -> pd.Timestamp | None:
        """When the rule last raised an alert."""
        times = [pd.Timestamp(e["at"]) for e in self.entries() if e.get("rule") == rule]
        return max(times) if times else None

    def append(self, entry: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as sink:
            sink.write(line)


def evaluate(
    rules: Sequence[AlertRule],
    frame: pd.DataFrame,
    now: pd.Timestamp,
    *,
    alert_log: AlertLog | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> list[Alert]:
    """The alerts the rules raise at ``now``; a rule inside its quiet period raises none."""
    now = pd.Timestamp(now)
    raised = []
    for rule in rules:
        window = Window.parse(rule.window)
        found = [
            c
            for c in checks(
                frame,
                now,
                metric=rule.metric,
                window=window,
                by=rule.by,
                where=rule.where,
                weeks=weeks,
                sensitivity=rule.sensitivity,
            )
            if rule.met(c)
        ]
        if not found:
            continue
        last = alert_log.last(rule.name) if alert_log is not None else None
        if last is not None and now - last < pd.Timedelta(hours=rule.quiet_hours):
            continue
        lines = tuple(_line(rule, c, window) for c in found)
        raised.append(Alert(rule, now, tuple(found), lines))
    return raised


#: The words of the fixed-threshold conditions.
_THRESHOLD_WORDS = {
    "under": N_("{what} is {actual:,.0f}, under the threshold {threshold:,.0f} ({when})."),
    "over": N_("{what} is {actual:,.0f}, over the threshold {threshold:,.0f} ({when})."),
}


def _line(rule: AlertRule, check: Check, window: Window) -> str:
    words = _THRESHOLD_WORDS.get(rule.condition)
    if words is None:
        return check.explain(window)
    return _(words).format(
        what=check.what(),
        actual=check.actual,
        threshold=float(rule.threshold or 0),
        when=_window_words(check, window),
    )


def _window_words(check: Check, window: Window) -> str:
    clock = check.end.strftime("%H:%M")
    if window.hours is None:
        return _("today by {time}").format(time=clock)
    return _("in the {hours} h to {time}").format(hours=window.hours, time=clock)


@dataclass(frozen=True)
class Delivery:
    """Where alerts go: a webhook URL (http or https) and SMTP settings; from
    ``[marketlens.alerts]`` of secrets.toml or ``MARKETLENS_ALERT_*`` variables."""

    webhook: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "marketlens@localhost"
    mail_to: tuple[str, ...] = ()
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.webhook and not self.webhook.lower().startswith(("http://", "https://")):
            raise AnalyticsError(_("The alert webhook must be an http:// or https:// address."))

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> Delivery:
        env = os.environ if env is None else env
        merged: dict[str, Any] = dict(settings)
        for key in (
            "webhook",
            "smtp_host",
            "smtp_port",
            "smtp_user",
            "smtp_password",
            "mail_from",
            "mail_to",
        ):
            value = env.get(f"MARKETLENS_ALERT_{key.upper()}")
            if value:
                merged[key] = value
        to = merged.get("mail_to", ())
        if isinstance(to, str):
            to = [part.strip() for part in to.split(",") if part.strip()]
        return cls(
            webhook=merged.get("webhook") or None,
            smtp_host=merged.get("smtp_host") or None,
            smtp_port=int(merged.get("smtp_port", 25)),
            smtp_user=merged.get("smtp_user") or None,
            smtp_password=merged.get("smtp_password") or None,
            smtp_starttls=str(merged.get("smtp_starttls", "")).lower() in ("1", "true", "yes"),
            mail_from=str(merged.get("mail_from") or "marketlens@localhost"),
            mail_to=tuple(to),
        )

    @property
    def configured(self) -> bool:
        return bool(self.webhook or (self.smtp_host and self.mail_to))


def deliver(alert: Alert, delivery: Delivery) -> dict[str, str]:
    """Send the alert everywhere configured; returns ``{"webhook": "sent" or the error, …}``.
    A failed delivery is reported, never raised: the alert stays in the log."""
    results: dict[str, str] = {}
    if delivery.webhook:
        body = json.dumps(alert.to_json(), ensure_ascii=False).encode()
        request = urllib.request.Request(
            delivery.webhook,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=delivery.timeout) as response:
                results["webhook"] = f"sent ({response.status})"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            results["webhook"] = f"failed: {type(exc).__name__}: {exc}"
    if delivery.smtp_host and delivery.mail_to:
        message = EmailMessage()
        message["Subject"] = alert.subject
        message["From"] = delivery.mail_from
        message["To"] = ", ".join(delivery.mail_to)
        message.set_content("\n".join(alert.lines) + "\n")
        try:
            with smtplib.SMTP(
                delivery.smtp_host, delivery.smtp_port, timeout=delivery.timeout
            ) as smtp:
                if delivery.smtp_starttls:
                    smtp.starttls()
                if delivery.smtp_user:
                    smtp.login(delivery.smtp_user, delivery.smtp_password or "")
                smtp.send_message(message)
            results["email"] = "sent"
        except (smtplib.SMTPException, OSError) as exc:
            results["email"] = f"failed: {type(exc).__name__}: {exc}"
    return results


def run_rules(
    rules: Sequence[AlertRule],
    frame: pd.DataFrame,
    now: pd.Timestamp,
    *,
    alert_log: AlertLog,
    delivery: Delivery | None = None,
    weeks: int = DEFAULT_WEEKS,
) -> list[dict[str, Any]]:
    """Evaluate, deliver and log: the log entries written (one per alert raised)."""
    written = []
    for alert in evaluate(rules, frame, now, alert_log=alert_log, weeks=weeks):
        delivered = deliver(alert, delivery) if delivery is not None else {}
        entry = {
            **alert.to_json(),
            "delivered": delivered,
            "logged": dt.datetime.now(dt.UTC).isoformat(),
        }
        alert_log.append(entry)
        log.warning("alert %s: %s", alert.rule.name, " | ".join(alert.lines))
        written.append(entry)
    return written
