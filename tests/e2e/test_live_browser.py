"""Headless Chromium against a real PostgreSQL (issue 25): a writer process inserts orders at a
known rate; a session follows the table live and its Monitor page shows the new totals; the
database's statement log shows that only new rows were asked for after the first read; another
session's pages stay responsive meanwhile."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.monitor import simulated_orders
from tests.e2e.test_browser import (
    HERE,
    go,
    new_tab,
    no_traceback,
    rerun,
    serve,
    settle,
    shoot,
    wait_or_show,
)

ARTIFACTS = HERE / "artifacts"
INTERVAL = 5  # seconds between refreshes (the operator's minimum is lowered for the test)

#: The writer: ``RATE`` orders a second, for France and Germany in turn, timestamped now.
WRITER = """
import sys, time, sqlalchemy as sa
engine = sa.create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
rate = int(sys.argv[2])
with engine.connect() as conn:
    n = 0
    while True:
        for _ in range(rate):
            country = ("France", "Germany")[n % 2]
            conn.exec_driver_sql(
                "INSERT INTO orders (customer_id, timestamp, country, product, quantity, price, "
                "revenue) VALUES (%s, now()::timestamp(0), %s, 'Mug', 1, 4.0, 4.0)",
                (f"W{n % 500}", country),
            )
            n += 1
        time.sleep(1)
"""
RATE = 4


@pytest.fixture(scope="module")
def shop():
    from tests.postgres import require_server, throwaway_cluster

    require_server()
    with throwaway_cluster("liveshop") as cluster:
        engine = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        now = pd.Timestamp.now().floor("s")
        history = simulated_orders(now - pd.Timedelta(weeks=3), now - pd.Timedelta(minutes=1))
        with engine.connect() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE orders (order_id bigserial PRIMARY KEY, customer_id text, "
                "timestamp timestamp, country text, product text, quantity int, price numeric, "
                "revenue numeric)"
            )
        history.to_sql("orders", engine, index=False, if_exists="append")
        with engine.connect() as conn:
            conn.exec_driver_sql(
                "SELECT setval('orders_order_id_seq', (SELECT max(order_id) FROM orders))"
            )
            conn.exec_driver_sql("ALTER SYSTEM SET log_statement = 'all'")
            conn.exec_driver_sql("SELECT pg_reload_conf()")
        yield cluster


def _rows(url: str) -> int:
    with sa.create_engine(url).connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM orders").scalar())


def _shown_rows(tab) -> int:
    text = tab.locator('[data-testid="stCaptionContainer"]', has_text="Live:").first.inner_text()
    return int(re.search(r"([\d,]+) rows", text).group(1).replace(",", ""))


def test_a_live_table_in_the_browser(browser, shop, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[connections.sql]\nurl = "{shop.url}"\n')
    writer = subprocess.Popen([sys.executable, "-c", WRITER, shop.url, str(RATE)])
    figures: dict[str, object] = {}
    try:
        env = {"MARKETLENS_LIVE_MIN_SECONDS": "1"}
        with serve(env=env, args=["--secrets.files", str(secrets)]) as url:
            context = browser.new_context(viewport={"width": 1400, "height": 1800})
            tab = new_tab(context)
            tab.goto(f"{url}/data")
            settle(tab)
            rerun(tab, tab.get_by_text("Database", exact=True).click)
            rerun(tab, tab.get_by_role("button", name="Read the table").click)
            confirm = tab.get_by_role("button", name=re.compile("^Confirm"))
            if confirm.count():
                rerun(tab, confirm.first.click)
            box = tab.get_by_label("Every (seconds)")
            box.fill(str(INTERVAL))
            box.press("Enter")
            settle(tab)
            rerun(tab, tab.get_by_role("button", name="Follow live").click)
            no_traceback(tab)
            go(tab, "monitor")
            wait_or_show(tab, "() => document.body.innerText.includes('Live: orders')")

            # The new totals: the live line catches up with the table, round after round.
            waits = []
            for _round in range(3):
                while (target := _rows(shop.url)) <= _shown_rows(tab):  # new rows first
                    time.sleep(0.2)
                started = time.monotonic()
                wait_or_show(
                    tab,
                    """n => { const c = [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                              .find(e => e.innerText.includes('Live:'));
                              const m = c && c.innerText.match(/([\\d,]+) rows/);
                              return m && Number(m[1].replace(/,/g, '')) >= n; }""",
                    target,
                )
                waits.append(round(time.monotonic() - started, 1))
            figures["seconds until the inserted rows show (3 rounds)"] = waits
            figures["refresh interval (s)"] = INTERVAL
            no_traceback(tab)
            shoot(tab, "monitor_live.png")

            # Another session stays responsive meanwhile: its Segments page runs to the end.
            other = new_tab(browser.new_context(viewport={"width": 1400, "height": 1800}))
            started = time.monotonic()
            other.goto(f"{url}/segments")
            settle(other)
            wait_or_show(other, "() => document.body.innerText.includes('Segments')")
            figures["another session's Segments page (s)"] = round(time.monotonic() - started, 1)
            no_traceback(other)
            shown = _shown_rows(tab)
            figures["rows shown at the end"] = shown
    finally:
        writer.terminate()
        writer.wait(timeout=10)

    # The statement log: the Data page's read and the live source's first read take every row;
    # after them, each refresh asks only for rows past the last id it holds.
    logged = Path(shop.log).read_text(errors="replace").replace("\n\t", " ").splitlines()
    statements = [
        line for line in logged if "FROM public.orders" in line and "count(" not in line.lower()
    ]
    full = [line for line in statements if "WHERE" not in line]
    after = [int(m) for line in statements for m in re.findall(r"WHERE order_id > (\d+)", line)]
    figures["full reads of the table"] = len(full)
    figures["incremental reads"] = len(after)
    assert len(full) == 2, statements[:5]
    assert len(after) >= 3 and after == sorted(after) and len(set(after)) == len(after)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "live_browser.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
