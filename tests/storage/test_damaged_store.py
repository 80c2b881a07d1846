"""A damaged SQLite file is one clear error naming the file and what to do, at every door.

Each test damages a real store the way disks and careless copies do: garbage over the
header, a file cut short, pages overwritten in the middle, and damage done while a process
has the store open.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, exc, text

from mlsteward import Client, Param
from mlsteward.domain.errors import CorruptStoreError, InsufficientStorageError
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.storage import open_store
from mlsteward.storage.sql.failures import translate_database_error

PAGE = 4096


def _build_store(folder: Path, runs: int = 20) -> tuple[Path, str]:
    """A real store with some runs in it, closed again; returns (database file, experiment)."""
    client = Client(str(folder))
    experiment = client.create_experiment("damaged")
    for i in range(runs):
        run_id = client.create_run(experiment, run_name=f"run-{i}").info.run_id
        client.log_batch(run_id, params=[Param(f"p{j}", os.urandom(1500).hex()) for j in range(8)])
    close_backends()  # the store is closed, as after a process exits
    database = folder / "mlsteward.db"
    assert database.stat().st_size > 16 * PAGE
    return database, experiment


def _garbage_header(database: Path) -> None:
    with open(database, "r+b") as handle:
        handle.write(b"this is not a database " * 40)


def _cut_short(database: Path) -> None:
    with open(database, "r+b") as handle:
        handle.truncate(database.stat().st_size // 2)


def _middle_pages(database: Path) -> None:
    size = database.stat().st_size
    with open(database, "r+b") as handle:
        handle.seek((size // 2) // PAGE * PAGE)
        handle.write(os.urandom(4 * PAGE))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage-header": _garbage_header,
    "cut-short": _cut_short,
    "middle-pages": _middle_pages,
}


def _assert_clear(message: str, database: Path) -> None:
    assert str(database) in message
    assert "damaged" in message and "backup" in message and ".recover" in message
    assert "Do not delete" in message
    assert "sqlalchemy" not in message.lower() and "Traceback" not in message


@pytest.mark.parametrize("damage", DAMAGE)
def test_the_sdk_refuses_a_damaged_file_with_a_clear_error(tmp_path: Path, damage: str) -> None:
    database, _ = _build_store(tmp_path / "store")
    DAMAGE[damage](database)
    with pytest.raises(CorruptStoreError) as refused:
        Client(str(database)).search_runs([])
    _assert_clear(refused.value.message, database)
    assert refused.value.code == "STORE_CORRUPTED"
    with pytest.raises(CorruptStoreError):
        open_store(f"sqlite:///{database}", upgrade=False)


def test_damage_after_opening_is_reported_on_the_next_read(tmp_path: Path) -> None:
    """The store passed its check at open; pages destroyed later fail the next read clearly.

    The store is several times larger than SQLite's page cache, so the pages the read needs
    come from the damaged file rather than from memory.
    """
    database, experiment = _build_store(tmp_path / "store", runs=120)
    client = Client(str(database))
    assert len(client.search_runs([experiment], max_results=500)) == 120  # open and healthy
    size = database.stat().st_size
    with open(database, "r+b") as handle:  # everything but the header page
        handle.seek(PAGE)
        handle.write(os.urandom(size - PAGE))
    with pytest.raises(CorruptStoreError) as refused:
        client.search_runs([experiment], max_results=500)
    _assert_clear(refused.value.message, database)
    with pytest.raises(CorruptStoreError):
        client.create_run(experiment)


def _mlsteward(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlsteward", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
    )


def test_runs_list_prints_one_line_and_fails(tmp_path: Path) -> None:
    database, _ = _build_store(tmp_path / "store", runs=2)
    _middle_pages(database)
    finished = _mlsteward("runs", "list", "--tracking-uri", str(database))
    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr and "sqlalchemy" not in finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: The database file")
    _assert_clear(lines[0], database)


@pytest.mark.server
def test_a_server_refuses_to_start_on_a_damaged_file(tmp_path: Path) -> None:
    database, _ = _build_store(tmp_path / "store", runs=2)
    _garbage_header(database)
    module = [
        sys.executable,
        "-m",
        "mlsteward.interfaces.rest.server",
        "--port",
        "1",  # never bound: the store is checked first
        "--store-uri",
        str(database),
        "--artifacts-uri",
        str(tmp_path / "artifacts"),
    ]
    finished = subprocess.run(module, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2
    assert "Traceback" not in finished.stderr
    _assert_clear(finished.stderr, database)
    cli = _mlsteward("server", "--port", "1", "--store-uri", str(database))
    assert cli.returncode == 1
    assert "Traceback" not in cli.stderr
    _assert_clear(cli.stderr, database)


def test_a_full_database_disk_is_insufficient_storage(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (reached here through max_page_count, which
    SQLite reports exactly as it reports a full disk) becomes InsufficientStorageError."""
    database = tmp_path / "full.db"
    url = f"sqlite:///{database}"
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _tiny(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 8")  # type: ignore[attr-defined]

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
    with pytest.raises(exc.OperationalError) as raised, engine.begin() as conn:
        for _ in range(100):
            conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "y" * 2000})
    engine.dispose()
    error = translate_database_error(raised.value, url)
    assert isinstance(error, InsufficientStorageError)
    assert str(database) in error.message and "nothing was half-written" in error.message
    assert error.http_status == 507
