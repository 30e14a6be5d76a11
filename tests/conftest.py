"""Shared fixtures: the reference datasets folder and the generated sample."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.data import SampleData, generate_sample

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MARKETLENS_DATASETS", ROOT.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real datasets folder (../shared/datasets, or $MARKETLENS_DATASETS); skip when absent,
    fail when ``MARKETLENS_REQUIRE_DATASETS=1`` (set by tests/run.sh): the tests of reference
    figures must run in CI, not pass by skipping."""
    if not SHARED.is_dir():
        reason = f"reference datasets folder {SHARED} is absent"
        if os.environ.get("MARKETLENS_REQUIRE_DATASETS") == "1":
            pytest.fail(f"{reason} (MARKETLENS_REQUIRE_DATASETS=1)")
        pytest.skip(reason)
    return SHARED


@pytest.fixture(scope="session")
def sample() -> SampleData:
    """The default generated sample (the one data/ is written from)."""
    return generate_sample()


#: Customers in the small sample the app reads in AppTests and browser tests (data/ has 3,000):
#: every page runs in seconds on it, and it still holds the planted personas, bundles and seasons.
TEST_SAMPLE_CUSTOMERS = 400


@pytest.fixture(scope="session", autouse=True)
def small_app_sample(tmp_path_factory) -> Iterator[Path]:
    """Point the app's bundled samples ($MARKETLENS_SAMPLES) at a small generated set."""
    from analytics.data import write_samples

    folder = tmp_path_factory.mktemp("samples")
    write_samples(folder, n_customers=TEST_SAMPLE_CUSTOMERS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARKETLENS_SAMPLES", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def mapped_frames_folder(tmp_path_factory) -> Iterator[Path]:
    """Memory-mapped text columns (large uploads') go to a temporary folder, not the server's."""
    folder = tmp_path_factory.mktemp("frames")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARKETLENS_FRAME_FOLDER", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def privacy_key_file(tmp_path_factory) -> Iterator[Path]:
    """The pseudonym secret is generated into a temporary file (the default path when no secret
    is configured), never into data/; tests that need a given secret set it themselves."""
    path = tmp_path_factory.mktemp("privacy") / "privacy.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARKETLENS_PRIVACY_KEY_FILE", str(path))
        patch.delenv("MARKETLENS_PRIVACY_SECRET", raising=False)
        yield path


@pytest.fixture(autouse=True)
def workspace_store(tmp_path, monkeypatch) -> Path:
    """Every test saves workspaces into its own store, never into data/."""
    path = tmp_path / "workspaces.sqlite"
    monkeypatch.setenv("MARKETLENS_WORKSPACES", str(path))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on localhost with an empty database; skip (fail in CI) without."""
    from tests.postgres import require_server, throwaway_server

    require_server()
    with throwaway_server() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_db(postgres_url, request) -> str:
    """A fresh, empty database of its own for one test module, on the shared test server."""
    import sqlalchemy as sa

    name = "db_" + request.module.__name__.rsplit(".", 1)[-1]
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return postgres_url.rsplit("/", 1)[0] + "/" + name
