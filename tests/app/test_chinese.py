"""AppTest: the interface in 简体中文. The translated pages, on the bundled sample and on the real
Chinese files of the corpus, leave no English word but data and technical names; the sidebar
switch changes the language and the number format, and a workspace remembers it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.language_scan import data_words, english_left, page_texts
from tests.app.test_pages import ROOT, TIMEOUT, confirm_if_asked, no_exception, upload
from tests.app.test_workspaces import reopen

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
#: Every page: each one's strings are all translated.
PAGES = (
    "overview",
    "data",
    "report",
    "segments",
    "basket",
    "workspaces",
    "forecast",
    "propensity",
    "customers",
    "channels",
    "campaigns",
    "monitor",
)
CHINESE_FILES = (
    "tmall_order_report.csv",
    "朝阳医院2016年销售数据.csv",
    "朝阳医院2018年销售数据.xlsx",
    "超市销售记录数据.xls",
)


def chinese_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["w.language"] = "zh_CN"
    return at.run()


def english_on_pages(at: AppTest) -> dict[str, list[str]]:
    state = at.session_state["ml.data"]
    allowed = data_words([state.table.frame], [state.table.source, *state.table.sheets])
    left = {}
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        no_exception(at)
        left[page] = english_left(page_texts(at), allowed)
    return left


def test_the_translated_pages_on_the_sample_are_all_chinese():
    at = chinese_app()
    assert at.title[0].value == "概览"
    assert english_on_pages(at) == {page: [] for page in PAGES}
    at.switch_page("pages/overview.py").run()
    revenue = next(m for m in at.metric if m.label == "收入")
    assert revenue.value.startswith("¥") and revenue.value.endswith("万")


@pytest.mark.parametrize("name", CHINESE_FILES)
def test_the_translated_pages_on_real_chinese_files_are_all_chinese(name):
    at = chinese_app()
    at.switch_page("pages/data.py").run()
    mime = "text/csv" if name.endswith(".csv") else "application/vnd.ms-excel"
    upload(at, name, (REAL / name).read_bytes(), mime)
    confirm_if_asked(at)
    assert at.session_state["ml.data"].table.source == name
    assert english_on_pages(at) == {page: [] for page in PAGES}


@pytest.mark.parametrize(("sample", "page"), [("mix", "channels"), ("campaign", "campaigns")])
def test_the_pages_of_the_other_samples_are_all_chinese(sample, page):
    at = chinese_app()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="w.sample").set_value(sample).run()
    state = at.session_state["ml.data"]
    allowed = data_words([state.table.frame], [state.table.source])
    at.switch_page(f"pages/{page}.py").run()
    no_exception(at)
    assert english_left(page_texts(at), allowed) == []


def test_the_scan_would_see_english():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    state = at.session_state["ml.data"]
    left = english_left(page_texts(at), data_words([state.table.frame]))
    assert any("Revenue" in line for line in left)


def test_the_sidebar_switch_changes_language_and_formats_and_a_workspace_keeps_it():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert at.title[0].value == "Overview"
    switch = next(b for b in at.button_group if b.label == "Language · 语言")
    switch.set_value("zh_CN").run()
    no_exception(at)
    assert at.title[0].value == "概览"
    assert "年" in at.caption[0].value  # dates follow: 2023年1月1日
    token = save_in_chinese(at, "中文工作区")
    again = reopen(token)
    no_exception(again)
    assert again.title[0].value == "概览"


def save_in_chinese(at: AppTest, name: str) -> str:
    at.switch_page("pages/workspaces.py").run()
    at.text_input(key="ws.name").set_value(name)
    next(b for b in at.button if b.key == "ws.save" or b.label in ("Save", "保存")).click().run()
    no_exception(at)
    return at.query_params["ws"]
