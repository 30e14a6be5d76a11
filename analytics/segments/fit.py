"""Fitting the clusterings: K-means (MiniBatch on large data), Gaussian mixtures, agglomerative
and DBSCAN, and every k from 2 to 10 scored once (``fit_labels``, ``sweep_k``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    pairwise_distances,
    silhouette_score,
)
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from analytics.budget import Budget, check
from analytics.errors import AnalyticsError
from analytics.i18n import N_
from analytics.threads import threads_for

Algorithm = Literal["kmeans", "gmm", "agglomerative", "dbscan"]


ALGORITHMS: tuple[str, ...] = get_args(Algorithm)


ALGORITHM_LABELS = {
    "kmeans": N_("K-means"),
    "gmm": N_("Gaussian mixture"),
    "agglomerative": N_("Agglomerative (Ward)"),
    "dbscan": N_("DBSCAN (density)"),
}


MINIBATCH_ABOVE = 50_000
#: MiniBatchKMeans fits on at most this many customers and then labels everyone: scikit-learn
#: re-draws each batch from the whole data at O(n) per step, which is most of its time at 1M rows.
KMEANS_FIT_SAMPLE = 200_000
SILHOUETTE_SAMPLE = 10_000
AGGLOMERATIVE_SAMPLE = 10_000
DBSCAN_SAMPLE = 20_000
GMM_SAMPLE = 100_000
K_RANGE = (2, 10)
NOISE = "Noise / outliers"


def _sample(n: int, size: int, random_state: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


def _nearest_centre(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Label of the nearest centre for every row, in chunks to bound memory."""
    labels = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), 200_000):
        chunk = x[start : start + 200_000]
        d = ((chunk[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels[start : start + 200_000] = d.argmin(axis=1)
    return labels


def fit_labels(
    x: np.ndarray,
    algorithm: Algorithm,
    k: int,
    *,
    random_state: int = 0,
    eps: float | None = None,
    min_samples: int | None = None,
) -> np.ndarray:
    """Cluster labels (0…k-1; -1 is DBSCAN noise) for every row of the scaled features."""
    with threads_for(len(x)):
        return _fit_labels(
            x, algorithm, k, random_state=random_state, eps=eps, min_samples=min_samples
        )


def _fit_labels(
    x: np.ndarray,
    algorithm: Algorithm,
    k: int,
    *,
    random_state: int,
    eps: float | None,
    min_samples: int | None,
) -> np.ndarray:
    n = len(x)
    if algorithm == "kmeans":
        if n > MINIBATCH_ABOVE:
            rows = _sample(n, KMEANS_FIT_SAMPLE, random_state)
            model = MiniBatchKMeans(k, random_state=random_state, n_init=3, batch_size=4096).fit(
                x[rows]
            )
            return model.predict(x).astype(np.int64)
        return KMeans(k, random_state=random_state, n_init=10).fit_predict(x).astype(np.int64)
    if algorithm == "gmm":
        rows = _sample(n, GMM_SAMPLE, random_state)
        gmm = GaussianMixture(k, covariance_type="full", random_state=random_state, reg_covar=1e-5)
        gmm.fit(x[rows])
        return gmm.predict(x).astype(np.int64)
    if algorithm == "agglomerative":
        rows = _sample(n, AGGLOMERATIVE_SAMPLE, random_state)
        sample_labels = AgglomerativeClustering(k, linkage="ward").fit_predict(x[rows])
        if len(rows) == n:
            return sample_labels.astype(np.int64)
        centres = np.vstack([x[rows][sample_labels == c].mean(axis=0) for c in range(k)])
        return _nearest_centre(x, centres)
    if algorithm == "dbscan":
        samples = min_samples or default_min_samples(x.shape[1])
        rows = _sample(n, DBSCAN_SAMPLE, random_state)
        radius = (
            eps
            if eps is not None
            else suggest_eps(x, min_samples=samples, random_state=random_state)
        )
        model = DBSCAN(eps=radius, min_samples=samples).fit(x[rows])
        labels = model.labels_.astype(np.int64)
        if len(rows) == n:
            return labels
        core = model.core_sample_indices_
        if len(core) == 0:
            return np.full(n, -1, dtype=np.int64)
        distance, nearest = NearestNeighbors(n_neighbors=1).fit(x[rows][core]).kneighbors(x)
        return np.where(distance[:, 0] <= radius, labels[core][nearest[:, 0]], -1)
    raise AnalyticsError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}.")


def default_min_samples(n_features: int) -> int:
    """DBSCAN's minimum neighbourhood: twice the number of features (Sander et al. 1998)."""
    return max(4, 2 * n_features)


def k_distances(x: np.ndarray, *, min_samples: int, random_state: int = 0) -> np.ndarray:
    """Sorted distance of each (sampled) customer to its ``min_samples``-th neighbour."""
    rows = _sample(len(x), DBSCAN_SAMPLE, random_state)
    k = min(min_samples, len(rows) - 1)
    distances, _ignored = NearestNeighbors(n_neighbors=k + 1).fit(x[rows]).kneighbors(x[rows])
    return np.sort(distances[:, k])


def suggest_eps(x: np.ndarray, *, min_samples: int, random_state: int = 0) -> float:
    """The knee of the k-distance curve: the point farthest from the line joining its ends."""
    curve = k_distances(x, min_samples=min_samples, random_state=random_state)
    if len(curve) < 3 or curve[-1] == curve[0]:
        return float(curve[-1]) or 0.5
    xs = np.linspace(0, 1, len(curve))
    ys = (curve - curve[0]) / (curve[-1] - curve[0])
    return float(curve[int(np.argmax(xs - ys))])


def _scores(
    x: np.ndarray,
    labels: np.ndarray,
    random_state: int,
    *,
    sample: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, float]:
    """Inertia, silhouette, Davies–Bouldin and Calinski–Harabasz of clustered rows (noise left out).

    ``sample`` is (rows, their pairwise distances), shared by every k of a sweep; without it the
    silhouette is computed on a fresh sample of ``SILHOUETTE_SAMPLE`` rows.
    """
    clustered = labels >= 0
    xs, ls = x[clustered], labels[clustered]
    found = np.unique(ls)
    inertia = float(sum(((xs[ls == c] - xs[ls == c].mean(axis=0)) ** 2).sum() for c in found))
    if len(found) < 2 or len(found) >= len(xs):
        return {
            "inertia": inertia,
            "silhouette": np.nan,
            "davies_bouldin": np.nan,
            "calinski_harabasz": np.nan,
        }
    if sample is not None and clustered.all():
        rows, distances = sample
        sample_labels = labels[rows]
        silhouette = (
            float(silhouette_score(distances, sample_labels, metric="precomputed"))
            if 2 <= len(np.unique(sample_labels)) < len(rows)
            else np.nan
        )
    else:
        size = min(SILHOUETTE_SAMPLE, len(xs))
        silhouette = float(
            silhouette_score(
                xs, ls, sample_size=size if size < len(xs) else None, random_state=random_state
            )
        )
    return {
        "inertia": inertia,
        "silhouette": silhouette,
        "davies_bouldin": float(davies_bouldin_score(xs, ls)),
        "calinski_harabasz": float(calinski_harabasz_score(xs, ls)),
    }


@dataclass(frozen=True)
class KSweep:
    """Every k fitted once: ``table`` has k, inertia, silhouette, davies_bouldin, calinski_harabasz."""

    algorithm: str
    table: pd.DataFrame
    labels: dict[int, np.ndarray] = field(repr=False)

    @property
    def best_k(self) -> int:
        """The k with the best silhouette (ties: the smaller k)."""
        scored = self.table.dropna(subset=["silhouette"])
        if scored.empty:
            return int(self.table["k"].iloc[0])
        return int(scored["k"].to_numpy()[scored["silhouette"].to_numpy().argmax()])


def sweep_k(
    x: np.ndarray,
    *,
    algorithm: Algorithm = "kmeans",
    k_values: Sequence[int] | None = None,
    random_state: int = 0,
    budget: Budget | None = None,
    progress: Callable[[str], None] | None = None,
) -> KSweep:
    """Fit every k (default 2–10, capped below the number of customers) and score each fit.

    ``budget`` is checked before each k (see :mod:`analytics.budget`); ``progress`` hears which k
    is being fitted.
    """
    if algorithm == "dbscan":
        raise AnalyticsError("DBSCAN finds its own number of segments; there is no k to sweep.")
    n = len(x)
    ks = [k for k in (k_values or range(K_RANGE[0], K_RANGE[1] + 1)) if 2 <= k < n]
    if not ks:
        raise AnalyticsError(
            f"With {n} customers there is no number of segments to try (k must be 2 to {n - 1}).",
            hint="Load more customers.",
        )
    # One silhouette sample for every k: its distances are computed once (float32, 400 MB at most).
    sample_rows = _sample(n, SILHOUETTE_SAMPLE, random_state)
    rows, labels = [], {}
    with threads_for(n):
        sample = (sample_rows, pairwise_distances(x[sample_rows]).astype(np.float32))
        for k in ks:
            check(budget)
            if progress is not None:
                progress(f"Trying {k} segments (k = {ks[0]}–{ks[-1]})")
            labels[k] = _fit_labels(
                x, algorithm, k, random_state=random_state, eps=None, min_samples=None
            )
            rows.append({"k": k, **_scores(x, labels[k], random_state, sample=sample)})
    return KSweep(algorithm, pd.DataFrame(rows), labels)
