"""Opening a SQLite or PostgreSQL database as the bundle of its stores, one per domain: the
SQL backend's entry in the store resolver.

Opening makes the folders a SQLite file needs; when the open is refused (a damaged file, a
schema to upgrade first, a full disk), the empty file and the folders this open made are
removed again, so a failed start leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.storage.bundle import Stores
from mlsteward.storage.resolver import normalize_store_uri
from mlsteward.storage.sql.audit_store import SqlAuditStore
from mlsteward.storage.sql.batch_job_store import SqlBatchJobStore
from mlsteward.storage.sql.blob_references_store import SqlBlobReferences
from mlsteward.storage.sql.database import SqlDatabase
from mlsteward.storage.sql.dataset_store import SqlDatasetStore
from mlsteward.storage.sql.deployment_store import SqlDeploymentStore
from mlsteward.storage.sql.identity_store import SqlIdentityStore
from mlsteward.storage.sql.monitoring_store import SqlMonitoringStore
from mlsteward.storage.sql.registry_store import SqlRegistryStore
from mlsteward.storage.sql.schema import database_is_blank
from mlsteward.storage.sql.tracking_store import SqlTrackingStore

_SQLITE_PREFIX = "sqlite:///"
#: Files SQLite keeps beside a database while it is open.
_SIDECARS = ("-wal", "-shm", "-journal")


def open_sql_store(uri: str, *, upgrade: bool = True, create: bool = False) -> Stores:
    """Open the stores of the database behind ``uri``: migrated to the current schema by
    default.

    With ``upgrade=False`` a database not at the current schema is refused, except, with
    ``create``, a brand-new one (no tables at all), which gets the schema: nothing in it
    could be changed by surprise. A refused open leaves no new file or folder behind.
    """
    url = normalize_store_uri(uri)
    path = _sqlite_path(url)
    made = _make_folders(path.parent) if path is not None else []
    existed = path is not None and path.exists()
    try:
        if create and not upgrade and database_is_blank(url):
            upgrade = True
        return sql_stores(SqlDatabase(url, upgrade=upgrade))
    except BaseException:
        if path is not None and not existed:
            _remove_if_empty_database(path)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only while still empty
        raise


def sql_stores(database: SqlDatabase) -> Stores:
    """Every domain's SQL store over ``database``, bundled (closing the bundle closes it)."""
    return Stores(
        uri=database.uri,
        tracking=SqlTrackingStore(database),
        registry=SqlRegistryStore(database),
        datasets=SqlDatasetStore(database),
        monitoring=SqlMonitoringStore(database),
        blob_references=SqlBlobReferences(database),
        identity=SqlIdentityStore(database),
        audit=SqlAuditStore(database),
        deployments=SqlDeploymentStore(database),
        batch_jobs=SqlBatchJobStore(database),
        database=database,
    )


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith(_SQLITE_PREFIX):
        return None
    database = url.removeprefix(_SQLITE_PREFIX).split("?", 1)[0]
    if database in ("", ":memory:"):
        return None
    return Path(database)


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; returns those it created, outermost first."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    missing.reverse()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        for made in reversed(missing):
            with contextlib.suppress(OSError):
                made.rmdir()
        in_the_way = current.exists() and not current.is_dir()
        reason = f"{current} is a file, not a folder" if in_the_way else error.strerror
        raise InvalidArgumentError(
            f"Cannot put the SQLite store in {folder}: {reason or error}"
        ) from None
    return missing


def _remove_if_empty_database(path: Path) -> None:
    """Delete a SQLite file this open created, with its sidecar files, if it holds no table
    (a refused open rolled back whatever it had begun; another opener may have filled it)."""
    if not path.exists():
        return
    try:
        if path.stat().st_size:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                (tables,) = db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if tables:
                return
    except (sqlite3.Error, OSError):
        return
    for name in (path.name, *(path.name + suffix for suffix in _SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            (path.parent / name).unlink()
