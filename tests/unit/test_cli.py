"""The command line: JSON summaries, and user errors exit 2 with one line, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analytics.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m analytics ARGS`` in a new process: the real entry point (about 5 s of imports
    each, so most tests use :func:`cli`)."""
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli(capsys, monkeypatch):
    """The command line in this process, from the repository's root: ``main()`` as ``python -m
    analytics`` calls it, with its exit code (argparse's usage errors included) and outputs."""
    monkeypatch.chdir(ROOT)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors exit 2
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["analytics", *args], code, out, err)

    return run


def test_the_module_entry_point_exits_2_with_one_line_on_a_user_error():
    result = run_cli("inspect", "no/such/file.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: ") and "Cannot open" in result.stderr


def inspect_json(path: Path, capsys, *extra: str) -> dict:
    assert main(["inspect", str(path), "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_inspect_sample_transactions(capsys):
    summary = inspect_json(ROOT / "data" / "transactions.csv", capsys)
    assert summary["kind"] == "transactions"
    assert (
        summary["roles"]["order_id"] == "Invoice"
        and summary["roles"]["customer_id"] == "Customer ID"
    )
    assert summary["dimensions"] == ["Country", "Channel"]
    assert summary["quality"]["cancellations"] > 0 and summary["quality"]["missing_customers"] > 0


def test_inspect_text_report(capsys):
    assert main(["inspect", str(ROOT / "data" / "baskets.csv")]) == 0
    out = capsys.readouterr().out
    assert "Kind: baskets" in out and "Findings:" in out


def test_role_override_and_kind_override(capsys):
    summary = inspect_json(
        ROOT / "data" / "transactions.csv",
        capsys,
        "--role",
        "customer_id=",
        "--role",
        "dimensions=Channel",
    )
    assert "customer_id" not in summary["roles"] and summary["dimensions"] == ["Channel"]
    summary = inspect_json(ROOT / "data" / "customers.csv", capsys, "--kind", "customers")
    assert summary["roles"] == {"customer_id": "CustomerID"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["inspect", "no/such/file.csv"], "Cannot open"),
        (["inspect", "pyproject.toml"], "does not read .toml"),
        (["inspect", "data/transactions.csv", "--role", "colour=Red"], "Unknown role"),
        (["inspect", "data/transactions.csv", "--role", "nonsense"], "ROLE=COLUMN"),
        (["inspect", "data/transactions.csv", "--kind", "poems"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_exit_2_with_one_line(args, message, cli):
    result = cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error:")


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "empty.csv", 2),
        (b"Invoice,Price\n", "header_only.csv", 2),
        (bytes(range(256)) * 20, "binary.csv", 2),
        (b"a,b\n1,2\n", "renamed.xlsx", 2),
        # Readable, however odd: it must be read (exit 0), not refused.
        (b"Price,Price,\n1,2,3\n", "dup_headers_only_numbers.csv", 0),
    ],
)
def test_malformed_files_exit_2_with_one_line_and_readable_ones_succeed(
    tmp_path, content, name, code, cli
):
    path = tmp_path / name
    path.write_bytes(content)
    result = cli("inspect", str(path), "--format", "json")
    assert "Traceback" not in result.stderr
    assert result.returncode == code, result.stderr
    if code == 2:
        assert len(result.stderr.strip().splitlines()) == 1


def test_sample_command_writes_six_files(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path), "--customers", "200"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert set(written) == {"transactions", "baskets", "customers", "series", "campaign", "mix"}
    assert all(Path(p).stat().st_size > 0 for p in written.values())


@pytest.mark.realdata
def test_online_retail_two_sheets(shared_datasets, capsys):
    summary = inspect_json(shared_datasets / "online_retail_II_sample_2sheets.xlsx", capsys)
    assert summary["kind"] == "transactions"
    assert summary["rows"] == 34766 and summary["sheets"] == ["Year 2009-2010", "Year 2010-2011"]
    assert summary["roles"] == {
        "order_id": "Invoice",
        "customer_id": "Customer ID",
        "timestamp": "InvoiceDate",
        "product": "StockCode",
        "product_name": "Description",
        "quantity": "Quantity",
        "unit_price": "Price",
    }
    assert summary["dimensions"] == ["Country"]
    # Reference counts from pandas + openpyxl on the same file: invoices starting with "C" or
    # negative quantities, and blank Customer ID cells.
    assert summary["quality"]["cancellations"] == 761
    assert summary["quality"]["missing_customers"] == 601


@pytest.mark.realdata
def test_online_retail_sheet_option(shared_datasets, capsys):
    summary = inspect_json(
        shared_datasets / "online_retail_II_sample_2sheets.xlsx",
        capsys,
        "--sheet",
        "Year 2010-2011",
    )
    assert summary["rows"] == 20497 and summary["sheets"] == ["Year 2010-2011"]


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "kind", "roles"),
    [
        ("groceries.csv", "baskets", {}),
        ("Mall_Customers.csv", "customers", {"customer_id": "CustomerID"}),
        ("WA_Fn-UseC_-Telco-Customer-Churn.csv", "customers", {"customer_id": "customerID"}),
        ("AirPassengers.csv", "series", {"timestamp": "Month", "value": "Passengers"}),
        ("online_retail_II_head52516.xlsx", "transactions", None),
    ],
)
def test_reference_datasets_are_recognised(shared_datasets, capsys, name, kind, roles):
    summary = inspect_json(shared_datasets / name, capsys)
    assert summary["kind"] == kind
    if roles is not None:
        assert summary["roles"] == roles


