"""Administration of a store: bring its schema to the current release."""

from __future__ import annotations

from mlsteward.storage.maintenance import upgrade_database


def upgrade_store(store_uri: str) -> str:
    """Migrate the database behind ``store_uri`` to the head schema; returns that revision.

    Opening with ``upgrade=True`` runs the pending migrations in one locked transaction and
    refuses a database written by a newer release (``SchemaVersionError``), changing nothing.
    """
    return upgrade_database(store_uri)
