"""The Channels page (issue 22) on the bundled weekly sales and spend sample."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import (
    app,
    chart_ids,
    confirm_if_asked,
    metric,
    no_exception,
    on_data_page,
    upload,
    widget,
)
from tests.app.test_pages import plain_texts as texts


def on_mix_sample() -> AppTest:
    at = on_data_page()
    at.selectbox(key="w.sample").set_value("mix").run()
    at.switch_page("pages/channels.py").run()
    no_exception(at)
    return at


def test_channels_page_fits_the_mix_and_plans_the_budget():
    at = on_mix_sample()
    assert widget(at, "selectbox", "Outcome (sales)").value == "sales"
    assert widget(at, "multiselect", "Channels (spend per period)").value == [
        "tv_spend",
        "search_spend",
        "social_spend",
        "email_spend",
    ]
    assert metric(at, "Weeks") == "156"
    charts = chart_ids(at)
    assert {"mix_contributions", "mix_shares", "mix_response", "mix_plan"} <= charts
    text = texts(at)
    assert "tv_spend: " in text and "of what the channels added (95% interval" in text
    assert "its effect halves in 1.9 weeks" in text  # TV's planted decay 0.7
    assert "is expected to add" in text
    labels = [b.label for b in at.get("download_button")]
    assert "Channel figures (CSV)" in labels and "Budget plan (Excel)" in labels
    # A bigger budget is split again.
    at.number_input(key=next(n.key for n in at.number_input if "budget" in n.key)).set_value(
        30000.0
    ).run()
    no_exception(at)
    assert "With 30,000 to spend per period" in texts(at)
    plan = at.dataframe[-1].value
    assert abs(plan["planned"].sum() - 30000) < 1 and len(plan) == 4
    # Per-channel bounds: at least 12,000 a week on TV.
    tv_low = next(
        n for n in at.number_input if n.key.startswith("w.mix.low.") and "tv_spend" in n.key
    )
    tv_low.set_value(12000.0).run()
    no_exception(at)
    plan = at.dataframe[-1].value.set_index("channel")
    assert plan.loc["tv_spend", "planned"] >= 12000 - 1e-6
    saved = at.session_state["ml.analyses"]["channels"]
    assert dict((k, v) for k, v in saved["limits"])["tv_spend"][0] == "12000.0"
    # One channel fewer.
    widget(at, "multiselect", "Channels (spend per period)").set_value(
        ["tv_spend", "search_spend", "social_spend"]
    ).run()
    no_exception(at)
    assert "email_spend:" not in texts(at)


def test_channels_page_explains_what_it_needs():
    at = app()  # the order lines sample: no weekly spend columns
    at.switch_page("pages/channels.py").run()
    no_exception(at)
    assert "needs a weekly (or daily) table" in texts(at) or "Choose at least one channel" in texts(
        at
    )


@pytest.mark.realdata
def test_channels_page_runs_robyns_weekly_data_end_to_end(shared_datasets):
    """Robyn's simulated weekly data: the roles proposed from its names, contributions, ROI,
    response curves, the out-of-sample miss and a budget split."""
    at = on_data_page()
    data = (shared_datasets / "mmm_robyn_simulated_weekly.csv").read_bytes()
    confirm_if_asked(upload(at, "mmm_robyn_simulated_weekly.csv", data))
    at.switch_page("pages/channels.py").run()
    no_exception(at)
    assert widget(at, "selectbox", "Outcome (sales)").value == "revenue"
    assert widget(at, "multiselect", "Channels (spend per period)").value == [
        "tv_S",
        "ooh_S",
        "print_S",
        "search_S",
        "facebook_S",
    ]
    assert widget(
        at, "multiselect", "Controls (prices, promotions, competitors, events)"
    ).value == [
        "competitor_sales_B",
        "newsletter",
    ]
    assert metric(at, "Weeks") == "208"
    assert metric(at, "Out-of-sample miss").endswith("%")
    charts = chart_ids(at)
    assert {"mix_contributions", "mix_shares", "mix_response", "mix_plan"} <= charts
    summary = at.dataframe[0].value
    assert len(summary) == 5 and (summary["roi"] > 0).all()
    assert "is expected to add" in texts(at)


def test_channels_page_builds_the_weekly_table_from_orders_and_a_spend_file():
    """The order-lines sample plus a daily spend file: revenue per week from the orders, spend
    per week from the file, whole weeks only, and the model on top."""
    import numpy as np
    import pandas as pd

    days = pd.date_range("2023-01-01", "2025-12-31", freq="D")
    rng = np.random.default_rng(3)
    spend = pd.DataFrame(
        {
            "date": days.strftime("%Y-%m-%d"),
            "search_spend": rng.gamma(3.0, 50.0, len(days)).round(2),
            "social_spend": rng.gamma(2.0, 40.0, len(days)).round(2),
        }
    )
    at = app()
    at.switch_page("pages/channels.py").run()
    no_exception(at)
    at.file_uploader(key="mix_spend").set_value(
        ("spend.csv", spend.to_csv(index=False).encode(), "text/csv")
    ).run()
    no_exception(at)
    assert "Weekly table: the orders, with spend.csv: 156 weeks" in texts(at)
    assert widget(at, "selectbox", "Outcome (sales)").value == "revenue"
    assert widget(at, "multiselect", "Channels (spend per period)").value == [
        "search_spend",
        "social_spend",
    ]
    assert metric(at, "Weeks") == "156"
    assert {"mix_contributions", "mix_plan"} <= chart_ids(at)
    summary = at.dataframe[0].value
    assert summary["spend"].sum() == pytest.approx(
        spend.loc[
            spend["date"].between("2023-01-02", "2025-12-28"), ["search_spend", "social_spend"]
        ]
        .sum()
        .sum(),
        rel=1e-9,
    )
