"""The HTML report: every section from real analyses, offline, escaped, and from the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analytics.__main__ import main
from analytics.data import DEFAULT_STEPS, clean, open_dataset, write_samples
from analytics.errors import AnalyticsError
from analytics.propensity import PropensityParams
from analytics.report import (
    SECTIONS,
    ReportOptions,
    Runners,
    Workspace,
    WorkspaceStore,
    build_report,
    owner_id,
)
from analytics.segments import SegmentParams


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, Path]:
    """The four samples, generated small (600 customers) so that reports take seconds."""
    return write_samples(tmp_path_factory.mktemp("samples"), n_customers=600)


@pytest.fixture(scope="module")
def transactions(small):
    opened = open_dataset(small["transactions"])
    return opened, clean(opened.dataset, DEFAULT_STEPS)


@pytest.fixture(scope="module")
def full_report(transactions):
    opened, cleaned = transactions
    options = ReportOptions(title="Q4 <b>review</b>", author="Ana & Bo", date=dt.date(2026, 11, 25))
    return build_report(cleaned, table=opened.table, options=options)


def section(html: str, key: str) -> str:
    match = re.search(rf"<section id='{key}'.*?</section>", html, re.S)
    assert match, f"section {key} missing"
    return match.group(0)


class _Reader(HTMLParser):
    """The text a reader sees in each section (no script, no style), and its table headers."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.headers: dict[str, list[str]] = {}
        self._section = ""
        self._hidden = 0
        self._header = False

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self._section = dict(attrs)["id"]
            self.sections[self._section], self.headers[self._section] = [], []
        self._hidden += tag in ("script", "style")
        self._header = self._header or tag == "th"

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")
        self._section = "" if tag == "section" else self._section
        self._header = self._header and tag != "th"

    def handle_data(self, data):
        if self._section and not self._hidden and data.strip():
            self.sections[self._section].append(data.strip())
            if self._header:
                self.headers[self._section].append(data.strip())


def test_every_rendered_section_reads_as_words_no_placeholder_or_code(full_report):
    reader = _Reader()
    reader.feed(full_report.html)
    assert list(reader.sections) == list(SECTIONS)
    for key, parts in reader.sections.items():
        text = " ".join(parts)
        assert text, f"{key} is empty"
        assert not re.search(r"[{}]", text), (key, re.findall(r".{30}[{}].{30}", text))
        assert not re.search(r"\bnan\b|\bNaN\b|\bNone\b|\bnull\b", text), key
        snake = [h for h in reader.headers[key] if re.search(r"[a-z]_[a-z]", h)]
        assert not snake, (key, snake)
        # Nor in the text: roles and quality figures in words ("Invoice → Order / invoice").
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), (
            key,
            re.findall(r"\b[a-z]+_[a-z_]+\b", text),
        )
    rules = " ".join(reader.sections["rules"])
    assert re.search(r"among [\d,]+ baskets and [\d,]+ items", rules), rules[:300]


def test_report_of_transactions_has_every_section_computed(full_report):
    assert [s.key for s in full_report.sections] == list(SECTIONS)
    problems = {s.key: s.problem for s in full_report.sections if s.problem}
    # An order log is not an experiment, nor a table of weekly spend: both sections say so.
    assert list(problems) == ["campaign", "channels"]
    assert "Campaign results needs customers data" in problems["campaign"]
    assert "No marketing-mix table found" in problems["channels"]
    html = full_report.html
    assert "Rows analysed" in section(html, "data") and "Quality findings" in section(html, "data")
    assert "Revenue" in section(html, "kpis") and "kpis-trend" in section(html, "kpis")
    assert re.search(r"<td>\$[\d,]+</td>", section(html, "kpis"))  # money with its currency
    assert re.search(r"<td>[\d.]+%</td>", section(html, "rules"))  # shares as percentages
    segments = section(html, "segments")
    assert "segments-scatter" in segments and "Segment profiles" in segments
    rules = section(html, "rules")
    assert (
        "times as likely to buy" in rules and "Of the " in rules and "<ol class='rules'>" in rules
    )
    forecast = section(html, "forecast")
    assert "forecast-chart" in forecast and "Backtest" in forecast
    assert "Error vs. a seasonal guess" in forecast and "MASE" in forecast
    propensity = section(html, "propensity")
    assert "propensity-lift" in propensity and "ROC AUC" in propensity
    lifetime = section(html, "lifetime")
    for part in ("lifetime-cohorts", "lifetime-holdout", "lifetime-migration"):
        assert part in lifetime, part
    assert "Most valuable customers" in lifetime and "the model expected" in lifetime
    assert re.search(r"[\d,]+ customers moved down a segment", lifetime)
    assert "Moved down, most valuable first" in lifetime


