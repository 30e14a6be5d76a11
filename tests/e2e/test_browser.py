"""The served app in real headless Chromium: KPIs render, an upload is mapped, bad files are explained.

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package, which drives it
(no browser download). tests/run.sh installs both; elsewhere these tests skip with the reason,
unless MARKETLENS_REQUIRE_E2E=1 (set by tests/run.sh), which turns a missing browser into a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pytest

from analytics.data import BUNDLES
from tests.bad_files import CORPUS, tagged_orders_csv

ROOT = Path(__file__).resolve().parents[2]
# Screenshots of each page go to artifacts/ (not tracked); MARKETLENS_SCREENSHOTS=update writes
# them to screenshots/, the copies the README shows.
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / (
    "screenshots" if os.environ.get("MARKETLENS_SCREENSHOTS") == "update" else "artifacts"
)
CHROMIUM = os.environ.get("MARKETLENS_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("MARKETLENS_REQUIRE_E2E") == "1"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.e2e


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (MARKETLENS_REQUIRE_E2E=1)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served(str):
    """The served app's URL, with its server process (to kill it)."""

    process: subprocess.Popen


@contextlib.contextmanager
def serve(
    port: int | None = None, env: dict[str, str] | None = None, args: Sequence[str] = ()
) -> Iterator[Served]:
    """Start `streamlit run app.py` (on a free port unless given, with extra ``args``); yield
    its URL."""
    port = port or free_port()
    # The server's output goes to a file: a pipe nobody reads fills up and stalls the server. It
    # logs each page run (MARKETLENS_LOG=DEBUG); a failing test shows the log's end (conftest).
    with tempfile.TemporaryFile() as log:
        LIVE_LOGS.append(log)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                *args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MARKETLENS_LOG": "DEBUG", **(env or {})},
        )
        url = Served(f"http://127.0.0.1:{port}")
        url.process = process
        try:
            deadline = time.monotonic() + 180  # a busy machine starts Python slowly
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode(errors="replace")
                    pytest.fail(f"streamlit did not start:\n{output}")
                time.sleep(0.3)
            try:
                yield url
            except BaseException:  # a failing test in the block: its server's log goes with it
                print(f"server log (end):\n{log_tails(only=log)}")
                raise
        finally:
            LIVE_LOGS.remove(log)
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


#: The output files of the servers running now (their ends are shown when a test fails).
LIVE_LOGS: list[IO[bytes]] = []


def log_tails(chars: int = 6000, only: IO[bytes] | None = None) -> str:
    """The end of each running server's output (or of ``only``'s)."""
    tails = []
    for log in LIVE_LOGS if only is None else [only]:
        log.flush()
        log.seek(0, os.SEEK_END)
        size = log.tell()
        log.seek(max(0, size - chars))
        tails.append(log.read().decode(errors="replace"))
        log.seek(0, os.SEEK_END)
    return "\n---- next server ----\n".join(tails)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    yield new_tab(context)
    context.close()


#: Per tab, the whole-page script runs its server has reported finished.
_FINISHED_RUNS: weakref.WeakKeyDictionary[Any, list[int]] = weakref.WeakKeyDictionary()


def new_tab(context):
    """A new tab of ``context`` that counts its script runs, with the tests' patience.

    The count comes from the server's own ``script_finished`` messages on the tab's websocket,
    not from the page: a quick run that the browser draws in one go (a busy machine delivers its
    start and its end together) never shows "running" in the page (a CI run waited 300 s for one).
    Fragment runs (a job's live line) and runs cut short by a newer one do not count."""
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    tab = context.new_page()
    tab.set_default_timeout(PATIENCE_MS)
    finished = _FINISHED_RUNS.setdefault(tab, [0])
    whole = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}

    def on_frame(payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(payload)
        except DecodeError:  # not a Streamlit message
            return
        if message.WhichOneof("type") == "script_finished" and message.script_finished in whole:
            finished[0] += 1

    tab.on("websocket", lambda socket: socket.on("framereceived", on_frame))
    return tab


#: How long a browser test waits for one thing to appear: generous, for a busy machine (CI runs
#: two workers on two cores, maybe beside another heavy process); nothing asserts on the time.
PATIENCE_MS = 300_000


def settle(tab) -> None:
    """Wait until Streamlit has finished the run and every element has loaded (no skeletons).

    Right after a click the new run may not have begun yet (on a busy machine the server answers
    late): use :func:`rerun` for actions, which waits for the run the action started."""
    tab.wait_for_timeout(300)
    tab.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')
                     ?.getAttribute('data-test-script-state') === 'notRunning'
                 && !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-testid="stSkeleton"]')""",
        timeout=PATIENCE_MS,
    )
    tab.wait_for_timeout(500)


