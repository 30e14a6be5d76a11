"""Headless Chromium: a forecast runs in the server's worker pool; leaving its page and coming
back finds it still running (not started over), and Stop stops it."""

from __future__ import annotations

import re
import time

import pytest

from bench.limits import long_daily_series
from tests.e2e.test_browser import serve
from tests.e2e.test_security_browser import cpu_seconds, heaviest_forecast_of, wait_until_idle
from tests.e2e.test_workspaces_browser import go, open_tab

pytestmark = pytest.mark.e2e


def running_seconds(tab) -> int:
    """The seconds the live line says the forecast has been running (the line is redrawn twice a
    second: read until a whole one is caught)."""
    for _ in range(600):
        text = "\n".join(tab.locator('[data-testid="stAlert"]').all_inner_texts())
        found = re.search(r"The forecast:.*· (\d+) s", text)
        if found:
            return int(found.group(1))
        tab.wait_for_timeout(100)
    raise AssertionError(f"no running forecast shown: {text!r}")


def test_the_forecast_keeps_running_while_the_visitor_is_away_and_stop_stops_it(browser, tmp_path):
    path = long_daily_series(tmp_path / "daily.csv")
    env = {"MARKETLENS_WORKSPACES": str(tmp_path / "store.sqlite"), "MARKETLENS_WORKERS": "2"}
    with serve(env=env) as url:
        context, tab = open_tab(browser)
        heaviest_forecast_of(tab, url, path)
        before = running_seconds(tab)
        left = time.monotonic()
        go(tab, "Data")  # goes there and waits for its run to end
        tab.wait_for_timeout(3000)
        away = time.monotonic() - left
        go(tab, "Forecast")
        tab.wait_for_selector("text=The forecast:")
        # The same job: its clock kept going while the visitor was away (a new one starts at 0).
        assert running_seconds(tab) >= before + int(away) - 1
        tab.get_by_role("button", name="Stop").click()
        tab.wait_for_selector("text=The forecast was stopped")
        busy = cpu_seconds(url.process.pid)
        wait_until_idle(url.process.pid, within=300)
        # About 10 CPU seconds of forecast were left; stopped, the server and its workers idle.
        assert cpu_seconds(url.process.pid) - busy < 5
        tab.get_by_role("button", name="Run again").click()
        tab.wait_for_selector("text=The forecast:")
        context.close()
