"""Issue 15: real public exports get the kind, roles and whole-file figures a plain pandas
reading gives (tests/data/real/MANIFEST.toml says where each file comes from and how its
figures were computed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomllib

from analytics.baskets import build_baskets
from analytics.data import clean, default_steps, open_dataset
from analytics.overview import whole_file_summary
from analytics.propensity import default_positive, outcome_values, yes_no_columns

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
MANIFEST = tomllib.loads((REAL / "MANIFEST.toml").read_text(encoding="utf-8"))["file"]
ENTRIES = {entry["name"]: entry for entry in MANIFEST}


def test_the_manifest_names_every_file_with_its_source_and_nothing_else():
    on_disk = {p.name for p in REAL.iterdir() if p.name != "MANIFEST.toml"}
    assert on_disk == set(ENTRIES)
    for entry in MANIFEST:
        path = REAL / entry["name"]
        assert path.stat().st_size <= 4 * 2**20, entry["name"]
        assert entry["source"].startswith("github ") and len(entry["commit"]) == 40
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:16] == entry["sha256_16"]


@pytest.mark.parametrize("name", list(ENTRIES))
def test_the_pandas_lines_give_the_manifest_figures(name):
    """The expected figures are not copied from MarketLens: the manifest's own pandas lines
    recompute them here."""
    entry = ENTRIES[name]
    scope = {"pd": pd, "np": np, "PATH": str(REAL / name)}
    exec(entry["pandas"], scope)  # the repository's own manifest, never a user's file
    figures = {k: v for k, v in scope["figures"].items() if v is not None}
    assert {k: (v.item() if hasattr(v, "item") else v) for k, v in figures.items()} == entry[
        "figures"
    ]


def marketlens_figures(dataset) -> dict[str, object]:
    """The whole-file figures as MarketLens shows them, for the manifest's kind."""
    if dataset.kind == "transactions":
        summary = whole_file_summary(clean(dataset, default_steps(dataset)).dataset)
        keys = ("orders", "customers", "revenue")
        return {k: summary[k] for k in keys if summary[k] is not None}
    if dataset.kind == "baskets":
        baskets = build_baskets(dataset)
        return {
            "baskets": baskets.n_baskets,
            "items": baskets.n_items,
            "lines": int(baskets.matrix.nnz),
        }
    if dataset.kind == "series":
        frame = clean(dataset, default_steps(dataset)).dataset.frame
        return {
            "periods": len(frame),
            "total": round(float(frame["value"].sum()), 2),
            "first": f"{frame['timestamp'].iloc[0]:%Y-%m-%d}",
        }
    frame = dataset.frame
    if not dataset.has("customer_id"):  # one row per contact, the outcome a yes/no column
        outcome = yes_no_columns(dataset).likeliest
        positive = default_positive(outcome_values(dataset, outcome))
        return {
            "rows": len(frame),
            "attributes": frame.shape[1],
            "positive": int((frame[outcome].astype(str) == positive).sum()),
        }
    return {
        "customers": int(frame["customer_id"].nunique()),
        "rows": len(frame),
        "attributes": frame.shape[1] - 1,
    }


@pytest.mark.parametrize("name", list(ENTRIES))
def test_marketlens_reads_the_kind_roles_and_figures(name):
    entry = ENTRIES[name]
    opened = open_dataset(REAL / name)
    assert opened.dataset.kind == entry["kind"], opened.guess.reasons
    # Without a customer id a table is read as customers but the user is asked to confirm.
    assert opened.guess.confident == entry.get("confident", True), opened.guess.reasons
    assert opened.dataset.mapping.roles() == entry["roles"]
    assert marketlens_figures(opened.dataset) == entry["figures"]
