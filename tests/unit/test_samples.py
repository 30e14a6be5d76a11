"""The sample generator: deterministic, and its planted structure is really there."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.data import BUNDLES, PERSONAS, SAMPLE_FILES, generate_sample, write_samples
from analytics.errors import AnalyticsError

DATA = Path(__file__).resolve().parents[2] / "data"


def test_same_seed_same_data_other_seed_other_data():
    a, b = generate_sample(400, random_state=3), generate_sample(400, random_state=3)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    c = generate_sample(400, random_state=4)
    assert not a.transactions.equals(c.transactions)


def test_bundled_data_folder_is_what_the_generator_writes(tmp_path):
    written = write_samples(tmp_path)
    for kind, name in SAMPLE_FILES.items():
        assert (DATA / name).read_bytes() == written[kind].read_bytes(), (
            f"data/{name} is stale: run python -m analytics sample --out data"
        )


def test_sizes(sample):
    tx = sample.transactions
    assert tx["Customer ID"].nunique() >= 3000
    assert tx["StockCode"].nunique() >= 300
    assert tx["Category"].nunique() == 8
    assert tx["InvoiceDate"].dt.normalize().nunique() >= 700


def rfm(sample) -> pd.DataFrame:
    tx = sample.transactions
    sales = tx[~tx["Invoice"].str.startswith("C") & tx["Customer ID"].notna()]
    end = tx["InvoiceDate"].max() + pd.Timedelta(days=1)
    per = (
        sales.assign(revenue=sales["Quantity"] * sales["Price"])
        .groupby("Customer ID")
        .agg(
            last=("InvoiceDate", "max"),
            first=("InvoiceDate", "min"),
            orders=("Invoice", "nunique"),
            revenue=("revenue", "sum"),
        )
    )
    per["recency"] = (end - per["last"]).dt.days
    per["tenure"] = (end - per["first"]).dt.days
    persona = sample.customers.assign(cid=sample.customers["customer_id"].astype(int)).set_index(
        "cid"
    )["persona"]
    per["persona"] = persona.reindex(per.index.astype(int)).to_numpy()
    return per


def test_personas_have_distinct_recency_frequency_and_spend(sample):
    per = rfm(sample)
    assert set(per["persona"]) == {p.name for p in PERSONAS}
    by = per.groupby("persona").agg(
        orders=("orders", "mean"),
        recency=("recency", "median"),
        revenue=("revenue", "mean"),
        tenure=("tenure", "max"),
    )
    assert (
        by.loc["Champions", "orders"]
        > 2 * by.loc["Loyal", "orders"]
        > 2 * by.loc["Occasional", "orders"]
    )
    assert by.loc["Lapsed", "recency"] > 200
    assert by.loc["New", "tenure"] <= 121
    assert by.loc["Champions", "recency"] < 30 < by.loc["Occasional", "recency"]
    assert by.loc["Wholesale", "revenue"] > by.drop("Wholesale")["revenue"].max()
    shares = per["persona"].value_counts(normalize=True)
    for persona in PERSONAS:
        assert shares[persona.name] == pytest.approx(persona.share, abs=0.03)


def lift(baskets: pd.Series, antecedent: tuple[str, ...], consequent: str) -> float:
    has_a = baskets.apply(lambda items: set(antecedent) <= items)
    has_c = baskets.apply(lambda items: consequent in items)
    return (has_a & has_c).mean() / (has_a.mean() * has_c.mean())


def test_planted_bundles_have_lift_above_three(sample):
    tx = sample.transactions
    sales = tx[~tx["Invoice"].str.startswith("C")]
    baskets = sales.groupby("Invoice")["Description"].agg(set)
    assert len(BUNDLES) >= 5
    for bundle in BUNDLES:
        for consequent in bundle:
            antecedent = tuple(i for i in bundle if i != consequent)
            assert lift(baskets, antecedent, consequent) >= 3, (bundle, consequent)
    # An ordinary pair of equally popular products is near independence.
    popular = sales["Description"].value_counts().index
    ordinary = [p for p in popular[:40] if not any(p in b for b in BUNDLES)][:2]
    assert lift(baskets, (ordinary[0],), ordinary[1]) < 2


def daily_revenue(sample) -> pd.Series:
    tx = sample.transactions
    revenue = (tx["Quantity"] * tx["Price"]).groupby(tx["InvoiceDate"].dt.normalize()).sum()
    days = pd.date_range(revenue.index.min(), revenue.index.max())
    return revenue.reindex(days, fill_value=0.0)


def test_trend_weekly_and_yearly_seasonality_and_holiday_peak(sample):
    daily = daily_revenue(sample)
    year1, year2 = daily.iloc[:365].sum(), daily.iloc[365:].sum()
    assert year2 > 1.1 * year1
    weekday = daily[daily.index.day_of_week < 5].mean()
    weekend = daily[daily.index.day_of_week >= 5].mean()
    assert weekday > 1.3 * weekend
    for year in sorted(set(daily.index.year)):
        peak = daily[f"{year}-11-28" : f"{year}-12-20"].mean()
        october = daily[f"{year}-10-01" : f"{year}-10-31"].mean()
        assert peak > 1.3 * october
    tx = sample.transactions
    orders = (
        tx[~tx["Invoice"].str.startswith("C")]
        .groupby(tx["InvoiceDate"].dt.normalize())["Invoice"]
        .nunique()
    )
    christmas = orders[(orders.index.month == 12) & (orders.index.day == 25)]
    assert (christmas < 0.2 * orders.mean()).all()


def test_dirt_as_in_real_exports(sample):
    tx = sample.transactions
    cancelled = tx["Invoice"].str.startswith("C")
    assert cancelled.mean() == pytest.approx(0.02, abs=0.005)
    assert (tx.loc[cancelled, "Quantity"] < 0).all()
    assert tx["Customer ID"].isna().mean() == pytest.approx(0.05, abs=0.01)
    assert 0.001 < tx.duplicated().mean() < 0.005


def test_customers_sample_churn_flag_follows_personas(tmp_path):
    customers = pd.read_csv(DATA / SAMPLE_FILES["customers"])
    assert {"CustomerID", "Churned", "Orders", "DaysSinceLastOrder"} <= set(customers.columns)
    assert "persona" not in {c.lower() for c in customers.columns}
    churned = customers.groupby("Churned")["DaysSinceLastOrder"].median()
    assert churned["Yes"] > churned["No"]


def test_daily_series_sample_covers_every_day():
    series = pd.read_csv(DATA / SAMPLE_FILES["series"], parse_dates=["Date"])
    assert series["Date"].diff().dropna().dt.days.eq(1).all()
    assert len(series) >= 700


def test_baskets_sample_is_one_basket_per_line():
    lines = (DATA / SAMPLE_FILES["baskets"]).read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 5000
    sizes = [len(line.split(",")) for line in lines]
    assert min(sizes) == 1 and max(sizes) >= 5
    pairs = itertools.islice((line for line in lines if BUNDLES[0][0] in line), 200)
    assert np.mean([BUNDLES[0][1] in line for line in pairs]) > 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_customers": 10}, "n_customers"),
        ({"n_products": 5}, "n_products"),
        ({"days": 30}, "days"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(AnalyticsError, match=message):
        generate_sample(**kwargs)


@pytest.mark.parametrize(("n_products", "days"), [(50, 730), (120, 120), (320, 300)])
def test_smallest_allowed_catalogue_and_history_work(n_products, days):
    # Catalogues under 160 products and histories under 440 days used to raise from numpy
    # (bundle ranks past the catalogue; lapsed customers stopping before they start).
    sample = generate_sample(100, n_products=n_products, days=days, random_state=2)
    assert len(sample.products) == n_products
    history = sample.transactions["InvoiceDate"]
    assert (history.max().normalize() - history.min().normalize()).days <= days
    lapsed = sample.customers[sample.customers["persona"] == "Lapsed"]
    assert (lapsed["last_day"] < history.max() - pd.Timedelta(days=days // 4)).all()
