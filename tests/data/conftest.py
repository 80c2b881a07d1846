"""Data tests run their store-facing parts against SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.storage.bundle import Stores
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.store_conformance import SqlStoreHarness, StoreHarness


@pytest.fixture(scope="session")
def datasets_postgres_url(postgres_server: str) -> Iterator[str]:
    """One migrated PostgreSQL database for the data tests (they name datasets uniquely)."""
    with temporary_database(postgres_server) as url:
        open_store(url).close()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data.db'}"
    else:
        url = request.getfixturevalue("datasets_postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_harness(request: pytest.FixtureRequest, tmp_path: Path) -> StoreHarness:
    """For the shipped conformance suite (``mlsteward.testing.dataset_conformance``)."""
    if request.param == "sqlite":
        return SqlStoreHarness(f"sqlite:///{tmp_path / 'datasets.db'}")
    return SqlStoreHarness(request.getfixturevalue("datasets_postgres_url"))


@pytest.fixture
def ctx(stores: Stores, tmp_path: Path) -> ServiceContext:
    blobs = open_blob_store(str(tmp_path / "blobs"))
    return ServiceContext("alice", stores, blobs, outbound=OutboundAccess.unrestricted())


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    rows = ["id,age,country,income,group,when"]
    for i in range(60):
        country = ["US", "FR", "DE"][i % 3]
        day = f"2024-01-{1 + i % 28:02d}"
        rows.append(f"{i},{20 + i % 40},{country},{1000 + 10 * i},{i // 4},{day}")
    path.write_text("\n".join(rows) + "\n")
    return path
