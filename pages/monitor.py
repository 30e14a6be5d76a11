"""Monitor: today's orders, revenue and customers against what the weeks before lead to expect,
anomalies in plain words, the products that move most, and alert rules."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.data import Dataset
from analytics.display import Column
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.monitor import (
    CONDITIONS,
    METRIC_LABELS,
    METRICS,
    AlertLog,
    AlertRule,
    Delivery,
    run_rules,
)
from analytics.monitor.expected import WEEKDAYS
from analytics.monitor.run import (
    ALERTS_KEY,
    MonitorParams,
    MonitorResult,
    rules_entry,
    rules_from,
    run_monitor,
)
from analytics.monitor.watch import alert_log_for
from analytics.report import WorkspaceStore
from pages._display import current_display, table
from pages._errors import show_error
from pages._live import follow_live, live_state, monitor_params
from pages._runtime import ensure_inside_app
from pages._state import analyses, current_dataset, remember
from pages._widgets import PageDone, kept, md, point_to_data_page, shown_as
from pages._workspace import open_workspace

WINDOWS = {
    "day": N_("The day so far"),
    "1h": N_("The last hour"),
    "3h": N_("The last 3 hours"),
    "6h": N_("The last 6 hours"),
}
AS_OF = {"now": N_("Now"), "newest": N_("The newest order")}
STATUS = {
    "below": N_("Below its band"),
    "above": N_("Above its band"),
    "within": N_("Within its band"),
    "no history": N_("No history yet"),
}


@st.cache_data(max_entries=32, show_spinner=False, ttl="10m")
def _monitor(_dataset: Dataset, key: str, params: dict, now: pd.Timestamp) -> MonitorResult:
    """The checks and movers, keyed by the dataset's fingerprint, the settings and the minute."""
    return run_monitor(_dataset, MonitorParams.from_dict(params), now)


def _delivery() -> Delivery | None:
    try:
        settings = st.secrets.get("marketlens", {}).get("alerts", {})
    except FileNotFoundError:  # also Streamlit's error for a missing secrets.toml
        settings = {}
    try:
        delivery = Delivery.from_mapping(dict(settings))
    except AnalyticsError as exc:
        show_error(exc)
        return None
    return delivery if delivery.configured else None


def _alert_log() -> AlertLog:
    """The open workspace's alert log (shared with ``python -m analytics watch``), else this
    session's own."""
    current = open_workspace()
    token = current.token if current is not None and current.token else None
    if token is None:
        token = st.session_state.setdefault("ml.session_log", "session-" + uuid.uuid4().hex)
    return alert_log_for(WorkspaceStore().path, token)


