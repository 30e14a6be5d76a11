"""Segments from clusters: the chosen k turned into named, profiled segments (``segment``), the
whole chain (``run_segmentation``) and the analysis's typed parameters (``SegmentParams``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from analytics.budget import Budget
from analytics.data import Dataset
from analytics.errors import AnalyticsError
from analytics.i18n import N_, _
from analytics.params import Constraint, Params
from analytics.results import Result
from analytics.segments.features import (
    FEATURE_LABELS,
    SCALES,
    CustomerFeatures,
    Scale,
    customer_features,
    scale_features,
)
from analytics.segments.fit import (
    ALGORITHMS,
    NOISE,
    Algorithm,
    KSweep,
    _scores,
    default_min_samples,
    fit_labels,
    k_distances,
    suggest_eps,
    sweep_k,
)


@dataclass(frozen=True)
class SegmentParams(Params):
    """What segmentation takes, with the defaults of the page, the report and the CLI.

    Stages: ``features`` (:func:`customer_features`), ``sweep`` (the k sweep's algorithm and
    scaling), ``fit`` (k, or DBSCAN's radius and neighbourhood) and ``display`` (names given to
    segments, the scatter's axes). ``run_segmentation(dataset, **p.options("features", "sweep",
    "fit"))`` runs it; an empty ``features`` means RFM for transactions and every numeric column
    of a customers table.

    Example
    -------
    >>> params = SegmentParams(k=4)
    >>> params.options("sweep")
    {'algorithm': 'kmeans', 'scale': 'log-standard'}
    """

    features: tuple[str, ...] = ()
    analysis_date: dt.date | None = None
    exclude_cancellations: bool = True
    algorithm: str = "kmeans"
    scale: str = "log-standard"
    k: int | None = None
    eps: float | None = None
    min_samples: int | None = None
    names: tuple[tuple[str, str], ...] = ()
    x: str | None = None
    y: str | None = None
    log_axes: bool = True

    constraints: ClassVar[Mapping[str, Constraint]] = {
        "features": Constraint(
            "texts", "numeric columns of a customers table (none: RFM)", "features", cli=False
        ),
        "analysis_date": Constraint(
            "date", "RFM: the day recency counts from (YYYY-MM-DD)", "features", optional=True
        ),
        "exclude_cancellations": Constraint(
            "flag", "RFM: leave out cancellations and returns", "features", cli=False
        ),
        "algorithm": Constraint("choice", "clustering algorithm", "sweep", choices=ALGORITHMS),
        "scale": Constraint("choice", "scaling of the features", "sweep", choices=SCALES),
        "k": Constraint("count", "number of segments", "fit", low=2, optional=True, cli=False),
        "eps": Constraint(
            "number",
            "DBSCAN radius (default: the knee of the k-distance curve)",
            "fit",
            low=0,
            optional=True,
        ),
        "min_samples": Constraint(
            "count", "DBSCAN: minimum neighbours", "fit", low=2, optional=True
        ),
        "names": Constraint("names", "new names of segments", "display", cli=False),
        "x": Constraint(
            "column", "the scatter's horizontal axis", "display", optional=True, cli=False
        ),
        "y": Constraint(
            "column", "the scatter's vertical axis", "display", optional=True, cli=False
        ),
        "log_axes": Constraint("flag", "log scale for positive axes", "display", cli=False),
    }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """As :meth:`Params.from_dict`; the older saved form ``features="rfm"`` reads as RFM."""
        values = dict(values)
        if isinstance(values.get("features"), str):
            features = values.pop("features")
            if features.strip().lower() != "rfm":
                values["features"] = [features]
        return super().from_dict(values)

    def renames(self) -> dict[str, str]:
        """The new names of segments, as :meth:`SegmentationResult.renamed` takes them."""
        return dict(self.names)


@dataclass(frozen=True)
class SegmentationResult(Result):
    """Segments with their profiles, ready to chart, describe and export.

    Attributes
    ----------
    algorithm, scale : str
        How the segments were made.
    k : int
        Number of segments (noise excluded).
    features : tuple of str
        The features clustered on.
    customers : pandas.DataFrame
        ``customer_id``, the features, RFM scores and named RFM segment when the features are
        RFM, ``cluster`` (0…k-1, -1 for noise) and ``segment`` (its name).
    metrics : dict
        silhouette, davies_bouldin, calinski_harabasz, inertia of the chosen segments.
    sweep : pandas.DataFrame or None
        Scores for every k tried.
    profiles : pandas.DataFrame
        Per segment: customers, share, revenue, revenue_share, mean_<f> and median_<f>.
    zscores : pandas.DataFrame
        Segment × feature: how far the segment's mean is from the average, in standard deviations.
    descriptions : dict of str to str
        One plain sentence per segment.
    projection : pandas.DataFrame
        PC1–PC3 of the scaled features per customer (for plots), and ``explained`` variance.
    eps : float or None
        DBSCAN's radius; ``k_distance`` the curve it was read from.
    notes : tuple of str
    seconds : dict of str to float
    params : SegmentParams
        What the segments were made with (names given to segments included).
    """

    algorithm: str
    scale: str
    k: int
    features: tuple[str, ...]
    customers: pd.DataFrame
    metrics: dict[str, float]
    sweep: pd.DataFrame | None
    profiles: pd.DataFrame
    zscores: pd.DataFrame
    descriptions: dict[str, str]
    projection: pd.DataFrame
    explained: tuple[float, ...]
    eps: float | None = None
    k_distance: np.ndarray | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)
    params: SegmentParams = field(default_factory=SegmentParams)
    #: A name in words per segment, read from its profile ("High spend, frequent, recent"):
    #: what the page offers to rename "Segment 1" to.
    suggested: dict[str, str] = field(default_factory=dict)

    @property
    def segment_names(self) -> list[str]:
        """Segment names in their order (most valuable or largest first; noise last)."""
        return list(self.profiles["segment"])

    def renamed(self, names: Mapping[str, str]) -> SegmentationResult:
        """The same segments under the user's names; names must stay distinct and non-empty."""
        mapping = {old: (names.get(old) or old).strip() or old for old in self.segment_names}
        if len(set(mapping.values())) < len(mapping):
            raise AnalyticsError(
                "Two segments cannot have the same name.", hint="Give each segment its own name."
            )
        customers = self.customers.assign(segment=self.customers["segment"].map(mapping))
        profiles = self.profiles.assign(segment=self.profiles["segment"].map(mapping))
        descriptions = {mapping[k]: v for k, v in self.descriptions.items()}
        suggested = {mapping[k]: v for k, v in self.suggested.items() if k in mapping}
        given = {old: new for old, new in mapping.items() if new != old}
        return replace(
            self,
            customers=customers,
            profiles=profiles,
            zscores=self.zscores.rename(index=mapping),
            descriptions=descriptions,
            params=replace(self.params, names=tuple(given.items())),
            suggested=suggested,
        )

    def to_dict(self) -> dict[str, object]:
        """The JSON the CLI prints (with the count of each RFM segment when segmenting on RFM)."""
        out: dict[str, object] = {
            "algorithm": self.algorithm,
            "scale": self.scale,
            "features": list(self.features),
            "k": self.k,
            "customers": len(self.customers),
            **{name: (None if np.isnan(v) else round(v, 4)) for name, v in self.metrics.items()},
            "sizes": dict(
                zip(
                    self.profiles["segment"].astype(str),
                    self.profiles["customers"].astype(int).tolist(),
                    strict=True,
                )
            ),
            "profiles": self.profiles.round(4).to_dict(orient="records"),
            "descriptions": self.descriptions,
            "suggested_names": self.suggested,
            "notes": list(self.notes),
        }
        rfm = self.customers.get("rfm_segment")
        if rfm is not None:
            out["rfm_segments"] = {str(name): int(n) for name, n in rfm.value_counts().items()}
        out["params"] = self.params.to_dict()
        return out

    def export_table(self) -> pd.DataFrame:
        """Customer → segment with every feature and score, for a CRM."""
        return self.customers.copy()


