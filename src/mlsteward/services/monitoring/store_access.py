"""The monitoring store behind a service context, or a clear error when a backend has none."""

from __future__ import annotations

from mlsteward.domain.errors import MlstewardError
from mlsteward.services.context import ServiceContext
from mlsteward.storage.monitoring_base import MonitoringStore


def monitoring_store(ctx: ServiceContext) -> MonitoringStore:
    store = ctx.store
    if not isinstance(store, MonitoringStore):
        raise MlstewardError(f"The store {type(store).__name__} at {store.uri!r} has no monitoring")
    return store
