"""The Campaigns page (issue 21) on the bundled e-mail test: the group, control and outcomes,
the effects, the planning calculator, the uplift model and the exports."""

from __future__ import annotations

import json

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
from tests.app.test_pages import texts as raw_texts


def on_campaign_sample() -> AppTest:
    at = on_data_page()
    at.selectbox(key="w.sample").set_value("campaign").run()
    at.switch_page("pages/campaigns.py").run()
    no_exception(at)
    return at


def test_campaigns_page_reads_the_test_and_its_effects():
    at = on_campaign_sample()
    assert widget(at, "selectbox", "Group column").value == "group"
    assert widget(at, "selectbox", "Control group").value == "No E-Mail"
    assert widget(at, "multiselect", "Outcomes").value == ["visit", "conversion", "spend"]
    assert metric(at, "No E-Mail (control)") == "1,987"
    text = texts(at)
    assert "Discount E-Mail raised visit from 12.8% to 19.4%: +6.6 points" in text
    assert "match the intended split" in text
    charts = chart_ids(at)
    assert {"campaign_effects_visit", "campaign_qini", "campaign_deciles"} <= charts
    labels = [b.label for b in at.get("download_button")]
    assert "Effects of every group (CSV)" in labels and "Customers to contact (Excel)" in labels
    # Another control: the other groups are compared with it.
    widget(at, "selectbox", "Control group").set_value("News E-Mail").run()
    no_exception(at)
    assert "against News E-Mail" in json.dumps(
        [json.loads(c.proto.spec)["layout"]["title"] for c in at.get("plotly_chart")]
    )
    # One outcome only.
    widget(at, "multiselect", "Outcomes").set_value(["spend"]).run()
    no_exception(at)
    assert "raised spend from" in texts(at) and "raised visit" not in texts(at)


def test_campaigns_page_plans_the_next_test():
    at = on_campaign_sample()
    text = texts(at)
    assert "send the treatment to" in text and "from 12.8% to 13.8%" in text
    at.number_input(key="w.campaign.lift").set_value(3.0).run()
    no_exception(at)
    assert "from 12.8% to 15.8%" in texts(at)
    at.radio(key="w.campaign.plan.kind").set_value("mean").run()
    no_exception(at)
    assert "smallest change in the mean" in texts(at)


def test_campaigns_page_models_uplift_and_the_best_share_to_contact():
    at = on_campaign_sample()
    assert "ranks customers better than random targeting" in texts(at)
    assert widget(at, "selectbox", "Treated group").value == "Discount E-Mail"
    widget(at, "selectbox", "Treated group").set_value("News E-Mail").run()
    no_exception(at)
    assert "Leave out orders_last_year over" in texts(at)  # the planted harm
    at.number_input(key="w.campaign.value.visit").set_value(20.0).run()
    at.number_input(key="w.campaign.cost").set_value(0.5).run()
    no_exception(at)
    assert "The best share to contact is the top" in texts(at)
    charts = chart_ids(at)
    assert "campaign_profit" in charts
    widget(at, "selectbox", "Approach").set_value("class_transformation").run()
    no_exception(at)
    at.slider(key=next(s.key for s in at.slider if "share" in s.key)).set_value(0.5).run()
    assert "The top 50%: 1,993 customers" in texts(at)  # half of News E-Mail and No E-Mail
    saved = at.session_state["ml.analyses"]["campaign"]
    assert saved["arm"] == "News E-Mail" and saved["approach"] == "class_transformation"


def test_campaigns_page_explains_tables_that_are_not_experiments():
    at = app()
    at.switch_page("pages/campaigns.py").run()
    no_exception(at)
    assert "Campaign results need an experiment table" in texts(at)
    typo = b"who,visit\n" + b"".join(
        f"{g},{i % 2}\n".encode()
        for i, g in enumerate(["Mens E-Mail", "mens email", "No E-Mail"] * 40)
    )
    at = confirm_if_asked(upload(on_data_page(), "typo.csv", typo))
    at.switch_page("pages/campaigns.py").run()
    no_exception(at)
    assert "look like one group written in different ways" in texts(at)


def test_the_report_page_offers_the_campaign_section_for_an_experiment():
    at = on_campaign_sample()
    at.switch_page("pages/report.py").run()
    no_exception(at)
    assert at.multiselect(key="w.report.sections").value == [
        "data",
        "segments",
        "propensity",
        "campaign",
    ]
    assert "Campaign results**: your settings on its page" in raw_texts(at)
