"""The registry store behind a service context, or a clear error when a backend has none."""

from __future__ import annotations

from mlsteward.domain.errors import MlstewardError
from mlsteward.services.context import ServiceContext
from mlsteward.storage.registry_base import RegistryStore


def registry_store(ctx: ServiceContext) -> RegistryStore:
    store = ctx.store
    if not isinstance(store, RegistryStore):
        raise MlstewardError(
            f"The store {type(store).__name__} at {store.uri!r} has no model registry"
        )
    return store
