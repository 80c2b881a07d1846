"""One pytest harness for every test that needs a store: SQLite and PostgreSQL alike.

Load it with ``pytest_plugins = ["mlsteward.testing.backends"]`` (mlsteward's own suite does,
in its top ``conftest.py``; a plugin's store backend can reuse it). Fixtures:

- ``postgres_server``: the maintenance URL of a reachable PostgreSQL server, or a skip with
  the reason (a failure instead when ``MLSTEWARD_REQUIRE_POSTGRES`` is set, as in CI);
- ``migrated_postgres_url``: one database migrated once per session (per xdist worker), for
  tests that name what they create uniquely and so can share it;
- ``store_url``: a fresh SQLite file, or that shared PostgreSQL database (``postgresql``
  cases carry the ``postgres`` mark);
- ``isolated_store_url``: the same, but a PostgreSQL case gets a database of its own, copied
  from a migrated template (for tests that need an empty store);
- ``store_harness`` / ``isolated_store_harness``: :class:`SqlStoreHarness` over those URLs,
  for the shipped conformance suites;
- ``service_context``: a service context acting as ``"tester"`` over ``store_url`` and a
  blob folder of the test's own, allowed to open anything (the user's own machine).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.postgres import (
    database_name,
    postgres_unavailable_reason,
    server_url,
    temporary_database,
)
from mlsteward.testing.store_conformance import SqlStoreHarness, StoreHarness

#: Set (e.g. in CI) to fail instead of skipping when PostgreSQL is unreachable.
REQUIRE_POSTGRES_ENV = "MLSTEWARD_REQUIRE_POSTGRES"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of a reachable PostgreSQL server's maintenance database, or skip with the reason."""
    reason = postgres_unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(f"{REQUIRE_POSTGRES_ENV} is set but {reason}")
        pytest.skip(reason)
    return server_url()


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_server: str) -> Iterator[str]:
    """One migrated PostgreSQL database for the session; creating one per test would triple
    the run time, and tests that name their things uniquely can share it."""
    with temporary_database(postgres_server) as url:
        open_store(url).close()
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[str]:
    """The name of a migrated database nothing connects to, copied for isolated tests
    (PostgreSQL copies a template only while it has no connections)."""
    with temporary_database(postgres_server) as url:
        open_store(url).close()
        yield database_name(url)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("migrated_postgres_url"))


@pytest.fixture(params=BACKENDS)
def isolated_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    with temporary_database(server, template=template) as url:
        yield url


@pytest.fixture
def store_harness(store_url: str) -> StoreHarness:
    return SqlStoreHarness(store_url)


@pytest.fixture
def isolated_store_harness(isolated_store_url: str) -> StoreHarness:
    return SqlStoreHarness(isolated_store_url)


@pytest.fixture
def service_context(store_url: str, tmp_path: Path) -> Iterator[ServiceContext]:
    stores = open_store(store_url)
    try:
        yield ServiceContext(
            actor="tester",
            stores=stores,
            blobs=open_blob_store(str(tmp_path / "blobs")),
            outbound=OutboundAccess.unrestricted(),
        )
    finally:
        stores.close()
