"""Issue 18's scan: every page on the sample and on real exports, every table and metric as a
stakeholder would read it (tests/app/display_scan.py says what counts as raw)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.display_scan import page_problems, table_problems
from tests.app.test_pages import ROOT, app, confirm_if_asked, no_exception, upload

VISITED = [
    "pages/overview.py",
    "pages/data.py",
    "pages/segments.py",
    "pages/basket.py",
    "pages/forecast.py",
    "pages/propensity.py",
    "pages/customers.py",
    "pages/campaigns.py",
    "pages/channels.py",
    "pages/monitor.py",
    "pages/workspaces.py",
    "pages/report.py",
]
REAL = ROOT / "tests" / "data" / "real"
#: Three real exports of three kinds: US orders, a bank's customer list, a headerless CD shop log.
CORPUS = {
    "superstore": "Sample - Superstore (2014-2017).csv",
    "bank": "bank.csv",
    "cdnow": "CDNOW_sample.txt",
}


def visit_every_page(at: AppTest) -> tuple[list[str], int]:
    """The problems on every page, and how many tables and metrics were read."""
    own = frozenset(map(str, at.session_state["ml.data"].table.frame.columns))
    own -= {c for c in own if c.startswith("column_")}  # names MarketLens gave, not the file
    problems, seen = [], 0
    for page in VISITED:
        at.switch_page(page).run()
        no_exception(at)
        problems += page_problems(at, page, own)
        seen += len(at.dataframe) + len(at.metric)
    return problems, seen


def test_the_sample_shows_no_raw_figure_on_any_page():
    at = app()
    problems, seen = visit_every_page(at)
    assert seen >= 30
    assert not problems, "\n".join(problems)
    revenue = next(m for m in app().metric if m.label == "Revenue")
    assert revenue.value.startswith("$")  # the sample states no currency: the locale's


def test_the_e_mail_test_sample_shows_no_raw_figure_on_any_page():
    at = app()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="w.sample").set_value("campaign").run()
    problems, seen = visit_every_page(at)
    assert seen >= 12
    assert not problems, "\n".join(problems)


def test_the_marketing_mix_sample_shows_no_raw_figure_on_any_page():
    at = app()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="w.sample").set_value("mix").run()
    problems, seen = visit_every_page(at)
    assert seen >= 8
    assert not problems, "\n".join(problems)


@pytest.mark.realdata
def test_robyns_weekly_data_shows_no_raw_figure_on_any_page(shared_datasets):
    at = app()
    at.switch_page("pages/data.py").run()
    data = (shared_datasets / "mmm_robyn_simulated_weekly.csv").read_bytes()
    confirm_if_asked(upload(at, "mmm_robyn_simulated_weekly.csv", data))
    problems, seen = visit_every_page(at)
    assert seen >= 8
    assert not problems, "\n".join(problems)


@pytest.mark.realdata
def test_hillstroms_e_mail_test_shows_no_raw_figure_on_any_page(shared_datasets):
    at = app()
    at.switch_page("pages/data.py").run()
    data = (shared_datasets / "hillstrom_email.csv").read_bytes()
    confirm_if_asked(upload(at, "hillstrom_email.csv", data))
    problems, seen = visit_every_page(at)
    assert seen >= 12
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", list(CORPUS))
def test_real_exports_show_no_raw_figure_on_any_page(name):
    at = app()
    at.switch_page("pages/data.py").run()
    confirm_if_asked(upload(at, CORPUS[name], (REAL / CORPUS[name]).read_bytes()))
    assert at.session_state["ml.data"].table.source == CORPUS[name]
    problems, seen = visit_every_page(at)
    assert seen >= 12
    assert not problems, "\n".join(problems)


@pytest.mark.realdata
def test_online_retail_shows_no_raw_figure_on_any_page(shared_datasets):
    data = (shared_datasets / "online_retail_II_sample_2sheets.xlsx").read_bytes()
    at = app()
    at.switch_page("pages/data.py").run()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    confirm_if_asked(upload(at, "online_retail_II.xlsx", data, xlsx))
    problems, _ = visit_every_page(at)
    assert not problems, "\n".join(problems)


def test_the_scan_finds_raw_tables():
    """The scan itself can fail: a table drawn without the display layer is caught."""
    at = AppTest.from_string(
        """
import numpy as np, pandas as pd, streamlit as st
st.dataframe(pd.DataFrame({
    "revenue_share": [0.0493, np.nan], "monetary": [5520.0, 3.5], "segment": ["A", "None"],
    "when": pd.to_datetime(["2026-01-01", "2026-01-02"]), "p": [1e-9, 0.5]}),
    column_config={"p": st.column_config.NumberColumn("P value", format="%.2e")})
st.metric("Revenue", "1,234")
"""
    ).run()
    found = "\n".join(page_problems(at, "raw"))
    for expected in (
        "'revenue_share': header is not in words",
        "'revenue_share': missing values show as 'None'",
        "'revenue_share': fractions without a format",
        "'monetary': money without its currency",
        "'segment': shows 'None'",
        "'when': dates with a clock",
        "'P value': scientific notation",
        "metric 'Revenue' = '1,234' has no currency",
    ):
        assert expected in found, found


def test_the_currency_is_chosen_once_in_the_sidebar_and_a_stated_one_comes_first():
    at = app()
    currency = next(s for s in at.selectbox if s.label == "Currency")
    currency.set_value("EUR").run()
    no_exception(at)
    assert next(m for m in at.metric if m.label == "Revenue").value.startswith("€")
    at.switch_page("pages/segments.py").run()
    assert not page_problems(at, "segments")
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["revenue"]["type_config"]["format"] == "€%,.0f"  # the RFM table's revenue
    # A file that says its currency opens in it.
    lines = pd.DataFrame(
        {
            "Order": ["A1", "A2", "A3"],
            "Customer": ["C1", "C2", "C1"],
            "Date": ["2024-03-01", "2024-03-02", "2024-03-05"],
            "Product": ["Mug", "Lamp", "Mug"],
            "Quantity": [1, 2, 1],
            "Total (£)": [3.5, 40.0, 3.5],
        }
    )
    at.switch_page("pages/data.py").run()
    confirm_if_asked(upload(at, "uk.csv", lines.to_csv(index=False).encode()))
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert next(m for m in at.metric if m.label == "Revenue").value.startswith("£")
    assert "states its amounts are in GBP" in " ".join(c.value for c in at.sidebar.caption)


def test_the_locale_changes_how_figures_read():
    at = app()
    next(s for s in at.selectbox if s.label == "Number and date format").set_value("de_DE").run()
    no_exception(at)
    revenue = next(m for m in at.metric if m.label == "Revenue").value
    assert revenue.endswith("$") and "." in revenue  # 284.179 $: German digits, the same dollars
    at.switch_page("pages/overview.py").run()
    assert not [p for e in at.dataframe for p in table_problems(e, "overview")]


def test_crosstab_of_clusters_and_rfm_segments_is_shown():
    """Bug: the page compared its feature tuple with "rfm", so the table never showed."""
    at = app("pages/segments.py")
    no_exception(at)
    assert any(e.label == "How clusters relate to the named RFM segments" for e in at.expander)
