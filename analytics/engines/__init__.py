"""Engines for data too large for one session's memory.

``prepare`` reads a Parquet or CSV file or folder of any size (or a DuckDB table) once, out of
core, into typed order lines; ``large_overview``, ``large_rfm``, ``large_series`` and
``large_baskets`` compute the Overview, RFM, the sales series and the baskets as SQL
aggregations in DuckDB and return the in-memory result types, so every page, chart and export
works on them.
"""

from analytics.engines.duck import (
    basket_items,
    large_baskets,
    large_overview,
    large_rfm,
    large_series,
)
from analytics.engines.source import LargeSource, cache_folder, prepare

__all__ = [
    "LargeSource",
    "basket_items",
    "cache_folder",
    "large_baskets",
    "large_overview",
    "large_rfm",
    "large_series",
    "prepare",
]