def test_report_is_self_contained(full_report):
    html = full_report.html
    assert html.count("<script>") >= 5  # plotly.js, then one per figure
    assert "plotly.js v" in html[:200_000] or "Plotly" in html[:200_000]
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert 3_000_000 < full_report.size < 12_000_000


def test_report_title_author_and_date_are_escaped(full_report):
    html = full_report.html
    assert "<title>Q4 &lt;b&gt;review&lt;/b&gt;</title>" in html
    assert "Ana &amp; Bo" in html and "25 November 2026" in html
    assert "<b>review</b>" not in html


def test_sections_are_selectable_and_kept_in_order(transactions):
    opened, cleaned = transactions
    report = build_report(
        cleaned, table=opened.table, options=ReportOptions(sections=("forecast", "data"))
    )
    assert [s.key for s in report.sections] == ["data", "forecast"]
    assert "id='segments'" not in report.html
    with pytest.raises(AnalyticsError, match="Unknown report section"):
        ReportOptions(sections=("charts",))
    with pytest.raises(AnalyticsError, match="at least one"):
        ReportOptions(sections=())


def test_report_follows_the_pages_settings(transactions):
    opened, cleaned = transactions
    analyses = {
        "segments": {"k": 3, "names": {"Segment 1": "Whales <3"}},
        "rules": {"min_support": 0.02, "min_confidence": 0.1},
        "forecast": {"freq": "M", "model": "snaive", "horizon": 4},
        "propensity": {"model": "logreg", "folds": 3},
        "lifetime": {"horizon_weeks": 104, "period": "Q", "before": "2025-06-30"},
    }
    report = build_report(
        cleaned,
        table=opened.table,
        analyses=analyses,
        options=ReportOptions(sections=("segments", "rules", "forecast", "propensity", "lifetime")),
    )
    html = report.html
    assert "in 3 segments" in section(html, "segments")
    assert "Whales &lt;3" in section(html, "segments")
    assert "support ≥ 2.00%" in section(html, "rules")
    assert "months add up" in section(html, "forecast") and "next 4 months" in html
    assert "Logistic" in section(html, "propensity")
    lifetime = section(html, "lifetime")
    assert "Over the next 104 weeks" in lifetime and "RFM segments on Jun 30, 2025" in lifetime


def test_the_start_hook_hears_each_chosen_analysis_first_with_the_pages_settings(small):
    """``Runners.start`` (the app starts the slow analyses in its pool there) is called once per
    chosen section that fits the data, before any section is made, with the page's settings."""
    opened = open_dataset(small["customers"])
    calls: list[tuple[str, object]] = []
    made: list[str] = []

    def segments(dataset, params, budget):
        made.append("segments")
        assert [section for section, _ in calls] == ["segments", "propensity"]  # all started
        return Runners().segments(dataset, params, budget)

    runners = Runners(
        start=lambda _, section, params: calls.append((section, params)), segments=segments
    )
    build_report(
        clean(opened.dataset, DEFAULT_STEPS),
        analyses={"segments": {"k": 3}},
        options=ReportOptions(sections=("data", "kpis", "segments", "propensity")),
        runners=runners,
    )
    assert made == ["segments"]
    assert calls[0] == ("segments", SegmentParams(k=3))  # kpis does not fit customers: not started
    assert calls[1] == ("propensity", PropensityParams())


def test_sections_that_do_not_fit_the_data_say_why(small):
    opened = open_dataset(small["customers"])
    report = build_report(clean(opened.dataset, DEFAULT_STEPS), table=opened.table)
    problems = {s.key: s.problem for s in report.sections if s.problem}
    assert set(problems) == {"kpis", "rules", "forecast", "lifetime", "campaign", "channels"}
    assert "No experiment found" in problems["campaign"]  # a CRM list, no control group
    assert "needs transactions" in problems["kpis"]
    assert "Customers over time needs transactions" in problems["lifetime"]
    assert "Not in this report: Key figures needs transactions" in report.html
    assert "segments-scatter" in report.html and "propensity-lift" in report.html


def test_campaign_section_follows_the_pages_settings(small):
    opened = open_dataset(small["campaign"])
    cleaned = clean(opened.dataset, DEFAULT_STEPS)
    analyses = {"campaign": {"arm": "News E-Mail", "value": 20.0, "cost": 0.5}}
    report = build_report(
        cleaned, analyses=analyses, options=ReportOptions(sections=("data", "campaign"))
    )
    assert all(s.problem is None for s in report.sections)
    campaign = section(report.html, "campaign")
    assert "Discount E-Mail raised visit from" in campaign and "campaign-qini" in campaign
    assert "On visit, News E-Mail against No E-Mail" in campaign
    assert "the best share to contact is the top" in campaign
    assert re.search(r"<td>[\d.]+%</td>", campaign)  # rates as percentages