@dataclass(frozen=True)
class Clusters:
    """Cluster labels (-1 for noise) and how they were found.

    ``sweep`` is the k sweep (partitioning algorithms), ``eps`` and ``k_distance`` DBSCAN's
    radius and the curve it was read from, ``metrics`` the sweep's scores of these labels
    (None when not known).
    """

    labels: np.ndarray
    sweep: KSweep | None = None
    eps: float | None = None
    k_distance: np.ndarray | None = None
    metrics: dict[str, float] | None = None


def segment(
    features: CustomerFeatures,
    clusters: Clusters,
    *,
    algorithm: str,
    scale: Scale,
    x: np.ndarray,
    random_state: int = 0,
) -> SegmentationResult:
    """Turn cluster labels into ordered, named, profiled segments."""
    values, labels, metrics = features.values, clusters.labels, clusters.metrics
    clustered = labels >= 0
    order = _order_clusters(values, labels, features.spend)
    relabel = {old: new for new, old in enumerate(order)}
    cluster = np.array([relabel.get(c, -1) for c in labels]) if len(relabel) else labels
    names = {i: _("Segment {n}").format(n=i + 1) for i in range(len(order))}
    names[-1] = NOISE
    customers = pd.DataFrame({"customer_id": features.ids.to_numpy()})
    if features.rfm is not None:
        rfm = features.rfm.customers.set_index("customer_id").loc[features.ids]
        for column in (
            "recency",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "rfm_score",
        ):
            customers[column] = rfm[column].to_numpy()
        customers["rfm_segment"] = rfm["segment"].astype(str).to_numpy()
    else:
        for column in values.columns:
            customers[str(column)] = values[column].to_numpy()
    customers["cluster"] = cluster
    customers["segment"] = [names[c] for c in cluster]
    profiles, zscores = _profiles(values, cluster, names, features.spend)
    metrics = metrics if metrics is not None else _scores(x, cluster, random_state)
    projection, explained = _project(x, random_state)
    notes = list(features.notes)
    if not clustered.all():
        notes.append(
            _("{n} customer(s) fit no dense group and are labelled '{noise}'.").format(
                n=f"{int((~clustered).sum()):,}", noise=NOISE
            )
        )
    return SegmentationResult(
        algorithm=algorithm,
        scale=scale,
        k=len(order),
        features=features.names,
        customers=customers,
        metrics=metrics,
        sweep=None if clusters.sweep is None else clusters.sweep.table,
        profiles=profiles,
        zscores=zscores,
        descriptions=_describe(profiles, values, features),
        suggested=suggest_names(profiles, values, features.source == "rfm"),
        projection=projection,
        explained=explained,
        eps=clusters.eps,
        k_distance=clusters.k_distance,
        notes=tuple(notes),
    )


