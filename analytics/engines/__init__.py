"""Engines for data too large for one session's memory.

``prepare`` reads a Parquet or CSV file or folder of any size (or a DuckDB table) once, out of
core, into typed order lines; ``large_overview``, ``large_rfm``, ``large_series`` and
``large_baskets`` and ``large_cohorts`` compute the Overview, RFM, the sales series, the
baskets and the cohort table as SQL
aggregations and return the in-memory result types, so every chart, table and export works on
them. The same SQL runs on Spark (``open_large(..., engine="spark")``, in
:mod:`analytics.engines.spark`, imported only when asked for: PySpark is optional), where rules
come from MLlib's FP-Growth and k-means from MLlib. ``run_large`` runs several analyses with
their timings (the ``large`` command).

Modules: ``source`` (preparing a source with DuckDB), ``analyses`` (the SQL), ``spark``,
``run``.
"""

from analytics.engines.analyses import (
    basket_items,
    large_baskets,
    large_cohorts,
    large_overview,
    large_rfm,
    large_series,
)
from analytics.engines.run import ANALYSES, ENGINES, open_large, run_large
from analytics.engines.source import (
    LargeSource,
    cache_folder,
    inside_roots,
    large_sources,
    prepare,
    prepare_table,
)

__all__ = [
    "ANALYSES",
    "ENGINES",
    "LargeSource",
    "basket_items",
    "cache_folder",
    "inside_roots",
    "large_baskets",
    "large_cohorts",
    "large_overview",
    "large_rfm",
    "large_series",
    "large_sources",
    "open_large",
    "prepare",
    "prepare_table",
    "run_large",
]
