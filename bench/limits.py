"""Limits no visitor can exhaust (issue 19), measured on the real server in headless Chromium.

    python -m bench.limits [--chromium /usr/bin/chromium] [--skip-uploads] [--skip-stop]

1. **Two large uploads at once.** Two browser contexts each upload a different ~199 MB CSV of
   about 1.95 million order lines (written by this script from the bundled sample) at the same
   moment; the server's resident memory (with its children) is sampled every 50 ms until both
   pages show the mapped table; then, settled, its heap (Pss_Anon) and its pages of files
   (Pss_File: mapped data, and the code of the libraries). PSS counts a page shared by several
   processes (the forked workers, a file two sessions map) once in all; the plain resident sets
   of a process tree count it in each. Also one upload alone, and the two with the sessions' text kept on the heap (as
   before issue 24 mapped it from Arrow files), for comparison.
2. **A closed tab stops its forecast.** A 3,990-day series is uploaded and forecast with a
   366-day season, a 90-day horizon and 10 backtest origins (the heaviest settings the page
   offers); once the backtest is running, the tab is closed. Reported: seconds from the close
   until the server's CPU use drops below 10% of a core, and the server's CPU seconds meanwhile.

Writes bench/results/limits.json. Not part of ``bench.run``: it takes the machine for minutes.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import CACHE, RESULTS, ROOT
from bench.soak import LAUNCH_ARGS, _tree_rss_mb, start_server, tree_cpu_seconds

UPLOAD_ROWS = 1_825_000  # ~199 MB (10^6 bytes) with the lines below: the upload limit is 200 MB


def big_orders(path: Path, variant: int) -> Path:
    """About 199 MB of order lines: the sample's lines repeated with new invoices and customers."""
    if path.exists():
        return path
    base = pd.read_csv(ROOT / "data" / "transactions.csv", dtype=str)
    parts = []
    for i in range(int(np.ceil(UPLOAD_ROWS / len(base)))):
        part = base.copy()
        part["Invoice"] = part["Invoice"] + f"-{variant}-{i}"
        customers = pd.to_numeric(part["Customer ID"], errors="coerce") + i * 100_000
        part["Customer ID"] = customers.astype("Int64").astype("string")
        part["Description"] = part["Description"] + " — gift edition"
        parts.append(part)
    pd.concat(parts, ignore_index=True).iloc[:UPLOAD_ROWS].to_csv(path, index=False)
    return path


def long_daily_series(path: Path) -> Path:
    n = 3990
    rng = np.random.default_rng(0)
    t = np.arange(n)
    values = 1000 + 0.1 * t + 200 * np.sin(2 * np.pi * t / 365.25) + rng.normal(0, 40, n)
    frame = pd.DataFrame(
        {"Date": pd.date_range("2015-01-01", periods=n, freq="D"), "Revenue": values.round(2)}
    )
    frame.to_csv(path, index=False)
    return path


