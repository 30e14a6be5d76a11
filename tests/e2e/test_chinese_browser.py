"""Chromium in 简体中文: a browser set to Chinese opens the app in Chinese, every page is shot in
Chinese, Chinese text renders as glyphs (not empty boxes), and the Chinese report opens offline
with every section."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.data import clean, default_steps, open_dataset
from analytics.display import Display
from analytics.i18n import _, language
from analytics.report import SECTIONS, ReportOptions, build_report
from tests.app.test_chinese import PAGES as TRANSLATED
from tests.e2e.test_browser import NAV, SCREENSHOTS, follow, new_tab, no_traceback, serve, settle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server():
    with serve() as url:
        yield url


#: Every page of the app, by its address.
PAGES = [*NAV, "workspaces", "report"]

#: Width of text in the element's own font: Han characters that the fonts cannot draw all fall
#: back to one empty box (.notdef), as wide as the private-use characters measured beside them;
#: drawn, they are square, about one em each.
GLYPHS = """selector => {
    const element = document.querySelector(selector);
    const style = getComputedStyle(element);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.font;
    const width = text => context.measureText(text).width;
    return {
        han: width('收入概览客户'),
        missing: width('\\uE000\\uE001\\uE002\\uE003\\uE004\\uE005'),
        em: parseFloat(style.fontSize),
        text: element.innerText,
    };
}"""


def drawn(glyphs: dict) -> bool:
    """Whether six Han characters were drawn as square glyphs, not as missing-glyph boxes."""
    per_character = glyphs["han"] / 6
    return glyphs["han"] != glyphs["missing"] and 0.8 <= per_character / glyphs["em"] <= 1.2


def test_a_chinese_browser_gets_every_page_in_chinese(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="zh-CN")
    tab = new_tab(context)
    tab.goto(server)
    tab.wait_for_selector('[data-testid="stMetric"]')
    settle(tab)
    assert tab.locator("h1").first.inner_text() == "概览"  # from the browser's language
    assert "收入" in tab.inner_text("main")
    glyphs = tab.evaluate(GLYPHS, "h1")
    assert drawn(glyphs), glyphs
    with language("zh_CN"):
        titles = {name: _(NAV.get(name, name.capitalize())) for name in PAGES}
    for name in PAGES:
        link = tab.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=titles[name])
        follow(tab, link)
        no_traceback(tab)
        tab.wait_for_timeout(1_000)  # charts draw after the run
        if name in TRANSLATED:
            assert tab.locator("h1").first.inner_text() == titles[name]
            assert drawn(tab.evaluate(GLYPHS, "h1"))
        tab.screenshot(path=str(_shots() / f"zh_{name}.png"))
    context.close()


def _shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def test_the_chinese_report_opens_offline_with_every_section_drawn(browser, tmp_path):
    opened = open_dataset(Path(__file__).parents[1] / "data" / "real" / "tmall_order_report.csv")
    cleaned = clean(opened.dataset, default_steps(opened.dataset))
    report = build_report(
        cleaned,
        table=opened.table,
        options=ReportOptions(
            title="天猫订单分析", display=Display.for_locale("zh_CN"), language="zh_CN"
        ),
    )
    path = tmp_path / "report.html"
    path.write_text(report.html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    outside: list[str] = []

    def only_the_file(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_file)
    tab = context.new_page()
    tab.goto(path.as_uri())
    tab.wait_for_selector(".js-plotly-plot")
    assert outside == []
    assert tab.locator("html").get_attribute("lang") == "zh-CN"
    shown = tab.locator("section").evaluate_all("s => s.map(x => x.dataset.section)")
    assert shown == list(SECTIONS)
    with language("zh_CN"):
        headings = [_(title) for title in SECTIONS.values()]
    assert tab.locator("section h2").all_inner_texts() == headings
    assert "数据集与质量" in tab.inner_text("nav")
    for selector in ("h1", "section h2", "dl dt"):
        glyphs = tab.evaluate(GLYPHS, selector)
        assert drawn(glyphs), (selector, glyphs)
    tab.screenshot(path=str(_shots() / "zh_report.png"), full_page=False)
    context.close()
