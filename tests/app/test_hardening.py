"""Sessions kept apart, settings kept across pages, cache keys made of content, errors contained."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import pages._cached as cached
import pages._database as database
import pages._errors as errors
import pages._state as state
from analytics.data import Dataset
from analytics.params import Params
from tests.app.test_pages import (
    ANALYSIS_PAGES,
    ROOT,
    TIMEOUT,
    metric,
    no_exception,
    texts,
    upload,
)
from tests.bad_files import CORPUS, tagged_orders_csv


@pytest.fixture
def corpus_file():
    return lambda name: CORPUS[name].make()


def _everything_shown(at: AppTest) -> str:
    """Every text, metric and table cell the page shows, as one string."""
    tables = [df.value.astype("str").to_csv() for df in at.dataframe]
    metrics = [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join([texts(at), *metrics, *tables])


def test_two_sessions_with_different_uploads_never_see_each_other():
    first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    second = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    for at, name, prefix in ((first, "alpha.csv", "ALPHA-"), (second, "beta.csv", "BETA-")):
        at.switch_page("pages/data.py").run()
        upload(at, name, tagged_orders_csv(prefix))
        assert at.session_state["ml.data"].table.source == name
    # Interleaved, page by page: each session's results come from its own data only.
    for page in ANALYSIS_PAGES:
        for at, own, other in ((first, "ALPHA-", "BETA-"), (second, "BETA-", "ALPHA-")):
            at.switch_page(page).run()
            no_exception(at)
            shown = _everything_shown(at)
            assert other not in shown, f"{page} of the {own} session shows {other} data"
    for at, own in ((first, "ALPHA-"), (second, "BETA-")):
        frame = at.session_state["ml.data"].cleaned.dataset.frame
        assert frame["customer_id"].str.startswith(own).all()
    assert "BETA-" in _everything_shown(second.switch_page("pages/basket.py").run()), "own data"


CONTENT_KEYED = {"Dataset", "Baskets", "SalesSeries", "ForecastResult"}
CONTENT_KEYED |= {"PropensityData", "PropensityResult"}
PLAIN = re.compile(r"^(str|int|float|bool|dt\.date|None|tuple\[.*\]|[ |])+$")


#: The page layer's modules that hold cached functions (shared by all sessions).
CACHING_MODULES = (state, cached, database)


def _cached_functions() -> list[tuple[str, object]]:
    return [
        (name, value)
        for module in CACHING_MODULES
        for name, value in vars(module).items()
        if type(value).__name__ == "CachedFunc"
    ]


def _params_class(annotation: str) -> type | None:
    for module in CACHING_MODULES:
        found = getattr(module, annotation, None)
        if isinstance(found, type) and issubclass(found, Params):
            return found
    return None


def test_every_cache_key_is_made_of_content_and_plain_options():
    """Cached results are shared by all sessions; a key that named anything but content and
    options (an object's id, a sampled hash of a large frame) could hand one user another's."""
    functions = _cached_functions()
    assert len(functions) >= 15
    for name, function in functions:
        info = function._info  # type: ignore[attr-defined]
        assert info.max_entries and info.ttl, f"{name} is unbounded"
        registered = {t.__name__ for t in (info.hash_funcs or {})}
        for param in inspect.signature(info.func).parameters.values():
            if param.name.startswith("_"):
                continue  # not hashed: a progress callback, or a table whose fingerprint is passed
            annotation = str(param.annotation)
            if annotation in CONTENT_KEYED:
                assert annotation in registered, f"{name}({param.name}) has no content key"
            elif (params := _params_class(annotation)) is not None:  # plain options (issue 16)
                for field in dataclasses.fields(params):  # type: ignore[arg-type]
                    assert PLAIN.match(str(field.type)), f"{annotation}.{field.name} is hashed"
            else:
                assert PLAIN.match(annotation), f"{name}({param.name}: {annotation}) is hashed"


def test_datasets_differing_in_one_cell_have_different_cache_keys(sample):
    frame = sample.transactions
    from analytics.data import open_dataset

    base = open_dataset(frame.to_csv(index=False).encode(), name="a.csv").dataset
    changed = frame.copy()
    changed.loc[changed.index[-1], "Quantity"] += 1
    other = open_dataset(changed.to_csv(index=False).encode(), name="a.csv").dataset
    again = open_dataset(frame.to_csv(index=False).encode(), name="a.csv").dataset
    assert isinstance(base, Dataset)
    assert state._dataset_key(base) != state._dataset_key(other)
    assert state._dataset_key(base) == state._dataset_key(again), "same content, same result"


def test_settings_and_results_survive_switching_through_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/segments.py").run()
    at.selectbox(key="w.seg.k").set_value(4).run()
    name_box = next(t for t in at.text_input if t.label == "Name of Segment 1")
    name_box.set_value("Loyal <b>few</b>").run()
    segments_table = at.dataframe[1].value.to_csv()
    at.switch_page("pages/basket.py").run()
    next(s for s in at.select_slider if s.label == "Minimum support").set_value(0.01).run()
    at.slider(key="w.basket.confidence").set_value(0.3).run()
    rules_shown = metric(at, "Rules")
    at.switch_page("pages/forecast.py").run()
    at.selectbox(key="w.forecast.model").set_value("ets").run()
    at.selectbox(key="w.forecast.freq").set_value("M").run()
    forecast_model = metric(at, "Model")
    at.switch_page("pages/propensity.py").run()
    at.selectbox(key="w.propensity.model").set_value("logreg").run()
    auc = metric(at, "ROC AUC")
    no_exception(at)

    for _ in range(2):  # back and forth through every page, the Data page included
        for page in ["pages/data.py", *ANALYSIS_PAGES[::-1], *ANALYSIS_PAGES]:
            at.switch_page(page).run()
            no_exception(at)

    at.switch_page("pages/segments.py").run()
    assert at.selectbox(key="w.seg.k").value == 4
    assert metric(at, "Segments") == "4"
    assert "Loyal <b>few</b>" in [t.value for t in at.text_input]
    assert at.dataframe[1].value.to_csv() == segments_table
    at.switch_page("pages/basket.py").run()
    assert next(s for s in at.select_slider if s.label == "Minimum support").value == 0.01
    assert at.slider(key="w.basket.confidence").value == 0.3
    assert metric(at, "Rules") == rules_shown
    at.switch_page("pages/forecast.py").run()
    assert at.selectbox(key="w.forecast.model").value == "ets"
    assert metric(at, "Model") == forecast_model
    at.switch_page("pages/propensity.py").run()
    assert at.selectbox(key="w.propensity.model").value == "logreg"
    assert metric(at, "ROC AUC") == auc


# The function each page calls first through its cached call; making it fail is an unexpected bug.
FAILURES = [
    ("pages/overview.py", cached, "run_overview"),
    ("pages/segments.py", cached, "compute_rfm"),
    ("pages/basket.py", cached, "build_baskets"),
    ("pages/forecast.py", cached, "build_series"),
    ("pages/propensity.py", cached, "propensity_data"),
    ("pages/data.py", state, "quality_report"),
]


@pytest.mark.parametrize(("page", "module", "function"), FAILURES)
def test_an_unexpected_error_gets_an_apology_an_incident_id_and_spares_the_rest(
    page, module, function, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug <script>window.__pwned=1</script>")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    monkeypatch.setattr(module, function, broken)
    st.cache_data.clear()
    at.switch_page(page).run()
    no_exception(at)
    apology = next(e.value for e in at.error if "Sorry" in e.value)
    incident = re.search(r"incident \*\*([0-9a-f]{12})\*\*", apology)
    assert incident, apology
    assert any(e.label == "What this page was doing" for e in at.expander)
    shown = texts(at) + "".join(c.value for c in at.code)
    assert "Traceback" not in shown and "a bug" not in shown, "no traceback for visitors"
    assert "transactions.csv" in texts(at), "the visitor sees the data they work on"
    logged = [r for r in caplog.records if r.name == "marketlens"]
    assert logged and incident.group(1) in logged[-1].getMessage()
    assert (
        "RuntimeError" in logged[-1].getMessage()
        and module.__file__.rsplit("/", 1)[-1] in logged[-1].getMessage()
    )

    monkeypatch.undo()
    for other in ["pages/data.py", "pages/overview.py", page]:  # the failed page works again
        at.switch_page(other).run()
        no_exception(at)
        assert not any("Sorry" in e.value for e in at.error), f"{other} after {page} failed"
    assert at.session_state["ml.data"].table.source == "transactions.csv"


def test_the_error_report_lists_the_pages_own_settings():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    next(s for s in at.selectbox if s.label == "Trend by").set_value("M").run()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cached, "run_overview", lambda *a, **k: 1 / 0)
        st.cache_data.clear()
        at.run()
    no_exception(at)
    table = at.dataframe[-1].value
    assert isinstance(table, pd.DataFrame)
    assert any(s.startswith("w.overview.freq") for s in table["Setting"])
    assert not any(s.startswith("w.seg.") for s in table["Setting"])


def test_an_upload_whose_roles_are_incomplete_is_kept_until_the_user_picks_them(corpus_file):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/data.py").run()
    upload(at, "headers.csv", corpus_file("duplicate_blank_headers.csv"))
    assert at.session_state["ml.data"].table.source == "headers.csv", "the file is kept"
    assert any("unit price or revenue" in e.value for e in at.error)
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert any("not ready to analyse" in i.value for i in at.info)
    assert "column roles to finish" in at.sidebar.caption[0].value
    at.switch_page("pages/data.py").run()
    next(s for s in at.selectbox if s.label == "Unit price").set_value("Quantity (2)").run()
    next(s for s in at.selectbox if s.label == "Customer").set_value("column_2").run()
    no_exception(at)
    assert not at.error
    assert at.session_state["ml.data"].cleaned.dataset.n_rows > 100
    at.switch_page("pages/overview.py").run()
    assert metric(at, "Customers") == "20"


SECRET_NAME = "secret-customer-list.csv"
SECRET_CELLS = ["Zebulon Quixote", "zq@example.org", "SECRET-ORDER-77", "QX-PRODUCT-13"]


def secret_upload() -> bytes:
    rows = ["order_id,customer_id,email,date,product,quantity,price"]
    for i in range(40):
        rows.append(
            f"SECRET-ORDER-{70 + i % 9},Zebulon Quixote,zq@example.org,2025-01-{1 + i % 28:02d},"
            f"QX-PRODUCT-13,{1 + i % 3},9.5"
        )
    return "\n".join(rows).encode()


@pytest.mark.parametrize("opt_in", [False, True])
def test_incident_logs_hold_no_file_names_or_values_unless_the_operator_opts_in(
    opt_in, monkeypatch, caplog
):
    if opt_in:
        monkeypatch.setenv(errors.LOG_USER_DATA_ENV, "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/data.py").run()
    upload(at, SECRET_NAME, secret_upload())
    assert at.session_state["ml.data"].table.source == SECRET_NAME

    def broken(dataset, *args, **kwargs):
        first = dataset.frame["customer_id"].iloc[0]
        raise ValueError(f"cannot handle customer {first!r} from {dataset.source}")

    monkeypatch.setattr(cached, "run_overview", broken)
    st.cache_data.clear()
    with caplog.at_level(logging.DEBUG, logger="marketlens"):
        at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert any("Sorry" in e.value for e in at.error)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "incident" in logged and "ValueError" in logged
    leaked = [s for s in [SECRET_NAME, *SECRET_CELLS] if s in logged]
    if opt_in:
        assert SECRET_NAME in leaked and "Zebulon Quixote" in leaked
    else:
        assert leaked == [], logged
        assert "w.overview." in logged or "widgets []" in logged
