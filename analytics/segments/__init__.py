"""Customer segmentation: RFM scores and named segments (``rfm``), clustering with k chosen by
silhouette and Davies–Bouldin (``clustering``, with ``SegmentParams``) and their charts
(``plots``)."""

from __future__ import annotations

from analytics.segments.clustering import (
    ALGORITHM_LABELS,
    ALGORITHMS,
    FEATURE_LABELS,
    RFM_FEATURES,
    CustomerFeatures,
    KSweep,
    SegmentationResult,
    SegmentParams,
    customer_features,
    numeric_columns,
    run_segmentation,
    scale_features,
    summarize_selection,
    sweep_k,
)
from analytics.segments.plots import (
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
    "k_distance_figure",
    "k_selection_figure",
    "numeric_columns",
    "profile_heatmap",
    "rf_grid_figure",
    "rfm_segments_figure",
    "run_segmentation",
    "scale_features",
    "scatter_figure",
    "score",
    "segment_colors",
    "segment_sizes_figure",
    "summarize_selection",
    "sweep_k",
]