def ask_heaviest_forecast(page) -> None:
    """On the Forecast page: a 90-period horizon, a 366-day season and 10 backtest origins (the
    most the page allows), then wait until the backtest is running. Each change starts a forecast;
    the last one, with all three set, is the one that runs on."""
    page.get_by_text("Filters and options").click()  # season and origins are in there
    for label, value in (("Periods ahead", "90"), ("Season length (0: from the period)", "366")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        page.wait_for_timeout(1000)
    slider = page.get_by_role("slider", name="Backtest origins")
    slider.focus()
    slider.press("End")
    page.wait_for_selector("text=Backtesting")


class Sampler:
    """The server's peak resident memory (resident set, and proportional set: shared pages once),
    sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.baseline = pid, 0.0, _tree_rss_mb(pid)
        self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _tree_rss_mb(self.pid))
            self.peak_pss = max(self.peak_pss, _tree_rss_mb(self.pid, "Pss"))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=900_000
    )


def _upload(page, url: str, path: Path) -> None:
    page.goto(f"{url}/data")
    page.wait_for_selector("text=Where is your data?")
    _settle(page)
    page.get_by_text("Upload a file", exact=True).click()
    _settle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))


#: The same uploads with the sessions' text on the heap, as before issue 24 mapped it from files.
TEXT_ON_HEAP = {"MARKETLENS_FRAME_MIN_BYTES": str(2**62)}


def uploads(chromium: str, files: list[Path]) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, float] = {}
    for label, chosen, env in (
        ("one upload", files[:1], None),
        ("two uploads at once", files, None),
        ("two uploads at once, text on the heap", files, TEXT_ON_HEAP),
    ):
        process, url = start_server(CACHE / "limits-server.log", env)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, headless=True, args=LAUNCH_ARGS
                )
                pages = []
                for _ in chosen:
                    page = browser.new_context().new_page()
                    page.set_default_timeout(900_000)
                    page.goto(f"{url}/data")
                    page.wait_for_selector("text=Where is your data?")
                    pages.append(page)
                sampler = Sampler(process.pid)
                started = time.monotonic()
                for page, path in zip(pages, chosen, strict=True):  # both start, then both wait
                    page.get_by_text("Upload a file", exact=True).click()
                    page.locator(
                        '[data-testid="stFileUploader"] input[type="file"]'
                    ).set_input_files(str(path))
                for page in pages:
                    page.wait_for_selector("text=Read orders", timeout=900_000)
                    _settle(page)
                seconds = time.monotonic() - started
                peak = sampler.stop()
                time.sleep(5)  # settled: what the sessions hold while their visitors work
                settled = {
                    part: _tree_rss_mb(process.pid, part) for part in ("Pss_Anon", "Pss_File")
                }
                browser.close()
        finally:
            process.kill()
            process.wait()
        figures[f"{label}: peak server RSS (MB)"] = round(peak, 0)
        figures[f"{label}: server RSS before (MB)"] = round(sampler.baseline, 0)
        figures[f"{label}: seconds until read"] = round(seconds, 1)
        figures[f"{label}: peak server PSS (MB)"] = round(sampler.peak_pss, 0)
        figures[f"{label}: settled heap (Pss_Anon, MB)"] = round(settled["Pss_Anon"], 0)
        figures[f"{label}: settled file pages (Pss_File, MB)"] = round(settled["Pss_File"], 0)
        print(label, figures)
    return figures


def closed_tab(chromium: str, series: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    process, url = start_server(CACHE / "limits-server.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=LAUNCH_ARGS
            )
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(300_000)
            _upload(page, url, series)
            page.wait_for_selector("text=Read")
            _settle(page)
            page.get_by_role("link", name="Forecast", exact=True).click()
            _settle(page)
            ask_heaviest_forecast(page)
            page.wait_for_timeout(3000)  # well inside the backtest
            busy = tree_cpu_seconds(process.pid)
            closed = time.monotonic()
            context.close()
            last, idle_since = tree_cpu_seconds(process.pid), None
            while time.monotonic() - closed < 300:
                time.sleep(0.5)
                now = tree_cpu_seconds(process.pid)
                if now - last < 0.05:  # under 10% of a core over half a second
                    idle_since = idle_since or time.monotonic() - 0.5
                    if time.monotonic() - idle_since >= 2:
                        break
                else:
                    idle_since = None
                last = now
            stopped = (idle_since or time.monotonic()) - closed
            cpu = tree_cpu_seconds(process.pid) - busy
            browser.close()
    finally:
        process.kill()
        process.wait()
    figures = {
        "closed tab: seconds until the server is idle": round(stopped, 1),
        "closed tab: server CPU seconds after the close": round(cpu, 1),
    }
    print(figures)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--skip-uploads", action="store_true")
    parser.add_argument("--skip-stop", action="store_true")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"benchmark": "limits", "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    if not args.skip_uploads:
        files = [big_orders(CACHE / f"orders_199mb_{v}.csv", v) for v in (1, 2)]
        result["file_mb"] = [round(f.stat().st_size / 1e6, 1) for f in files]
        result.update(uploads(args.chromium, files))
    if not args.skip_stop:
        result.update(closed_tab(args.chromium, long_daily_series(CACHE / "daily_3990.csv")))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "limits.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
