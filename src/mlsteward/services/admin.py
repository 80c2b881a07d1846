"""Administration of a store: bring its schema to the current release."""

from __future__ import annotations

from mlsteward.storage import open_store
from mlsteward.storage.sql.schema import head_revision


def upgrade_store(store_uri: str) -> str:
    """Migrate the database behind ``store_uri`` to the head schema; returns that revision.

    Opening with ``upgrade=True`` runs the pending migrations in one locked transaction and
    refuses a database written by a newer release (``SchemaVersionError``), changing nothing.
    """
    store = open_store(store_uri, upgrade=True)
    try:
        return head_revision()
    finally:
        store.close()
