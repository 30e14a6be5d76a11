"""The monitor (issue 25): expected values and bands recovered on simulated traffic with known
rates, a planted drop found, few false alarms, alert rules with quiet periods, delivery to a local
webhook receiver and a local SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pandas as pd
import pytest

from analytics.errors import AnalyticsError
from analytics.monitor import (
    AlertLog,
    AlertRule,
    Delivery,
    Window,
    checks,
    evaluate,
    run_rules,
    simulated_orders,
    top_movers,
)
from analytics.monitor.simulate import BUSY_RATES, hourly_rate

END = pd.Timestamp("2026-11-24 14:00")  # a Tuesday
DROP = ("France", END - pd.Timedelta(hours=1), END, 0.5)


@pytest.fixture(scope="module")
def normal():
    return simulated_orders(END - pd.Timedelta(weeks=9), END, seed=1)


@pytest.fixture(scope="module")
def dropped():
    return simulated_orders(END - pd.Timedelta(weeks=9), END, seed=1, drop=DROP, rates=BUSY_RATES)


def test_the_expected_value_is_the_known_rate(normal):
    (france,) = [
        c
        for c in checks(normal, END, metric="orders", window="day", by="country")
        if c.group == "France"
    ]
    hours = pd.date_range(END.normalize(), END, freq="h", inclusive="left")
    truth = hourly_rate(hours, 60.0).sum()
    assert france.expected == pytest.approx(truth, rel=0.05)
    assert france.low < france.actual < france.high and france.status == "within"
    assert france.weeks == 8


def test_a_planted_drop_is_found_for_that_country_only(dropped):
    found = {c.group: c for c in checks(dropped, END, metric="orders", window="1h", by="country")}
    assert found["France"].status == "below"
    assert found["France"].change == pytest.approx(-0.5, abs=0.15)
    assert found["Germany"].status == "within" and found["Spain"].status == "within"
    text = found["France"].explain(Window.parse("1h"))
    assert text.startswith("Orders from France is") and "below its usual Tuesday" in text
    assert "to 14:00" in text


def test_few_false_alarms_on_a_normal_week(normal):
    """Hourly checks of the last hour and of the day so far, per country, over the last week of
    normal traffic, every other hour (252 checks of each): at most two outside. The bench counts
    every hour of several weeks."""
    outside = 0
    for now in pd.date_range(END - pd.Timedelta(days=7), END, freq="2h", inclusive="right"):
        for window in ("1h", "day"):
            outside += sum(
                c.status != "within"
                for c in checks(normal, now, metric="orders", window=window, by="country")
            )
    assert outside <= 2


def test_without_two_earlier_weeks_there_is_no_band():
    lines = simulated_orders(END - pd.Timedelta(days=10), END)
    (check, *_) = checks(lines, END, metric="revenue", window="day")
    assert check.status == "no history" and check.expected is None
    assert "not enough history" in check.explain(Window())


def test_future_timestamps_are_not_counted(normal):
    ahead = normal.iloc[-50:].assign(timestamp=END + pd.Timedelta(hours=5))
    lines = pd.concat([normal, ahead], ignore_index=True)
    plain = checks(normal, END, metric="orders", window="day")[0]
    skewed = checks(lines, END, metric="orders", window="day")[0]
    assert skewed.actual == plain.actual


def test_top_movers_find_a_product_selling_five_times_its_rate(normal):
    viral = normal[(normal["timestamp"] >= END - pd.Timedelta(hours=3))].copy()
    viral = viral[viral["product"] == "Teapot"]
    extra = pd.concat([viral] * 4, ignore_index=True)
    extra["order_id"] = range(10_000_000, 10_000_000 + len(extra))
    lines = pd.concat([normal, extra], ignore_index=True)
    movers = top_movers(lines, END, window="3h")
    assert movers.iloc[0]["product"] == "Teapot"
    assert movers.iloc[0]["ratio"] == pytest.approx(5, rel=0.3)


def test_rules_check_what_they_say():
    with pytest.raises(AnalyticsError):
        AlertRule("x", metric="profit")
    with pytest.raises(AnalyticsError):
        AlertRule("x", condition="under")  # no threshold
    with pytest.raises(AnalyticsError):
        AlertRule("x", window="2d")
    rule = AlertRule("FR", metric="orders", by="country", where=(("channel", "web"),))
    assert AlertRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_one_alert_per_rule_per_quiet_period(dropped, tmp_path):
    log = AlertLog(tmp_path / "alerts.jsonl")
    rule = AlertRule(
        "Orders by country", metric="orders", condition="below", window="1h", by="country"
    )
    first = run_rules([rule], dropped, END, alert_log=log)
    assert len(first) == 1
    assert [f["group"] for f in first[0]["findings"]] == ["France"]
    again = run_rules([rule], dropped, END + pd.Timedelta(minutes=30), alert_log=log)
    assert again == []  # inside the quiet period
    assert len(log.entries()) == 1


def test_a_rule_raises_again_once_its_quiet_period_is_over(normal, tmp_path):
    log = AlertLog(tmp_path / "alerts.jsonl")
    rule = AlertRule(
        "Few", metric="orders", condition="under", threshold=10_000, window="day", quiet_hours=1
    )
    minutes = [0, 30, 59, 61, 90, 125]
    raised = [
        len(run_rules([rule], normal, END + pd.Timedelta(minutes=m), alert_log=log))
        for m in minutes
    ]
    assert raised == [1, 0, 0, 1, 0, 1]
    assert len(log.entries()) == 3


def test_a_fixed_threshold_rule(normal):
    rule = AlertRule("Too few", metric="orders", condition="under", threshold=10_000, window="day")
    (alert,) = evaluate([rule], normal, END)
    assert "under the threshold 10,000" in alert.lines[0]


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver.received
    server.shutdown()


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

        def prepare_message(self, session, envelope):
            return message_from_bytes(envelope.content)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox.messages
    controller.stop()


def test_alerts_are_delivered_to_a_webhook_and_by_mail(dropped, tmp_path, webhook, smtp_server):
    url, received = webhook
    host, port, inbox = smtp_server
    delivery = Delivery.from_mapping(
        {"webhook": url, "smtp_host": host, "smtp_port": port, "mail_to": "team@example.com"},
        env={},
    )
    rule = AlertRule("Orders by country", metric="orders", window="1h", by="country")
    (entry,) = run_rules(
        [rule], dropped, END, alert_log=AlertLog(tmp_path / "a.jsonl"), delivery=delivery
    )
    assert entry["delivered"] == {"webhook": "sent (204)", "email": "sent"}
    assert received[0]["rule"] == "Orders by country"
    assert received[0]["findings"][0]["group"] == "France"
    (mail,) = inbox
    assert mail["Subject"] == "MarketLens alert: Orders by country"
    assert "France" in mail.get_payload()


def test_a_failed_delivery_is_logged_not_raised(dropped, tmp_path):
    delivery = Delivery(
        webhook="http://127.0.0.1:9/nothing",
        smtp_host="127.0.0.1",
        smtp_port=9,
        mail_to=("a@b",),
        timeout=2,
    )
    rule = AlertRule("Orders by country", metric="orders", window="1h", by="country")
    (entry,) = run_rules(
        [rule], dropped, END, alert_log=AlertLog(tmp_path / "a.jsonl"), delivery=delivery
    )
    assert entry["delivered"]["webhook"].startswith("failed")
    assert entry["delivered"]["email"].startswith("failed")
    with pytest.raises(AnalyticsError):
        Delivery(webhook="file:///etc/passwd")
