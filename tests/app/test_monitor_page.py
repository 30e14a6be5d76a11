"""AppTest: the Monitor page (issue 25) on the sample and on orders with a planted drop; alert
rules added, checked and logged; a database table followed live (new rows only, the pause switch,
a workspace that remembers it is live)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from analytics.monitor import AlertLog, simulated_orders
from analytics.monitor.simulate import BUSY_RATES
from tests.app.test_database import data_page, read_table
from tests.app.test_pages import (
    ROOT,
    TIMEOUT,
    app,
    confirm_if_asked,
    no_exception,
    texts,
    upload,
)

END = pd.Timestamp("2026-11-24 14:00")  # a Tuesday


def monitor(at):
    at.switch_page("pages/monitor.py").run()
    no_exception(at)
    return at


def test_the_monitor_on_the_sample_compares_with_earlier_weeks():
    at = monitor(app())
    shown = texts(at)
    assert "8 earlier weeks" in shown
    assert at.session_state["w.mon.asof"] == "newest"  # the sample is not live: its newest order
    checks = at.dataframe[0].value
    assert list(checks["status"]) and checks["explanation"].str.contains("its usual").all()
    at.selectbox(key="w.mon.by").set_value("Country").run()
    no_exception(at)
    per_country = at.dataframe[0].value
    assert len(per_country) > 1 and "United Kingdom" in set(per_country["group"])


def planted_upload():
    lines = simulated_orders(
        END - pd.Timedelta(weeks=9),
        END,
        drop=("France", END - pd.Timedelta(hours=1), END, 0.5),
        rates=BUSY_RATES,
    )
    at = app()
    at.switch_page("pages/data.py").run()
    upload(at, "live_orders.csv", lines.to_csv(index=False).encode())
    confirm_if_asked(at)
    return monitor(at)


def test_a_planted_drop_is_told_in_plain_words_and_alerts_once():
    at = planted_upload()
    at.selectbox(key="w.mon.window").set_value("1h").run()
    at.selectbox(key="w.mon.metric").set_value("orders").run()
    at.selectbox(key="w.mon.by").set_value("country").run()
    no_exception(at)
    warnings = [w.value for w in at.warning]
    assert any("Orders from France is" in w and "below its usual Tuesday" in w for w in warnings)
    assert not any("Germany" in w or "Spain" in w for w in warnings)

    at.text_input(key="mon_rule_name").set_value("France orders")
    at.selectbox(key="mon_rule_metric").set_value("orders")
    at.selectbox(key="mon_rule_window").set_value("1h")
    at.selectbox(key="mon_rule_by").set_value("country")
    next(b for b in at.button if b.label == "Add the rule").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    rules = at.session_state["ml.analyses"]["alerts"]["rules"]
    assert [r["name"] for r in rules] == ["France orders"]
    next(b for b in at.button if b.label == "Check the rules now").click().run()
    no_exception(at)
    raised = [e.value for e in at.error]
    assert len(raised) == 1 and "France" in raised[0] and "Germany" not in raised[0]
    next(b for b in at.button if b.label == "Check the rules now").click().run()
    assert not at.error  # the quiet period: no second alert
    log = next(
        d.value
        for d in at.dataframe
        if "rule" in d.value.columns and "delivered" in d.value.columns
    )
    assert list(log["rule"]) == ["France orders"]


def follow_live(at):
    """On the Data page, after a read: confirm the roles if asked and follow by order_id."""
    confirm_if_asked(at)
    at.selectbox(key="live_column").set_value("order_id")
    next(b for b in at.button if b.label == "Follow live").click().run()
    return at


def test_a_table_followed_live_fetches_only_new_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    lines = simulated_orders(END - pd.Timedelta(weeks=3), END)
    lines.iloc[:-20].to_sql("orders", engine, index=False)
    at = follow_live(read_table(data_page(url), "orders"))
    no_exception(at)
    live = at.session_state["ml.live"]
    assert live.fetched == len(lines) - 20
    assert at.session_state["ml.analyses"]["monitor"]["live_table"] == "orders"

    lines.iloc[-20:].to_sql("orders", engine, index=False, if_exists="append")
    at.session_state["ml.live"] = replace(live, attempted=live.attempted - pd.Timedelta(minutes=5))
    monitor(at)
    live = at.session_state["ml.live"]
    assert live.fetched == 20 and len(live.frame) == len(lines)
    assert at.session_state["ml.data"].cleaned.dataset.n_rows == len(lines)
    assert any("last updated" in c.value for c in at.caption)

    at.toggle(key="w.live.paused").set_value(True).run()
    lines2 = simulated_orders(END, END + pd.Timedelta(hours=1), first_order=10**7)
    lines2.to_sql("orders", engine, index=False, if_exists="append")
    at.session_state["ml.live"] = replace(
        at.session_state["ml.live"], attempted=live.attempted - pd.Timedelta(minutes=5)
    )
    at.run()
    assert at.session_state["ml.live"].fetched == 20  # paused: nothing read
    assert any("paused" in c.value for c in at.caption)


def test_the_alert_log_of_a_session_holds_no_personal_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETLENS_ALERT_LOG", str(tmp_path / "alerts.jsonl"))
    at = planted_upload()
    at.session_state["ml.analyses"]["alerts"] = {
        "rules": [{"name": "FR", "metric": "orders", "window": "1h", "by": "country"}]
    }
    at.run()
    next(b for b in at.button if b.label == "Check the rules now").click().run()
    (entry,) = AlertLog(tmp_path / "alerts.jsonl").entries()
    assert "customer" not in str(entry).lower()


def _due(at) -> None:
    """Make the live source due now (its interval, or its backoff, has passed)."""
    live = at.session_state["ml.live"]
    at.session_state["ml.live"] = replace(live, attempted=live.attempted - pd.Timedelta(hours=1))


def test_the_database_going_away_keeps_the_data_and_recovers_by_itself():
    from tests.postgres import require_server, throwaway_cluster

    require_server()
    with throwaway_cluster("away") as cluster:
        writer = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        lines = simulated_orders(END - pd.Timedelta(weeks=3), END)
        lines.iloc[:-10].to_sql("orders", writer, index=False)
        at = follow_live(read_table(data_page(cluster.url), "orders"))
        monitor(at)
        rows = at.session_state["ml.data"].cleaned.dataset.n_rows

        cluster.stop()
        _due(at)
        at.run()
        no_exception(at)
        warned = [w.value for w in at.warning if "The last refresh failed" in w.value]
        assert warned and "Could not reach the database" in warned[0]
        assert at.session_state["ml.data"].cleaned.dataset.n_rows == rows  # the last data stays
        assert at.dataframe  # the page still shows its checks

        cluster.start()
        writer.dispose()  # the test's own connections died with the server
        lines.iloc[-10:].to_sql("orders", writer, index=False, if_exists="append")
        _due(at)
        at.run()
        no_exception(at)
        assert not [w for w in at.warning if "The last refresh failed" in w.value]
        assert at.session_state["ml.data"].cleaned.dataset.n_rows == rows + 10


def test_a_workspace_saved_live_follows_again_when_opened(tmp_path):
    from tests.app.test_workspaces import save

    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    lines = simulated_orders(END - pd.Timedelta(weeks=3), END)
    lines.iloc[:-5].to_sql("orders", engine, index=False)
    at = follow_live(read_table(data_page(url), "orders"))
    token = save(at, "Live shop")
    lines.iloc[-5:].to_sql("orders", engine, index=False, if_exists="append")

    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    again.secrets["connections"] = {"sql": {"url": url}}
    again.query_params["ws"] = token
    again.run()
    monitor(again)
    live = again.session_state["ml.live"]
    assert live.source.table == "orders" and len(live.frame) == len(lines)
    assert again.session_state["ml.data"].cleaned.dataset.n_rows == len(lines)
    assert any("Live: orders" in c.value for c in again.caption)


def test_a_query_can_be_followed_live(tmp_path):
    from tests.app.test_database import run_query

    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    lines = simulated_orders(END - pd.Timedelta(weeks=3), END)
    lines.iloc[:-50].to_sql("orders", engine, index=False)
    at = follow_live(run_query(data_page(url), "SELECT * FROM orders WHERE country = 'France'"))
    no_exception(at)
    french = lines[lines["country"] == "France"]
    assert len(at.session_state["ml.live"].frame) == len(french[french.index < len(lines) - 50])
    lines.iloc[-50:].to_sql("orders", engine, index=False, if_exists="append")
    _due(at)
    monitor(at)
    assert len(at.session_state["ml.live"].frame) == len(french)
    saved = at.session_state["ml.analyses"]["monitor"]
    assert saved["live_query"].startswith("SELECT") and saved["live_table"].startswith("query on")
