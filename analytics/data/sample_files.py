"""The bundled sample files written from a generated sample: the transaction log, one basket per
order, a CRM-style customers table with a churn flag, net revenue per day, and the results of an
e-mail test (``python -m analytics sample --out data``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analytics.data.samples import SampleData, generate_sample


def baskets_table(transactions: pd.DataFrame, *, max_baskets: int = 10_000) -> list[list[str]]:
    """One basket per order (cancellations left out), as lists of product descriptions."""
    sales = transactions[~transactions["Invoice"].str.startswith("C")]
    grouped = sales.groupby("Invoice", sort=True)["Description"].agg(lambda s: sorted(set(s)))
    return grouped.iloc[-max_baskets:].tolist()


def customers_table(sample: SampleData, *, horizon_days: int = 180) -> pd.DataFrame:
    """A customers table as a CRM would export it, with a churn flag to predict.

    Features describe each customer up to a cutoff ``horizon_days`` before the end; ``Churned``
    says whether they bought nothing after it. The persona is not included (it is the answer
    segmentation should find).
    """
    tx = sample.transactions
    tx = tx[tx["Customer ID"].notna() & ~tx["Invoice"].str.startswith("C")]
    cutoff = tx["InvoiceDate"].max().normalize() - pd.Timedelta(days=horizon_days)
    before = tx[tx["InvoiceDate"] < cutoff].assign(revenue=lambda d: d["Quantity"] * d["Price"])
    after = set(tx.loc[tx["InvoiceDate"] >= cutoff, "Customer ID"])
    per = before.groupby("Customer ID").agg(
        first=("InvoiceDate", "min"),
        last=("InvoiceDate", "max"),
        Orders=("Invoice", "nunique"),
        Revenue=("revenue", "sum"),
        Country=("Country", "first"),
        Channel=("Channel", lambda s: s.mode().iloc[0]),
    )
    rng = np.random.default_rng(7)
    persona = sample.customers.set_index("customer_id")["persona"]
    age_shift = (
        persona.reindex(per.index.astype(str))
        .map({"Champions": 6, "Wholesale": 10, "New": -6})
        .fillna(0)
    )
    out = pd.DataFrame(
        {
            "CustomerID": per.index.astype(str),
            "Country": per["Country"].to_numpy(),
            "PreferredChannel": per["Channel"].to_numpy(),
            "Age": np.clip(
                np.round(rng.normal(41, 11, len(per)) + age_shift.to_numpy()), 18, 85
            ).astype(int),
            "TenureDays": (cutoff - per["first"]).dt.days.to_numpy(),
            "DaysSinceLastOrder": (cutoff - per["last"]).dt.days.to_numpy(),
            "Orders": per["Orders"].to_numpy(),
            "Revenue": per["Revenue"].round(2).to_numpy(),
            "AvgOrderValue": (per["Revenue"] / per["Orders"]).round(2).to_numpy(),
            "Newsletter": np.where(rng.random(len(per)) < 0.4, "Yes", "No"),
            "Churned": np.where(np.isin(per.index, list(after)), "No", "Yes"),
        }
    )
    return out


def daily_series(transactions: pd.DataFrame) -> pd.DataFrame:
    """Net revenue per day, every day of the history (zero on days without sales)."""
    revenue = (
        (transactions["Quantity"] * transactions["Price"])
        .groupby(transactions["InvoiceDate"].dt.normalize())
        .sum()
    )
    days = pd.date_range(revenue.index.min(), revenue.index.max(), freq="D")
    return pd.DataFrame(
        {
            "Date": days.strftime("%Y-%m-%d"),
            "Revenue": revenue.reindex(days, fill_value=0).round(2).to_numpy(),
        }
    )


SAMPLE_FILES = {
    "transactions": "transactions.csv",
    "baskets": "baskets.csv",
    "customers": "customers.csv",
    "series": "daily_revenue.csv",
    "campaign": "campaign.csv",
    "mix": "marketing_mix.csv",
}

#: The planted truth of ``generate_media_mix``: per channel (decay, half-saturation as a share of
#: the channel's largest weekly spend, effect at full saturation).
MIX_TRUTH: dict[str, tuple[float, float, float]] = {
    "tv_spend": (0.7, 0.6, 9000.0),
    "search_spend": (0.2, 0.3, 6000.0),
    "social_spend": (0.5, 0.5, 5000.0),
    "email_spend": (0.1, 0.2, 1500.0),
}


def generate_media_mix(weeks: int = 156, *, random_state: int = 0) -> pd.DataFrame:
    """Three years of weekly sales with the marketing spend behind them: TV in flights, search
    and social every week, e-mail now and then; a price index and promotion weeks as controls;
    trend and a yearly season. Each channel's carry-over (normalised geometric adstock) and
    diminishing returns (Hill) are planted as in :data:`MIX_TRUTH`."""
    rng = np.random.default_rng(random_state)
    dates = pd.date_range("2023-01-02", periods=weeks, freq="W-MON")
    week = np.arange(weeks)
    season = 4000 * np.sin(2 * np.pi * (dates.day_of_year.to_numpy() - 80) / 365.25)
    price = np.round(1 + 0.05 * np.sin(week / 9) + rng.normal(0, 0.01, weeks), 3)
    promo = (rng.random(weeks) < 0.12).astype(int)
    sales = 50_000 + 60 * week + season - 20_000 * (price - 1) + 3000 * promo
    spend = {
        "tv_spend": np.where((week // 6) % 2 == 0, rng.gamma(6.0, 2500.0, weeks), 0.0),
        "search_spend": rng.gamma(8.0, 600.0, weeks),
        "social_spend": rng.gamma(4.0, 800.0, weeks) * (1 + 0.5 * (week > weeks // 2)),
        "email_spend": np.where(rng.random(weeks) < 0.4, rng.gamma(3.0, 150.0, weeks), 0.0),
    }
    for name, (decay, half, beta) in MIX_TRUTH.items():
        weights = decay ** np.arange(12)
        carried = np.convolve(spend[name], weights / weights.sum())[:weeks]
        scaled = carried / spend[name].max()
        sales = sales + beta * scaled / (scaled + half)
    sales = sales + rng.normal(0, 800, weeks)
    return pd.DataFrame(
        {
            "week": dates.strftime("%Y-%m-%d"),
            "sales": np.round(sales, 2),
            **{name: np.round(values, 2) for name, values in spend.items()},
            "price_index": price,
            "promotion": promo,
        }
    )


#: The e-mail test's groups: the control first.
CAMPAIGN_GROUPS = ("No E-Mail", "Discount E-Mail", "News E-Mail")


def generate_campaign(n: int = 6000, *, random_state: int = 0) -> pd.DataFrame:
    """An e-mail test with a planted, uneven effect, as a campaign tool exports it: one row per
    customer, a third each in ``No E-Mail``, ``Discount E-Mail`` and ``News E-Mail``, the
    customers' history before the send, and what they did in the two weeks after (``visit``,
    ``conversion``, ``spend``).

    Planted: the discount brings lapsing customers (last order over 90 days ago) back to the
    site (+12 points of visits, against +3 for recent ones); the newsletter interests new
    customers (+6 points) and puts off frequent buyers (5 orders or more a year: −6 points).
    ``true_discount_uplift`` and ``true_news_uplift`` hold each customer's planted effect of
    either e-mail on visits, whichever group they were in (the written file leaves them out).
    """
    rng = np.random.default_rng(random_state)
    group = rng.choice(np.array(CAMPAIGN_GROUPS), size=n)
    recency = np.clip(rng.exponential(75, n), 1, 365).round().astype(int)
    orders = rng.poisson(3, n) + 1
    newbie = (rng.random(n) < 0.3).astype(int)
    orders = np.where(newbie == 1, 1, orders)
    spend_year = np.round(orders * rng.gamma(4.0, 12.0, n), 2)
    channel = rng.choice(np.array(["Web", "Phone", "Multichannel"]), size=n, p=[0.5, 0.3, 0.2])
    region = rng.choice(np.array(["North", "South", "East", "West"]), size=n)
    base = 0.06 + 0.10 * (recency < 30) + 0.01 * np.minimum(orders, 8)
    discount = np.where(recency > 90, 0.12, 0.03)
    news = np.where(newbie == 1, 0.06, np.where(orders >= 5, -0.06, 0.01))
    uplift = np.select([group == "Discount E-Mail", group == "News E-Mail"], [discount, news], 0.0)
    visit = (rng.random(n) < np.clip(base + uplift, 0, 1)).astype(int)
    conversion = visit * (rng.random(n) < 0.12 + 0.04 * (group == "Discount E-Mail"))
    spend = np.round(conversion * rng.gamma(2.0, 30.0, n), 2)
    return pd.DataFrame(
        {
            "customer_id": [f"E{100000 + i}" for i in range(n)],
            "recency_days": recency,
            "orders_last_year": orders,
            "spend_last_year": spend_year,
            "newbie": newbie,
            "channel": channel,
            "region": region,
            "group": group,
            "visit": visit,
            "conversion": conversion.astype(int),
            "spend": spend,
            "true_discount_uplift": discount,
            "true_news_uplift": news,
        }
    )


def write_samples(
    out: str | Path, *, n_customers: int = 3000, random_state: int = 0
) -> dict[str, Path]:
    """Write the six sample datasets as CSV files into a folder; return their paths by name."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    sample = generate_sample(n_customers, random_state=random_state)
    paths = {kind: folder / name for kind, name in SAMPLE_FILES.items()}
    tx = sample.transactions.assign(
        InvoiceDate=sample.transactions["InvoiceDate"].dt.strftime("%Y-%m-%d %H:%M")
    )
    tx.to_csv(paths["transactions"], index=False, lineterminator="\n")
    paths["baskets"].write_text(
        "".join(",".join(b) + "\n" for b in baskets_table(sample.transactions)), encoding="utf-8"
    )
    customers_table(sample).to_csv(paths["customers"], index=False, lineterminator="\n")
    daily_series(sample.transactions).to_csv(paths["series"], index=False, lineterminator="\n")
    campaign = generate_campaign(random_state=random_state).drop(
        columns=["true_discount_uplift", "true_news_uplift"]
    )
    campaign.to_csv(paths["campaign"], index=False, lineterminator="\n")
    mix = generate_media_mix(random_state=random_state)
    mix.to_csv(paths["mix"], index=False, lineterminator="\n")
    return paths