def rerun(tab, action: Callable[[], object]) -> None:
    """Do ``action`` (a click, an upload …) and wait until the script run it started has finished
    and the page has settled: not only until nothing runs, which is also true before the run
    begins. ``tab`` comes from :func:`new_tab`."""
    finished = _FINISHED_RUNS[tab]
    before = finished[0]
    action()
    deadline = time.monotonic() + PATIENCE_MS / 1000
    while finished[0] <= before:  # the count grows as Playwright delivers the tab's events
        if time.monotonic() > deadline:
            state = tab.evaluate(_PAGE_STATE)
            pytest.fail(f"no script run finished after the action; the page: {state}")
        tab.wait_for_timeout(100)
    settle(tab)


#: What the page shows of Streamlit's state, for a failure's message.
_PAGE_STATE = """() => ({
    url: location.href,
    script: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
    status: document.querySelector('[data-testid="stStatusWidget"]')?.innerText ?? null,
    connection: document.querySelector('[data-testid="stConnectionStatus"]')?.innerText ?? null,
    text: document.body.innerText.slice(0, 1500),
})"""


def wait_or_show(tab, condition: str, arg: object = None) -> None:
    """Wait for ``condition`` (a JavaScript function of ``arg``); on a timeout, fail with what the
    tab showed (its address, text and chart texts), not only "timeout"."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        tab.wait_for_function(condition, arg=arg, timeout=PATIENCE_MS)
    except PlaywrightTimeout:
        shown = tab.inner_text("body")[:3000]
        charts = plot_texts(tab)[:2000]
        pytest.fail(
            f"waited for {condition!r} ({arg!r}) at {tab.url}\nshown:\n{shown}\ncharts:\n{charts}"
        )


def no_traceback(tab) -> None:
    assert tab.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in tab.inner_text("body")


def shoot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / name))


def upload(tab, name: str, data: bytes) -> None:
    rerun(tab, tab.get_by_text("Upload a file", exact=True).click)
    rerun(
        tab,
        lambda: tab.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            {"name": name, "mimeType": "text/csv", "buffer": data}
        ),
    )


def test_overview_kpis_render(page, server):
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]')
    settle(page)
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() == 5
    text = page.inner_text("main")
    for label in ("Revenue", "Orders", "Customers", "Average order value", "Items per order"):
        assert label in text
    assert page.locator('[data-testid="stMetricDelta"]').count() == 5
    page.wait_for_selector(".js-plotly-plot")
    no_traceback(page)
    shoot(page, "overview.png")


def test_data_page_on_the_sample(page, server):
    page.goto(f"{server}/data")
    page.wait_for_selector("text=Quality")
    settle(page)
    assert "transactions.csv" in page.inner_text("main")
    no_traceback(page)
    shoot(page, "data.png")


ORDERS = (
    b"order_no,client,bought_on,sku,title,qty,unit_price,country\n"
    b"A1,C1,2024-03-01 10:00,P1,Mug,2,3.50,FR\n"
    b"A1,C1,2024-03-01 10:00,P2,Lamp,1,20.00,FR\n"
    b"A2,C2,2024-03-02 11:00,P1,Mug,1,3.50,DE\n"
    b"A3,C3,2024-03-05 15:00,P1,Mug,3,3.50,FR\n"
)


def test_upload_through_the_dropzone_shows_its_mapping(page, server):
    page.goto(f"{server}/data")
    page.wait_for_selector("text=Quality")
    settle(page)
    upload(page, "orders.csv", ORDERS)
    page.wait_for_selector("text=orders.csv")
    # On a busy machine the file's name shows before its mapping does: wait for the mapping.
    from playwright.sync_api import expect

    expect(page.get_by_role("combobox", name="Order / invoice")).to_have_value(
        "order_no", timeout=PATIENCE_MS
    )
    chosen = {
        label: page.get_by_role("combobox", name=label).input_value()
        for label in (
            "Kind of data",
            "Order / invoice",
            "Customer",
            "Date",
            "Unit price",
            "Quantity",
        )
    }
    assert chosen == {
        "Kind of data": "Transactions (one row per order line)",
        "Order / invoice": "order_no",
        "Customer": "client",
        "Date": "bought_on",
        "Unit price": "unit_price",
        "Quantity": "qty",
    }
    no_traceback(page)
    shoot(page, "upload.png")
    # "bought_on" names no date: the Data page says the date was chosen from the values and the
    # analyses wait for the user to confirm (issue 15).
    page.get_by_role("link", name="Overview").click()
    page.get_by_text("matched on a guess").wait_for()
    assert not page.locator('[data-testid="stMetric"]').count()
    page.get_by_role("link", name="Go to the Data page").click()
    page.get_by_text("chosen from the values").first.wait_for()
    page.get_by_role("button", name="The kind and columns are right").click()
    settle(page)
    page.get_by_role("link", name="Overview").click()
    page.wait_for_selector('[data-testid="stMetric"]')
    settle(page)
    assert "orders.csv" in page.inner_text("main")


def test_bad_file_gets_a_message_not_a_traceback(page, server):
    page.goto(f"{server}/data")
    page.wait_for_selector("text=Quality")
    settle(page)
    upload(page, "empty.csv", b"")
    page.wait_for_selector('[data-testid="stAlertContentError"]')
    assert "is empty" in page.inner_text("main")
    no_traceback(page)
    page.get_by_role("link", name="Overview").click()
    page.wait_for_selector('[data-testid="stMetric"]')
    no_traceback(page)


def test_settings_survive_a_page_switch(page, server):
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]')
    settle(page)
    page.get_by_role("radio", name="Last 90 days").click()
    settle(page)
    page.get_by_role("link", name="Data").click()
    page.wait_for_selector("text=Quality")
    settle(page)
    page.get_by_role("link", name="Overview").click()
    page.wait_for_selector('[data-testid="stMetric"]')
    settle(page)
    period = page.locator('[data-testid="stDateInput"] input').first.input_value()
    assert period.startswith("2025-10-03"), period


def test_deep_link_on_a_fresh_server_opens_the_page_inside_the_app(browser):
    # Streamlit's legacy pages/ mode used to take over a fresh server's first session when it
    # opened /data directly: the sidebar listed every file in pages/ and app.py never ran.
    with serve() as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = new_tab(context)
        tab.goto(f"{url}/data")
        tab.wait_for_selector("text=Quality")
        settle(tab)
        nav = tab.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Overview" in nav and "Data" in nav
        assert "common" not in nav and "app" not in nav.split()
        # The sidebar's data line is drawn after the page: wait for it (a busy machine is slow).
        tab.locator('[data-testid="stSidebar"]').get_by_text("transactions.csv (sample)").wait_for()
        no_traceback(tab)
        context.close()


def test_segments_page_shows_the_scatter_plot(page, server, small_app_sample):
    page.goto(f"{server}/segments")
    page.wait_for_selector("text=Customers on a map")
    settle(page)
    scatter = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Customers by segment")
    scatter.wait_for()
    first = scatter.locator(".legendtext").first.text_content()
    assert first.startswith(("Top spend", "High spend"))  # named in words, the top spenders first
    lines = pd.read_csv(small_app_sample / "transactions.csv", dtype={"Invoice": str})
    buyers = lines.loc[~lines["Invoice"].str.startswith("C"), "Customer ID"].nunique()
    assert scatter.locator(".scatterlayer .point").count() == buyers  # one point per customer
    no_traceback(page)
    shoot(page, "segments.png")
    scatter.screenshot(path=str(SCREENSHOTS / "segments_scatter.png"))


def test_basket_page_shows_the_rules_scatter_and_table(page, server):
    page.goto(f"{server}/basket")
    page.wait_for_selector('[data-testid="stDataFrame"]')
    page.wait_for_selector(".js-plotly-plot")
    settle(page)
    text = page.inner_text("main")
    assert "Showing" in text and "rules" in text
    story = text.split("Explain a rule", 1)[-1].split("Scatter", 1)[0]
    assert any(item in story for bundle in BUNDLES for item in bundle)  # a planted bundle leads
    scatter = page.locator(".js-plotly-plot").first
    assert "support and confidence" in scatter.inner_text()
    assert scatter.locator(".scatterlayer, .gl-container").count() >= 1
    no_traceback(page)
    shoot(page, "basket.png")
    # Clicking a row of the rules table explains that rule.
    story = page.get_by_text(re.compile(r"^Of the [\d,]+ baskets with")).first
    before = story.inner_text()
    grid = page.locator('[data-testid="stDataFrame"]').first
    rerun(page, lambda: grid.click(position={"x": 12, "y": 35 * 3 + 17}))  # the third rule's row
    after = story.inner_text()
    assert after != before and "Of the " in after
    no_traceback(page)


def test_forecast_page_shows_the_forecast_chart(page, server):
    page.goto(f"{server}/forecast")
    page.wait_for_selector("text=Backtest")
    settle(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="forecast").first
    chart.wait_for()
    legend = chart.locator(".legendtext").all_text_contents()
    assert {"Actual", "Forecast", "80%", "95%"} <= set(legend), legend
    assert chart.locator(".scatterlayer .trace").count() >= 4
    text = page.inner_text("main")
    assert "Next 13 weeks" in text and "origins" in text
    no_traceback(page)
    shoot(page, "forecast.png")
    chart.screenshot(path=str(SCREENSHOTS / "forecast_chart.png"))


def test_propensity_page_shows_the_lift_chart(page, server):
    page.goto(f"{server}/propensity")
    page.wait_for_selector("text=Decile lift", timeout=300_000)  # slow on a busy server (issue 17)
    settle(page)
    lift = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Decile lift").first
    lift.wait_for()
    assert lift.locator(".bars .point").count() == 10
    text = page.inner_text("main")
    assert "ROC AUC" in text and "Features use orders before" in text
    no_traceback(page)
    shoot(page, "propensity.png")


def test_customers_page_draws_the_cohort_heatmap_and_the_migration_sankey(page, server):
    """Issue 20: the cohort heat map as a browser draws it, with its cells' shares, and the
    segment migration Sankey with its bands and segment names."""
    page.goto(server)
    settle(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    follow(page, nav.get_by_role("link", name="Customers over time"))
    heatmap = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="by cohort")
    heatmap.wait_for()
    heatmap.locator(".heatmaplayer image").first.wait_for(state="attached")
    heatmap.get_by_text("100%").first.wait_for()
    assert "buy again in the month after their first" in page.inner_text("main")
    no_traceback(page)
    shoot(page, "customers.png")
    sankey = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="(right), by customers")
    sankey.scroll_into_view_if_needed()
    sankey.locator(".sankey-link").first.wait_for(state="attached")
    assert sankey.locator(".sankey-link").count() >= 10
    labels = sankey.locator(".sankey-node text").evaluate_all(
        "nodes => nodes.map(n => n.textContent)"
    )
    assert "Champions" in labels and "Not yet a customer" in labels, labels
    assert "customers moved down" in page.inner_text("main")
    no_traceback(page)
    shoot(page, "customers_migration.png")


def test_campaigns_page_draws_the_qini_curve(page, server):
    """Issue 21: on the bundled e-mail test, the Campaigns page's effects and its Qini curve
    (the model's line above the random one) as a browser draws them."""
    page.goto(f"{server}/data")
    page.wait_for_selector("text=Quality")
    settle(page)
    page.get_by_role("combobox", name="Sample dataset").click()
    rerun(page, page.get_by_role("option", name="E-mail test results").click)
    page.get_by_text("campaign.csv").first.wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]')
    follow(page, nav.get_by_role("link", name="Campaigns"))
    page.get_by_text("raised visit from 12.8% to 19.4%").wait_for()
    qini = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Qini curve")
    qini.scroll_into_view_if_needed()
    qini.locator(".scatterlayer .trace").first.wait_for(state="attached")
    assert qini.locator(".scatterlayer .trace").count() == 2
    assert "Random targeting" in qini.inner_text()
    assert "ranks customers better than random targeting" in page.inner_text("main")
    no_traceback(page)
    shoot(page, "campaigns.png")


