"""Every storage test runs against SQLite and PostgreSQL, each on an empty store of its own
(the shared ``isolated_store_harness`` of ``mlsteward.testing.backends``)."""

from __future__ import annotations

import pytest

from mlsteward.testing.store_conformance import StoreHarness


@pytest.fixture
def store_harness(isolated_store_harness: StoreHarness) -> StoreHarness:
    return isolated_store_harness
