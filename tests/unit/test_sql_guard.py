"""The query check, without a database: one plain read of allowed tables, or a plain refusal."""

from __future__ import annotations

import pytest

from analytics.data import TableName, check_query
from analytics.errors import AnalyticsError

ALLOWED = [TableName("public", "orders"), TableName("public", "customers")]


def check(query: str, dialect: str = "postgresql") -> str:
    default = "main" if dialect == "sqlite" else "public"
    tables = [TableName(default, t.name) for t in ALLOWED]
    return check_query(query, dialect=dialect, tables=tables, default_schema=default).sql


READS = [
    "select * from orders",
    "SELECT * FROM orders;",
    "  (select 1 from orders)",
    "WITH t AS (SELECT * FROM orders) SELECT count(*) FROM t",
    "select 'delete from x; drop table y' as note, \"update\" from orders -- insert",
    "select /* drop */ customer, sum(qty) from orders group by customer",
    "select replace(product, 'a', 'b'), start_date, comment from orders",
    "select country, sum(quantity * price) as revenue, date_trunc('month', day) as month,"
    " count(distinct customer) from orders o join customers c using (customer)"
    " where country ilike '%a%' group by 1, 3 order by 2 desc limit 10",
    "select * from orders union all select * from orders",
    "select row_number() over (partition by customer order by day) from orders",
    "with recursive n(x) as (select 1 union all select x + 1 from n where x < 5) select x from n",
]


@pytest.mark.parametrize("query", READS)
@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_plain_reads_pass(query, dialect):
    assert check(query, dialect).upper().startswith(("SELECT", "WITH"))


WRITES = {
    "insert into orders values (1)": "starts with 'INSERT'",
    "UPDATE orders SET qty = 0": "starts with 'UPDATE'",
    "delete from orders": "starts with 'DELETE'",
    "drop table orders": "starts with 'DROP'",
    "truncate orders": "starts with 'TRUNCATE'",
    "create table x as select 1": "starts with 'CREATE'",
    "select 1; drop table orders": "several",
    "select 1; select 2": "several",
    "with gone as (delete from orders returning *) select * from gone": "contains DELETE",
    "with x as (update orders set qty = 0 returning 1) select 1": "contains UPDATE",
    "select * into copy_of_orders from orders": "contains INTO",
    "select * from orders for update": "locks rows",
    "select * from orders for share": "locks rows",
    "explain analyze delete from orders": "starts with 'EXPLAIN'",
    "copy orders to '/tmp/x'": "starts with 'COPY'",
    "call refresh()": "starts with 'CALL'",
    "set statement_timeout = 0": "starts with 'SET'",
    "commit": "starts with 'COMMIT'",
    "": "Type a SELECT",
}


@pytest.mark.parametrize(("query", "reason"), WRITES.items())
def test_anything_that_could_write_is_refused_with_a_reason(query, reason):
    with pytest.raises(AnalyticsError, match=reason):
        check(query)


# Issue 19, item 1: quoting tricks that hid a second statement from the old text check.
SMUGGLED = [
    r"SELECT E'\'' AS a; COMMIT; DROP TABLE victim; SELECT '1'",
    "SELECT 1 AS x$a$; COMMIT; DROP TABLE victim; SELECT 1 AS y$a$",
    r"SELECT E'\'' AS a; COMMIT; COPY (SELECT 1) TO PROGRAM 'id > file'; SELECT '1'",
    r"SELECT E'\'' AS a; COMMIT; SELECT pg_sleep(150); SELECT '1'",
    r"SELECT 'x\'; DROP TABLE victim; --' AS y",
]


@pytest.mark.parametrize("query", SMUGGLED)
def test_a_second_statement_hidden_by_quoting_is_found(query):
    with pytest.raises(AnalyticsError, match="several"):
        check(query)


