"""Registry tests run against SQLite and PostgreSQL through one harness fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.storage import open_store
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.store_conformance import SqlStoreHarness, StoreHarness


@pytest.fixture(scope="session")
def registry_postgres_url(postgres_server: str) -> Iterator[str]:
    """One migrated PostgreSQL database per test session (per xdist worker).

    Registry tests name every model uniquely and compare snapshots only around their own
    calls, so they can share it; creating a database per test would triple the run time.
    """
    with temporary_database(postgres_server) as url:
        open_store(url).close()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreHarness]:
    if request.param == "sqlite":
        yield SqlStoreHarness(f"sqlite:///{tmp_path / 'registry.db'}")
        return
    yield SqlStoreHarness(request.getfixturevalue("registry_postgres_url"))
