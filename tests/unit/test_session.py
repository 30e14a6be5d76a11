"""The session's data as a pure model (issue 16): propose → with kind → with roles → cleaned,
tested without Streamlit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analytics.data import DataState, load_table
from analytics.errors import AnalyticsError

# Shopify's order number is in a column called "Name": only its values (#1001) say what it is.
SHOPIFY = (
    b"Name,Subtotal,Shipping,Taxes,Total,Created at,Billing City\n"
    b"#1030,88.88,11.75,9.15,100.63,2014-11-25 14:45:53 +1100,Darwin\n"
    b"#1948,14.99,10.3,2.3,25.29,2016-12-13 11:45:08 +1100,Darwin\n"
    b"#2104,57.98,15.2,6.65,73.18,2017-04-24 20:43:35 +1000,Wadeye\n"
    b"#1848,18,0,0,18,2016-12-01 12:50:19 +1100,Bellamack\n"
)
ORDERS = (
    b"order,customer,date,product,qty,price\n"
    b"A1,c1,2025-01-02,Mug,1,4.5\n"
    b"A1,c1,2025-01-02,Tea,2,3.0\n"
    b"A1,c1,2025-01-02,Tea,2,3.0\n"  # an exact duplicate line
    b"A2,c2,2025-01-05,Mug,1,4.5\n"
    b"A3,c1,2025-02-01,Cup,3,2.0\n"
)


def test_a_guessed_role_waits_for_confirmation_and_a_chosen_one_confirms():
    state = DataState.propose(load_table(SHOPIFY, name="orders_export.csv"), "upload")
    assert state.kind == "transactions" and state.mapping.order_id == "Name"
    assert state.cleaned is not None and not state.confirmed  # ready, but resting on a guess
    assert state.confirm().confirmed
    chosen = state.with_mapping(replace(state.mapping, revenue="Subtotal"))
    assert chosen.confirmed and chosen.mapping.revenue == "Subtotal"
    assert chosen.cleaned is not None
    assert chosen.cleaned.dataset.frame["revenue"].sum() == pytest.approx(179.85)


def test_the_bundled_sample_counts_as_confirmed():
    state = DataState.propose(load_table(SHOPIFY, name="orders_export.csv"), "sample")
    assert state.confirmed


def test_cleaning_steps_change_the_cleaned_data_and_keep_the_mapping():
    state = DataState.propose(load_table(ORDERS, name="orders.csv"), "upload", upload_id="u1")
    assert state.original is not None and state.original.n_rows == 5
    assert "drop_duplicates" in state.steps
    assert state.cleaned is not None and state.cleaned.dataset.n_rows == 4
    kept_all = state.with_steps(())
    assert kept_all.mapping == state.mapping and kept_all.original is state.original
    assert kept_all.cleaned is not None and kept_all.cleaned.dataset.n_rows == 5
    assert kept_all.upload_id == "u1"
    assert state.with_steps(state.steps) is state  # no change, nothing rebuilt


def test_another_kind_proposes_its_own_roles_and_keeps_where_the_table_came_from():
    state = DataState.propose(load_table(ORDERS, name="orders.csv"), "upload", upload_id="u1")
    baskets = state.with_kind("baskets")
    assert baskets.kind == "baskets" and baskets.mapping != state.mapping
    assert baskets.upload_id == "u1" and baskets.guess == state.guess
    assert baskets.cleaned is not None
    back = baskets.with_kind("transactions")
    assert back.mapping == state.mapping


def test_incomplete_roles_wait_with_a_problem_and_a_wrong_choice_later_is_refused():
    table = load_table(b"note,comment\nhello,x\nbye,y\nhi,z\n", name="notes.csv")
    state = DataState.propose(table, "upload").with_kind("transactions")
    assert state.kind == "transactions" and state.original is None and state.cleaned is None
    assert state.problem is not None and "needs a date column" in state.problem.message
    # While incomplete, each choice is a new attempt, not an error.
    again = state.with_mapping(replace(state.mapping, revenue=None))
    assert again.problem is not None and again.cleaned is None
    complete = DataState.propose(load_table(ORDERS, name="orders.csv"), "upload")
    with pytest.raises(AnalyticsError):
        complete.with_mapping(replace(complete.mapping, timestamp=None))
