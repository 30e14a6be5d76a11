"""Shared by the browser tests: one headless Chromium per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, LAUNCH_ARGS, _skip_or_fail, log_tails


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _skip_or_fail(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test shows the end of each running server's log (its page runs, any
    traceback): CI keeps nothing else of the server."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        tails = log_tails()
        if tails:
            report.sections.append(("server log (end)", tails))
