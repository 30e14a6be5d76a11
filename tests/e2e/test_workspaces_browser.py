"""Headless Chromium: a saved workspace survives kill -9 of the server, and the downloaded HTML
report opens offline with every section drawn."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser import (
    follow,
    free_port,
    new_tab,
    no_traceback,
    serve,
    settle,
)

pytestmark = pytest.mark.e2e
SECTIONS = ("data", "kpis", "segments", "rules", "forecast", "propensity")
FIGURES = ("kpis-trend", "segments-scatter", "forecast-chart", "propensity-lift")


def open_tab(browser, **options):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, **options)
    tab = new_tab(context)
    return context, tab


def go(tab, name: str) -> None:
    follow(tab, tab.get_by_role("link", name=name, exact=True))
    no_traceback(tab)


def shown_results(tab) -> dict[str, list[str]]:
    """The figures each analysis page shows: metric cards and chart legends (segment names)."""
    shown = {}
    for name in ("Segments", "Market basket", "Forecast"):
        go(tab, name)
        tab.wait_for_selector('[data-testid="stMetric"]')
        settle(tab)
        metrics = tab.locator('[data-testid="stMetric"]').all_inner_texts()
        legends = tab.locator(".js-plotly-plot .legendtext").all_text_contents()
        shown[name] = [m.replace("\n", " ") for m in metrics] + sorted(set(legends))
    return shown


def test_a_saved_workspace_survives_kill_9_and_a_restart(browser, tmp_path):
    env = {"MARKETLENS_WORKSPACES": str(tmp_path / "store.sqlite")}
    port = free_port()
    context, tab = open_tab(browser)
    with serve(port, env) as url:
        tab.goto(url)
        tab.wait_for_selector('[data-testid="stMetric"]')
        settle(tab)
        go(tab, "Segments")
        tab.get_by_text("Segment names: suggested").click()
        tab.get_by_role("textbox", name="Name of Segment 1").fill("Whales")
        tab.get_by_role("textbox", name="Name of Segment 1").press("Enter")
        settle(tab)
        go(tab, "Workspaces")
        tab.get_by_label("Name", exact=True).fill("Before the crash")
        tab.get_by_role("button", name="Save").click()
        tab.wait_for_selector("text=This page's address now reopens it")
        settle(tab)
        token = re.search(r"[?&]ws=([\w-]+)", tab.url)
        assert token, tab.url
        before = shown_results(tab)
        assert any("Whales" in item for item in before["Segments"]), before
        assert all(len(shown) >= 3 for shown in before.values()), before
        url.process.kill()  # SIGKILL: no shutdown of any kind
        url.process.wait(timeout=10)
    with serve(port, env) as again:
        assert again.process.pid != url.process.pid
        tab.reload()
        tab.wait_for_selector("text=Before the crash")
        settle(tab)
        assert f"ws={token.group(1)}" in tab.url
        assert shown_results(tab) == before
    context.close()


def test_the_report_downloads_and_opens_offline_with_every_section(browser, tmp_path):
    context, tab = open_tab(browser, accept_downloads=True)
    with serve(env={"MARKETLENS_WORKSPACES": str(tmp_path / "store.sqlite")}) as url:
        tab.goto(f"{url}/report")
        tab.wait_for_selector("text=Build the report")
        settle(tab)
        tab.get_by_label("Author").fill("Ana Analyst")
        tab.get_by_label("Author").press("Enter")
        settle(tab)
        tab.get_by_role("button", name="Build the report").click()
        tab.wait_for_selector("text=Download the report (HTML)", timeout=300_000)
        settle(tab)
        with tab.expect_download() as download:
            tab.get_by_role("button", name="Download the report (HTML)").click()
        path = tmp_path / "report.html"
        download.value.save_as(path)
    context.close()

    size = path.stat().st_size
    print(f"report of the sample: {size:,} bytes")
    assert 3_000_000 < size < 12_000_000

    # Offline: any request that would leave the file fails, and is recorded.
    context, tab = open_tab(browser, offline=True)
    failed: list[str] = []
    errors: list[str] = []
    tab.on("requestfailed", lambda request: failed.append(request.url))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(path.as_uri())
    tab.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(FIGURES)}"
    )
    assert "Ana Analyst" in tab.inner_text("header")
    for key in SECTIONS:
        section = tab.locator(f"section[data-section='{key}']")
        assert section.count() == 1, key
        assert section.locator("[data-problem]").count() == 0, section.inner_text()
        assert section.locator("h2").is_visible()
    for figure in FIGURES:
        drawn = tab.locator(f"#{figure} .main-svg")
        assert drawn.count() >= 1, figure
        assert tab.locator(f"#{figure} .main-svg").first.bounding_box()["height"] > 100
    assert tab.locator("section[data-section='rules'] ol.rules li").count() >= 1
    assert "times as likely to buy" in tab.inner_text("section[data-section='rules']")
    assert tab.locator("section[data-section='forecast'] table").count() == 2
    assert "ROC AUC" in tab.inner_text("section[data-section='propensity']")
    assert not failed and not errors, (failed, errors)
    tab.screenshot(path=str(tmp_path / "report.png"), full_page=False)
    context.close()