# Issue 19, item 3: reads that reach beyond the tables, each refused with its reason.
BEYOND = {
    "SELECT pg_read_file('/etc/passwd')": "pg_read_file\\(\\), which reads or writes files",
    "SELECT * FROM pg_ls_dir('.')": "pg_ls_dir\\(\\), which reads or writes files",
    "SELECT lo_import('/etc/passwd')": "lo_import\\(\\), which reads or writes files",
    "SELECT pg_sleep(600)": "pg_sleep\\(\\), which waits on purpose",
    "SELECT pg_terminate_backend(1)": "pg_terminate_backend\\(\\), which controls",
    "SELECT set_config('statement_timeout', '0', false)": "set_config\\(\\), which controls",
    "SELECT pg_advisory_lock(1)": "pg_advisory_lock\\(\\), which takes locks",
    "SELECT * FROM generate_series(1, 1000000000)": "generate_series\\(\\), which makes rows",
    "SELECT generate_series(1, 10)": "generate_series\\(\\), which makes rows",
    "SELECT nextval('counter')": "nextval\\(\\), which changes a sequence",
    "SELECT query_to_xml('select 1', true, true, '')": "query_to_xml\\(\\), which runs another",
    "SELECT pg_catalog.pg_read_file('x')": "pg_read_file\\(\\)",
    "SELECT current_setting('data_directory')": "current_setting\\(\\), which reads the server",
    "SELECT my_function(1) FROM orders": "my_function\\(\\), which is not among the functions",
    "SELECT other.upper(country) FROM orders": "a function from a schema",
    "SELECT repeat('x', 50000000) FROM orders": "repeat\\(\\), which makes a very large value",
    "SELECT * FROM orders WHERE id = :x": "has a parameter",
    "SELECT * FROM orders, LATERAL pg_ls_dir('.') f": "pg_ls_dir",
}


@pytest.mark.parametrize(("query", "reason"), BEYOND.items())
def test_functions_beyond_computing_with_values_are_refused(query, reason):
    with pytest.raises(AnalyticsError, match=reason):
        check(query)


@pytest.mark.parametrize(
    "query",
    ["SELECT load_extension('x')", "SELECT readfile('/etc/passwd')", "SELECT * FROM pragma_x"],
)
def test_sqlite_extension_and_file_functions_are_refused(query):
    with pytest.raises(AnalyticsError):
        check(query, "sqlite")


HIDDEN_TABLES = [
    "SELECT * FROM secret",
    "SELECT * FROM pg_user",  # unqualified: PostgreSQL would look in pg_catalog first
    "SELECT * FROM pg_catalog.pg_authid",
    "SELECT * FROM information_schema.tables",
    'SELECT * FROM "Orders"',  # quoted: another table than orders
    "SELECT * FROM shop.public.orders",
    "SELECT * FROM orders WHERE customer IN (SELECT customer FROM secret)",
    # A WITH name hides a table only where the database would see it:
    "SELECT * FROM (WITH secret AS (SELECT 1) SELECT * FROM secret) a, secret",
    "WITH a AS (SELECT * FROM secret), secret AS (SELECT 1) SELECT * FROM a",
    'WITH "Secret" AS (SELECT 1) SELECT * FROM secret',
]


@pytest.mark.parametrize("query", HIDDEN_TABLES)
def test_tables_outside_the_allowed_ones_cannot_be_read(query):
    with pytest.raises(AnalyticsError, match=r"no table or view called|with a database part"):
        check(query)


def test_a_with_query_of_a_tables_name_is_that_query():
    assert check("WITH secret AS (SELECT 1 AS x) SELECT x FROM secret").endswith("FROM secret")


def test_what_runs_is_the_checked_query_with_every_table_qualified():
    sql = check("select o.country from ORDERS o join customers using (customer)")
    assert '"public"."orders" AS o' in sql and '"public"."customers"' in sql
    assert check("select * from orders", "sqlite") == 'SELECT * FROM "main"."orders"'


def test_text_values_are_kept_as_typed():
    sql = check(r"SELECT 'a\' AS x, 'it''s' AS y, 'b' || E'\n' AS z, 'c :x' AS w FROM orders")
    assert r"'a\' AS x" in sql and "'it''s' AS y" in sql and "'c :x' AS w" in sql


def test_other_databases_can_read_tables_but_not_queries():
    with pytest.raises(AnalyticsError, match="PostgreSQL, MySQL/MariaDB and SQLite"):
        check_query("select 1", dialect="oracle", tables=[], default_schema=None)
