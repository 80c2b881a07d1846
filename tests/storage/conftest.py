"""One parametrized harness: every storage test runs against SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.storage import open_store
from mlsteward.testing.postgres import database_name, temporary_database
from mlsteward.testing.store_conformance import SqlStoreHarness, StoreHarness


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database migrated once, copied for each test (no connections kept)."""
    with temporary_database(postgres_server) as url:
        open_store(url).close()
        yield database_name(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreHarness]:
    if request.param == "sqlite":
        yield SqlStoreHarness(f"sqlite:///{tmp_path / 'store.db'}")
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("migrated_postgres_template")
    with temporary_database(server, template=template) as url:
        yield SqlStoreHarness(url)
