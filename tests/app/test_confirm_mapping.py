"""Issue 15 on the Data page: the evidence behind each role, and analyses that wait for the user
to confirm a mapping that rests on a guess instead of running on it."""

from __future__ import annotations

from tests.app.test_pages import app, no_exception, texts, upload

# Shopify's order number is in a column called "Name": only its values (#1001) say what it is.
SHOPIFY = (
    b"Name,Subtotal,Shipping,Taxes,Total,Created at,Billing City\n"
    b"#1030,88.88,11.75,9.15,100.63,2014-11-25 14:45:53 +1100,Darwin\n"
    b"#1948,14.99,10.3,2.3,25.29,2016-12-13 11:45:08 +1100,Darwin\n"
    b"#2104,57.98,15.2,6.65,73.18,2017-04-24 20:43:35 +1000,Wadeye\n"
    b"#1848,18,0,0,18,2016-12-01 12:50:19 +1100,Bellamack\n"
)


def data_page():
    at = app()
    at.switch_page("pages/data.py").run()
    return at


def confirm_button(at):
    return next((b for b in at.button if b.key == "confirm_mapping"), None)


def test_a_guessed_role_is_shown_with_its_evidence_and_analyses_wait_for_confirmation():
    at = upload(data_page(), "orders_export.csv", SHOPIFY)
    page = texts(at)
    assert "chosen from the values" in page  # Name → order id: no header says so
    assert "the header names it; 100% parse as dates" in page
    assert "not sure of" in page and "Name" in page
    assert confirm_button(at) is not None

    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert "matched on a guess" in texts(at)
    assert not at.metric  # no KPI rests on the guess

    at.switch_page("pages/data.py").run()
    confirm_button(at).click().run()
    no_exception(at)
    assert confirm_button(at) is None and "not sure of" not in texts(at)
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert "matched on a guess" not in texts(at)
    assert "Orders" in {m.label for m in at.metric}


def test_choosing_a_column_yourself_counts_as_confirming():
    at = upload(data_page(), "orders_export.csv", SHOPIFY)
    order = next(s for s in at.selectbox if s.key == "w.role.order_id")
    order.set_value("Name").run()  # unchanged: still a guess
    assert confirm_button(at) is not None
    next(s for s in at.selectbox if s.key == "w.role.revenue").set_value("Subtotal").run()
    no_exception(at)
    assert confirm_button(at) is None
    at.switch_page("pages/overview.py").run()
    assert "matched on a guess" not in texts(at)


def test_the_sample_and_clearly_named_files_need_no_confirmation():
    at = data_page()
    assert confirm_button(at) is None
    clear = (
        b"Invoice,Customer ID,InvoiceDate,StockCode,Quantity,Price\n"
        b"1,c1,2024-01-02,P1,2,3.5\n1,c1,2024-01-02,P2,1,2.0\n2,c2,2024-01-03,P1,1,3.5\n"
    )
    at = upload(at, "clear.csv", clear)
    assert confirm_button(at) is None
    assert "the header names it" in texts(at)


def test_a_file_without_a_header_is_read_whole_and_waits_for_the_roles_to_be_confirmed():
    lines = "".join(
        f" {i % 40:05d} 1997{1 + i % 12:02d}{1 + i % 28:02d}  {1 + i % 3}   {5 + i * 0.37:.2f}\n"
        for i in range(120)
    )
    at = upload(data_page(), "CDNOW_master.txt", lines.encode())
    no_exception(at)
    page = texts(at)
    assert "first line holds values" in page and "chosen from the values" in page
    assert confirm_button(at) is not None
    at.switch_page("pages/overview.py").run()
    assert "matched on a guess" in texts(at) and not at.metric
    at.switch_page("pages/data.py").run()
    confirm_button(at).click().run()
    at.switch_page("pages/overview.py").run()
    no_exception(at)
    assert "Customers" in {m.label for m in at.metric}
