"""Personal data: detection by header and content, pseudonyms (stable under one secret, different
under another), dropping, the user's choices, putting IDs back, and the deployment's secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from analytics.data import (
    detect_mapping,
    generate_personal_orders,
    load_table,
    privacy_key,
    protect_table,
    reattach,
    write_samples,
)
from analytics.data.privacy import (
    china_id_valid,
    detect_personal,
    luhn_valid,
    normalise,
    protect,
    protected_notes,
    pseudonym,
)
from analytics.errors import AnalyticsError

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
NOT_PERSONAL_ZH = ("订单号", "下单时间", "商品编码", "数量", "单价")
NOT_PERSONAL_EN = ("Order Number", "Order Date", "SKU", "Quantity", "Unit Price")


def personal_values(frame: pd.DataFrame, kinds: dict[str, str]) -> set[str]:
    """Every original personal value of the generated file, and card numbers without spaces."""
    values = {str(v) for column in kinds for v in frame[column].dropna()}
    return values | {v.replace(" ", "") for v in values}


def test_check_digits():
    assert luhn_valid("4111111111111111") and luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("4111111111111112") and not luhn_valid("12345")
    assert china_id_valid("11010519491231002X") and china_id_valid("11010519491231002x")
    assert not china_id_valid("110105194912310021") and not china_id_valid("1101051949123100")


@pytest.mark.parametrize(("language", "plain"), [("zh", NOT_PERSONAL_ZH), ("en", NOT_PERSONAL_EN)])
def test_every_personal_column_of_the_generated_file_is_found_and_nothing_else(language, plain):
    frame, kinds = generate_personal_orders(language=language)
    found = {p.column: p.kind for p in detect_personal(frame)}
    assert found == kinds  # recall 100%, and no order number, SKU, quantity, price or date
    assert not set(found) & set(plain)
    ids = next(p for p in detect_personal(frame) if p.kind == "national_id")
    assert "fail their check character" in ids.detail  # the invalid ones are still caught


def test_content_alone_finds_identifiers_under_meaningless_headers():
    frame, kinds = generate_personal_orders(language="en", seed=3)
    renamed = frame.rename(columns={c: f"field_{i}" for i, c in enumerate(frame.columns)})
    found = {p.column: (p.kind, p.found_by) for p in detect_personal(renamed)}
    by_kind = {kind: renamed.columns[list(frame.columns).index(c)] for c, kind in kinds.items()}
    for kind in ("email", "phone", "national_id", "bank_card", "address", "ip"):
        assert found[by_kind[kind]] == (kind, "content"), kind
    assert by_kind["name"] not in found  # names need a header: words are as likely products
    assert len(found) == 6


def test_real_exports_only_flag_what_is_personal():
    expected = {
        "Sample - Superstore (2014-2017).csv": {"Customer Name": "name"},
        # Tableau's Spanish edition: the customer's name, not the product's.
        "Muestra - Supertienda.csv": {"Nombre del cliente": "name"},
        "sales_data_sample.csv": {
            "CUSTOMERNAME": "name",
            "PHONE": "phone",
            "ADDRESSLINE1": "address",
            "ADDRESSLINE2": "address",
            "CONTACTLASTNAME": "name",
            "CONTACTFIRSTNAME": "name",
        },
        "朝阳医院2016年销售数据.csv": {"社保卡号": "social_insurance"},
        # Tmall's 收货地址 holds provinces, a region and not an address: kept for analysis.
        "tmall_order_report.csv": {},
        "Groceries_dataset.csv": {},
        "online_retail_sample.csv": {},
        "marketbasket.csv": {},  # "D Cell Batteries" is a product, not a phone
        "bank.csv": {},
        "超市销售记录数据.xls": {},
    }
    for name, kinds in expected.items():
        table = load_table(REAL / name)
        assert {p.column: p.kind for p in detect_personal(table.frame)} == kinds, name


def test_the_bundled_samples_hold_no_personal_data(tmp_path):
    for path in write_samples(tmp_path, n_customers=200).values():
        assert detect_personal(load_table(path).frame) == (), path


def test_pseudonyms_are_stable_across_uploads_and_differ_with_another_secret(monkeypatch):
    frame, kinds = generate_personal_orders(language="zh")
    first = frame.to_csv(index=False).encode()
    # A second export: other lines, other order, the same customers among new ones.
    more, _ = generate_personal_orders(n_customers=200, language="zh")
    second = pd.concat([more, frame.iloc[::-1]]).to_csv(index=False).encode()
    monkeypatch.setenv("MARKETLENS_PRIVACY_SECRET", "deployment one")
    key, where = privacy_key()
    assert "MARKETLENS_PRIVACY_SECRET" in where

    def pseudonyms(data: bytes, key: bytes) -> dict[str, str]:
        raw = load_table(data, name="orders.csv")
        protected, originals = protect_table(raw, key)
        assert {s.column for s in protected.privacy} == set(kinds)
        return {p: originals[p] for p in protected.frame["客户邮箱"].dropna()}

    one, two = pseudonyms(first, key), pseudonyms(second, key)
    by_mail_one = {mail: p for p, mail in one.items()}
    by_mail_two = {mail: p for p, mail in two.items()}
    assert by_mail_one.items() <= by_mail_two.items()  # the same customer, the same pseudonym
    monkeypatch.setenv("MARKETLENS_PRIVACY_SECRET", "deployment two")
    other = {mail: p for p, mail in pseudonyms(first, privacy_key()[0]).items()}
    assert other.keys() == by_mail_one.keys()
    assert not set(other.values()) & set(by_mail_one.values())


def test_the_same_identifier_written_two_ways_gets_one_pseudonym():
    key = b"k"
    same = [
        ("13812345678", "+86 138-1234-5678", "phone"),
        ("13812345678", "0086 138 1234 5678", "phone"),
        ("Ana@Example.COM", " ana@example.com ", "email"),
        ("6212 3456 7890 1234", "6212345678901234", "bank_card"),
        ("11010519491231002x", "11010519491231002X", "national_id"),
    ]
    for a, b, kind in same:
        assert pseudonym(normalise(a, kind), key) == pseudonym(normalise(b, kind), key), (a, b)
    assert pseudonym("a", key).startswith("p-") and len(pseudonym("a", key)) == 18
    assert pseudonym("a", key) != pseudonym("b", key)


def test_protect_leaves_no_original_value_and_keeps_what_analyses_need():
    frame, kinds = generate_personal_orders(language="en")
    done = protect(frame, b"secret")
    text = done.frame.to_csv(index=False)
    assert not [v for v in personal_values(frame, kinds) if v in text]
    assert set(done.frame.columns) == set(NOT_PERSONAL_EN) | {
        "Customer Name",
        "Customer Email",
        "Mobile",
        "National ID",
        "Card Number",
    }
    # Customers are still customers: one pseudonym per e-mail, and every line keeps its own.
    assert done.frame["Customer Email"].nunique() == frame["Customer Email"].nunique()
    pd.testing.assert_series_equal(
        done.frame["Customer Email"].map(done.originals), frame["Customer Email"], check_dtype=False
    )
    pd.testing.assert_frame_equal(done.frame[list(NOT_PERSONAL_EN)], frame[list(NOT_PERSONAL_EN)])
    actions = {s.column: s.action for s in done.steps}
    assert actions["Shipping Address"] == "drop" and actions["IP Address"] == "drop"
    assert actions["Customer Name"] == "pseudonymise"  # a customer header: it may be the key


def test_the_users_choices_override_the_defaults():
    frame, _ = generate_personal_orders(language="zh")
    done = protect(
        frame,
        b"k",
        actions={"收货地址": "keep", "身份证号": "drop", "客户姓名": "drop"},
        also=("商品编码",),
    )
    assert done.frame["收货地址"].equals(frame["收货地址"])
    assert "身份证号" not in done.frame and "客户姓名" not in done.frame
    assert done.frame["商品编码"].str.startswith("p-").all()
    chosen = next(s for s in done.steps if s.column == "商品编码")
    assert (chosen.holds, chosen.found_by, chosen.action) == (
        "chosen",
        "your choice",
        "pseudonymise",
    )
    with pytest.raises(AnalyticsError, match="Unknown privacy action"):
        protect(frame, b"k", actions={"收货地址": "publish"})


def test_empty_cells_stay_empty_and_numbers_read_as_written():
    frame = pd.DataFrame({"phone": [13812345678.0, None, 13912345678.0], "qty": [1, 2, 3]})
    done = protect(frame, b"k")
    assert done.frame["phone"].isna().tolist() == [False, True, False]
    assert set(done.originals.values()) == {"13812345678", "13912345678"}


def test_reattach_puts_the_originals_beside_the_pseudonyms_in_one_export():
    frame, _ = generate_personal_orders(language="en")
    done = protect(frame, b"k")
    export = done.frame.groupby("Customer Email")["Unit Price"].sum().to_frame("spent")
    back = reattach(export, done.originals)
    assert list(back.columns) == ["Customer Email", "Customer Email (original)", "spent"]
    assert set(back["Customer Email (original)"]) == set(frame["Customer Email"])
    assert reattach(export, {}) is export


def test_reading_notes_quoting_personal_values_are_left_out():
    frame = pd.DataFrame({"phone": ["13812345678", "13912345678"], "qty": [1, 2]})
    done = protect(frame, b"k")
    notes = ("phone: 1 value(s) are not numbers ('n/a') and were left empty.", "qty: fine.")
    assert protected_notes(notes, done.steps) == (
        "phone: a note quoting its values is left out (personal data).",
        "qty: fine.",
    )


def test_the_deployment_secret_is_generated_once_private_and_configurable(tmp_path, monkeypatch):
    monkeypatch.delenv("MARKETLENS_PRIVACY_SECRET", raising=False)
    path = tmp_path / "keys" / "privacy.key"
    first, where = privacy_key(key_file=path)
    assert privacy_key(key_file=path)[0] == first and "generated" in where
    assert len(first) == 64 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert privacy_key("from secrets", key_file=path) == (
        b"from secrets",
        "the secret set in .streamlit/secrets.toml",
    )
    monkeypatch.setenv("MARKETLENS_PRIVACY_SECRET", "from env")
    assert privacy_key(key_file=path)[0] == b"from env"
    monkeypatch.delenv("MARKETLENS_PRIVACY_SECRET")
    path.write_text("")
    with pytest.raises(AnalyticsError, match="is empty"):
        privacy_key(key_file=path)


def test_a_saved_workspace_keeps_what_was_done_and_only_the_pseudonymised_table(tmp_path):
    from analytics.report import Workspace, WorkspaceStore

    frame, kinds = generate_personal_orders(language="zh")
    raw = load_table(frame.to_csv(index=False).encode(), name="orders.csv")
    protected, _ = protect_table(raw, b"k")
    store = WorkspaceStore(tmp_path / "ws.sqlite")
    workspace = Workspace(
        name="private",
        table=protected,
        origin="upload",
        kind="transactions",
        mapping=detect_mapping(protected.frame, "transactions"),
        steps=(),
        settings={},
        analyses={},
    )
    token = store.save(workspace, owner="o")
    again = store.load(token)
    assert again.table.privacy == protected.privacy
    stored = (tmp_path / "ws.sqlite").read_bytes()
    parquet_text = again.table.frame.to_csv(index=False)
    for value in personal_values(frame, kinds):
        assert value.encode() not in stored and value not in parquet_text, value
