"""One place that turns a tracking URI into its stores, through the backend its scheme names.

Backends register an opener per URL scheme in the ``mlsteward.stores`` entry-point group
(SQLite and PostgreSQL are mlsteward's own, in ``storage.sql.opener``), so a third backend
plugs in without editing this module. An opener returns the bundle of every domain's store
(:class:`~mlsteward.storage.bundle.Stores`). Turning a URI into a URL touches nothing on disk.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.storage.bundle import Stores

DB_FILENAME = "mlsteward.db"
_SQLITE_PREFIX = "sqlite:///"
_SQL_SCHEMES = ("sqlite", "file", "postgresql", "postgres", "postgresql+psycopg")


def sqlite_url_for_path(path: str | os.PathLike[str]) -> str:
    """``sqlite:///abs/path``; a directory (or a path with no suffix) gets ``mlsteward.db``
    inside it."""
    target = Path(path).expanduser().resolve()
    if target.is_dir() or target.suffix == "":
        target = target / DB_FILENAME
    return f"{_SQLITE_PREFIX}{target}"


def normalize_store_uri(uri: str) -> str:
    """Accept a path, a directory, ``sqlite:``, ``postgresql:`` or ``postgres:`` URL."""
    if uri.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return uri
    if uri.startswith(_SQLITE_PREFIX):
        return uri
    if uri.startswith("file://"):
        return sqlite_url_for_path(uri.removeprefix("file://"))
    if "://" in uri:
        raise InvalidArgumentError(
            f"Unsupported store URI {uri!r}: use a path, sqlite:///path or postgresql://..."
        )
    return sqlite_url_for_path(uri)


#: The entry-point group store backends register under, one name per URL scheme; a
#: third-party package adds a backend by declaring its opener there.
STORE_BACKENDS_GROUP = "mlsteward.stores"
_SQL_OPENER = "mlsteward.storage.sql.opener:open_sql_store"
#: The schemes mlsteward itself serves (also declared as entry points in its metadata, and
#: kept here so a source checkout without installed metadata still opens its stores).
_BUILT_IN = {scheme: _SQL_OPENER for scheme in _SQL_SCHEMES}


class StoreOpener(Protocol):
    """What a backend's entry point names: open the stores of the database behind ``uri``."""

    def __call__(self, uri: str, *, upgrade: bool, create: bool) -> Stores: ...


def _scheme(uri: str) -> str:
    """The URL scheme a store URI names (a plain path is a SQLite file)."""
    return uri.split("://", 1)[0].lower() if "://" in uri else "sqlite"


def store_opener(uri: str) -> StoreOpener:
    """The opener registered for ``uri``'s scheme in :data:`STORE_BACKENDS_GROUP`."""
    scheme = _scheme(uri)
    targets = dict(_BUILT_IN)
    targets.update({ep.name: ep.value for ep in entry_points(group=STORE_BACKENDS_GROUP)})
    target = targets.get(scheme)
    if target is None:
        raise InvalidArgumentError(
            f"Unsupported store URI {uri!r}: use a path, sqlite:///path or postgresql://... "
            f"(or install the package that provides {scheme}:// stores)"
        )
    module, _, name = target.partition(":")
    opener: StoreOpener = getattr(importlib.import_module(module), name)
    return opener


def open_store(uri: str, *, upgrade: bool = True, create: bool = False) -> Stores:
    """Open the stores behind ``uri`` with the backend registered for its scheme: migrated to
    the current schema by default. The caller closes the bundle.

    With ``upgrade=False`` a database not at the current schema is refused, except, with
    ``create``, a brand-new one (no tables at all), which gets the schema: nothing in it
    could be changed by surprise. A refused open leaves no new file or folder behind.
    """
    return store_opener(uri)(uri, upgrade=upgrade, create=create)
