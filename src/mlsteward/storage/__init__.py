"""Persistence: the Store interface, its SQL implementations, and the artifact blob store."""

from mlsteward.storage.base import Store, StoreCapabilities
from mlsteward.storage.resolver import open_store

__all__ = ["Store", "StoreCapabilities", "open_store"]
