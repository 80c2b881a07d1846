"""SQL implementation of the Store (SQLite embedded default, PostgreSQL for teams)."""

from mlsteward.storage.sql.store import SqlStore

__all__ = ["SqlStore"]