def _order_clusters(values: pd.DataFrame, labels: np.ndarray, spend: str | None) -> list[int]:
    """Clusters in display order: highest mean spend first, else largest first."""
    found = [int(c) for c in np.unique(labels) if c >= 0]
    frame = pd.DataFrame({"label": labels})
    if spend is not None:
        key = values[spend].groupby(labels).mean()
    else:
        key = frame.groupby("label").size().astype(float)
    return sorted(found, key=lambda c: (-key.get(c, 0.0), c))


def _profiles(
    values: pd.DataFrame, cluster: np.ndarray, names: dict[int, str], spend: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    grouped = values.groupby(cluster)
    means, medians, sizes = grouped.mean(), grouped.median(), grouped.size()
    ids = [c for c in sorted(sizes.index) if c >= 0] + ([-1] if -1 in sizes.index else [])
    profiles = pd.DataFrame(
        {
            "segment": [names[c] for c in ids],
            "customers": sizes.loc[ids].to_numpy(),
            "share": (sizes.loc[ids] / len(cluster)).to_numpy(),
        }
    )
    if spend is not None:
        revenue = values[spend].groupby(cluster).sum().loc[ids]
        total = values[spend].clip(lower=0).sum()
        profiles["revenue"] = revenue.to_numpy()
        profiles["revenue_share"] = (revenue.clip(lower=0) / total).to_numpy() if total else np.nan
    for column in values.columns:
        profiles[f"mean_{column}"] = means.loc[ids, column].to_numpy()
        profiles[f"median_{column}"] = medians.loc[ids, column].to_numpy()
    std = values.std(ddof=0).replace(0, np.nan)
    zscores = (means.loc[ids] - values.mean()) / std
    zscores.index = [names[c] for c in ids]
    return profiles, zscores


def _describe(
    profiles: pd.DataFrame, values: pd.DataFrame, features: CustomerFeatures
) -> dict[str, str]:
    """One sentence per segment: size, then what sets it apart, then its revenue."""
    overall = values.mean()
    out = {}
    for row in profiles.to_dict(orient="records"):
        parts = []
        if features.source == "rfm":
            # A feature that is the same for everyone (no spend at all) is left out of the fit.
            if "mean_frequency" in row and overall["frequency"]:
                ratio = row["mean_frequency"] / overall["frequency"]
                parts.append(_("order {times} as often as average").format(times=_times(ratio)))
            if "median_recency" in row:
                parts.append(
                    _("last order {days} days ago (median)").format(
                        days=f"{row['median_recency']:,.0f}"
                    )
                )
            if "mean_monetary" in row and overall["monetary"]:
                ratio = row["mean_monetary"] / overall["monetary"]
                parts.append(_("spend {times} the average").format(times=_times(ratio)))
        else:
            deviations = sorted(
                values.columns,
                key=lambda c: -abs((row[f"mean_{c}"] - overall[c]) / (values[c].std(ddof=0) or 1)),
            )
            for column in deviations[:2]:
                mean = row[f"mean_{column}"]
                if overall[column] > 0 and mean >= 0:
                    parts.append(
                        _("{column} {times} average ({mean})").format(
                            column=column, times=_times(mean / overall[column]), mean=f"{mean:,.3g}"
                        )
                    )
                else:
                    parts.append(
                        _("{column} {mean} (average {average})").format(
                            column=column, mean=f"{mean:,.3g}", average=f"{overall[column]:,.3g}"
                        )
                    )
        if "revenue_share" in row and not pd.isna(row["revenue_share"]):
            parts.append(_("{share} of revenue").format(share=f"{row['revenue_share']:.0%}"))
        out[row["segment"]] = _("{n} customers ({share}): {traits}.").format(
            n=f"{row['customers']:,}", share=f"{row['share']:.0%}", traits=_(", ").join(parts)
        )
    return out


#: How a segment that stands out on an RFM feature is called: (above, below) average, then
#: (far above, far below) it. Recency is days since the last order: high is lapsed.
_RFM_WORDS = {
    "monetary": ((N_("high spend"), N_("low spend")), (N_("top spend"), N_("very low spend"))),
    "frequency": ((N_("frequent"), N_("occasional")), (N_("very frequent"), N_("one-off"))),
    "recency": ((N_("lapsed"), N_("recent")), (N_("long lapsed"), N_("very recent"))),
}
#: A segment stands out on a feature when its typical value is this many times everyone's
#: (or this fraction of it): 1.4x, or 0.71x.
_STANDS_OUT = np.log(1.4)
#: ... and far from everyone's at four times (or a quarter).
_FAR_OUT = np.log(4.0)


def suggest_names(profiles: pd.DataFrame, values: pd.DataFrame, rfm: bool) -> dict[str, str]:
    """A name in words for each segment, from how its typical values compare with everyone's.

    Each feature is compared as a ratio (the segment's mean over everyone's; for recency, the
    medians, as the descriptions read them), on a log scale so that twice and half count alike;
    a feature with negative values is compared in standard deviations. RFM names read spend,
    then frequency, then recency ("High spend, frequent, recent"; "Low spend, occasional,
    lapsed"); other features give the two that stand out most ("High tenure, low
    MonthlyCharges"). A segment that stands out on nothing is "Average"; a name two segments
    would share gets a number.

    >>> values = pd.DataFrame({"recency": [10.0, 20, 300, 400], "frequency": [8.0, 6, 1, 1],
    ...                        "monetary": [900.0, 700, 40, 60]})
    >>> profiles = pd.DataFrame({"segment": ["Segment 1", "Segment 2"], "mean_recency": [15, 350],
    ...     "median_recency": [15, 350], "mean_frequency": [7, 1], "mean_monetary": [800, 50]})
    >>> suggest_names(profiles, values, rfm=True)
    {'Segment 1': 'High spend, frequent, very recent', 'Segment 2': 'Very low spend, one-off, lapsed'}
    """
    order = [c for c in ("monetary", "frequency", "recency") if rfm and c in values.columns]
    names: dict[str, str] = {}
    for row in profiles.to_dict(orient="records"):
        segment = str(row["segment"])
        if segment == NOISE:
            names[segment] = NOISE
            continue
        standing = {c: _standing(row, values, c) for c in values.columns}
        standing = {c: v for c, v in standing.items() if np.isfinite(v)}
        ranked = order or sorted(standing, key=lambda c: -abs(standing[c]))
        chosen = [c for c in ranked if c in standing and abs(standing[c]) >= _STANDS_OUT]
        words = [_word(c, standing[c]) for c in (chosen if order else chosen[:2])]
        name = _first_upper(_(", ").join(words or [_("average")]))
        number = 2
        while name in names.values():
            name = f"{name.split(' (')[0]} ({number})"
            number += 1
        names[segment] = name
    return names


def _standing(row: Mapping[Any, Any], values: pd.DataFrame, column: str) -> float:
    """How far a segment is from everyone on a feature: log of the ratio, or z for signed data."""
    everyone = values[column]
    if column == "recency" and f"median_{column}" in row:
        mine, typical = row[f"median_{column}"], everyone.median()
    else:
        mine, typical = row.get(f"mean_{column}", np.nan), everyone.mean()
    if pd.isna(mine):
        return np.nan
    if everyone.min() >= 0 and typical > 0:
        return float(np.log(max(float(mine), 1e-9) / typical))
    spread = float(everyone.std(ddof=0)) or 1.0
    return float((mine - everyone.mean()) / spread) * _STANDS_OUT / 0.5  # half an sd stands out


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _word(feature: str, standing: float) -> str:
    if feature in _RFM_WORDS:
        return _(_RFM_WORDS[feature][int(abs(standing) >= _FAR_OUT)][0 if standing > 0 else 1])
    return (_("high {feature}") if standing > 0 else _("low {feature}")).format(feature=feature)


def _times(ratio: float) -> str:
    if pd.isna(ratio):
        return "—"
    return f"{ratio:.1f}x" if ratio >= 0.95 else f"{ratio:.2f}x"


def _project(x: np.ndarray, random_state: int) -> tuple[pd.DataFrame, tuple[float, ...]]:
    components = min(3, x.shape[1])
    pca = PCA(n_components=components, random_state=random_state)
    projected = pca.fit_transform(x)
    frame = pd.DataFrame(projected, columns=[f"PC{i + 1}" for i in range(components)])
    return frame, tuple(float(v) for v in pca.explained_variance_ratio_)


@dataclass(frozen=True)
class SelectionSummary:
    """Customers picked on a chart: how many, from which segments, and how they differ."""

    customers: pd.DataFrame
    share: float
    by_segment: pd.DataFrame
    comparison: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.customers)


