"""What every domain's SQL store is built on: the database it shares with the others."""

from __future__ import annotations

from mlsteward.storage.sql.database import SqlDatabase


class SqlStoreBase:
    """Reads and writes through a shared :class:`SqlDatabase` (so one unit of work spans the
    stores of every domain), and declares the database's capabilities."""

    def __init__(self, database: SqlDatabase) -> None:
        self.database = database
        self.uri = database.uri
        self.capabilities = database.capabilities
        # The database's own scopes, bound once: a store's call costs nothing more than it
        # did when one class held every domain.
        self._write = database.write
        self._read = database.read

    def close(self) -> None:
        """Nothing to release: the database is shared, and closed by whoever opened it (the
        bundle of stores)."""