def test_channels_section_follows_the_pages_settings(small):
    opened = open_dataset(small["mix"])
    cleaned = clean(opened.dataset, DEFAULT_STEPS)
    analyses = {"channels": {"channels": ["tv_spend", "search_spend"], "budget": 20000.0}}
    report = build_report(
        cleaned,
        table=opened.table,
        analyses=analyses,
        options=ReportOptions(sections=("channels",)),
    )
    assert report.sections[0].problem is None
    channels = section(report.html, "channels")
    assert "channels-contributions" in channels and "channels-response" in channels
    assert "tv_spend: " in channels and "social_spend" not in channels
    assert "With 20,000 to spend per period" in channels


def test_cli_report_of_a_file(small, tmp_path, capsys):
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            str(small["series"]),
            "--out",
            str(out),
            "--title",
            "Daily",
            "--sections",
            "data,forecast",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sections"] == {"data": "ok", "forecast": "ok"}
    assert summary["bytes"] == out.stat().st_size
    assert "<title>Daily</title>" in out.read_text(encoding="utf-8")


def test_cli_report_of_a_workspace_uses_its_settings(small, tmp_path, capsys):
    opened = open_dataset(small["transactions"])
    store = WorkspaceStore(tmp_path / "ws.sqlite")
    store.save(
        Workspace(
            name="Spring",
            table=opened.table,
            origin="upload",
            kind=opened.dataset.kind,
            mapping=opened.dataset.mapping,
            steps=DEFAULT_STEPS,
            analyses={"segments": {"k": 5}},
        ),
        owner=owner_id("ana's browser"),
    )
    out = tmp_path / "w.html"
    args = ["report", "Spring", "--store", str(tmp_path / "ws.sqlite"), "--out", str(out)]
    assert main([*args, "--sections", "segments"]) == 0
    assert "in 5 segments" in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["workspaces", "--store", str(tmp_path / "ws.sqlite")]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "Spring"
    assert listed["owners"] == [{"owner": owner_id("ana's browser"), "label": "browser"}]


def saved(store: WorkspaceStore, path, name: str, who: str) -> str:
    """A workspace of the file saved under ``name`` by the browser ``who``; its token."""
    opened = open_dataset(path)
    workspace = Workspace(
        name=name,
        table=opened.table,
        origin="upload",
        kind=opened.dataset.kind,
        mapping=opened.dataset.mapping,
        steps=DEFAULT_STEPS,
    )
    return store.save(workspace, owner=owner_id(who))


def test_cli_report_refuses_a_name_anyone_could_have_taken(small, tmp_path, capsys):
    """Anyone can save a workspace called "Q4 review": a shared name is not resolved."""
    store_path = str(tmp_path / "ws.sqlite")
    store = WorkspaceStore(store_path)
    tokens = [saved(store, small["transactions"], "Q4 review", who) for who in ("ana", "mallory")]
    assert main(["report", "Q4 review", "--store", store_path, "--out", str(tmp_path / "q")]) == 2
    err = capsys.readouterr().err
    assert "2 workspaces are called 'Q4 review'" in err and all(t in err for t in tokens)
    by_token = ["report", tokens[0], "--store", store_path, "--sections", "data"]
    assert main([*by_token, "--out", str(tmp_path / "by-token.html")]) == 0


def test_cli_operator_deletes_a_workspace_or_an_owners(small, tmp_path, capsys):
    store_path = str(tmp_path / "ws.sqlite")
    store = WorkspaceStore(store_path)
    made = {
        who: saved(store, small["transactions"], f"{who}'s", who) for who in ("ana", "bo", "cy")
    }
    assert main(["workspaces", "--store", store_path, "--delete", made["ana"]]) == 0
    assert main(["workspaces", "--store", store_path, "--delete-owner", owner_id("bo")]) == 0
    capsys.readouterr()
    assert main(["workspaces", "--store", store_path]) == 0
    assert [w["name"] for w in json.loads(capsys.readouterr().out)] == ["cy's"]


def test_cli_report_errors_are_one_line(tmp_path, capsys):
    store = str(tmp_path / "ws.sqlite")
    assert main(["report", "Nope", "--store", store, "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No workspace") and err.count("\n") == 1


def test_rules_leave_out_redundant_ones_unless_the_page_shows_them(transactions):
    _, cleaned = transactions
    only_rules = ReportOptions(sections=("rules",))
    default = build_report(cleaned, options=only_rules).html
    everything = build_report(
        cleaned, options=only_rules, analyses={"rules": {"redundant": True}}
    ).html
    assert "redundant or not significant left out" in default
    assert "left out" not in everything
    shown = int(re.search(r"<p>([\d,]+) rules", default).group(1).replace(",", ""))
    total = int(re.search(r"<p>([\d,]+) rules", everything).group(1).replace(",", ""))
    assert 0 < shown < total
