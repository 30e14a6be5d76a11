"""Soak: many users at once on one server, in real headless Chromium.

    python -m bench.soak [--sessions 10] [--minutes 3] [--chromium /usr/bin/chromium]

Starts ``streamlit run app.py`` and drives ``--sessions`` browser sessions at once for
``--minutes``. Each session uploads its own sales export: the first 52,516 lines of Online Retail
II (../shared/datasets) less a different tenth of the lines per session, as CSV, so no session's
analyses are in the cache from another's (``--shared`` uploads the two Online Retail files
alternately instead, as issue 7's soak did, where most renders were warm-cache hits). Then it keeps
moving through Overview, Segments, Market basket, Forecast and Propensity, changing a random
widget on each visit. It records:

- errors: a Python exception or apology on a page, a JavaScript error, a page that does not
  finish within the timeout, a server log line with a traceback;
- page-render latency (click to the end of the run, as a user waits), p50 / p95 / max, and
  separately for cold renders (a session's first visit to a page: its analysis computed for its
  own data) and the rest;
- the server-side page-run times (the server logs each run's time);
- the server's peak resident memory (the streamlit process and its children, sampled 4x a second);
- CPU seconds of the server and of the rest of the machine (the browsers, niced).

Goals, printed met or missed: 0 errors; server-side page-run p95 <= 2 s and render p95 <= 5 s
(issue 17); peak RSS <= 3 GB (issue 7). Results go to bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import CACHE, RESULTS, ROOT, SHARED

FILES = ("online_retail_II_sample_2sheets.xlsx", "online_retail_II_head52516.xlsx")
#: Each session's own file is this one less every ``sessions``-th line from its own offset.
OWN_SOURCE = "online_retail_II_head52516.xlsx"
CSV = "text/csv"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: The browsers' niceness. They stand in for the visitors' own computers, yet here ten of them
#: share two cores with the server. Linux shares a core by thread weight: each Chromium runs
#: several busy threads, so at nice 10 (weight 110 against the server's 1,024 per thread) ten
#: browsers still outweighed the server's one or two busy threads several times over. At 19
#: (weight 15) the server's page runs took p50 0.68 s / p95 3.9 s in a run where nice 10 gave
#: 0.87 / 12.1 s the same hour; ``--browser-nice 10`` repeats the earlier measurement.
BROWSER_NICE = 19
#: A page that has not finished its run after this long counts as frozen (an error).
FROZEN_AFTER_MS = 120_000
PAGES = {
    "overview": "Overview",
    "segments": "Segments",
    "basket": "Market basket",
    "forecast": "Forecast",
    "propensity": "Propensity",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Soak:
    sessions: int
    minutes: float
    own_data: bool = True
    files: dict[int, tuple[str, str, bytes]] = field(default_factory=dict)
    renders: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    rss_samples: list[tuple[float, float]] = field(default_factory=list)


# --- the server and its memory -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)),
            *("--server.address", "127.0.0.1", "--server.headless", "true"),
        ],
        # the server logs each page run's time
        env={**os.environ, "MARKETLENS_LOG": "DEBUG", **(env or {})},
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"streamlit did not start; see {log}")


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (the streamlit server and its
    job pool's worker processes), from /proc (Linux)."""
    pids, ticks = [pid], 0
    while pids:
        current = pids.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:  # ended meanwhile
            continue
        ticks += int(stat[11]) + int(stat[12])
        pids.extend(int(child) for child in children)
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process and all its descendants, from /proc (Linux). With ``field``
    ``Pss``, ``Pss_Anon`` (the heap) or ``Pss_File`` (pages of mapped files): the proportional set
    size, which counts a page shared by several processes (a forked worker, a file two sessions
    map) once in all, not once per process."""
    source = "smaps_rollup" if field.startswith("Pss") else "status"
    pids, total = [pid], 0.0
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/{source}").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        rss = next(
            (line.split()[1] for line in status.splitlines() if line.startswith(field + ":")), 0
        )
        total += int(rss) / 1024
        pids.extend(int(child) for child in children)
    return total


def watch_memory(pid: int, soak: Soak, stop: threading.Event, started: float) -> None:
    while not stop.is_set():
        rss = _tree_rss_mb(pid)
        soak.peak_rss_mb = max(soak.peak_rss_mb, rss)
        soak.rss_samples.append((round(time.monotonic() - started, 1), round(rss, 1)))
        stop.wait(0.25)


# --- the data ------------------------------------------------------------------------------------


def own_files(sessions: int) -> dict[int, tuple[str, str, bytes]]:
    """Each session's file: the source less every ``sessions``-th line from the session's offset
    (the same lines in the same order otherwise), as CSV."""
    import pandas as pd

    source = pd.read_excel(SHARED / OWN_SOURCE)
    files = {}
    for number in range(sessions):
        kept = source[(source.index % sessions) != number]
        name = f"online_retail_session{number + 1}.csv"
        files[number] = (name, CSV, kept.to_csv(index=False).encode())
    return files


def upload_for(number: int, soak: Soak) -> tuple[str, str, bytes]:
    if soak.own_data:
        return soak.files[number]
    name = FILES[number % len(FILES)]
    return name, XLSX, (SHARED / name).read_bytes()


# --- one user ------------------------------------------------------------------------------------

CHECK = """() => ({
    state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
    skeleton: !!document.querySelector('[data-testid="stSkeleton"]'),
    exception: document.querySelectorAll('[data-testid="stException"]').length,
    sorry: [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
             .some(e => e.innerText.includes('did not expect')),
})"""
STARTED = """() => document.querySelector('[data-testid="stApp"]')
    ?.getAttribute('data-test-script-state') === 'running'"""
#: Done: no run, no skeleton, and no job of the worker pool still running for the page (its live
#: line has a Stop button): a render is timed until the results are drawn, not the live line.
FINISHED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stSkeleton"]')
        && ![...document.querySelectorAll('[data-testid="stButton"] button')]
               .some(b => b.innerText.trim().endsWith('Stop'));
}"""

#: What a page that never finished showed: its run state, a skeleton, a job's live line.
FROZEN = """() => ({
    state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
    skeleton: !!document.querySelector('[data-testid="stSkeleton"]'),
    stop: [...document.querySelectorAll('[data-testid="stButton"] button')]
              .some(b => b.innerText.trim().endsWith('Stop')),
    info: [...document.querySelectorAll('[data-testid="stAlertContentInfo"]')]
              .map(e => e.innerText.slice(0, 120)),
    url: location.pathname,
})"""


async def settle(page) -> None:
    """Wait for the run the action started (Streamlit marks it on the app's root element)."""
    # No start seen: the run was over before we looked, or the action needed none.
    with contextlib.suppress(Exception):
        await page.wait_for_function(STARTED, timeout=1_500, polling=20)
    await page.wait_for_function(FINISHED, timeout=FROZEN_AFTER_MS, polling=50)


async def _problems(page) -> list[str]:
    state = await page.evaluate(CHECK)
    found = []
    if state["exception"]:
        found.append("a Python exception is shown")
    if state["sorry"]:
        found.append("the page apologised for an unexpected error")
    return found


async def _choose(page, label: str, rng: random.Random) -> str:
    """Open a select box and pick a random other option."""
    box = page.get_by_role("combobox", name=label)
    if not await box.count():
        return "no " + label
    await box.first.click()
    options = page.get_by_role("option")
    await options.first.wait_for(timeout=10_000)
    names = await options.all_inner_texts()
    choice = rng.choice(names)
    await options.nth(names.index(choice)).click()
    return f"{label} = {choice}"


async def _slide(page, label: str, rng: random.Random) -> str:
    slider = page.get_by_role("slider", name=label)
    if not await slider.count():
        return "no " + label
    key = rng.choice(["ArrowRight", "ArrowLeft"])
    for _ in range(rng.randint(1, 3)):
        await slider.first.press(key)
    return f"{label} {key}"


async def _number(page, label: str, rng: random.Random) -> str:
    box = page.get_by_role("spinbutton", name=label)
    if not await box.count():
        return "no " + label
    value = str(rng.randint(1, 12))
    await box.first.fill(value)
    await box.first.press("Enter")
    return f"{label} = {value}"


async def _radio(page, names: list[str], rng: random.Random) -> str:
    name = rng.choice(names)
    await page.get_by_role("radio", name=name).first.click()
    return name


CHANGES: dict[str, list[Callable[[object, random.Random], Awaitable[str]]]] = {
    "overview": [
        lambda p, r: _radio(p, ["Last 30 days", "Last 90 days", "Last 12 months", "All"], r),
        lambda p, r: _choose(p, "Trend by", r),
    ],
    "segments": [
        lambda p, r: _choose(p, "Number of segments (k)", r),
        lambda p, r: _choose(p, "Algorithm", r),
    ],
    "basket": [
        lambda p, r: _slide(p, "Minimum confidence", r),
        lambda p, r: _slide(p, "Minimum lift", r),
    ],
    "forecast": [
        lambda p, r: _choose(p, "Model", r),
        lambda p, r: _choose(p, "Per", r),
        lambda p, r: _number(p, "Periods ahead", r),
    ],
    "propensity": [
        lambda p, r: _slide(p, "Threshold", r),
        lambda p, r: _slide(p, "Contact the top", r),
        lambda p, r: _choose(p, "Model", r),
    ],
}


async def user(number: int, browser, url: str, soak: Soak, deadline: float) -> None:
    rng = random.Random(number)
    context = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await context.new_page()
    page.set_default_timeout(FROZEN_AFTER_MS)
    page.on("pageerror", lambda exc: soak.errors.append(f"user {number}: JavaScript: {exc}"))

    async def timed(what: str, action: Callable[[], Awaitable[object]]) -> dict[str, object] | None:
        start = time.monotonic()
        try:
            detail = await action()
            await settle(page)
        except Exception as exc:  # a frozen or broken page is an error to count, not a crash
            seen = ""
            with contextlib.suppress(Exception):
                seen = f" (on screen: {await page.evaluate(FROZEN)})"
            soak.errors.append(f"user {number}: {what}: {type(exc).__name__}: {exc}{seen}")
            return None
        seconds = time.monotonic() - start
        if str(detail).startswith("no "):  # the widget is not on the page for this data
            return None
        record: dict[str, object] = {
            "user": number,
            "what": what,
            "detail": str(detail or ""),
            "seconds": seconds,
        }
        soak.renders.append(record)
        soak.errors.extend(f"user {number}: {what}: {p}" for p in await _problems(page))
        return record

    name, mime, content = upload_for(number, soak)
    await timed("open", lambda: page.goto(f"{url}/data", wait_until="networkidle"))
    await timed("choose upload", lambda: page.get_by_text("Upload a file", exact=True).click())

    async def upload() -> None:
        await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            {"name": name, "mimeType": mime, "buffer": content}
        )
        sidebar = page.locator('[data-testid="stSidebar"]')
        await sidebar.get_by_text(f"{name} (uploaded)").wait_for(timeout=FROZEN_AFTER_MS)

    await timed("upload", upload)
    visited: set[str] = set()
    while time.monotonic() < deadline:
        key = rng.choice(list(PAGES))
        nav = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=PAGES[key])
        record = await timed(key, nav.click)
        if record is not None and key not in visited:
            record["cold"] = soak.own_data  # the first visit, with this session's own data
        visited.add(key)
        if time.monotonic() < deadline:
            change = rng.choice(CHANGES[key])
            await timed(f"{key}: change", lambda change=change: change(page, rng))
    await context.close()


