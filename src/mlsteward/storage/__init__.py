"""Persistence: one store interface per domain, their SQL implementations bundled per database,
and the artifact blob store."""

from mlsteward.storage.base import Store, StoreCapabilities
from mlsteward.storage.bundle import Stores
from mlsteward.storage.resolver import open_store

__all__ = ["Store", "StoreCapabilities", "Stores", "open_store"]
