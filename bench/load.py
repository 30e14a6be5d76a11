"""Loading benchmark: our loader against pandas and calamine on real and generated files.

Excel: the two Online Retail II excerpts in ../shared/datasets, every sheet read, against
``pandas.read_excel`` with its default engine (openpyxl), pandas with the calamine engine, and
python-calamine's raw ``to_python`` (a lower bound: no DataFrame is built).
CSV: a 1,000,000-line transaction log written by our generator, against ``pandas.read_csv``
with the default C engine and with ``engine="pyarrow"``.

Goals (issue 2): Excel at least 5x faster than pandas' default; CSV within 1.5x of pyarrow.
Ratios are tool seconds / our seconds in the same run: above 1 means we are faster.
Run: python -m bench.run load
"""

from __future__ import annotations

import pandas as pd
from python_calamine import CalamineWorkbook

from analytics.data import generate_sample, load_table
from bench.common import CACHE, SHARED, BenchReport

EXCEL_FILES = ("online_retail_II_sample_2sheets.xlsx", "online_retail_II_head52516.xlsx")
CSV_LINES = 1_000_000


def million_line_csv():
    """Write (once) a CSV of exactly 1,000,000 order lines from the sample generator."""
    path = CACHE / "transactions_1m.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    # Two years, as when the benchmarks' figures were first taken (the sample's default is now three).
    frame = generate_sample(n_customers=42_000, days=730, random_state=11).transactions
    if len(frame) < CSV_LINES:
        raise RuntimeError(f"the generator gave {len(frame):,} lines; raise n_customers")
    frame = frame.iloc[:CSV_LINES]
    frame.assign(InvoiceDate=frame["InvoiceDate"].dt.strftime("%Y-%m-%d %H:%M")).to_csv(
        path, index=False
    )
    return path


def run(*, quick: bool = False) -> BenchReport:
    report = BenchReport("load")
    slow = 1 if quick else 3
    fast = 2 if quick else 5
    if SHARED.is_dir():
        for name in EXCEL_FILES:
            path = SHARED / name
            ours = report.time(
                name, "MarketLens load_table", lambda p=path: len(load_table(p).frame), repeat=fast
            )
            report.time(
                name,
                "pandas.read_excel (default: openpyxl)",
                lambda p=path: len(
                    pd.concat(pd.read_excel(p, sheet_name=None, engine="openpyxl").values())
                ),
                repeat=slow,
            )
            report.time(
                name,
                "pandas.read_excel engine=calamine",
                lambda p=path: len(
                    pd.concat(pd.read_excel(p, sheet_name=None, engine="calamine").values())
                ),
                repeat=fast,
            )

            def raw(p=path) -> int:
                book = CalamineWorkbook.from_path(str(p))
                return sum(len(book.get_sheet_by_name(s).to_python()) - 1 for s in book.sheet_names)

            report.time(name, "python-calamine to_python (no DataFrame)", raw, repeat=fast)
            assert ours.rows == report.timings[-1].rows, "every reader must read the same rows"
    else:
        report.notes.append(f"{SHARED} is absent: Excel cases skipped.")

    path = million_line_csv()
    case = f"{path.name} ({path.stat().st_size / 1e6:.0f} MB)"
    report.time(case, "MarketLens load_table", lambda: len(load_table(path).frame), repeat=fast)
    data = path.read_bytes()
    report.time(
        case,
        "(MarketLens load_table on uploaded bytes)",
        lambda: len(load_table(data, name=path.name).frame),
        repeat=fast,
    )
    report.time(
        case, "pandas.read_csv (default C engine)", lambda: len(pd.read_csv(path)), repeat=slow
    )
    report.time(
        case,
        "pandas.read_csv engine=pyarrow",
        lambda: len(pd.read_csv(path, engine="pyarrow")),
        repeat=fast,
    )
    return report
