"""Which stores write to an artifact root, recorded in the root itself.

Two stores can point at one artifact root (every PostgreSQL store and the home SQLite store
default to ``~/.mlsteward/artifacts``); a blob only the other store references then looks
like an orphan to ``mlsteward gc``. So before a store's first upload to a root in a process,
the root gets a record of that store (:func:`mlsteward.storage.store_key.store_key`), and gc
refuses a root that lists a store it was not given.

Each store is one small JSON object, ``stores/<sha256 of the name>.json``, written whole (a
rename locally, one PUT on an object store): stores recording themselves at the same moment
never lose each other's entry, as appending to one shared file could.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from typing import Any

STORES_DIR = "stores"
_SUFFIX = ".json"


class RootWriters:
    """The records of the stores that write to one artifact root."""

    def __init__(self, fs: Any, base: str, *, local: bool) -> None:
        self._fs = fs
        self._folder = f"{base}/{STORES_DIR}"
        self._local = local

    def _path(self, store: str) -> str:
        name = hashlib.sha256(store.encode()).hexdigest()[:40]
        return f"{self._folder}/{name}{_SUFFIX}"

    def record(self, store: str) -> None:
        """Record ``store`` as a writer of this root (nothing happens if it already is)."""
        path = self._path(store)
        data = json.dumps({"store": store, "recorded": int(time.time())}).encode()
        if not self._local:
            self._fs.invalidate_cache(path)
            if not self._fs.exists(path):
                self._fs.pipe_file(path, data)
            return
        if os.path.exists(path):
            return
        os.makedirs(self._folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._folder, prefix=".record-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def listed(self) -> set[str]:
        """Every store the root records. A record that cannot be read counts as a store of
        its own (named by its file), so gc never takes it for none."""
        found: set[str] = set()
        for path in self._record_paths():
            try:
                raw = self._read(path)
                store = json.loads(raw)["store"]
                if not isinstance(store, str):
                    raise TypeError(store)
            except FileNotFoundError:  # forgotten meanwhile
                continue
            except (ValueError, KeyError, TypeError, OSError):
                store = f"(unreadable record {STORES_DIR}/{path.rsplit('/', 1)[-1]})"
            found.add(store)
        return found

    def forget(self, keep: set[str]) -> list[str]:
        """Remove the records of every store not in ``keep``; the stores forgotten."""
        forgotten: list[str] = []
        for path in self._record_paths():
            try:
                store = json.loads(self._read(path)).get("store")
            except (ValueError, AttributeError, OSError):
                store = None
            if store in keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                self._remove(path)
            forgotten.append(store if isinstance(store, str) else path)
        return forgotten

    def _record_paths(self) -> list[str]:
        if self._local:
            if not os.path.isdir(self._folder):
                return []
            with os.scandir(self._folder) as entries:
                return sorted(
                    entry.path
                    for entry in entries
                    if entry.name.endswith(_SUFFIX) and not entry.name.startswith(".")
                )
        self._fs.invalidate_cache(self._folder)
        try:
            listed = self._fs.ls(self._folder, detail=False)
        except FileNotFoundError:
            return []
        return sorted(str(path) for path in listed if str(path).endswith(_SUFFIX))

    def _read(self, path: str) -> bytes:
        if self._local:
            with open(path, "rb") as handle:
                return handle.read()
        return bytes(self._fs.cat_file(path))

    def _remove(self, path: str) -> None:
        if self._local:
            os.unlink(path)
        else:
            self._fs.rm_file(path)
