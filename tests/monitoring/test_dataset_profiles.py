"""Reference profiles tied to a dataset version, or built from one (service and local SDK)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import mlsteward
import mlsteward.data
import mlsteward.monitoring as mon
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.versions import register_table, set_alias
from mlsteward.services.monitoring import (
    create_monitor,
    get_profile_record,
    load_profile,
    profile_dataset,
    profile_from,
    save_profile,
)

from .conftest import frames


@pytest.fixture
def customers(ctx: ServiceContext) -> str:
    """Two versions of dataset ``customers``; version 1 is also alias ``train``."""
    register_table(ctx, "customers", pa.Table.from_pandas(frames(n=600, seed=3)))
    register_table(ctx, "customers", pa.Table.from_pandas(frames(n=500, seed=4)))
    set_alias(ctx, "customers@1", "train")
    return "customers"


def test_a_profile_is_tied_to_an_existing_dataset_version(
    ctx: ServiceContext, customers: str
) -> None:
    record = save_profile(ctx, profile_from(frames()), dataset_name=customers, dataset_version=2)
    assert record.name == "dataset-customers-v2"
    assert get_profile_record(ctx, record.name) == record
    assert (record.dataset_name, record.dataset_version) == ("customers", 2)
    with pytest.raises(NotFoundError):
        save_profile(ctx, profile_from(frames()), dataset_name=customers, dataset_version=9)
    with pytest.raises(NotFoundError):
        save_profile(ctx, profile_from(frames()), dataset_name="nobody", dataset_version=1)
    with pytest.raises(InvalidArgumentError, match="go together"):
        save_profile(ctx, profile_from(frames()), "p", dataset_name=customers)
    with pytest.raises(InvalidArgumentError, match="version number"):
        save_profile(
            ctx,
            profile_from(frames()),
            "p",
            dataset_name=customers,
            dataset_version="2",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("ref", "version"),
    [("dataset:customers@1", 1), ("customers@train", 1), ("dataset:customers", 2)],
)
def test_a_profile_is_built_from_a_dataset_version(
    ctx: ServiceContext, customers: str, ref: str, version: int
) -> None:
    record = profile_dataset(ctx, ref, chunk_size=100)
    assert record.name == f"dataset-customers-v{version}"  # an alias is pinned to its number
    assert (record.dataset_name, record.dataset_version) == ("customers", version)
    assert record.n_rows == (600 if version == 1 else 500)
    profile = load_profile(ctx, record.name)
    assert len(profile.chunks) == record.n_rows // 100
    # Kept chunks are what a monitor with learned thresholds needs.
    monitor = create_monitor(
        ctx,
        f"m{version}",
        "dataset:customers@2",
        record.name,
        chunking={"size": 100},
        learn_thresholds=True,
    )
    assert monitor.learn_thresholds


def test_profiling_a_missing_dataset_is_not_found(ctx: ServiceContext, customers: str) -> None:
    with pytest.raises(NotFoundError):
        profile_dataset(ctx, "dataset:customers@7")
    with pytest.raises(InvalidArgumentError):
        profile_dataset(ctx, "dataset:")


@pytest.fixture
def local_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path / 'sdk.db'}"
    mlsteward.set_tracking_uri(uri)
    yield uri
    close_backends()


def test_sdk_builds_profiles_from_and_for_dataset_versions(local_uri: str) -> None:
    mlsteward.data.ingest("customers", frames(n=400, seed=5))
    built = mon.build_reference_profile("dataset:customers@1", chunk_size=100)
    assert built.n_rows == 400 and len(built.chunks) == 4
    stored = {p.name: p for p in mon.list_reference_profiles()}
    assert stored["dataset-customers-v1"].dataset_version == 1
    mon.build_reference_profile(frames(), dataset="customers", dataset_version=1)
    assert mon.get_reference_profile("dataset-customers-v1").n_rows == len(frames())
    with pytest.raises(NotFoundError):
        mon.build_reference_profile(frames(), dataset="customers", dataset_version=2)
    with pytest.raises(InvalidArgumentError, match="dataset:NAME@VERSION"):
        mon.build_reference_profile("customers.csv")
    with pytest.raises(InvalidArgumentError, match="tied to that dataset"):
        mon.build_reference_profile("dataset:customers@1", dataset="other", dataset_version=1)
