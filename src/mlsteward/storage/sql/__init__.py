"""SQL implementation of every domain's store (SQLite embedded default, PostgreSQL for teams),
all sharing one :class:`SqlDatabase` per database."""

from mlsteward.storage.sql.blob_references_store import SqlBlobReferences
from mlsteward.storage.sql.database import SqlDatabase
from mlsteward.storage.sql.dataset_store import SqlDatasetStore
from mlsteward.storage.sql.monitoring_store import SqlMonitoringStore
from mlsteward.storage.sql.registry_store import SqlRegistryStore
from mlsteward.storage.sql.tracking_store import SqlTrackingStore

__all__ = [
    "SqlBlobReferences",
    "SqlDatabase",
    "SqlDatasetStore",
    "SqlMonitoringStore",
    "SqlRegistryStore",
    "SqlTrackingStore",
]
