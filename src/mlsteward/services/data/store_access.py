"""The dataset store behind a service context, or a clear error when a backend has none."""

from __future__ import annotations

from mlsteward.domain.errors import MlstewardError
from mlsteward.services.context import ServiceContext
from mlsteward.storage.datasets_base import DatasetStore


def dataset_store(ctx: ServiceContext) -> DatasetStore:
    store = ctx.store
    if not isinstance(store, DatasetStore):
        raise MlstewardError(f"The store {type(store).__name__} at {store.uri!r} has no datasets")
    return store
