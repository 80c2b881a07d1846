"""An operator's tasks on a store's database, named without its backend's internals: bring the
schema to the current release, and read a SQLite file whole for damage.

Services reach a database through these and :func:`~mlsteward.storage.resolver.open_store`,
never through the SQL package itself.
"""

from __future__ import annotations

from collections.abc import Callable

from mlsteward.domain.errors import CorruptStoreError
from mlsteward.storage.resolver import normalize_store_uri, open_store
from mlsteward.storage.sql.failures import (
    check_sqlite_file,
    corrupt_sqlite_error,
    describe_findings,
    sqlite_file,
)
from mlsteward.storage.sql.schema import head_revision


def upgrade_database(store_uri: str) -> str:
    """Migrate the database behind ``store_uri`` to the head schema; returns that revision.

    Opening with ``upgrade=True`` runs the pending migrations in one locked transaction and
    refuses a database written by a newer release (``SchemaVersionError``), changing nothing.
    """
    open_store(store_uri, upgrade=True).close()
    return head_revision()


def database_file(store_uri: str) -> str | None:
    """The SQLite file behind a store URI; ``None`` for a database on a server."""
    return sqlite_file(normalize_store_uri(store_uri))


def check_database_file(path: str, progress: Callable[[], None] | None = None) -> list[str]:
    """The header check and SQLite's full check of the file: ``["ok"]`` or what is wrong."""
    return check_sqlite_file(path, progress)


def damaged_file_error(path: str, findings: list[str]) -> CorruptStoreError:
    """The error for a damaged file: what the check found, and how to recover."""
    return corrupt_sqlite_error(path, describe_findings(findings))