def test_channels_page_draws_the_contributions_and_the_response_curves(page, server):
    """Issue 22: on the bundled weekly sales and spend, the contribution areas and the response
    curves as a browser draws them."""
    page.goto(f"{server}/data")
    page.wait_for_selector("text=Quality")
    settle(page)
    page.get_by_role("combobox", name="Sample dataset").click()
    rerun(page, page.get_by_role("option", name="Weekly sales and marketing spend").click)
    page.get_by_text("marketing_mix.csv").first.wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]')
    follow(page, nav.get_by_role("link", name="Channels"))
    areas = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="period by period")
    areas.locator(".scatterlayer .trace").first.wait_for(state="attached")
    assert areas.locator(".scatterlayer .trace").count() == 6  # base, four channels, actual
    curves = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Response curves")
    curves.scroll_into_view_if_needed()
    curves.locator(".scatterlayer .trace").first.wait_for(state="attached")
    assert curves.locator(".scatterlayer .trace").count() == 8  # a curve and a mark each
    assert "is expected to add" in page.inner_text("main")
    no_traceback(page)
    shoot(page, "channels.png")


# --- hardening: markup from files, two users at once ----------------------------------------------

NAV = {
    "overview": "Overview",
    "segments": "Segments",
    "basket": "Market basket",
    "forecast": "Forecast",
    "propensity": "Propensity",
    "customers": "Customers over time",
    "campaigns": "Campaigns",
    "channels": "Channels",
    "monitor": "Monitor",
    "data": "Data",
}
INJECTED = """() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    nodes: document.querySelectorAll(
        'img[src="x"], svg img, svg script, main script, [onerror], [onload]'
    ).length,
})"""