def summarize_selection(result: SegmentationResult, ids: Sequence[object]) -> SelectionSummary:
    """Summarise the customers with these ids (as chosen with a box or lasso on the scatter plot).

    Example
    -------
    >>> summary = summarize_selection(result, ["12345", "12390"])  # doctest: +SKIP
    >>> summary.count  # doctest: +SKIP
    2
    """
    wanted = {str(i) for i in ids}
    table = result.customers
    chosen = table[table["customer_id"].astype(str).isin(wanted)]
    by_segment = chosen.groupby("segment", sort=False).size().rename("customers").reset_index()
    columns = [c for c in result.features if c in table.columns]
    comparison = pd.DataFrame(
        {
            "feature": [FEATURE_LABELS.get(c, c) for c in columns],
            "selected (mean)": [chosen[c].mean() for c in columns],
            "all customers (mean)": [table[c].mean() for c in columns],
        }
    )
    return SelectionSummary(chosen, len(chosen) / max(len(table), 1), by_segment, comparison)


def run_segmentation(
    dataset: Dataset | None,
    *,
    features: str | Sequence[str] = "rfm",
    algorithm: Algorithm = "kmeans",
    k: int | None = None,
    scale: Scale = "log-standard",
    eps: float | None = None,
    min_samples: int | None = None,
    analysis_date: dt.date | None = None,
    exclude_cancellations: bool = True,
    random_state: int = 0,
    sweep: KSweep | None = None,
    table: CustomerFeatures | None = None,
    budget: Budget | None = None,
) -> SegmentationResult:
    """Segment customers: features, scaling, a k sweep (unless DBSCAN), segments.

    Parameters
    ----------
    dataset : Dataset or None
        Transactions (segmented on RFM) or a customers table; None when ``table`` is given.
    features : "rfm" or list of str
        RFM, or numeric columns of a customers table.
    algorithm : {"kmeans", "gmm", "agglomerative", "dbscan"}
    k : int, optional
        Number of segments; default the best silhouette for k = 2…10.
    scale : {"log-standard", "standard", "none"}
    eps, min_samples : DBSCAN's radius (default: the knee of the k-distance curve) and neighbourhood.
    analysis_date, exclude_cancellations : passed to :func:`analytics.segments.rfm.compute_rfm`.
    random_state : int
        Seed: the same data gives the same segments.
    sweep : KSweep, optional
        A sweep already computed for the same data, algorithm, scale and seed (a dashboard
        caches it, so that choosing another k refits nothing).
    table : CustomerFeatures, optional
        The features already computed for the same data and options (saves recomputing RFM).
    budget : Budget, optional
        Checked before each k of the sweep (see :mod:`analytics.budget`).

    Raises
    ------
    AnalyticsError
        Unusable features, too few customers for k, or an unknown algorithm or scale.
    """
    if algorithm not in ALGORITHMS:
        raise AnalyticsError(
            f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}."
        )
    started = time.perf_counter()
    if table is None:
        if dataset is None:
            raise AnalyticsError("Segmentation needs a dataset or a table of customer features.")
        table = customer_features(
            dataset,
            features=features,
            analysis_date=analysis_date,
            exclude_cancellations=exclude_cancellations,
        )
    featured = time.perf_counter()
    x = scale_features(table.values, scale)
    if algorithm == "dbscan":
        clusters = _dbscan(x, eps, min_samples, random_state)
    else:
        clusters = _partition(x, algorithm, k, sweep, random_state, budget)
    clustered = time.perf_counter()
    result = segment(
        table, clusters, algorithm=algorithm, scale=scale, x=x, random_state=random_state
    )
    timings = {
        "features": featured - started,
        "clustering": clustered - featured,
        "profiles": time.perf_counter() - clustered,
    }
    params = _repeated(
        features, analysis_date, exclude_cancellations, algorithm, scale, k, eps, min_samples
    )
    return replace(result, seconds=timings, params=params)


