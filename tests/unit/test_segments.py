"""Segmentation: reference numbers, planted personas, every algorithm, bad input, plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from analytics.data import build_dataset, detect_mapping, open_dataset
from analytics.errors import AnalyticsError
from analytics.segments import features as segfeatures
from analytics.segments import fit as segfit
from analytics.segments import (
    k_distance_figure,
    k_selection_figure,
    profile_heatmap,
    rf_grid_figure,
    rfm_segments_figure,
    run_segmentation,
    scatter_figure,
    segment_colors,
    segment_sizes_figure,
    summarize_selection,
)
from analytics.segments import plots as segment_plots

MALL_FEATURES = ["Annual Income (k$)", "Spending Score (1-100)"]


def customers_table(frame: pd.DataFrame):
    return build_dataset(frame, "customers", detect_mapping(frame, "customers"))


def blobs(n_per: int = 150, *, noise: int = 0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [6, 0], [0, 6]])
    points = np.vstack([rng.normal(c, 0.5, (n_per, 2)) for c in centres])
    truth = np.repeat(np.arange(3), n_per)
    if noise:
        points = np.vstack([points, rng.uniform(-4, 10, (noise, 2))])
        truth = np.concatenate([truth, np.full(noise, -1)])
    return pd.DataFrame(
        {
            "CustomerID": [f"C{i:04d}" for i in range(len(points))],
            "visits": points[:, 0],
            "spend": points[:, 1],
            "truth": truth,
        }
    )


@pytest.fixture(scope="module")
def sample_dataset(sample):
    frame = sample.transactions
    return build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))


@pytest.mark.realdata
def test_mall_customers_reference_result(shared_datasets):
    # Reference: scikit-learn KMeans, n_init=10, standardised income and spending score, k = 2..10:
    # the best silhouette is k = 5, 0.5547 (the tutorial-standard result).
    dataset = open_dataset(shared_datasets / "Mall_Customers.csv").dataset
    result = run_segmentation(dataset, features=MALL_FEATURES, scale="standard")
    assert result.k == 5
    assert result.metrics["silhouette"] == pytest.approx(0.5547, abs=0.002)
    assert sorted(result.profiles["customers"]) == [22, 23, 35, 39, 81]
    assert "revenue_share" not in result.profiles  # a spending *score* is not revenue


def test_sample_personas_are_recovered(sample, sample_dataset):
    result = run_segmentation(sample_dataset)
    truth = sample.customers.set_index("customer_id").loc[
        result.customers["customer_id"], "persona"
    ]
    assert result.k == 6  # auto k: the best silhouette finds the six personas
    assert adjusted_rand_score(truth, result.customers["cluster"]) >= 0.8


def test_agglomerative_recovers_the_personas_too(sample, sample_dataset):
    result = run_segmentation(sample_dataset, algorithm="agglomerative", k=6)
    truth = sample.customers.set_index("customer_id").loc[
        result.customers["customer_id"], "persona"
    ]
    assert adjusted_rand_score(truth, result.customers["cluster"]) >= 0.8


def test_same_data_same_segments(sample_dataset):
    a = run_segmentation(sample_dataset, k=4)
    b = run_segmentation(sample_dataset, k=4)
    assert a.customers["cluster"].tolist() == b.customers["cluster"].tolist()


def test_segments_are_ordered_by_spend_and_profiled(sample_dataset):
    result = run_segmentation(sample_dataset, k=4)
    profiles = result.profiles
    assert profiles["segment"].tolist() == [f"Segment {i}" for i in range(1, 5)]
    assert profiles["mean_monetary"].is_monotonic_decreasing
    assert profiles["customers"].sum() == len(result.customers)
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert profiles["revenue_share"].sum() == pytest.approx(1.0, abs=0.01)
    assert set(result.zscores.columns) == {"recency", "frequency", "monetary"}
    description = result.descriptions["Segment 1"]
    assert (
        description.startswith(f"{profiles['customers'].iloc[0]:,} customers (")
        and "of revenue" in description
    )
    assert {"rfm_segment", "r_score", "rfm_score", "cluster", "segment"} <= set(
        result.export_table().columns
    )


def test_choosing_k_reuses_the_sweep(sample_dataset):
    features = segfeatures.customer_features(sample_dataset)
    heard: list[str] = []
    sweep = segfit.sweep_k(
        segfeatures.scale_features(features.values, "log-standard"), progress=heard.append
    )
    assert sweep.table["k"].tolist() == list(range(2, 11))
    assert heard[0] == "Trying 2 segments (k = 2–10)" and len(heard) == 9  # one line per k
    planted = {k: np.arange(len(features.values)) % k for k in sweep.labels}
    fake = segfit.KSweep("kmeans", sweep.table, planted)
    result = run_segmentation(sample_dataset, k=3, sweep=fake)
    assert sorted(result.profiles["customers"]) == sorted(np.bincount(planted[3]).tolist())


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "agglomerative"])
def test_every_algorithm_finds_planted_blobs(algorithm):
    frame = blobs()
    result = run_segmentation(
        customers_table(frame), features=["visits", "spend"], algorithm=algorithm, scale="standard"
    )
    assert result.k == 3
    assert adjusted_rand_score(frame["truth"], result.customers["cluster"]) > 0.95


def test_dbscan_finds_blobs_and_marks_noise():
    frame = blobs(noise=30)
    result = run_segmentation(
        customers_table(frame), features=["visits", "spend"], algorithm="dbscan", scale="standard"
    )
    assert result.k == 3
    assert result.eps is not None and result.k_distance is not None
    clustered = frame["truth"].to_numpy() >= 0
    assert (
        adjusted_rand_score(frame["truth"][clustered], result.customers["cluster"][clustered])
        > 0.95
    )
    assert (result.customers["segment"] == segfit.NOISE).sum() >= 10
    assert result.segment_names[-1] == segfit.NOISE


def test_dbscan_with_a_tiny_radius_says_what_to_do():
    with pytest.raises(AnalyticsError, match="every customer is noise") as info:
        run_segmentation(
            customers_table(blobs()), features=["visits", "spend"], algorithm="dbscan", eps=1e-6
        )
    assert "Raise eps" in info.value.hint


def test_large_data_paths_sample_and_assign(monkeypatch):
    monkeypatch.setattr(segfit, "MINIBATCH_ABOVE", 100)
    monkeypatch.setattr(segfit, "KMEANS_FIT_SAMPLE", 300)
    monkeypatch.setattr(segfit, "AGGLOMERATIVE_SAMPLE", 200)
    monkeypatch.setattr(segfit, "DBSCAN_SAMPLE", 200)
    monkeypatch.setattr(segfit, "SILHOUETTE_SAMPLE", 150)
    frame = blobs(n_per=300)
    dataset = customers_table(frame)
    for algorithm in ("kmeans", "agglomerative", "dbscan"):
        result = run_segmentation(
            dataset,
            features=["visits", "spend"],
            algorithm=algorithm,
            k=None if algorithm == "dbscan" else 3,
        )
        assert len(result.customers) == 900
        # DBSCAN assigns a customer outside every sampled core point's radius to noise.
        floor = 0.85 if algorithm == "dbscan" else 0.95
        assert adjusted_rand_score(frame["truth"], result.customers["cluster"]) > floor, algorithm


def test_renaming_carries_through_everything(sample_dataset):
    result = run_segmentation(sample_dataset, k=3).renamed({"Segment 1": "VIP", "Segment 3": " "})
    assert result.segment_names == ["VIP", "Segment 2", "Segment 3"]
    assert "VIP" in set(result.customers["segment"]) and "VIP" in result.descriptions
    assert list(result.zscores.index) == result.segment_names
    with pytest.raises(AnalyticsError, match="same name"):
        result.renamed({"Segment 2": "VIP"})


def test_selection_summary(sample_dataset):
    result = run_segmentation(sample_dataset, k=3)
    ids = result.customers["customer_id"].iloc[:10].tolist()
    summary = summarize_selection(result, [*ids, "no such id"])
    assert summary.count == 10
    assert summary.by_segment["customers"].sum() == 10
    assert list(summary.comparison["feature"]) == ["Days since last order", "Orders", "Revenue"]


# --- bad input -------------------------------------------------------------------------------------


def test_one_numeric_column_is_explained():
    frame = pd.DataFrame(
        {"CustomerID": ["1", "2", "3", "4"], "Age": [20, 30, 40, 50], "City": ["a", "b", "a", "b"]}
    )
    with pytest.raises(AnalyticsError, match="at least two numeric columns that vary; 1 remain"):
        run_segmentation(customers_table(frame), features=["Age"])


def test_constant_columns_are_dropped_with_a_note():
    frame = blobs().assign(country_code=44)
    result = run_segmentation(
        customers_table(frame), features=["visits", "spend", "country_code"], k=3
    )
    assert result.features == ("visits", "spend")
    assert any("Same value for every customer" in note for note in result.notes)
    with pytest.raises(AnalyticsError, match="vary"):
        run_segmentation(
            customers_table(frame.assign(spend=1.0)), features=["visits", "spend", "country_code"]
        )


def test_missing_values_leave_those_customers_out_with_a_note():
    frame = blobs()
    frame.loc[[3, 7, 11], "spend"] = np.nan
    result = run_segmentation(customers_table(frame), features=["visits", "spend"], k=3)
    assert len(result.customers) == len(frame) - 3
    assert any("3 customer(s) have missing values" in note for note in result.notes)


def test_fewer_customers_than_k():
    frame = blobs(n_per=2)  # 6 customers
    with pytest.raises(AnalyticsError, match="k = 8 segments need at least 9 customers"):
        run_segmentation(customers_table(frame), features=["visits", "spend"], k=8)
    small = run_segmentation(customers_table(frame), features=["visits", "spend"])
    assert small.k <= 5


def test_one_customer():
    frame = pd.DataFrame({"CustomerID": ["1"], "a": [1.0], "b": [2.0]})
    with pytest.raises(AnalyticsError, match="at least two numeric columns that vary"):
        run_segmentation(customers_table(frame), features=["a", "b"])


def test_too_few_customers_with_varying_columns():
    frame = pd.DataFrame({"CustomerID": ["1", "2"], "a": [1.0, 2.0], "b": [2.0, 1.0]})
    with pytest.raises(AnalyticsError, match="at least 3 customers; there are 2"):
        run_segmentation(customers_table(frame), features=["a", "b"])


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["nope", "Age"], "no column 'nope'"),
        (["City", "Age"], "'City' is not numeric"),
        ("rfm", "RFM needs transactions"),
    ],
)
def test_bad_feature_choices(features, message):
    frame = pd.DataFrame(
        {"CustomerID": ["1", "2", "3"], "Age": [20, 30, 40], "City": ["a", "b", "c"]}
    )
    with pytest.raises(AnalyticsError, match=message):
        run_segmentation(customers_table(frame), features=features)


def test_unknown_algorithm_and_scale(sample_dataset):
    with pytest.raises(AnalyticsError, match="algorithm must be one of"):
        run_segmentation(sample_dataset, algorithm="spectral")  # type: ignore[arg-type]
    with pytest.raises(AnalyticsError, match="scale must be one of"):
        run_segmentation(sample_dataset, scale="minmax")  # type: ignore[arg-type]


def test_skewed_columns_are_logged_others_not():
    values = pd.DataFrame(
        {"money": np.exp(np.linspace(0, 8, 200)), "age": np.linspace(18, 80, 200)}
    )
    scaled = segfeatures.scale_features(values, "log-standard")
    assert np.corrcoef(scaled[:, 0], np.log1p(values["money"]))[0, 1] > 0.999
    assert np.allclose(
        scaled[:, 1], (values["age"] - values["age"].mean()) / values["age"].std(ddof=0)
    )


# --- figures ---------------------------------------------------------------------------------------


def test_figures_carry_the_segments(sample_dataset):
    result = run_segmentation(sample_dataset, k=4)
    fig = scatter_figure(result, "recency", "monetary", log_axes=True)
    assert [t.name for t in fig.data] == result.segment_names
    assert fig.data[0].type == "scatter" and fig.layout.yaxis.type == "log"
    # Log ticks written in full, 1-2-5 per power of ten: not plotly's "1 2 5 10 2 5 100".
    spend = result.customers["monetary"]
    text = list(fig.layout.yaxis.ticktext)
    assert len(text) >= 3 and all(t.replace(",", "").replace(".", "").isdigit() for t in text)
    assert [float(t.replace(",", "")) for t in text] == list(fig.layout.yaxis.tickvals)
    assert (
        min(fig.layout.yaxis.tickvals) <= spend.min() * 2
        and max(fig.layout.yaxis.tickvals) >= spend.max() / 5
    )
    ids = {row[0] for trace in fig.data for row in trace.customdata}
    assert ids == set(result.customers["customer_id"])
    colors = segment_colors(result.segment_names)
    assert (
        fig.data[0].marker.color
        == colors["Segment 1"]
        == segment_sizes_figure(result).data[0].marker.color[0]
    )
    assert "variance" in scatter_figure(result, "PC1", "PC2").layout.xaxis.title.text
    assert scatter_figure(result, "recency", "frequency", "monetary").data[0].type == "scatter3d"
    assert len(k_selection_figure(result).data) == 4
    assert profile_heatmap(result).data[0].z.shape == (4, 3)
    assert (
        rfm_segments_figure(segfeatures.customer_features(sample_dataset).rfm).data[0].y[-1]
        == "Champions"
    )
    assert rf_grid_figure(segfeatures.customer_features(sample_dataset).rfm).data[0].z.shape == (
        5,
        5,
    )


def test_large_scatter_is_sampled_and_drawn_with_webgl(sample_dataset, monkeypatch):
    monkeypatch.setattr(segment_plots, "WEBGL_ABOVE", 2000)
    result = run_segmentation(sample_dataset, k=3)
    fig = scatter_figure(result, "recency", "monetary", max_points=6000)
    assert {t.type for t in fig.data} == {"scattergl"}
    assert sum(len(t.x) for t in fig.data) == 3000
    small = scatter_figure(result, "recency", "monetary", max_points=1000)
    assert (
        sum(len(t.x) for t in small.data) == 1000 and "sample of 1,000" in small.layout.title.text
    )


def test_k_distance_figure_marks_eps():
    result = run_segmentation(
        customers_table(blobs(noise=20)), features=["visits", "spend"], algorithm="dbscan"
    )
    fig = k_distance_figure(result)
    assert len(fig.data[0].y) == 470 and fig.layout.shapes


def test_rfm_segments_when_nobody_spent_anything_are_described_without_spend():
    frame = pd.DataFrame(
        {
            "Invoice": [f"A{i}" for i in range(60)],
            "Customer": [f"C{(i * i) % 17}" for i in range(60)],
            "Date": pd.date_range("2024-01-01", periods=60, freq="D").astype(str),
            # Bought at no charge: a line of 0 units is no purchase at all (sales_mask).
            "Quantity": 1,
            "Price": 0.0,
        }
    )
    dataset = build_dataset(frame, "transactions", detect_mapping(frame, "transactions"))
    result = run_segmentation(dataset, features="rfm", k=3)
    assert len(result.descriptions) == 3
    assert all("spend" not in text for text in result.descriptions.values())


def test_segment_names_and_customer_ids_are_text_in_every_figure(sample_dataset):
    result = run_segmentation(sample_dataset, features="rfm", k=3)
    hostile = "<img src=x onerror=alert(1)>"
    result = result.renamed({result.segment_names[0]: hostile})
    figures = [
        segment_plots.scatter_figure(result, "recency", "monetary"),
        segment_plots.segment_sizes_figure(result),
        segment_plots.profile_heatmap(result),
    ]
    for figure in figures:
        assert "<img" not in figure.to_json()
        assert "&lt;img src=x onerror=alert(1)&gt;" in figure.to_json()


def test_suggested_names_read_the_planted_personas(sample, sample_dataset):
    """Each persona's segment gets a name in words that says what was planted in it."""
    result = run_segmentation(sample_dataset)
    persona = sample.customers.set_index("customer_id")["persona"]
    customers = result.customers.assign(persona=persona.loc[result.customers["customer_id"]].values)
    main = customers.groupby("persona")["segment"].agg(lambda s: s.mode().iloc[0])
    named = {p: result.suggested[main[p]] for p in main.index}
    assert named["Wholesale"].startswith("Top spend")
    assert "very frequent" in named["Champions"]
    assert "lapsed" in named["Lapsed"]
    assert len(set(result.suggested.values())) == result.k  # distinct
    renamed = result.renamed(result.suggested)
    assert set(renamed.profiles["segment"]) == set(result.suggested.values())
    assert renamed.suggested == {v: v for v in result.suggested.values()}
