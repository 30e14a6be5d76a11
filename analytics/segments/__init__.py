"""Customer segmentation: clustering on RFM or on a customers table's numeric columns.

The steps are separate so that a dashboard can cache each one: ``customer_features`` (what each
customer looks like), ``sweep_k`` (every k from 2 to 10 fitted once and scored by inertia,
silhouette, Davies–Bouldin and Calinski–Harabasz) and ``segment`` (the chosen k turned into named,
profiled segments). ``run_segmentation`` chains them. The same data and ``random_state`` always give
the same segments.

Large data stays fast: K-means switches to MiniBatchKMeans above ``MINIBATCH_ABOVE`` customers
(fitted on a sample of ``KMEANS_FIT_SAMPLE``), silhouette is computed on one sample of
``SILHOUETTE_SAMPLE`` whose distances are computed once for the whole k sweep, and agglomerative
clustering, DBSCAN and Gaussian mixtures fit on a sample and assign the other customers to the
nearest cluster.

Modules: ``rfm`` (RFM scores and named segments), ``features`` (what each customer looks
like), ``fit`` (the algorithms and the k sweep), ``clustering`` (segments, ``run_segmentation``,
``SegmentParams``) and ``plots``.
"""

from __future__ import annotations

from analytics.segments.clustering import (
    SegmentationResult,
    SegmentParams,
    run_segmentation,
    summarize_selection,
)
from analytics.segments.features import (
    FEATURE_LABELS,
    RFM_FEATURES,
    CustomerFeatures,
    customer_features,
    numeric_columns,
    rfm_features,
    scale_features,
)
from analytics.segments.fit import ALGORITHM_LABELS, ALGORITHMS, KSweep, sweep_k
from analytics.segments.plots import (
    default_axes,
    k_distance_figure,
    k_selection_figure,
    profile_heatmap,
    rf_grid_figure,
    rfm_segments_figure,
    scatter_figure,
    segment_colors,
    segment_sizes_figure,
)
from analytics.segments.rfm import (
    SEGMENT_ACTIONS,
    SEGMENT_GRID,
    SEGMENTS,
    RFMResult,
    compute_rfm,
    score,
    scored_customers,
)

__all__ = [
    "ALGORITHMS",
    "ALGORITHM_LABELS",
    "FEATURE_LABELS",
    "RFM_FEATURES",
    "SEGMENTS",
    "SEGMENT_ACTIONS",
    "SEGMENT_GRID",
    "CustomerFeatures",
    "KSweep",
    "RFMResult",
    "SegmentParams",
    "SegmentationResult",
    "compute_rfm",
    "customer_features",
    "default_axes",
    "k_distance_figure",
    "k_selection_figure",
    "numeric_columns",
    "profile_heatmap",
    "rf_grid_figure",
    "rfm_features",
    "rfm_segments_figure",
    "run_segmentation",
    "scale_features",
    "scatter_figure",
    "score",
    "scored_customers",
    "segment_colors",
    "segment_sizes_figure",
    "summarize_selection",
    "sweep_k",
]
