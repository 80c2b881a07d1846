"""A damaged SQLite file is one clear error naming the file and what to do, at every door.

Each test damages a real store the way disks and careless copies do: garbage over the
header, a file cut short, pages overwritten in the middle, and damage done while a process
has the store open. Opening checks only the header and the schema (cheap at any size), so
damage deeper in the file is reported by the first read that meets it, confirmed by the full
check, and by ``mlsteward db check``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, event, exc, text

from mlsteward import Client, Param
from mlsteward.domain.entities import LifecycleStage
from mlsteward.domain.errors import CorruptStoreError, InsufficientStorageError
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.storage import open_store
from mlsteward.storage.base import Store
from mlsteward.storage.sql import failures
from mlsteward.storage.sql.failures import translate_database_error
from mlsteward.testing.server_process import ServerProcess

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


def _all_but_the_header_page(database: Path) -> None:
    size = database.stat().st_size
    with open(database, "r+b") as handle:
        handle.seek(PAGE)
        handle.write(os.urandom(size - PAGE))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage-header": _garbage_header,
    "cut-short": _cut_short,
    "middle-pages": _middle_pages,
}
#: Damage the cheap check at open catches; the rest is found by the read that meets it.
FOUND_AT_OPEN = ("garbage-header", "cut-short")
#: What the full check, run once damage is reported, adds to the message.
CONFIRMED = "the full integrity check"


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
    assert CONFIRMED in refused.value.message
    if damage in FOUND_AT_OPEN:
        with pytest.raises(CorruptStoreError):
            open_store(f"sqlite:///{database}", upgrade=False)


def _patch(offset: int, data: bytes) -> Callable[[Path], None]:
    def damage(database: Path) -> None:
        with open(database, "r+b") as handle:
            handle.seek(offset)
            handle.write(data)

    return damage


def _first_bytes_only(database: Path) -> None:
    with open(database, "r+b") as handle:
        handle.truncate(50)


HEADER_DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "page-size-not-a-power-of-two": (_patch(16, b"\x0f\xff"), "impossible page size"),
    "page-size-too-small": (_patch(16, b"\x00\x02"), "impossible page size"),
    "fixed-fields": (_patch(21, b"\xff\xff\xff"), "fixed fields"),
    "magic": (_patch(0, b"SQLite format 4"), "file is not a database"),
    "shorter-than-a-header": (_first_bytes_only, "50 bytes long"),
}


@pytest.mark.parametrize("damage", HEADER_DAMAGE)
def test_a_forged_header_is_refused_at_open(tmp_path: Path, damage: str) -> None:
    """The cheap check reads the header's magic, page size and fixed fields itself."""
    database, _ = _build_store(tmp_path / "store", runs=2)
    forge, said = HEADER_DAMAGE[damage]
    forge(database)
    with pytest.raises(CorruptStoreError) as refused:
        open_store(str(database), upgrade=False)
    _assert_clear(refused.value.message, database)
    assert said in refused.value.message and CONFIRMED in refused.value.message
    assert "\n" not in refused.value.message


def _search_all(store: Store, experiment: str) -> int:
    runs, _ = store.search_runs([experiment], None, [], [LifecycleStage.ACTIVE], 500, 0)
    return len(runs)


