"""Issue 19 in headless Chromium: whose workspaces a browser sees, read-only links that cannot
change anything (through the page, or by a crafted request to the server), and sign-in with a
local OpenID Connect provider."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from bench.limits import ask_heaviest_forecast, long_daily_series
from bench.soak import tree_cpu_seconds as cpu_seconds
from tests.e2e.test_browser import free_port, new_tab, no_traceback, serve, settle
from tests.e2e.test_workspaces_browser import go, open_tab

pytestmark = pytest.mark.e2e


def visit(tab, url: str) -> None:
    tab.goto(url)
    tab.wait_for_selector('[data-testid="stSidebar"]')
    settle(tab)
    no_traceback(tab)


def save_as(tab, name: str) -> str:
    go(tab, "Workspaces")
    tab.get_by_label("Name", exact=True).fill(name)
    tab.get_by_label("Name", exact=True).press("Enter")  # Enter saves, as the button does
    tab.wait_for_selector(f"text=Saved “{name}”")
    settle(tab)
    token = re.search(r"[?&]ws=([\w-]+)", tab.url)
    assert token, tab.url
    return token.group(1)


def listed(tab) -> str:
    """The workspaces the Workspaces page lists (the options of its picker; the table is drawn
    on a canvas)."""
    go(tab, "Workspaces")
    picker = tab.get_by_label("Workspace", exact=True)
    picker.or_(tab.get_by_text("None yet.")).first.wait_for()  # the list, or that it is empty
    if picker.count() == 0:
        return ""
    picker.click()
    # all_inner_texts does not wait: on a busy machine the list can still be opening.
    tab.get_by_role("option").first.wait_for()
    options = tab.get_by_role("option").all_inner_texts()
    tab.keyboard.press("Escape")
    settle(tab)
    return "\n".join(options)


def segment_figures(tab) -> list[str]:
    go(tab, "Segments")
    tab.wait_for_selector('[data-testid="stMetric"]')
    settle(tab)
    metrics = tab.locator('[data-testid="stMetric"]').all_inner_texts()
    legends = tab.locator(".js-plotly-plot .legendtext").all_text_contents()
    return [m.replace("\n", " ") for m in metrics] + sorted(set(legends))


def rows_of(store: Path, token: str) -> list[tuple]:
    with sqlite3.connect(store) as conn:
        return [
            *conn.execute("SELECT * FROM workspaces WHERE token = ?", (token,)).fetchall(),
            *conn.execute("SELECT * FROM owners WHERE token = ? ORDER BY owner", (token,)),
        ]


def tamper_picks(tab, token: str) -> list[int]:
    """Rewrite every message this tab sends to the server so that the workspace it picks is
    ``token``: what a visitor could do with a crafted client. Returns a list that counts the
    messages rewritten."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    rewritten: list[int] = []

    def handler(route) -> None:
        server = route.connect_to_server()

        def to_server(message) -> None:
            if isinstance(message, bytes | bytearray):
                msg = BackMsg()
                msg.ParseFromString(bytes(message))
                if msg.WhichOneof("type") == "rerun_script":
                    for widget in msg.rerun_script.widget_states.widgets:
                        if widget.id.endswith("-ws.pick"):
                            widget.string_value = token
                            rewritten.append(1)
                    message = msg.SerializeToString()
            server.send(message)

        route.on_message(to_server)
        server.on_message(lambda message: route.send(message))

    tab.route_web_socket(re.compile(r".*/_stcore/stream.*"), handler)
    return rewritten


def test_workspaces_belong_to_their_browser_and_a_read_only_link_changes_nothing(browser, tmp_path):
    store = tmp_path / "store.sqlite"
    with serve(env={"MARKETLENS_WORKSPACES": str(store)}) as url:
        a_context, a = open_tab(browser)
        visit(a, url)
        figures = segment_figures(a)
        token = save_as(a, "A's board pack")
        view_link = a.locator('[data-testid="stCode"]').nth(1).inner_text().strip()
        assert "?view=" in view_link and token not in view_link
        view = view_link.rsplit("=", 1)[1]
        # A new visit from A's browser (a new session, no link) lists it: the owner cookie.
        visit(a, f"{url}/workspaces")
        assert "A's board pack" in listed(a)
        before = rows_of(store, token)

        b_context, b = open_tab(browser)
        visit(b, f"{url}/workspaces")
        assert "A's board pack" not in listed(b)
        own = save_as(b, "B's own")
        assert "A's board pack" not in listed(b)

        # B opens A's read-only link: A's figures, B's list unchanged, nothing saved.
        visit(b, f"{url}/?view={view}")
        b.locator('[data-testid="stSidebar"]').get_by_text("read-only link").wait_for()
        assert segment_figures(b) == figures
        go(b, "Workspaces")
        assert "through a read-only link" in b.inner_text("body")
        b.get_by_role("button", name="Save").click()  # through the page
        b.wait_for_selector("text=cannot be saved, renamed or deleted")
        settle(b)
        assert "A's board pack" not in listed(b)
        assert rows_of(store, token) == before

        # By crafted addresses: a view token is no edit token, and the other way round.
        visit(b, f"{url}/?ws={view}")
        b.wait_for_selector("text=could not be opened")
        visit(b, f"{url}/?view={token}")
        b.wait_for_selector("text=could not be opened")
        assert rows_of(store, token) == before

        # By crafted messages to the server: B's client swaps A's edit token into its own
        # workspace picker, then opens, duplicates, renames and deletes.
        b.close()
        b = new_tab(b_context)  # the same browser (its owner cookie), a crafted client
        rewritten = tamper_picks(b, token)
        visit(b, f"{url}/workspaces")
        b.get_by_test_id("stBaseButton-primary").filter(has_text="Open").click()
        settle(b)
        assert rewritten, "the crafted client sent A's token"
        assert "A's board pack" not in b.inner_text("body"), "Streamlit resets the crafted pick"
        b.get_by_role("button", name="Duplicate").click()
        settle(b)
        b.get_by_label("New name").fill("Taken over")
        b.get_by_role("button", name="Rename").click()
        settle(b)
        b.get_by_role("button", name="Delete", exact=True).click()
        settle(b)
        confirm = b.get_by_role("button", name=re.compile("^Delete “"))
        if confirm.count():
            confirm.click()
            settle(b)
        no_traceback(b)
        assert "A's board pack" not in b.inner_text("body")
        assert rows_of(store, token) == before, "A's workspace is byte-identical"
        # Whatever the crafted client did, it did to B's own workspaces only.
        with sqlite3.connect(store) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM workspaces")}
        assert "A's board pack" in names and own
        assert "A's board pack" in listed(a)
        a_context.close()
        b_context.close()


