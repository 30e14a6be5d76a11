"""Every file of the bad-input corpus through the CLI, the Data page and every analysis page.

The corpus (tests/bad_files.py) is written to tests/data/bad/ once per run. A file is either
refused with the words its case names, before the previous data is lost, or read; then every
analysis page either works on it or says in words why it cannot. No page may raise, and exports
of what was read carry no spreadsheet formula.
"""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from analytics.__main__ import main
from analytics.data import is_formula_like, load_table, open_dataset, to_csv_bytes, to_excel_bytes
from analytics.errors import AnalyticsError
from tests.app.test_pages import ANALYSIS_PAGES, ROOT, no_exception, texts, upload
from tests.bad_files import CORPUS, write_corpus

#: Longest a page may take on one corpus file before the test calls it frozen.
FROZEN_AFTER = 300


@pytest.fixture(scope="session")
def corpus() -> Path:
    paths = write_corpus()
    assert len(paths) >= 40
    return paths[0].parent


def test_the_corpus_has_at_least_40_files_in_every_format(corpus):
    names = sorted(p.name for p in corpus.iterdir() if not p.name.startswith("."))
    assert names == sorted(CORPUS)
    assert len(names) >= 40
    extensions = {name.rsplit(".", 1)[-1] for name in names}
    assert {"csv", "tsv", "txt", "xlsx", "xls", "ods", "parquet"} <= extensions


@pytest.mark.parametrize("name", list(CORPUS))
def test_cli_reads_or_refuses_in_words(name, corpus, capsys):
    code = main(["inspect", str(corpus / name)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    refused = CORPUS[name].refused
    if code == 2:  # refused, or read but not mappable without --kind/--role: one line says why
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    if refused:
        assert code == 2, out
        assert refused in err
    else:
        assert code in (0, 2)
        assert code == 2 or name in out


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_page_handles_the_file(name, corpus):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=FROZEN_AFTER).run()
    at.switch_page("pages/data.py").run()
    upload(at, name, (corpus / name).read_bytes())
    state = at.session_state["ml.data"]
    refused = CORPUS[name].refused
    if refused:
        assert any(refused in e.value for e in at.error), [e.value for e in at.error]
        assert state.table.source == "transactions.csv", "the previous data is kept"
        assert "previous data" in texts(at)
    else:
        assert state.table.source == name
        assert not any("Traceback" in e.value for e in at.error)
    for page in ANALYSIS_PAGES:
        at.switch_page(page).run()
        no_exception(at)
        assert not [e.value for e in at.error if "Sorry" in e.value], f"{page} failed on {name}"
        assert at.title, f"{page} drew nothing on {name}"
        said = texts(at) + " ".join(m.label for m in at.metric)
        assert said.strip(), f"{page} shows no result and no reason on {name}"
    at.switch_page("pages/data.py").run()
    no_exception(at)
    assert at.session_state["ml.data"].table.source == state.table.source


def _formula_cells_in_csv(data: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [cell for row in rows for cell in row if is_formula_like(cell) and not _number(cell)]


def _formula_cells_in_xlsx(data: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [
        str(cell.value)
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" or (isinstance(cell.value, str) and is_formula_like(cell.value))
    ]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", [n for n, case in CORPUS.items() if case.refused is None])
def test_exports_of_every_readable_file_carry_no_formula(name, corpus):
    table = load_table(corpus / name)
    frames = [table.frame]
    with contextlib.suppress(AnalyticsError):  # some read but need their roles chosen by hand
        frames.append(open_dataset(corpus / name).dataset.frame)
    for frame in (f.head(5000) for f in frames):
        assert _formula_cells_in_csv(to_csv_bytes(frame)) == []
        assert _formula_cells_in_xlsx(to_excel_bytes(frame)) == []