# --- segment ---------------------------------------------------------------------------------------


def segment_json(capsys, *args: str) -> dict:
    assert main(["segment", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.realdata
def test_segment_mall_customers_picks_five(shared_datasets, capsys):
    summary = segment_json(
        capsys,
        str(shared_datasets / "Mall_Customers.csv"),
        "--features",
        "Annual Income (k$),Spending Score (1-100)",
        "--scale",
        "standard",
        "--k",
        "auto",
    )
    assert summary["k"] == 5 and summary["algorithm"] == "kmeans"
    assert summary["silhouette"] == pytest.approx(0.5547, abs=0.002)
    assert sum(summary["sizes"].values()) == 200
    assert {"davies_bouldin", "calinski_harabasz", "profiles"} <= set(summary)


@pytest.mark.realdata
def test_segment_online_retail_rfm(shared_datasets, capsys):
    summary = segment_json(
        capsys, str(shared_datasets / "online_retail_II_sample_2sheets.xlsx"), "--k", "4"
    )
    assert summary["k"] == 4 and summary["features"] == ["recency", "frequency", "monetary"]
    assert (
        sum(summary["rfm_segments"].values())
        == summary["customers"]
        == sum(summary["sizes"].values())
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_segment_writes_the_crm_export(tmp_path, capsys, suffix):
    out = tmp_path / f"segments{suffix}"
    summary = segment_json(
        capsys, str(ROOT / "data" / "transactions.csv"), "--k", "3", "--out", str(out)
    )
    exported = pd.read_csv(out) if suffix == ".csv" else pd.read_excel(out, engine="calamine")
    assert len(exported) == summary["customers"]
    assert {
        "customer_id",
        "segment",
        "recency",
        "frequency",
        "monetary",
        "r_score",
        "rfm_segment",
    } <= set(exported.columns)


def test_segment_customers_table_with_gmm(capsys):
    summary = segment_json(
        capsys,
        str(ROOT / "data" / "customers.csv"),
        "--features",
        "Orders,Revenue,DaysSinceLastOrder",
        "--algorithm",
        "gmm",
        "--k",
        "3",
    )
    assert summary["k"] == 3 and summary["algorithm"] == "gmm"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--k", "many"], "--k takes 'auto' or a whole number"),
        (["--features", "Age"], "no column 'Age'"),
        (["--out", "segments.txt"], "--out must end in .csv or .xlsx"),
        (["--algorithm", "spectral"], "invalid choice"),
    ],
)
def test_segment_user_errors_exit_2(args, message, cli):
    result = cli("segment", "data/transactions.csv", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_rules_on_the_sample(tmp_path, capsys):
    out = tmp_path / "rules.csv"
    args = ["rules", str(ROOT / "data" / "transactions.csv"), "--min-support", "0.005"]
    assert main([*args, "--min-confidence", "0.2", "--evaluate", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("n_transactions", "n_items", "n_itemsets", "n_rules", "seconds"):
        assert key in summary
    assert summary["n_rules"] == len(pd.read_csv(out)) > 50
    evaluation = summary["recommendations"]
    assert evaluation["hit_rate"] > evaluation["popularity_hit_rate"]
    assert "cancelled" in summary["notes"][0]


@pytest.mark.realdata
@pytest.mark.parametrize("engine", ["eclat", "fpgrowth"])
def test_rules_on_groceries_match_arules(shared_datasets, capsys, engine):
    path = str(shared_datasets / "groceries.csv")
    assert (
        main(
            [
                *("rules", path, "--min-support", "0.001", "--min-confidence", "0.5"),
                *("--min-lift", "0", "--engine", engine),  # arules has no minimum lift
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert (summary["n_transactions"], summary["n_items"], summary["n_rules"]) == (9835, 169, 5668)
    assert summary["rules_by_size"] == {"2": 11, "3": 1461, "4": 3211, "5": 939, "6": 46}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-support", "2"], "must be between 0 and 1"),
        (["--min-support", "0"], "min_support must be in"),
        (["--item", "Country"], "--item takes one of"),
        (["--max-len", "0"], "max_len must be at least 1"),
    ],
)
def test_rules_user_errors_exit_2(args, message, cli):
    result = cli("rules", str(ROOT / "data" / "baskets.csv"), *args)
    if "--item" in args:
        result = cli("rules", str(ROOT / "data" / "transactions.csv"), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# --- forecast -----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_forecast_air_passengers_holdout(shared_datasets, tmp_path, cli):
    out = tmp_path / "forecast.csv"
    result = cli(
        "forecast",
        str(shared_datasets / "AirPassengers.csv"),
        "--model",
        "auto",
        "--holdout",
        "12",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["holdout"]["MAPE"] <= 3.0
    assert summary["n_periods"] == 144 and summary["season_length"] == 12
    assert set(summary["backtest"]["models"]) == {
        "naive",
        "snaive",
        "ets",
        "sarima",
        "theta",
        "combo",
    }
    assert summary["backtest"]["origins"] == 5 and summary["backtest"]["points_per_model"] == 60
    assert summary["model"] in summary["backtest"]["models"]
    assert len(summary["forecast"]) == 12
    table = pd.read_csv(out)
    assert len(table) == 144 + 12 and table["forecast"].notna().sum() == 12


def test_forecast_sample_transactions_by_week(capsys):
    path = ROOT / "data" / "transactions.csv"
    args = ["forecast", str(path), "--metric", "orders", "--freq", "W", "--model", "theta"]
    assert main([*args, "--horizon", "8", "--filter", "Country=France"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["series"] == "Orders per week" and summary["model"] == "theta"
    assert summary["horizon"] == 8 and summary["holdout"] is None
    assert any("last week" in n for n in summary["notes"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "Description"], "numeric column"),
        (["--holdout", "5000"], "holdout"),
        (["--horizon", "0"], "horizon"),
        (["--filter", "Country"], "COLUMN=VALUE"),
        (["--filter", "Planet=Mars"], "no column"),
    ],
)
def test_forecast_user_errors_exit_2(args, message, cli):
    result = cli("forecast", str(ROOT / "data" / "transactions.csv"), *args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


# --- propensity -----------------------------------------------------------------------------------


@pytest.mark.realdata
def test_propensity_on_telco(shared_datasets, tmp_path, cli):
    out = tmp_path / "scores.csv"
    path = shared_datasets / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    result = cli(
        "propensity",
        str(path),
        "--target",
        "Churn",
        "--positive",
        "Yes",
        "--model",
        "logreg",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["model"] == "logreg" and summary["rows"] == 7043
    assert summary["models"]["logreg"]["roc_auc"] >= 0.84
    assert "customerID" in summary["dropped"] and "customerID" not in summary["features"]
    assert summary["contact_top_20pct"]["lift"] > 2
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["customer_id", "probability", "decile", "actual"]
    assert len(scores) == 7043 and scores["probability"].is_monotonic_decreasing


def test_propensity_derived_churn_on_the_sample(capsys):
    path = ROOT / "data" / "transactions.csv"
    assert (
        main(["propensity", str(path), "--derive", "churn", "--days", "90", "--model", "tree"]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["target"].startswith("Churned") and summary["model"] == "tree"
    assert next(iter(summary["importance"])) == "recency_days"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Say what to predict"),
        (["--target", "Country"], "values"),
        (["--target", "Churned", "--positive", "Maybe"], "not a value"),
        (["--target", "Nope"], "no column"),
    ],
)
def test_propensity_user_errors_exit_2(args, message, cli):
    result = cli("propensity", str(ROOT / "data" / "customers.csv"), *args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr and "Traceback" not in result.stderr


def test_clv_command_fits_predicts_and_checks_the_holdout(cli, shared_datasets):
    done = cli(
        "clv",
        str(shared_datasets / "CDNOW_sample.txt"),
        "--calibration-end",
        "1997-09-30",
        "--observation-end",
        "1998-06-30",
        "--horizon",
        "12M",
        "--top",
        "3",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["customers"] == 2357 and out["repeat_buyers"] == 946 and out["converged"]
    assert out["bgnbd"]["r"] == pytest.approx(0.243, rel=0.01)
    assert out["gamma_gamma"]["p"] == pytest.approx(6.25, rel=0.01)
    assert out["horizon_weeks"] == 52 and len(out["top"]) == 3
    holdout = out["holdout"]
    assert (holdout["weeks"], holdout["predicted_purchases"], holdout["actual_purchases"]) == (
        39.0,
        1653.4,
        1882,
    )
    assert "12% fewer than happened" in holdout["in_words"]
    groups = {g["purchases"]: g for g in holdout["by_calibration_purchases"]}
    assert list(groups) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert groups["0"]["customers"] == 1411 and groups["0"]["actual"] == pytest.approx(0.2367)
    assert any("correlation 0.11" in note for note in out["notes"])
    bad = cli("clv", str(shared_datasets / "CDNOW_sample.txt"), "--horizon", "soon")
    assert bad.returncode != 0 and "52W, 12M or 1Y" in bad.stderr


def test_cohorts_command_gives_sizes_shares_and_partial_periods(cli):
    path = ROOT / "tests" / "data" / "real" / "Sample - Superstore (2014-2017).csv"
    done = cli("cohorts", str(path), "--period", "Q")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    first = out["cohorts"][0]
    assert first["cohort"] == "2014-01-01" and first["values"][0] == 1.0
    assert len(out["cohorts"]) == 16 and out["curve"][0] == 1.0
    assert out["cohorts"][-1]["partial"] == [0]  # the data ends on 30 December 2017
    west = json.loads(cli("cohorts", str(path), "--by", "Region", "--value", "West").stdout)
    assert west["acquired_with"] == {"Region": "West"}
    assert sum(c["customers"] for c in west["cohorts"]) < sum(
        c["customers"] for c in out["cohorts"]
    )
    half = cli("cohorts", str(path), "--by", "Region")
    assert half.returncode != 0 and "--by and --value go together" in half.stderr


def test_migration_command_gives_the_matrix_and_who_moved_down(cli):
    path = ROOT / "tests" / "data" / "real" / "Sample - Superstore (2014-2017).csv"
    done = cli("migration", str(path), "--before", "2017-06-30", "--top", "5")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["before"], out["after"]) == ("2017-06-30", "2017-12-30")
    moved = sum(out["moves"].values())
    assert moved == 793  # every Superstore customer had bought by the end of 2017
    assert moved == sum(sum(row.values()) for row in out["customers"].values())
    assert len(out["moved_down"]) == 5
    revenues = [row["revenue"] for row in out["moved_down"]]
    assert revenues == sorted(revenues, reverse=True)
    late = cli("migration", str(path), "--before", "2018-01-31")
    assert late.returncode != 0 and "must come before" in late.stderr


def test_campaign_command_gives_effects_ratio_and_uplift(cli, shared_datasets):
    path = shared_datasets / "hillstrom_email.csv"
    done = cli(
        "campaign",
        str(path),
        "--group",
        "segment",
        "--control",
        "No E-Mail",
        "--outcome",
        "visit",
        "--outcome",
        "spend",
        "--uplift",
        "--arm",
        "Womens E-Mail",
        "--cost",
        "0.1",
        "--value",
        "3",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["sizes"] == {"Womens E-Mail": 21387, "Mens E-Mail": 21307, "No E-Mail": 21306}
    assert not out["sample_ratio"]["mismatch"]
    visit = {(e["outcome"], e["arm"]): e for e in out["effects"]}
    assert visit[("visit", "Mens E-Mail")]["value"] == pytest.approx(0.182757, abs=1e-6)
    assert visit[("spend", "Womens E-Mail")]["value"] == pytest.approx(1.0772, abs=1e-4)
    assert out["in_words"][1].startswith("Mens E-Mail raised visit from 10.6% to 18.3%")
    assert out["uplift"]["arm"] == "Womens E-Mail" and out["uplift"]["qini"] > 0
    assert len(out["uplift"]["deciles"]) == 10 and 0 < out["uplift"]["best_share"]["share"] <= 1
    typo = cli("campaign", str(path), "--group", "segment", "--control", "Nobody")
    assert typo.returncode != 0 and "'Nobody' is not a group" in typo.stderr


def test_mix_command_on_robyns_weekly_data(cli, shared_datasets):
    """Robyn's simulated weekly data end to end: contributions, ROI, carry-over, the
    out-of-sample check and a budget split (no true values are published for it)."""
    done = cli(
        "mix",
        str(shared_datasets / "mmm_robyn_simulated_weekly.csv"),
        "--outcome",
        "revenue",
        "--channels",
        "tv_S,ooh_S,print_S,facebook_S,search_S",
        "--controls",
        "competitor_sales_B,newsletter",
        "--replicates",
        "10",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["periods"] == 208 and out["frequency"] == "W"
    channels = {c["channel"]: c for c in out["channels"]}
    assert set(channels) == {"tv_S", "ooh_S", "print_S", "facebook_S", "search_S"}
    assert sum(c["share"] for c in channels.values()) == pytest.approx(1.0, abs=1e-4)
    assert all(c["share_low"] <= c["share"] <= c["share_high"] for c in channels.values())
    assert channels["tv_S"]["spend"] == pytest.approx(3_087_488, rel=1e-5)
    assert 0 < out["holdout"]["mape"] < 0.2
    split = out["plan"]["split"]
    assert sum(s["planned"] for s in split) == pytest.approx(
        out["plan"]["budget_per_period"], rel=1e-4
    )
    bad = cli(
        "mix",
        str(shared_datasets / "mmm_robyn_simulated_weekly.csv"),
        "--outcome",
        "revenue",
        "--channels",
        "tv_S,nothing",
    )
    assert bad.returncode != 0 and "no column 'nothing'" in bad.stderr


def test_mix_command_builds_weeks_from_orders_and_a_spend_file(cli, tmp_path):
    days = pd.date_range("2023-01-01", "2025-12-31", freq="D")
    spend = tmp_path / "spend.csv"
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "search_spend": 50.0}).to_csv(
        spend, index=False
    )
    done = cli(
        "mix",
        str(ROOT / "data" / "transactions.csv"),
        "--spend",
        str(spend),
        "--outcome",
        "revenue",
        "--channels",
        "search_spend",
        "--replicates",
        "3",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["periods"] == 156 and out["channels"][0]["spend"] == pytest.approx(156 * 7 * 50)


def test_privacy_names_the_personal_columns_and_writes_a_copy_without_them(
    cli, tmp_path, monkeypatch
):
    from analytics.data import generate_personal_orders

    frame, kinds = generate_personal_orders(language="zh")
    source, out = tmp_path / "订单.csv", tmp_path / "safe.csv"
    frame.to_csv(source, index=False)
    monkeypatch.setenv("MARKETLENS_PRIVACY_SECRET", "cli secret")
    result = cli("privacy", str(source), "--keep", "收货地址", "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    done = {c["column"]: c["action"] for c in summary["columns"]}
    assert set(done) == set(kinds) and done["收货地址"] == "keep" and done["IP地址"] == "drop"
    assert "MARKETLENS_PRIVACY_SECRET" in summary["secret"]
    written = out.read_text(encoding="utf-8-sig")
    assert "IP地址" not in written and frame["收货地址"].iloc[0] in written
    assert frame["手机号"].astype(str).iloc[0] not in written
    assert frame["客户邮箱"].iloc[0] not in written