@pytest.fixture
def oidc_provider():
    """A local OpenID Connect provider on a free port (oidc-provider-mock: Authlib + Flask)."""
    oidc = pytest.importorskip("oidc_provider_mock", reason="pip install oidc-provider-mock")
    with oidc.run_server_in_thread(port=free_port()) as server:
        yield f"http://localhost:{server.server_port}"


def sign_in(tab, url: str, sub: str) -> None:
    visit(tab, url)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_selector("input[name=sub]")
    tab.fill("input[name=sub]", sub)
    tab.get_by_role("button", name="Authorize").click()
    tab.wait_for_url(re.compile(re.escape(url)))
    tab.wait_for_selector('[data-testid="stSidebar"]')
    tab.locator('[data-testid="stSidebar"]').get_by_text(sub).wait_for()


def test_signed_in_workspaces_follow_the_user_to_another_browser(browser, tmp_path, oidc_provider):
    port = free_port()
    url = f"http://localhost:{port}"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        'cookie_secret = "a-long-random-test-secret-for-cookies"\n'
        'client_id = "marketlens"\n'
        'client_secret = "marketlens-secret"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n'
    )
    env = {"MARKETLENS_WORKSPACES": str(tmp_path / "store.sqlite")}
    with serve(port, env, args=["--secrets.files", str(secrets), "--server.address", "localhost"]):
        first_context, first = open_tab(browser)
        sign_in(first, url, "ursula@example.org")
        save_as(first, "Ursula's plan")

        second_context, second = open_tab(browser)  # another browser: no shared cookies
        sign_in(second, url, "ursula@example.org")
        assert "Ursula's plan" in listed(second)

        third_context, third = open_tab(browser)
        sign_in(third, url, "victor@example.org")
        assert "Ursula's plan" not in listed(third)
        for context in (first_context, second_context, third_context):
            context.close()


def wait_until_idle(pid: int, within: float) -> None:
    """Until the process has used under 10% of a core for two seconds (or ``within`` passed)."""
    deadline, quiet, last = time.monotonic() + within, 0, cpu_seconds(pid)
    while time.monotonic() < deadline and quiet < 4:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.05 else 0
        last = now


def heaviest_forecast_of(tab, url: str, path) -> None:
    """Upload the daily series at ``path`` on the Data page, then ask the Forecast page for its
    heaviest forecast, until its backtest runs."""
    visit(tab, f"{url}/data")
    tab.get_by_text("Upload a file", exact=True).click()
    settle(tab)
    tab.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    tab.wait_for_selector(f"text=Read {path.name}")
    settle(tab)
    go(tab, "Forecast")
    ask_heaviest_forecast(tab)


def test_closing_the_tab_stops_its_forecast(browser, tmp_path):
    """The heaviest forecast the page offers (a 366-day season on 3,990 days, 90 days ahead,
    10 backtest origins: about 10 CPU seconds, then its charts) stops when its tab closes instead
    of running on.
    Measured in the server's own CPU time, which a busy machine does not inflate; how fast it
    stops, in wall-clock seconds, is measured by bench/limits.py."""
    path = long_daily_series(tmp_path / "daily.csv")
    env = {"MARKETLENS_WORKSPACES": str(tmp_path / "store.sqlite")}
    with serve(env=env) as url:
        context, tab = open_tab(browser)
        heaviest_forecast_of(tab, url, path)
        tab.wait_for_timeout(2000)
        busy = cpu_seconds(url.process.pid)
        context.close()
        wait_until_idle(url.process.pid, within=300)
        spent = cpu_seconds(url.process.pid) - busy
    # Measured on two cores: 2.6-3.7 CPU seconds after the close when it stops (also beside two
    # busy loops), 13.8-15.1 when the page never learns that its tab closed. (A CI run spent 15.4
    # with the stop working: the decomposition chart's exact STL of the 366-day season took 9 CPU
    # seconds that nothing could interrupt; it now smooths as R's stl does, in 0.2 s.)
    assert spent < 8, f"the server computed {spent:.1f} CPU seconds after the tab closed"
