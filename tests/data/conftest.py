"""Data tests run their store-facing parts against SQLite and PostgreSQL (``store_url`` and
``store_harness`` come from ``mlsteward.testing.backends``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.storage.bundle import Stores


@pytest.fixture
def stores(store_url: str) -> Iterator[Stores]:
    """The stores over the shared harness's database (SQLite or PostgreSQL)."""
    opened = open_store(store_url)
    yield opened
    opened.close()


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
