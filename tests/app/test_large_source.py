"""AppTest: the Data page's large-source flow reads a Parquet folder inside the operator's
folders out of core and shows the Overview, RFM segments and rules of it; nothing outside
those folders is offered or read."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analytics.engines import inside_roots, large_overview, large_rfm, large_sources, prepare
from analytics.errors import AnalyticsError
from tests.app.test_pages import ROOT, TIMEOUT, metric, no_exception, texts


@pytest.fixture
def exports(tmp_path, sample, monkeypatch):
    """An operator's folder with a folder of Parquet parts (the sample's first 6,000 lines)."""
    root = tmp_path / "exports"
    parts = root / "orders"
    parts.mkdir(parents=True)
    lines = sample.transactions.head(6000)
    for i, rows in enumerate(np.array_split(np.arange(len(lines)), 2)):
        lines.iloc[rows].to_parquet(parts / f"part-{i}.parquet", index=False)
    (root / "notes.json").write_text("{}")
    monkeypatch.setenv("MARKETLENS_LARGE_ROOTS", str(root))
    monkeypatch.setenv("MARKETLENS_LARGE_CACHE", str(tmp_path / "cache"))
    return root


def large_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="w.source").set_value("Large file on the server").run()
    no_exception(at)
    return at


def test_without_folders_the_page_says_how_to_allow_some(monkeypatch):
    monkeypatch.delenv("MARKETLENS_LARGE_ROOTS", raising=False)
    at = large_page()
    assert "[marketlens.large]" in texts(at) and "roots" in texts(at)
    assert not at.button  # nothing to read


def test_a_parquet_folder_is_read_out_of_core_and_summarised(exports):
    at = large_page()
    assert at.selectbox(key="w.large.path").options == ["exports/orders"]
    next(b for b in at.button if b.label == "Read it").click().run()
    no_exception(at)
    source = prepare(exports / "orders")
    expected = large_overview(source, freq="W")
    shown = {kpi.name: metric(at, kpi.name) for kpi in expected.kpis}
    assert shown["Orders"] == f"{expected.kpi('Orders').value:,.0f}"
    assert shown["Customers"] == f"{expected.kpi('Customers').value:,.0f}"
    assert "6,000 lines read" in texts(at)
    segments = at.dataframe[0].value
    rfm = large_rfm(source).summary
    assert segments.iloc[:, 0].tolist() == rfm.iloc[:, 0].tolist()
    assert "rules." in texts(at)
    # Moving a threshold mines again from the cached source; the page stays up.
    at.number_input(key="w.large.confidence").set_value(0.3).run()
    no_exception(at)
    assert metric(at, "Orders") == shown["Orders"]


def test_only_files_inside_the_roots_are_offered_or_read(exports, tmp_path):
    outside = tmp_path / "secret.parquet"
    outside.write_bytes(b"PAR1")
    (exports / "link.parquet").symlink_to(outside)
    offered = large_sources([exports])
    assert exports / "orders" in offered and exports / "notes.json" not in offered
    assert exports / "orders" / "part-0.parquet" not in offered  # offered as the folder
    with pytest.raises(AnalyticsError, match="outside the folders"):
        inside_roots(exports / "link.parquet", [exports])
    with pytest.raises(AnalyticsError, match="outside the folders"):
        inside_roots(exports / ".." / "secret.parquet", [exports])
    assert inside_roots(exports / "orders", [exports]) == (exports / "orders").resolve()


def test_a_database_table_is_streamed_and_summarised(tmp_path, sample, monkeypatch):
    import sqlalchemy as sa

    monkeypatch.setenv("MARKETLENS_LARGE_CACHE", str(tmp_path / "cache"))
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    sample.transactions.head(4000).to_sql("orders", engine, index=False)
    engine.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["connections"] = {"sql": {"url": url}}
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="w.source").set_value("Large file on the server").run()
    at.radio(key="w.large.where").set_value("table").run()
    assert at.selectbox(key="w.large.table").options == ["orders"]
    next(b for b in at.button if b.label == "Read it").click().run()
    no_exception(at)
    assert "4,000 lines read" in texts(at)
    orders = sample.transactions.head(4000)
    sold = orders[~orders["Invoice"].astype(str).str.startswith("C") & (orders["Quantity"] > 0)]
    assert metric(at, "Orders") == f"{sold['Invoice'].nunique():,}"
