"""Opening a SQLite store twice in one process must not drop the first one's file locks.

Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
included. If opening a second store read the file's header with Python's ``open``, the first
store's connections would lose their shared lock; another process closing its connection
would then believe it was the last one, checkpoint and reset the write-ahead log, and what
this process committed afterwards would never be seen by any other process.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from mlsteward.storage.bundle import Stores
from mlsteward.storage.resolver import open_store

_OTHER_PROCESS = """
import sys, uuid
from mlsteward.storage.resolver import open_store
stores = open_store(sys.argv[1])
if sys.argv[2] == "create":
    stores.tracking.create_experiment(uuid.uuid4().hex, sys.argv[3], "", {}, 0)
else:
    print(",".join(sorted(e.name for e in stores.tracking.list_experiments())))
stores.close()
"""


def _other_process(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, url, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def _create(stores: Stores, name: str) -> None:
    stores.tracking.create_experiment(uuid.uuid4().hex, name, "", {}, 0)


def test_a_second_open_in_one_process_keeps_the_first_ones_writes_visible(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = open_store(url)
    try:
        _create(first, "before")
        second = open_store(url)  # the same file again, as a server's scheduler does
        try:
            _other_process(url, "create", "elsewhere")
            _create(first, "after")
            seen = _other_process(url, "list").split(",")
        finally:
            second.close()
    finally:
        first.close()
    assert {"before", "elsewhere", "after"} <= set(seen)
