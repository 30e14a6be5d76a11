"""AppTest: an upload with personal data. After loading, no original value is anywhere: the
session's tables, the exports, the report, the workspace store or the log. The Privacy panel says
what was done, the user can choose otherwise, and an export can put the IDs back on request."""

from __future__ import annotations

import logging
import pickle

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.data import generate_personal_orders, mapped, to_csv_bytes, to_excel_bytes
from analytics.report import build_report
from analytics.report.workspace import default_store_path
from tests.app.test_pages import app, confirm_if_asked, no_exception, texts, upload
from tests.app.test_workspaces import save

PAGES = ("overview", "segments", "basket", "forecast", "customers", "propensity", "report")


def personal_upload(language: str = "zh") -> tuple[AppTest, pd.DataFrame, dict[str, str]]:
    frame, kinds = generate_personal_orders(language=language)
    at = app("app.py")
    at.switch_page("pages/data.py").run()
    upload(at, "客户订单.csv", frame.to_csv(index=False).encode())
    confirm_if_asked(at)
    no_exception(at)
    return at, frame, kinds


def originals_of(frame: pd.DataFrame, kinds: dict[str, str]) -> list[str]:
    values = {str(v) for column in kinds for v in frame[column].dropna()}
    return sorted(values | {v.replace(" ", "") for v in values})


def session_values(at: AppTest) -> dict[str, object]:
    return dict(at.session_state._state._state.filtered_state)


def test_after_loading_no_original_value_is_anywhere(caplog, tmp_path, monkeypatch):
    caplog.set_level(logging.DEBUG)
    # Every table's text is memory-mapped from files, as a large upload's is: they are searched too.
    monkeypatch.setenv(mapped.FOLDER_ENV, str(tmp_path / "frames"))
    monkeypatch.setenv(mapped.MIN_BYTES_ENV, "0")
    at, frame, kinds = personal_upload()
    shown = texts(at)
    assert "7 columns hold personal data" in shown
    table = next(d.value for d in at.dataframe if "Done" in d.value.columns)
    assert set(table["Column"]) == set(kinds)
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        no_exception(at)
    at.switch_page("pages/segments.py").run()
    assert any(c.label == "Put the original IDs back into this file" for c in at.checkbox)
    save(at, "Private orders")

    state = at.session_state["ml.data"]
    where: dict[str, bytes] = {}
    # The session: every value it holds, but the pairs kept to put IDs back on request.
    for key, value in session_values(at).items():
        if key != "ml.originals":
            where[f"session {key}"] = pickle.dumps(value)
    # Exports: the cleaned data (Data page) and the customer lists (Segments, Customers).
    dataset = state.cleaned.dataset
    where["cleaned CSV"] = to_csv_bytes(dataset.frame)
    where["cleaned Excel"] = to_excel_bytes(dataset.frame)
    from analytics.segments import run_segmentation

    segments = run_segmentation(dataset)
    where["segments CSV"] = to_csv_bytes(segments.export_table())
    # The report, built from the session's data and settings as the Report page does.
    report = build_report(
        state.cleaned, table=state.table, analyses=at.session_state["ml.analyses"]
    )
    where["report"] = report.html.encode()
    # The workspace store (Parquet inside SQLite), and everything logged meanwhile.
    where["workspace store"] = default_store_path().read_bytes()
    where["log"] = "\n".join(r.getMessage() for r in caplog.records).encode()
    files = sorted((tmp_path / "frames").glob("*.arrow"))
    assert files  # the session's text is in them
    for path in files:
        where[f"mapped text {path.name}"] = path.read_bytes()

    leaks = [
        (place, value)
        for value in originals_of(frame, kinds)
        for place, data in where.items()
        if value.encode() in data
    ]
    assert not leaks, leaks[:10]
    # …while the analyses still know every customer apart.
    assert dataset.frame["customer_id"].nunique() == frame["客户姓名"].nunique()


def test_the_privacy_panel_lets_the_user_keep_a_column_and_read_again():
    at, frame, _ = personal_upload()
    next(s for s in at.selectbox if s.label.startswith("收货地址")).set_value("keep")
    next(b for b in at.button if "read the file again" in b.label).click().run()
    no_exception(at)
    state = at.session_state["ml.data"]
    assert state.table.frame["收货地址"].tolist() == frame["收货地址"].tolist()
    done = {s.column: s.action for s in state.table.privacy}
    assert done["收货地址"] == "keep" and done["IP地址"] == "drop"
    table = next(d.value for d in at.dataframe if "Done" in d.value.columns)
    assert "Kept as uploaded (your choice)" in table["Done"].tolist()


def test_an_export_puts_the_original_ids_back_only_when_asked():
    at, _, _ = personal_upload()
    at.switch_page("pages/segments.py").run()
    box = next(c for c in at.checkbox if c.label == "Put the original IDs back into this file")
    assert not box.value and not at.warning
    box.check().run()
    no_exception(at)
    assert any("will hold personal data" in w.value for w in at.warning)


def test_a_file_without_personal_data_says_so():
    from tests.app.test_pages import ORDERS_CSV

    at = app("app.py")
    at.switch_page("pages/data.py").run()
    upload(at, "orders.csv", ORDERS_CSV)
    assert "No personal data found" in texts(at)
    assert at.session_state["ml.data"].table.privacy == ()


@pytest.mark.parametrize("language", ["en"])
def test_english_headers_are_protected_the_same_way(language):
    at, frame, kinds = personal_upload(language)
    state = at.session_state["ml.data"]
    text = state.table.frame.to_csv()
    assert not [v for v in originals_of(frame, kinds) if v in text]
    assert {s.column for s in state.table.privacy} == set(kinds)