def _band_figure(result: MonitorResult) -> go.Figure:
    shown = [c for c in result.checks if c.expected is not None]
    names = [c.group if c.group is not None else _("All") for c in shown]
    colors = {"below": "#d62728", "above": "#ff7f0e", "within": "#2ca02c"}
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=[c.actual for c in shown],
        name=_("Now"),
        marker_color=[colors.get(c.status, "#7f7f7f") for c in shown],
    )
    fig.add_scatter(
        x=names,
        y=[c.expected for c in shown],
        mode="markers",
        name=_("Expected, with its band"),
        marker={"color": "#1f1f1f", "size": 10, "symbol": "line-ew-open", "line": {"width": 3}},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [(c.high or 0) - (c.expected or 0) for c in shown],
            "arrayminus": [(c.expected or 0) - (c.low or 0) for c in shown],
            "color": "#555",
        },
    )
    fig.update_layout(
        title=_("{metric}: now against the expected band").format(
            metric=_(METRIC_LABELS[result.params.metric])
        ),
        yaxis_title=_(METRIC_LABELS[result.params.metric]),
        height=360,
        margin={"t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


ensure_inside_app()
st.title(_("Monitor"))
st.caption(
    _(
        "Today's figures against what the same weekday and time usually bring, per country, "
        "channel or category, with anomalies in plain words and the products that move most. "
        "Alert rules tell you by webhook or e-mail when a figure leaves its band."
    )
)
follow_live()
dataset = current_dataset()
if not dataset.has("timestamp"):
    point_to_data_page(
        _("The Monitor needs order lines with a date and time. Load them on the Data page.")
    )
saved = monitor_params()
metrics = [m for m, (column, _how) in METRICS.items() if dataset.has(column)]
dimensions = [d for d in dataset.dimensions if d in dataset.frame.columns]
if dataset.has("category"):
    dimensions.append("category")
# Format functions may run outside the page run (AppTest's thread): their words are made now.
_together, _all_lines = _("Everything together"), _("All lines")


def together(value: str) -> str:
    return _together if value == "" else value


def all_lines(value: str) -> str:
    return _all_lines if value == "" else value


a, b, c, d = st.columns(4)
metric = kept(
    a.selectbox,
    _("Figure"),
    metrics,
    format_func=shown_as(METRIC_LABELS),
    key="w.mon.metric",
    default=saved.metric if saved.metric in metrics else metrics[0],
)
window = kept(
    b.selectbox,
    _("Window"),
    list(WINDOWS),
    format_func=shown_as(WINDOWS),
    key="w.mon.window",
    default=saved.window if saved.window in WINDOWS else "day",
)
by = kept(
    c.selectbox,
    _("Per"),
    ["", *dimensions],
    format_func=together,
    key="w.mon.by",
    default=saved.by if saved.by in dimensions else "",
)
as_of = kept(
    d.selectbox,
    _("As of"),
    list(AS_OF),
    format_func=shown_as(AS_OF),
    key="w.mon.asof",
    default="now" if live_state() is not None else "newest",
)
with st.expander(_("Sensitivity and history"), icon=":material/tune:"):
    e, f = st.columns(2)
    weeks = kept(
        e.slider, _("Earlier weeks to compare with"), 2, 26, key="w.mon.weeks", default=saved.weeks
    )
    sensitivity = kept(
        f.slider,
        _("Band width (higher: fewer, surer alarms)"),
        2.0,
        6.0,
        step=0.5,
        key="w.mon.sensitivity",
        default=float(saved.sensitivity),
    )
try:
    params = replace(
        saved, metric=metric, window=window, by=by or None, weeks=weeks, sensitivity=sensitivity
    )
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None
remember("monitor", params)
newest = dataset.frame["timestamp"].max()
if as_of == "newest" and pd.notna(newest):
    now = (newest + pd.Timedelta(seconds=1)).ceil("min")
else:
    now = pd.Timestamp.now().floor("min")
try:
    with st.spinner(_("Comparing with earlier weeks …")):
        result = _monitor(dataset, dataset.fingerprint, params.only("checks").to_dict(), now)
except AnalyticsError as exc:
    show_error(exc)
    raise PageDone from None

shown = current_display()
st.caption(
    _("As of {when} ({weekday}); {weeks} earlier weeks.").format(
        when=shown.datetime(now), weekday=_(WEEKDAYS[now.day_of_week]), weeks=weeks
    )
)
for note in result.notes:
    st.info(md(note), icon=":material/schedule:")
anomalies = result.anomalies()
if anomalies:
    for line in anomalies:
        st.warning(md(line), icon=":material/warning:")
elif any(c.status == "within" for c in result.checks):
    st.success(_("Everything is within its usual range."), icon=":material/check_circle:")
if any(c.expected is not None for c in result.checks):
    st.plotly_chart(shown.chart(_band_figure(result)), width="stretch")
checks_table = result.table().assign(status=lambda t: t["status"].map(lambda s: _(STATUS[s])))
money = metric == "revenue"
table(
    checks_table,
    columns={
        "group": _("Group"),
        "actual": Column(_("Now"), "money" if money else "count"),
        "expected": Column(_("Expected"), "money" if money else "number"),
        "low": Column(_("Band from"), "money" if money else "number"),
        "high": Column(_("Band to"), "money" if money else "number"),
        "change": Column(_("Change"), "percent"),
        "status": _("Status"),
        "explanation": _("In words"),
    },
)

st.subheader(_("Top movers"))
if result.movers.empty:
    st.caption(
        _("No product sells far from its usual rate in this window (or there is no history yet).")
    )
else:
    for line in result.mover_lines()[:5]:
        st.markdown("- " + md(line))
    table(
        result.movers,
        columns={
            "product": _("Product"),
            "units": Column(_("Units now"), "count"),
            "expected": Column(_("Usually"), "number"),
            "ratio": Column(_("Times its rate"), "ratio"),
            "z": Column(_("Departure (z)"), "number"),
            "name": _("Product name"),
        },
    )

# --- Alert rules -----------------------------------------------------------------------------------
st.subheader(_("Alert rules"))
rules = rules_from(analyses())


def _keep_rules(new: list[AlertRule]) -> None:
    remember(ALERTS_KEY, rules_entry(new))


_RULE_ERROR = "ml.monitor.rule_error"
_RAISED = "ml.monitor.raised"


def _remove_rule() -> None:
    gone = st.session_state.get("mon_remove")
    _keep_rules([r for r in rules_from(analyses()) if r.name != gone])
    st.session_state["mon_remove"] = ""


def _check_rules(
    rules: list[AlertRule],
    frame: pd.DataFrame,
    now: pd.Timestamp,
    alert_log: AlertLog,
    delivery: Delivery | None,
) -> None:
    """Check the rules (a callback, or on each live refresh); what they raised is shown once."""
    try:
        raised = run_rules(rules, frame, now, alert_log=alert_log, delivery=delivery)
    except AnalyticsError as exc:
        st.session_state[_RULE_ERROR] = exc
        return
    st.session_state.setdefault(_RAISED, []).extend(raised)


def _add_rule(sensitivity: float) -> None:
    """The form's rule, added to the session's rules (a callback: it runs before the page)."""
    get = st.session_state.get
    condition = get("mon_rule_condition", "below")
    column, value = get("mon_rule_where") or "", (get("mon_rule_value") or "").strip()
    current = rules_from(analyses())
    try:
        rule = AlertRule(
            name=" ".join(str(get("mon_rule_name") or "").split()),
            metric=get("mon_rule_metric", "orders"),
            condition=condition,
            window=get("mon_rule_window", "1h"),
            by=get("mon_rule_by") or None,
            where=((column, value),) if column and value else (),
            threshold=float(get("mon_rule_threshold") or 0)
            if condition in ("under", "over")
            else None,
            quiet_hours=float(get("mon_rule_quiet") or 6),
            sensitivity=sensitivity,
        )
        if any(r.name == rule.name for r in current):
            raise AnalyticsError(_("A rule with that name exists already."))
    except AnalyticsError as exc:
        st.session_state[_RULE_ERROR] = exc
        return
    _keep_rules([*current, rule])


with st.form("monitor_rule_form"):
    st.caption(_("A new rule: saved with the workspace, checked here and by the headless runner."))
    g, h, i = st.columns(3)
    g.text_input(_("Name"), value=_("Orders below their band"), key="mon_rule_name")
    h.selectbox(_("Figure"), metrics, format_func=shown_as(METRIC_LABELS), key="mon_rule_metric")
    i.selectbox(
        _("Condition"),
        list(CONDITIONS),
        format_func=shown_as(CONDITIONS),
        key="mon_rule_condition",
    )
    j, k, l_ = st.columns(3)
    j.selectbox(
        _("Window"), list(WINDOWS), format_func=shown_as(WINDOWS), index=1, key="mon_rule_window"
    )
    k.selectbox(
        _("Per"),
        ["", *dimensions],
        format_func=together,
        key="mon_rule_by",
    )
    l_.number_input(
        _("Threshold (fixed conditions)"), min_value=0.0, value=0.0, key="mon_rule_threshold"
    )
    m, n, o = st.columns(3)
    m.selectbox(
        _("Only where"),
        ["", *dimensions],
        format_func=all_lines,
        key="mon_rule_where",
    )
    n.text_input(_("is"), value="", key="mon_rule_value")
    o.number_input(
        _("Quiet period (hours)"), min_value=0.25, max_value=168.0, value=6.0, key="mon_rule_quiet"
    )
    st.form_submit_button(
        _("Add the rule"), on_click=_add_rule, args=(sensitivity,), icon=":material/add_alert:"
    )
problem = st.session_state.pop(_RULE_ERROR, None)
if problem is not None:
    show_error(problem)
rules = rules_from(analyses())

if rules:
    table(
        pd.DataFrame(
            [
                {
                    "name": r.name,
                    "figure": _(METRIC_LABELS[r.metric]),
                    "condition": _(CONDITIONS[r.condition]),
                    "window": _(WINDOWS.get(r.window, r.window)),
                    "per": r.by or "—",
                    "where": ", ".join(f"{c} = {v}" for c, v in r.where) or "—",
                    "quiet": r.quiet_hours,
                }
                for r in rules
            ]
        ),
        columns={
            "name": _("Name"),
            "figure": _("Figure"),
            "condition": _("Condition"),
            "window": _("Window"),
            "per": _("Per"),
            "where": _("Only where"),
            "quiet": Column(_("Quiet period (hours)"), "number"),
        },
    )
    p, q = st.columns([2, 1])
    p.selectbox(_("Remove a rule"), ["", *[r.name for r in rules]], key="mon_remove")
    q.button(_("Remove"), on_click=_remove_rule, disabled=not st.session_state.get("mon_remove"))
    delivery = _delivery()
    alert_log = _alert_log()
    if delivery is None:
        st.caption(
            _(
                "Alerts are logged here. To send them, set a webhook or SMTP under "
                "[marketlens.alerts] in .streamlit/secrets.toml."
            )
        )
    checking = (rules, dataset.frame, now, alert_log, delivery)
    if live_state() is not None:  # each refresh checks the rules (the quiet period holds them)
        _check_rules(*checking)
    else:
        st.button(
            _("Check the rules now"), on_click=_check_rules, args=checking, icon=":material/rule:"
        )
    for entry in st.session_state.pop(_RAISED, []):
        st.error(
            md(entry["rule"]) + ": " + " ".join(md(f["text"]) for f in entry["findings"]),
            icon=":material/notifications_active:",
        )
    history = alert_log.entries()[-20:]
    if history:
        st.caption(_("Recent alerts"))
        table(
            pd.DataFrame(
                [
                    {
                        "at": pd.Timestamp(e["at"]),
                        "rule": e["rule"],
                        "what": " ".join(f["text"] for f in e["findings"]),
                        "delivered": ", ".join(
                            f"{k}: {v}" for k, v in e.get("delivered", {}).items()
                        )
                        or "—",
                    }
                    for e in reversed(history)
                ]
            ),
            columns={
                "at": Column(_("When"), "datetime"),
                "rule": _("Rule"),
                "what": _("What"),
                "delivered": _("Delivered"),
            },
        )
else:
    st.caption(_("No alert rules yet."))