def _niced(chromium: str, nice: int) -> str:
    """A wrapper that starts Chromium at a lower CPU priority than the server."""
    if nice <= 0:
        return chromium
    CACHE.mkdir(parents=True, exist_ok=True)
    wrapper = CACHE / f"chromium-nice{nice}.sh"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {nice} {chromium} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def drive(url: str, soak: Soak, chromium: str, nice: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=_niced(chromium, nice), headless=True, args=LAUNCH_ARGS
        )
        deadline = time.monotonic() + soak.minutes * 60
        await asyncio.gather(*(user(i, browser, url, soak, deadline) for i in range(soak.sessions)))
        await browser.close()


# --- the run -------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else 0


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_s": round(_percentile(values, 50), 3),
        "p95_s": round(_percentile(values, 95), 3),
    }


def run(
    sessions: int, minutes: float, chromium: str, nice: int = BROWSER_NICE, *, shared: bool = False
) -> dict[str, object]:
    missing = [name for name in FILES if not (SHARED / name).exists()]
    if missing:
        raise SystemExit(f"the soak uploads {', '.join(missing)} from {SHARED}, which is absent")
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / "soak_server.log"
    soak = Soak(sessions, minutes, own_data=not shared)
    if soak.own_data:
        soak.files = own_files(sessions)
    process, url = start_server(log)
    busy_before, wall_before = _machine_busy_seconds(), time.monotonic()
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_memory, args=(process.pid, soak, stop, time.monotonic()), daemon=True
    )
    watcher.start()
    try:
        asyncio.run(drive(url, soak, chromium, nice))
        server_cpu = tree_cpu_seconds(process.pid)
    finally:
        stop.set()
        watcher.join()
        process.terminate()
        process.wait(timeout=20)
    server_log = log.read_text(errors="replace")
    if "Traceback" in server_log:
        soak.errors.append("the server log holds a traceback (see bench/results/soak_server.log)")
    server_runs = [float(m) for m in re.findall(r"page \S+ ran in ([\d.]+) s", server_log)]
    seconds = [float(r["seconds"]) for r in soak.renders]  # type: ignore[arg-type]
    pages = [float(r["seconds"]) for r in soak.renders if r["what"] in PAGES]  # type: ignore[arg-type]
    cold = [float(r["seconds"]) for r in soak.renders if r.get("cold")]  # type: ignore[arg-type]
    warm = [float(r["seconds"]) for r in soak.renders if not r.get("cold")]  # type: ignore[arg-type]
    busy = _machine_busy_seconds() - busy_before
    goals = {
        "errors": (len(soak.errors), 0),
        "server-side page-run p95 (s)": (_percentile(server_runs, 95), 2.0),
        "render p95 (s)": (_percentile(seconds, 95), 5.0),
        "peak RSS (MB)": (soak.peak_rss_mb, 3072),
    }
    result = {
        "benchmark": "soak",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "sessions": sessions,
        "minutes": minutes,
        "files": "each session its own (see own_files)" if soak.own_data else list(FILES),
        "browser_nice": nice,
        "renders": len(seconds),
        "errors": len(soak.errors),
        "error_list": soak.errors[:50],
        "p50_s": round(_percentile(seconds, 50), 3),
        "p95_s": round(_percentile(seconds, 95), 3),
        "max_s": round(max(seconds, default=0), 3),
        "cold_renders": _spread(cold),
        "other_renders": _spread(warm),
        "page_switch_p95_s": round(_percentile(pages, 95), 3),
        "server_runs": _spread(server_runs),
        "peak_rss_mb": round(soak.peak_rss_mb, 1),
        "cpu": {
            "cores": os.cpu_count(),
            "wall_s": round(time.monotonic() - wall_before, 1),
            "machine_busy_s": round(busy, 1),
            "server_s": round(server_cpu, 1),
            # Everything else the machine did: the browsers (niced) and this driver.
            "browsers_and_driver_s": round(busy - server_cpu, 1),
        },
        "goals": {
            name: {"value": round(value, 3), "goal": goal, "met": value <= goal}
            for name, (value, goal) in goals.items()
        },
        "met": all(value <= goal for value, goal in goals.values()),
        "slowest": sorted(soak.renders, key=lambda r: -float(r["seconds"]))[:15],  # type: ignore[arg-type]
        "by_action": {
            what: {
                "n": len(values),
                "p50_s": round(statistics.median(values), 3),
                "p95_s": round(_percentile(values, 95), 3),
            }
            for what in sorted({str(r["what"]) for r in soak.renders})
            if (values := [float(r["seconds"]) for r in soak.renders if r["what"] == what])  # type: ignore[arg-type]
        },
        "rss_mb_every_10s": soak.rss_samples[::40],
    }
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2, default=str))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=BROWSER_NICE,
        help="run the browsers at this lower CPU priority (0: same as the server); on a small "
        "machine the ten browsers that make the load would otherwise starve the server",
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="upload the two Online Retail files alternately (sessions share data and cache) "
        "instead of a file of each session's own",
    )
    args = parser.parse_args()
    result = run(args.sessions, args.minutes, args.chromium, args.browser_nice, shared=args.shared)
    summary = {k: v for k, v in result.items() if k not in ("slowest", "rss_mb_every_10s")}
    print(json.dumps(summary, indent=2, default=str))
    for name, goal in result["goals"].items():  # type: ignore[attr-defined]
        verdict = "met   " if goal["met"] else "MISSED"
        print(f"{verdict} {name}: {goal['value']} (goal <= {goal['goal']})")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
