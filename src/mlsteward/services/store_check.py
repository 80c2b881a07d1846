"""``mlsteward db check``: read a whole SQLite store and say whether it is damaged.

Opening a store checks only its header and schema (cheap at any size); this is the full
check, SQLite's ``PRAGMA quick_check``, for an operator to run on purpose: before starting a
server on a store that lived through a crash, or after the store reported damage.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from mlsteward.domain.errors import CorruptStoreError, InvalidArgumentError
from mlsteward.storage.maintenance import (
    check_database_file,
    damaged_file_error,
    database_file,
)


@dataclass(frozen=True)
class StoreCheck:
    """What the check read and found: ``findings`` is ``["ok"]`` for a sound file."""

    path: str
    size: int
    findings: list[str]

    @property
    def ok(self) -> bool:
        return self.findings == ["ok"]

    def damage(self) -> CorruptStoreError:
        """The error for a damaged file: what the check found, and how to recover."""
        return damaged_file_error(self.path, self.findings)


def store_file(store_uri: str) -> str:
    """The SQLite file behind a store URI; PostgreSQL stores have none to check here."""
    path = database_file(store_uri)
    if path is None:
        raise InvalidArgumentError(
            "`mlsteward db check` reads a SQLite store's file; for a PostgreSQL store, "
            "check the database on its server (pg_amcheck, from the amcheck extension)."
        )
    return path


def check_store(store_uri: str, progress: Callable[[], None] | None = None) -> StoreCheck:
    """Run the full integrity check on the SQLite file behind ``store_uri``."""
    path = store_file(store_uri)
    findings = check_database_file(path, progress)
    return StoreCheck(path, os.path.getsize(path), findings)
