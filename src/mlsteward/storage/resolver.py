"""One place that turns a tracking URI into a store: paths, sqlite:// and postgresql:// URLs."""

from __future__ import annotations

import os
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.storage.base import Store

DB_FILENAME = "mlsteward.db"


def sqlite_url_for_path(path: str | os.PathLike[str]) -> str:
    """``sqlite:///abs/path``; a directory gets ``mlsteward.db`` inside it."""
    target = Path(path).expanduser().resolve()
    if target.is_dir() or target.suffix == "":
        target = target / DB_FILENAME
    target.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{target}"


def normalize_store_uri(uri: str) -> str:
    """Accept a path, a directory, ``sqlite:``, ``postgresql:`` or ``postgres:`` URL."""
    if uri.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return uri
    if uri.startswith("file://"):
        return sqlite_url_for_path(uri.removeprefix("file://"))
    if "://" in uri:
        raise InvalidArgumentError(
            f"Unsupported store URI {uri!r}: use a path, sqlite:///path or postgresql://..."
        )
    return sqlite_url_for_path(uri)


def open_store(uri: str, *, upgrade: bool = True) -> Store:
    """Open (and by default migrate) the store behind ``uri``."""
    from mlsteward.storage.sql.store import SqlStore

    return SqlStore(normalize_store_uri(uri), upgrade=upgrade)