def test_opening_does_not_read_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deep damage passes the open (which reads the header and the schema, not every page);
    the first read that meets it is refused, and the full check runs once per store, however
    many requests meet the damage."""
    database, experiment = _build_store(tmp_path / "store")
    full_checks: list[str] = []
    real_check = failures.integrity_findings

    def counted(path: str, progress: Callable[[], None] | None = None) -> list[str]:
        full_checks.append(path)
        return real_check(path, progress)

    monkeypatch.setattr(failures, "integrity_findings", counted)
    open_store(str(database), upgrade=False).close()
    assert full_checks == []  # a healthy store is never read whole on open
    _middle_pages(database)
    stores = open_store(str(database), upgrade=False)  # deep damage: the open is still cheap
    try:
        assert full_checks == []
        for _ in range(3):
            with pytest.raises(CorruptStoreError) as refused:
                _search_all(stores.tracking, experiment)
            _assert_clear(refused.value.message, database)
            assert CONFIRMED in refused.value.message
    finally:
        stores.close()
    assert full_checks == [str(database)]


def test_damage_after_opening_is_reported_on_the_next_read(tmp_path: Path) -> None:
    """The store passed its check at open; pages destroyed later fail the next read clearly.

    The store is several times larger than SQLite's page cache, so the pages the read needs
    come from the damaged file rather than from memory.
    """
    database, experiment = _build_store(tmp_path / "store", runs=120)
    client = Client(str(database))
    assert len(client.search_runs([experiment], max_results=500)) == 120  # open and healthy
    _all_but_the_header_page(database)
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
    database, _ = _build_store(tmp_path / "store")  # its middle pages hold the runs' params
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


# -- mlsteward db check -----------------------------------------------------------------------


def test_db_check_reads_the_whole_file(tmp_path: Path) -> None:
    """The full check on request: exit 0 for a sound file, 1 with what it found for damage
    that opening a store does not see."""
    database, _ = _build_store(tmp_path / "store")
    sound = _mlsteward("db", "check", "--store-uri", str(database))
    assert sound.returncode == 0, sound.stderr
    assert "no damage found" in sound.stdout and str(database) in sound.stdout

    _middle_pages(database)
    damaged = _mlsteward("db", "check", "--store-uri", str(tmp_path / "store"))  # the folder
    assert damaged.returncode == 1
    assert "Traceback" not in damaged.stderr
    lines = damaged.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: The database file")
    _assert_clear(lines[0], database)


@pytest.mark.parametrize("damage", FOUND_AT_OPEN)
def test_db_check_reports_a_file_it_cannot_read(tmp_path: Path, damage: str) -> None:
    database, _ = _build_store(tmp_path / "store", runs=2)
    DAMAGE[damage](database)
    damaged = _mlsteward("db", "check", "-s", str(database))
    assert damaged.returncode == 1
    assert "Traceback" not in damaged.stderr
    _assert_clear(damaged.stderr, database)


def test_db_check_refuses_what_it_cannot_check(tmp_path: Path) -> None:
    missing = _mlsteward("db", "check", "-s", str(tmp_path / "nothing-here.db"))
    assert missing.returncode == 1 and "There is no database file" in missing.stderr
    assert not (tmp_path / "nothing-here.db").exists()  # not created by looking
    postgres = _mlsteward("db", "check", "-s", "postgresql://user:secret@db.invalid/x")
    assert postgres.returncode == 1 and "pg_amcheck" in postgres.stderr
    assert "secret" not in postgres.stderr and "Traceback" not in postgres.stderr


# -- over HTTP: the client learns what happened, the operator's log says where ---------------


@pytest.mark.server
def test_a_server_tells_clients_to_ask_the_operator(tmp_path: Path) -> None:
    """Damage met while serving: the client gets STORE_CORRUPTED without the server's file
    path; the server's log names the file and how to recover it."""
    database, experiment = _build_store(tmp_path / "store", runs=120)
    with ServerProcess(database, tmp_path / "artifacts") as server:
        client = Client(server.url)
        assert len(client.search_runs([experiment], max_results=500)) == 120
        _all_but_the_header_page(database)
        with pytest.raises(CorruptStoreError) as refused:
            client.search_runs([experiment], max_results=500)
        response = httpx.post(
            f"{server.url}/api/v1/runs/search",
            json={"experiment_ids": [experiment], "max_results": 500},
        )
        log = server.log_path.read_text()
    message = refused.value.message
    assert str(database) not in message and str(tmp_path) not in message
    assert "damaged" in message and "operator" in message
    assert response.status_code == 500
    body = response.json()["error"]
    assert body["code"] == "STORE_CORRUPTED" and str(tmp_path) not in body["message"]
    _assert_clear(log, database)  # the operator sees everything
