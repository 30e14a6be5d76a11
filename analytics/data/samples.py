"""A deterministic generator of realistic online-retail data with planted, documented structure.

The bundled sample data in ``data/`` comes from here (``python -m analytics sample --out data``),
and tests check that every analysis recovers what was planted:

* **Customers in six personas** with distinct recency, frequency and spend (``PERSONAS``), each
  buying at its own regular pace: Champions (every ~2 weeks, larger baskets), Loyal (every ~7
  weeks), Occasional (every ~5 months), New (first order in the last 120 days), Lapsed (stopped
  330+ days before the end) and Wholesale (few customers, twelve times the quantities). Clustering
  the log-scaled RFM table recovers them (adjusted Rand index ≥ 0.8, tested).
* **Products in eight categories** with long-tail (Zipf) popularity and category price levels.
* **Planted bundles** (``BUNDLES``): four pairs and two triples bought together in 1.5–3% of orders,
  far more often than their popularity explains (lift well above 3).
* **Two years of daily orders** with a trend (+25% a year), a weekly cycle (quiet weekends), a yearly
  cycle peaking in late autumn and a holiday peak from Black Friday to Christmas (near zero on
  24–26 December and 1 January).
* **Dirt, as in real exports**: about 2% of lines are cancellations (invoice ``C…``, negative
  quantity), about 5% of lines belong to guest orders with no customer id, and about 0.3% of
  lines are exact duplicates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError


@dataclass(frozen=True)
class Persona:
    """A behavioural group of customers.

    Customers buy regularly, every ``gap_days`` on average (a gamma renewal process, so gaps vary
    by about 30% and each customer's own pace by about 17%), in "seasonal time": busy seasons
    pack orders closer together. ``window`` says when they buy: ``"all"`` through the whole
    history (they were customers before it starts), ``"new"`` from a first order in the last
    120 days, ``"lapsed"`` until they stop, 330 days or more before the end.
    """

    name: str
    share: float
    gap_days: float
    extra_items: float
    quantity_scale: float
    window: str


PERSONAS: tuple[Persona, ...] = (
    Persona("Champions", 0.07, 16.0, 2.0, 1.6, "all"),
    Persona("Loyal", 0.20, 50.0, 1.4, 1.0, "all"),
    Persona("Occasional", 0.31, 160.0, 1.0, 1.0, "all"),
    Persona("New", 0.12, 90.0, 1.0, 1.0, "new"),
    Persona("Lapsed", 0.25, 45.0, 1.0, 1.0, "lapsed"),
    Persona("Wholesale", 0.05, 60.0, 3.0, 12.0, "all"),
)


#: Gamma shape of the gaps between a customer's orders (coefficient of variation 0.29).
GAP_SHAPE = 12.0


#: Gamma shape of each customer's own pace around the persona's (coefficient of variation 0.17).
PACE_SHAPE = 36.0


_CATEGORIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "Kitchen": (
        4.5,
        ("Mug", "Teapot", "Jam Jar", "Tea Towel", "Cake Tin", "Lunch Box", "Egg Cup", "Spoon Set"),
    ),
    "Home Decor": (
        6.0,
        ("Cushion Cover", "Wall Clock", "Photo Frame", "Vase", "Doormat", "Mirror", "Wall Sign"),
    ),
    "Stationery": (
        1.8,
        ("Notebook", "Pen Set", "Gift Wrap", "Greeting Card", "Sticker Sheet", "Bookmark"),
    ),
    "Garden": (
        5.5,
        ("Plant Pot", "Watering Can", "Bird Feeder", "Seed Tin", "Garden Sign", "Trowel"),
    ),
    "Bags": (3.2, ("Shopper Bag", "Tote Bag", "Lunch Bag", "Wash Bag", "Gift Bag", "Backpack")),
    "Toys": (3.8, ("Skittles", "Spinning Top", "Jigsaw", "Doll", "Tin Robot", "Yo-Yo", "Kite")),
    "Lighting": (7.5, ("Lantern", "Candle Holder", "Light String", "Night Light", "Tea Light Set")),
    "Gifts": (
        5.0,
        ("Gift Box", "Trinket Box", "Keyring", "Money Box", "Hot Water Bottle", "Snow Globe"),
    ),
}


_STYLES = (
    "Retro Spot",
    "Regency",
    "Vintage",
    "Paisley",
    "Woodland",
    "Scandi",
    "Polka Dot",
    "Heart",
    "Botanical",
    "Nautical",
    "Union Jack",
    "Pastel",
    "Bird",
    "Star",
    "Owl",
    "Rose",
    "Lace",
    "Jumbo",
)


#: Planted bundles, by product description: bought together far more often than chance.
BUNDLES: tuple[tuple[str, ...], ...] = (
    ("Regency Teacup", "Regency Saucer"),
    ("Garden Kneeler", "Garden Gloves"),
    ("Paper Lantern Red", "Paper Lantern White"),
    ("Jumbo Bag Red", "Jumbo Bag Blue"),
    ("Baking Cases Set", "Cake Stand", "Recipe Box"),
    ("Sketchbook A5", "Pencil Set", "Eraser Pack"),
)


_BUNDLE_CATEGORIES = ("Kitchen", "Garden", "Lighting", "Bags", "Kitchen", "Stationery")


_BUNDLE_RATES = (0.030, 0.025, 0.020, 0.020, 0.015, 0.015)


_COUNTRIES = (
    ("United Kingdom", 0.72),
    ("Germany", 0.06),
    ("France", 0.06),
    ("Netherlands", 0.04),
    ("Spain", 0.03),
    ("Ireland", 0.03),
    ("Belgium", 0.02),
    ("Sweden", 0.02),
    ("Australia", 0.02),
)


_CHANNELS = (("Web", 0.6), ("App", 0.3), ("Marketplace", 0.1))


@dataclass(frozen=True)
class SampleData:
    """Generated data with its ground truth.

    Attributes
    ----------
    transactions : pandas.DataFrame
        Order lines, with Online Retail II-like headers (Invoice, StockCode, Description, Category,
        Quantity, InvoiceDate, Price, Customer ID, Country, Channel).
    customers : pandas.DataFrame
        Ground truth per customer: ``customer_id``, ``persona``, ``country``, ``first_day``, ``last_day``.
    products : pandas.DataFrame
        ``StockCode``, ``Description``, ``Category``, ``price``, ``weight`` (popularity share).
    bundles : tuple of tuple of str
        The planted bundles, as product descriptions.
    """

    transactions: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame
    bundles: tuple[tuple[str, ...], ...]


def _products(rng: np.random.Generator, n_products: int) -> pd.DataFrame:
    names: list[str] = []
    categories: list[str] = []
    prices: list[float] = []
    bundle_items = [
        (item, cat)
        for bundle, cat in zip(BUNDLES, _BUNDLE_CATEGORIES, strict=True)
        for item in bundle
    ]
    for item, cat in bundle_items:
        names.append(item)
        categories.append(cat)
    combos = [
        (style, noun, cat)
        for cat, (_, nouns) in _CATEGORIES.items()
        for noun in nouns
        for style in _STYLES
    ]
    order = rng.permutation(len(combos))
    for index in order[: max(0, n_products - len(names))]:
        style, noun, cat = combos[index]
        names.append(f"{style} {noun}")
        categories.append(cat)
    for cat in categories:
        prices.append(float(np.round(_CATEGORIES[cat][0] * rng.lognormal(0, 0.45), 2)) + 0.05)
    n = len(names)
    # Long tail: Zipf weights over a random popularity order, bundle items placed in the middle
    # (ranks 40 to 160, or the upper three quarters of a smaller catalogue).
    mid = np.linspace(min(40, n // 4), min(160, n), len(bundle_items)).astype(int)
    others = np.setdiff1d(np.arange(1, n + 1), mid)
    ranks = np.concatenate([mid, rng.permutation(others)])
    weight = 1.0 / ranks**1.05
    codes = [str(20000 + 37 * i) + ("A" if i % 11 == 3 else "") for i in range(n)]
    return pd.DataFrame(
        {
            "StockCode": codes,
            "Description": names,
            "Category": categories,
            "price": prices,
            "weight": weight / weight.sum(),
        }
    )


def _intensity(days: pd.DatetimeIndex, start: pd.Timestamp) -> np.ndarray:
    t = (days - start).days.to_numpy()
    trend = 1.0 + 0.25 * t / 365.0
    weekly = np.array([1.0, 1.08, 1.05, 1.12, 0.95, 0.55, 0.7])[days.day_of_week]
    yearly = 1.0 + 0.2 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 320) / 365.25)
    holiday = np.ones(len(days))
    for year in sorted(set(days.year)):
        november = pd.Timestamp(year=year, month=11, day=1)
        black_friday = november + pd.Timedelta(days=(4 - november.day_of_week) % 7 + 21)
        peak = (days >= black_friday) & (days <= pd.Timestamp(year=year, month=12, day=22))
        holiday[peak] = 1.7
        quiet = ((days.month == 12) & (days.day >= 24) & (days.day <= 26)) | (
            (days.month == 1) & (days.day == 1)
        )
        holiday[quiet] = 0.05
    curve = trend * weekly * yearly * holiday
    return curve / curve.mean()


def _regular_orders(
    rng: np.random.Generator,
    persona_idx: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    cumulative: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Order days of every customer: a gamma renewal process in seasonal time.

    Seasonal time is the cumulative seasonal intensity, so one unit is one average day. Customers
    active from the start are caught mid-rhythm (first order a uniform fraction of a gap in);
    those who join (``first > 0``) order on joining day. Everyone orders at least once.
    """
    days = len(cumulative) - 1
    pace = rng.gamma(PACE_SHAPE, 1 / PACE_SHAPE, len(persona_idx))
    gap = np.array([p.gap_days for p in PERSONAS])[persona_idx] * pace
    lo = np.interp(first, np.arange(days + 1), cumulative)
    hi = np.interp(last, np.arange(days + 1), cumulative)
    joined = first > 0
    most = int(np.ceil(((hi - lo) / gap).max() * 1.5)) + 4
    steps = rng.gamma(GAP_SHAPE, 1 / GAP_SHAPE, (len(gap), most)) * gap[:, None]
    steps[:, 0] = np.where(joined, 0.0, rng.uniform(0, 1, len(gap)) * gap)
    times = lo[:, None] + np.cumsum(steps, axis=1)
    valid = times < hi[:, None]
    none = ~valid.any(axis=1)
    times[none, 0] = rng.uniform(lo[none], hi[none])
    valid[none, 0] = True
    owner = np.nonzero(valid)[0]
    day = np.clip(np.searchsorted(cumulative, times[valid], side="right") - 1, 0, days - 1)
    return owner, day


def _lapsed_stop(days: int) -> float:
    """The latest day a lapsed customer stops: 330 days before the end, or half-way through a
    history shorter than 440 days."""
    return days - 330 if days - 330 >= 0.25 * days else 0.5 * days


def _customers(
    rng: np.random.Generator, n_customers: int, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's persona and the window ``[first, last]`` (day indices) they buy in."""
    shares = np.array([p.share for p in PERSONAS])
    persona_idx = rng.choice(len(PERSONAS), size=n_customers, p=shares / shares.sum())
    window = np.array([p.window for p in PERSONAS])[persona_idx]
    first = np.zeros(n_customers)
    last = np.full(n_customers, float(days))
    is_new = window == "new"
    first[is_new] = rng.uniform(days - 120, days - 5, int(is_new.sum()))
    lapsed = window == "lapsed"
    last[lapsed] = rng.uniform(0.25 * days, _lapsed_stop(days), int(lapsed.sum()))
    return persona_idx, first, last


def _orders(
    rng: np.random.Generator,
    owner: np.ndarray,
    owner_day: np.ndarray,
    persona_idx: np.ndarray,
    country: np.ndarray,
    cumulative: np.ndarray,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """One row per order: the customer (-1 for a guest), persona, country, channel and time.

    Guest orders (no customer id) are 7% of orders, with small baskets (about 5% of lines).
    """
    days = len(cumulative) - 1
    n_guest = round(0.07 * len(owner))
    guest_day = np.clip(
        np.searchsorted(cumulative, rng.uniform(0, cumulative[-1], n_guest), side="right") - 1,
        0,
        days - 1,
    )
    customer = np.concatenate([owner, np.full(n_guest, -1)])
    day = np.concatenate([owner_day, guest_day])
    n_all = len(customer)
    known = customer >= 0
    country_names = np.array([c for c, _ in _COUNTRIES])
    country_p = np.array([p for _, p in _COUNTRIES])
    order_country = np.where(
        known,
        country[np.maximum(customer, 0)],
        rng.choice(country_names, size=n_all, p=country_p / country_p.sum()),
    )
    channel_names = np.array([c for c, _ in _CHANNELS])
    channel_p = np.array([p for _, p in _CHANNELS])
    channel = rng.choice(channel_names, size=n_all, p=channel_p)
    minutes = np.clip(rng.normal(13 * 60, 150, n_all), 7 * 60, 21 * 60).astype(int)
    return pd.DataFrame(
        {
            "customer": customer,
            "day": day,
            # Guests shop like the Occasional persona.
            "persona": np.where(known, persona_idx[np.maximum(customer, 0)], 2),
            "country": order_country,
            "channel": channel,
            "stamp": start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="m"),
        }
    )


def _lines(rng: np.random.Generator, orders: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Basket lines (order, product, quantity, price): popular products by weight, plus the
    planted bundles; one in ten lines at a 15% discount."""
    n_all = len(orders)
    persona = orders["persona"].to_numpy()
    size = 1 + rng.poisson(np.array([p.extra_items for p in PERSONAS])[persona])
    line_order = np.repeat(np.arange(n_all), size)
    line_product = rng.choice(len(products), size=len(line_order), p=products["weight"].to_numpy())
    index_of = {name: i for i, name in enumerate(products["Description"])}
    bundle_orders, bundle_products = [], []
    for bundle, bundle_rate in zip(BUNDLES, _BUNDLE_RATES, strict=True):
        chosen = np.flatnonzero(rng.random(n_all) < bundle_rate)
        for item in bundle:
            bundle_orders.append(chosen)
            bundle_products.append(np.full(len(chosen), index_of[item]))
    line_order = np.concatenate([line_order, *bundle_orders])
    line_product = np.concatenate([line_product, *bundle_products])
    lines = pd.DataFrame({"order": line_order, "product": line_product}).drop_duplicates()
    lines = lines.sort_values(["order"], kind="stable").reset_index(drop=True)
    base_qty = rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 12], size=len(lines))
    qty_scale = np.array([p.quantity_scale for p in PERSONAS])[persona]
    quantity = np.maximum(
        1, np.round(base_qty * qty_scale[lines["order"]] * rng.uniform(0.8, 1.2, len(lines)))
    )
    price = products["price"].to_numpy()[lines["product"]]
    discounted = rng.random(len(lines)) < 0.1
    lines["quantity"] = quantity.astype(int)
    lines["price"] = np.round(np.where(discounted, price * 0.85, price), 2)
    return lines


def _export(
    orders: pd.DataFrame, lines: pd.DataFrame, products: pd.DataFrame, customer_ids: np.ndarray
) -> pd.DataFrame:
    """The lines as a till exports them; invoice numbers follow time, as in a real till."""
    stamp = pd.DatetimeIndex(orders["stamp"])
    order_rank = np.argsort(np.argsort(stamp.to_numpy(), kind="stable"), kind="stable")
    invoice = (500000 + order_rank).astype(str)
    order = lines["order"].to_numpy()
    product = lines["product"].to_numpy()
    customer = orders["customer"].to_numpy()[order]
    return pd.DataFrame(
        {
            "Invoice": invoice[order],
            "StockCode": products["StockCode"].to_numpy()[product],
            "Description": products["Description"].to_numpy()[product],
            "Category": products["Category"].to_numpy()[product],
            "Quantity": lines["quantity"].to_numpy(),
            "InvoiceDate": stamp[order],
            "Price": lines["price"].to_numpy(),
            "Customer ID": np.where(customer >= 0, customer_ids[np.maximum(customer, 0)], -1),
            "Country": orders["country"].to_numpy()[order],
            "Channel": orders["channel"].to_numpy()[order],
        }
    )


def _dirt(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    order: np.ndarray,
    n_orders: int,
    end_day: pd.Timestamp,
) -> pd.DataFrame:
    """Cancellations and duplicates added, sorted by time; guests' customer id left empty.

    About 4.5% of orders have part of their lines reversed a few days later (invoice ``C…``,
    negative quantity), and 0.3% of lines are posted twice, as by a faulty till.
    """
    cancelled_orders = np.flatnonzero(rng.random(n_orders) < 0.045)
    cancel = frame[np.isin(order, cancelled_orders) & (rng.random(len(frame)) < 0.45)].copy()
    cancel["Quantity"] = -cancel["Quantity"]
    delay = pd.to_timedelta(rng.integers(0, 15, len(cancel)), unit="D") + pd.to_timedelta(
        rng.integers(5, 90, len(cancel)), unit="m"
    )
    last_minute = end_day + pd.Timedelta(hours=23)
    moved = cancel["InvoiceDate"] + delay
    cancel["InvoiceDate"] = moved.where(moved <= last_minute, last_minute)
    cancel["Invoice"] = "C" + (700000 + pd.factorize(cancel["Invoice"])[0]).astype(str)
    duplicated = frame[rng.random(len(frame)) < 0.003]
    frame = pd.concat([frame, cancel, duplicated], ignore_index=True)
    frame = frame.sort_values(["InvoiceDate", "Invoice"], kind="stable").reset_index(drop=True)
    frame["Customer ID"] = frame["Customer ID"].astype("Int64").where(frame["Customer ID"] >= 0)
    return frame


def generate_sample(
    n_customers: int = 3000,
    *,
    n_products: int = 320,
    days: int = 1096,
    end: str = "2025-12-31",
    random_state: int = 0,
    catalogue_seed: int | None = None,
) -> SampleData:
    """Generate an online-retail transaction log with planted personas, bundles and seasonality.

    Parameters
    ----------
    n_customers : int
        Customers with an id (guest orders come on top).
    n_products : int
        Products in the catalogue (at least 50).
    days : int
        Length of the history in days, ending on ``end`` (default: three full calendar years,
        2023–2025, so that a monthly or weekly forecast sees its yearly season more than twice).
    end : str
        The last day of the history.
    random_state : int
        Seed: the same arguments give the same data.
    catalogue_seed : int, optional
        Seed of the product catalogue alone, so that several samples (the parts of
        :func:`write_sample_at_scale`) sell the same products; default drawn with the rest.

    Returns
    -------
    SampleData

    Example
    -------
    >>> sample = generate_sample(300, random_state=1)
    >>> sorted(sample.customers["persona"].unique())[:2]
    ['Champions', 'Lapsed']
    """
    if n_customers < 50:
        raise AnalyticsError(f"n_customers must be at least 50, got {n_customers}.")
    if n_products < 50:
        raise AnalyticsError(f"n_products must be at least 50, got {n_products}.")
    if days < 120:
        raise AnalyticsError(f"days must be at least 120, got {days}.")
    rng = np.random.default_rng(random_state)
    end_day = pd.Timestamp(end).normalize()
    start = end_day - pd.Timedelta(days=days - 1)
    calendar = pd.date_range(start, end_day, freq="D")
    cumulative = np.concatenate([[0.0], np.cumsum(_intensity(calendar, start))])
    products = _products(
        rng if catalogue_seed is None else np.random.default_rng(catalogue_seed), n_products
    )
    persona_idx, first, last = _customers(rng, n_customers, days)
    owner, owner_day = _regular_orders(rng, persona_idx, first, last, cumulative)
    customer_ids = rng.permutation(np.arange(12000, 12000 + 3 * n_customers))[:n_customers]
    country_p = np.array([p for _, p in _COUNTRIES])
    country = rng.choice(
        np.array([c for c, _ in _COUNTRIES]), size=n_customers, p=country_p / country_p.sum()
    )
    orders = _orders(rng, owner, owner_day, persona_idx, country, cumulative, start)
    lines = _lines(rng, orders, products)
    frame = _export(orders, lines, products, customer_ids)
    frame = _dirt(rng, frame, lines["order"].to_numpy(), len(orders), end_day)
    seen = pd.DataFrame({"customer": owner, "day": owner_day}).groupby("customer")["day"]
    customers = pd.DataFrame(
        {
            "customer_id": customer_ids.astype(str),
            "persona": np.array([p.name for p in PERSONAS])[persona_idx],
            "country": country,
            "first_day": (start + pd.to_timedelta(seen.min().to_numpy(), unit="D")),
            "last_day": (start + pd.to_timedelta(seen.max().to_numpy(), unit="D")),
        }
    )
    return SampleData(transactions=frame, customers=customers, products=products, bundles=BUNDLES)


def write_sample_at_scale(
    target: str | os.PathLike[str],
    n_lines: int,
    *,
    fmt: str = "parquet",
    customers_per_part: int = 20_000,
    random_state: int = 0,
) -> dict[str, int]:
    """Write about ``n_lines`` order lines of the sample's kind, part by part, for benchmarks and
    for trying the large-data engine (``python -m analytics sample --lines 10000000``).

    Each part is :func:`generate_sample` with its own customers (ids and invoice numbers moved
    out of the other parts' way) and the same catalogue, so products, bundles and seasons hold
    over the whole file. Memory stays at one part (about a million lines).

    Parameters
    ----------
    target : path
        ``fmt="parquet"``: a folder, filled with ``part-00000.parquet`` …; ``fmt="csv"``: one
        CSV file.
    n_lines : int
        How many lines (the last part is cut short to that many).
    fmt : {"parquet", "csv"}
    customers_per_part : int
        Customers per part (20,000 give about 900,000 lines).

    Returns
    -------
    dict
        ``lines`` and ``parts`` written.
    """
    if fmt not in ("parquet", "csv"):
        raise AnalyticsError(f"fmt must be parquet or csv, got {fmt!r}.")
    if n_lines < 1:
        raise AnalyticsError(f"n_lines must be at least 1, got {n_lines}.")
    path = Path(target)
    if fmt == "parquet":
        path.mkdir(parents=True, exist_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    written = parts = 0
    while written < n_lines:
        sample = generate_sample(
            customers_per_part, random_state=random_state + parts, catalogue_seed=random_state
        )
        frame = sample.transactions.head(n_lines - written)
        shift = parts * 10 * customers_per_part
        frame["Customer ID"] = frame["Customer ID"] + shift
        invoice = frame["Invoice"].str.extract(r"^(C?)(\d+)$")
        frame["Invoice"] = invoice[0] + (invoice[1].astype("int64") + parts * 10_000_000).astype(
            "str"
        )
        if fmt == "parquet":
            frame.to_parquet(path / f"part-{parts:05d}.parquet", index=False)
        else:
            frame.to_csv(path, mode="a", header=parts == 0, index=False)
        written += len(frame)
        parts += 1
    return {"lines": written, "parts": parts}


#: Mean order value per persona for ``generate_orders`` (the line-level sample's scale).
ORDER_VALUE: dict[str, float] = {
    "Champions": 95.0,
    "Loyal": 50.0,
    "Occasional": 38.0,
    "New": 35.0,
    "Lapsed": 38.0,
    "Wholesale": 900.0,
}


def generate_orders(
    n_customers: int,
    *,
    days: int = 730,
    end: str = "2025-12-31",
    random_state: int = 0,
    chunk: int = 100_000,
) -> tuple[pd.DataFrame, pd.Series]:
    """Order-level data at scale (one row per order, no line items), for benchmarks.

    The same personas and buying rhythm as :func:`generate_sample`; an order's value is
    lognormal around the persona's ``ORDER_VALUE``. About 9 orders per customer: one million
    customers give about nine million orders.

    Returns
    -------
    orders : pandas.DataFrame
        ``order_id``, ``customer_id``, ``timestamp``, ``revenue``.
    personas : pandas.Series
        The persona of each customer, indexed by ``customer_id``.
    """
    rng = np.random.default_rng(random_state)
    end_day = pd.Timestamp(end).normalize()
    start = end_day - pd.Timedelta(days=days - 1)
    cumulative = np.concatenate(
        [[0.0], np.cumsum(_intensity(pd.date_range(start, end_day, freq="D"), start))]
    )
    shares = np.array([p.share for p in PERSONAS])
    value = np.array([ORDER_VALUE[p.name] for p in PERSONAS])
    frames, personas = [], []
    for first_id in range(0, n_customers, chunk):
        size = min(chunk, n_customers - first_id)
        persona_idx = rng.choice(len(PERSONAS), size=size, p=shares / shares.sum())
        window = np.array([p.window for p in PERSONAS])[persona_idx]
        first = np.where(window == "new", rng.uniform(days - 120, days - 5, size), 0.0)
        stops = rng.uniform(0.25 * days, _lapsed_stop(days), size)
        last = np.where(window == "lapsed", stops, float(days))
        owner, day = _regular_orders(rng, persona_idx, first, last, cumulative)
        minutes = rng.integers(7 * 60, 21 * 60, len(owner))
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": first_id + owner,
                    "timestamp": start + pd.to_timedelta(day * 1440 + minutes, unit="m"),
                    "revenue": np.round(
                        value[persona_idx[owner]] * rng.lognormal(-0.08, 0.4, len(owner)), 2
                    ),
                }
            )
        )
        personas.append(
            pd.Series(
                [PERSONAS[i].name for i in persona_idx], index=np.arange(first_id, first_id + size)
            )
        )
    orders = pd.concat(frames, ignore_index=True)
    orders["customer_id"] = (orders["customer_id"] + 100_000).astype("str")
    orders.insert(0, "order_id", np.arange(len(orders)).astype("str"))
    truth = pd.concat(personas)
    truth.index = (truth.index + 100_000).astype("str")
    return orders, truth


# --- made-up personal data, for the privacy checks ---------------------------------------------------

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文"
_FIRST = ("James", "Mary", "John", "Linda", "Robert", "Susan", "David", "Karen", "Peter", "Emma")
_LAST = (
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Miller",
    "Wilson",
    "Moore",
    "Clark",
    "Hall",
    "Young",
)
_REGIONS = ("110105", "310104", "440305", "330106", "510107", "320102", "420106", "610113")
_CITIES_CN = (
    "北京市朝阳区",
    "上海市徐汇区",
    "深圳市南山区",
    "杭州市西湖区",
    "成都市武侯区",
    "南京市玄武区",
    "武汉市洪山区",
    "西安市雁塔区",
)
_ROADS_CN = ("建国路", "中山路", "人民路", "解放大街", "科技园路", "文三路", "天府大道", "长江路")
_STREETS_EN = ("Oak", "Maple", "High", "Church", "Park", "Station", "Mill", "King")
_SUFFIXES_EN = ("Street", "Road", "Avenue", "Lane", "Drive")
_TOWNS_EN = ("Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown")


def _check_character(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def _luhn_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def generate_personal_orders(
    n_customers: int = 120, *, language: str = "zh", seed: int = 7, invalid_ids: float = 0.25
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Order lines carrying made-up personal data: for testing what the privacy step finds.

    Every customer has a name, an e-mail, a mainland mobile number (1[3-9] and nine digits), an
    18-character 身份证 number (``invalid_ids`` of them with a wrong check character), a
    UnionPay card number passing the Luhn check (some written in groups of four), a street
    address and an IP address; each line also has an order number, a SKU, a quantity and a price,
    which are not personal. None of it belongs to anybody: names are drawn from common surnames
    and given names, numbers at random.

    Returns
    -------
    frame : pandas.DataFrame
        Headers in Chinese (``language="zh"``) or English (``"en"``).
    kinds : dict
        Each personal column's kind (the keys of ``analytics.data.privacy.PERSONAL_KINDS``): what
        a detector must find.
    """
    if language not in {"zh", "en"}:
        raise AnalyticsError(f"Unknown language {language!r}: use 'zh' or 'en'.")
    rng = np.random.default_rng(seed)
    people = []
    for i in range(n_customers):
        if language == "zh":
            name = rng.choice(list(_SURNAMES)) + "".join(
                rng.choice(list(_GIVEN), rng.integers(1, 3))
            )
            address = (
                f"{rng.choice(_CITIES_CN)}{rng.choice(_ROADS_CN)}{rng.integers(1, 300)}号"
                f"{rng.integers(1, 30)}栋{rng.integers(101, 2999)}室"
            )
        else:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            address = (
                f"{rng.integers(1, 999)} {rng.choice(_STREETS_EN)} {rng.choice(_SUFFIXES_EN)}, "
                f"{rng.choice(_TOWNS_EN)}"
            )
        born = pd.Timestamp("1960-01-01") + pd.Timedelta(days=int(rng.integers(0, 16_000)))
        first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{rng.integers(0, 1000):03d}"
        check = _check_character(first17)
        if rng.random() < invalid_ids:
            check = rng.choice([c for c in "0123456789X" if c != check])
        body = "62" + "".join(str(d) for d in rng.integers(0, 10, int(rng.choice([13, 16]))))
        card = body + _luhn_digit(body)
        if rng.random() < 0.4:
            card = " ".join(card[j : j + 4] for j in range(0, len(card), 4))
        mobile = f"1{rng.choice([3, 5, 7, 8, 9])}{rng.integers(0, 10**9):09d}"
        people.append(
            {
                "name": name,
                "email": f"user{i:04d}.{rng.integers(100, 999)}@example.{rng.choice(['com', 'cn', 'org'])}",
                "phone": mobile,
                "national_id": first17 + check,
                "bank_card": card,
                "address": address,
                "ip": ".".join(str(int(x)) for x in rng.integers(1, 255, 4)),
            }
        )
    lines = []
    start = pd.Timestamp("2025-01-01")
    order_number = 0
    for person in people:
        for _ in range(int(rng.integers(1, 5))):
            order_number += 1
            day = start + pd.Timedelta(days=int(rng.integers(0, 365)))
            for _ in range(int(rng.integers(1, 4))):
                lines.append(
                    {
                        "order": f"SO{day:%Y%m%d}{order_number:05d}",
                        "date": day.strftime("%Y-%m-%d"),
                        "sku": f"SKU-{rng.integers(10_000, 99_999)}",
                        "quantity": int(rng.integers(1, 6)),
                        "price": round(float(rng.uniform(5, 500)), 2),
                        **person,
                    }
                )
    frame = pd.DataFrame(lines)
    headers = {
        "zh": {
            "order": "订单号",
            "date": "下单时间",
            "sku": "商品编码",
            "quantity": "数量",
            "price": "单价",
            "name": "客户姓名",
            "email": "客户邮箱",
            "phone": "手机号",
            "national_id": "身份证号",
            "bank_card": "银行卡号",
            "address": "收货地址",
            "ip": "IP地址",
        },
        "en": {
            "order": "Order Number",
            "date": "Order Date",
            "sku": "SKU",
            "quantity": "Quantity",
            "price": "Unit Price",
            "name": "Customer Name",
            "email": "Customer Email",
            "phone": "Mobile",
            "national_id": "National ID",
            "bank_card": "Card Number",
            "address": "Shipping Address",
            "ip": "IP Address",
        },
    }[language]
    kinds = {
        headers[k]: k
        for k in ("name", "email", "phone", "national_id", "bank_card", "address", "ip")
    }
    return frame.rename(columns=headers), kinds