def go(tab, name: str) -> None:
    follow(tab, tab.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=NAV[name]))


def follow(tab, link) -> None:
    """Click a sidebar link and wait for the run it starts. A click on the link of the page
    already shown starts no run (a CI run once waited 300 s for one), so there it only settles."""
    here = tab.url.split("?")[0].rstrip("/")
    if link.evaluate("a => a.href").split("?")[0].rstrip("/") == here:
        settle(tab)
        return
    rerun(tab, link.click)


#: A chart on the page shows the text given (wait_or_show's condition).
CHART_SHOWS = (
    "t => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.textContent.includes(t))"
)


def plot_texts(tab) -> str:
    return "\n".join(tab.locator(".js-plotly-plot").all_text_contents())


def test_markup_in_a_file_shows_as_text_on_every_page_and_never_runs(page, server):
    _markup_shows_as_text(page, server)


def _markup_shows_as_text(page, server: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server}/data")
    page.wait_for_selector("text=Quality")
    settle(page)
    upload(page, "html.csv", CORPUS["html.csv"].make())
    page.wait_for_selector("text=html.csv")
    for name in ("overview", "segments", "basket", "forecast", "propensity", "data"):
        go(page, name)
        no_traceback(page)
        assert page.evaluate(INJECTED) == {"pwned": None, "nodes": 0}, name
        if name == "overview":  # product names and countries as chart labels, as typed
            # the charts draw after the page run (slow on a busy machine)
            wait_or_show(page, CHART_SHOWS, "<script>window.__pwned=1</script>")
            labels = plot_texts(page)
            assert "<script>window.__pwned=1</script>" in labels
            assert '<img src=x onerror="window.__pwned=1">' in labels
    # A segment name typed by the user is text too.
    go(page, "segments")
    page.get_by_text("Segment names: suggested").click()
    box = page.get_by_role("textbox", name="Name of Segment 1")
    box.fill("<img src=x onerror=window.__pwned=2>")
    box.press("Enter")
    settle(page)
    scatter = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Customers by segment")
    # Wait for the legend itself: on a busy machine the rerun may start after settle() looked.
    scatter.locator(".legendtext").filter(has_text="<img src=x").first.wait_for()
    assert (
        "<img src=x onerror=window.__pwned=2>" in scatter.locator(".legendtext").all_text_contents()
    )
    assert page.evaluate(INJECTED) == {"pwned": None, "nodes": 0}
    assert dialogs == []
    no_traceback(page)


