"""Services run on a real SQLite store and a local blob store in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward.domain.entities import Run
from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.services.tracking import experiments, runs
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    stores = open_store(str(tmp_path / "store"))
    try:
        yield ServiceContext(
            actor="tester",
            stores=stores,
            blobs=open_blob_store(str(tmp_path / "blobs")),
            outbound=OutboundAccess.unrestricted(),
        )
    finally:
        stores.close()


@pytest.fixture
def experiment_id(ctx: ServiceContext) -> str:
    return experiments.create_experiment(ctx, "services").experiment_id


@pytest.fixture
def run(ctx: ServiceContext, experiment_id: str) -> Run:
    return runs.create_run(ctx, experiment_id, run_name="under-test")