def _repeated(
    features: str | Sequence[str],
    analysis_date: dt.date | None,
    exclude_cancellations: bool,
    algorithm: str,
    scale: str,
    k: int | None,
    eps: float | None,
    min_samples: int | None,
) -> SegmentParams:
    """The parameters a segmentation was given, for its result to repeat."""
    return SegmentParams.from_dict(
        {
            "features": () if isinstance(features, str) else tuple(features),
            "analysis_date": analysis_date,
            "exclude_cancellations": exclude_cancellations,
            "algorithm": algorithm,
            "scale": scale,
            "k": k,
            "eps": eps,
            "min_samples": min_samples,
        }
    )


def _dbscan(
    x: np.ndarray, eps: float | None, min_samples: int | None, random_state: int
) -> Clusters:
    """DBSCAN's labels, with the radius used (default: the knee of the k-distance curve) and
    the curve; refuses a radius that leaves every customer as noise."""
    samples = min_samples or default_min_samples(x.shape[1])
    curve = k_distances(x, min_samples=samples, random_state=random_state)
    eps_used = (
        eps if eps is not None else suggest_eps(x, min_samples=samples, random_state=random_state)
    )
    labels = fit_labels(
        x, "dbscan", 0, random_state=random_state, eps=eps_used, min_samples=samples
    )
    if (labels >= 0).sum() == 0:
        raise AnalyticsError(
            f"With eps = {eps_used:.3g}, DBSCAN finds no dense group: every customer is noise.",
            hint="Raise eps (see the k-distance plot) or lower the minimum neighbours.",
        )
    return Clusters(labels, eps=eps_used, k_distance=curve)


def _partition(
    x: np.ndarray,
    algorithm: Algorithm,
    k: int | None,
    sweep: KSweep | None,
    random_state: int,
    budget: Budget | None,
) -> Clusters:
    """Labels for k segments (default: the sweep's best k), with the sweep and, when k was in
    it, the sweep's scores of that k."""
    if k is not None and not 2 <= k < len(x):
        raise AnalyticsError(
            f"k = {k} segments need at least {k + 1} customers and k at least 2; there are {len(x)} customers.",
            hint="Choose a smaller k, or load more customers.",
        )
    if sweep is None or sweep.algorithm != algorithm:
        sweep = sweep_k(x, algorithm=algorithm, random_state=random_state, budget=budget)
    chosen = k if k is not None else sweep.best_k
    if chosen not in sweep.labels:
        return Clusters(fit_labels(x, algorithm, chosen, random_state=random_state), sweep)
    row = sweep.table.loc[sweep.table["k"] == chosen].iloc[0]
    scores = {
        name: float(row[name])
        for name in ("inertia", "silhouette", "davies_bouldin", "calinski_harabasz")
    }
    return Clusters(sweep.labels[chosen], sweep, metrics=scores)