def test_two_browsers_with_different_uploads_each_see_only_their_own(browser, server):
    users = []
    for name, prefix in (("alpha.csv", "ALPHA-"), ("beta.csv", "BETA-")):
        context = browser.new_context(viewport={"width": 1400, "height": 1800})
        tab = new_tab(context)
        tab.goto(f"{server}/data")
        tab.wait_for_selector("text=Quality")
        settle(tab)
        upload(tab, name, tagged_orders_csv(prefix))
        tab.wait_for_selector(f"text={name}")
        users.append((context, tab, name, prefix))
    try:
        for page_name in ("overview", "segments", "basket", "data", "overview"):
            for _context, tab, name, prefix in users:
                go(tab, page_name)
                no_traceback(tab)
                other = "BETA-" if prefix == "ALPHA-" else "ALPHA-"
                shown = tab.inner_text("body") + plot_texts(tab)
                assert other not in shown, f"{name}'s {page_name} page shows the other user's data"
                sidebar = tab.locator('[data-testid="stSidebar"]')
                sidebar.get_by_text(f"{name} (uploaded)").wait_for()
                if page_name == "overview":  # the charts draw after the run (plotly loads late)
                    wait_or_show(tab, CHART_SHOWS, f"{prefix}Blue mug")
    finally:
        for context, *_ in users:
            context.close()


def test_every_page_works_with_no_request_leaving_the_machine(browser, server):
    """Offline use (issue 18): through every page, nothing is fetched from anywhere but the app
    (the tab icon once came from fonts.gstatic.com), no request fails, and the console shows no
    error and no warning (Streamlit's metric sparklines logged Vega's "Infinite extent" twice per
    card; its Graphviz chart, a web-worker warning; WebGL scatter plots, GPU driver messages)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    outside: list[str] = []

    def only_the_app(route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_app)
    tab = new_tab(context)
    errors: list[str] = []
    tab.on(
        "console",
        lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    failed: list[str] = []
    tab.on("requestfailed", lambda r: failed.append(r.url))
    tab.goto(server)
    settle(tab)
    for name in [*NAV, "workspaces", "report"]:
        if name in NAV:
            go(tab, name)
        else:
            follow(
                tab,
                tab.locator('[data-testid="stSidebarNav"]')
                .get_by_role("link")
                .filter(has_text=name.capitalize()),
            )
        no_traceback(tab)
        tab.wait_for_timeout(1_000)  # charts and icons load after the run
    context.close()
    assert outside == []
    assert failed == []
    assert errors == []
