"""``mlsteward server`` as a newcomer meets it: a brand-new database gets the schema, and a
start that must be refused says why in one line, before any banner, leaving nothing behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward.storage.sql.schema import head_revision
from mlsteward.testing.schema_revisions import current_revision, migrate_to_first_revision
from mlsteward.testing.server_process import cli_server, free_port, running_server

pytestmark = pytest.mark.server

BANNER = "mlsteward server on"
_REFUSE_TIMEOUT_S = 90


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSTEWARD_")}
    env.update(MLSTEWARD_HOME=str(home), NO_COLOR="1", COLUMNS="200")
    return env


def _server(home: Path, *args: str, block: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``mlsteward server ARGS`` to its end (a refused start ends at once). ``block``
    names modules to make unimportable, as if their optional extra were not installed."""
    entry = "from mlsteward.interfaces.cli.main import main; main()"
    if block:
        entry = f"import sys; sys.modules.update(dict.fromkeys({block.split(',')!r})); {entry}"
    command = [sys.executable, "-c", entry, "server", "--no-monitor-scheduler", *args]
    try:
        return subprocess.run(
            command, env=_env(home), capture_output=True, text=True, timeout=_REFUSE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the server started instead of refusing:\n{expired.stderr!r}")


def _assert_refused(finished: subprocess.CompletedProcess[str], *needles: str) -> str:
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert BANNER not in output
    assert "Traceback" not in output
    message = finished.stderr.strip()
    assert message.startswith("Error: "), message
    for needle in needles:
        assert needle in message
    return message


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def new_store(tmp_path: Path) -> Path:
    """Where a store does not exist yet: ``new/dir/x.db``, its folders missing too."""
    return tmp_path / "new" / "dir" / "x.db"


def test_an_older_schema_is_refused_before_the_banner(tmp_path: Path, home: Path) -> None:
    old = tmp_path / "old" / "x.db"
    old.parent.mkdir()
    url = f"sqlite:///{old}"
    first = migrate_to_first_revision(url)
    port = str(free_port())
    message = _assert_refused(_server(home, "--port", port, "--store-uri", url), "db upgrade")
    assert first in message and "--upgrade" in message
    assert current_revision(url) == first
    # Nothing new beside it: no artifacts folder, no -wal or -shm file.
    assert sorted(p.name for p in old.parent.iterdir()) == ["x.db"]


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("bad option", "--source-sql-url"),
        ("unsupported artifacts", "Unsupported artifact URI"),
        ("artifacts under a file", "Not a directory"),
        ("port taken", "Address already in use"),
        ("database unreachable", "Cannot open"),
        ("s3fs missing", 'pip install "mlsteward[s3]"'),
    ],
)
def test_a_refused_start_leaves_no_new_file(
    tmp_path: Path, home: Path, new_store: Path, case: str, needle: str
) -> None:
    (tmp_path / "afile").write_text("a file, not a folder")
    store, port, block = str(new_store), free_port(), ""
    extra: list[str] = []
    if case == "bad option":
        extra = ["--source-sql-url", "not a database url"]
    elif case == "unsupported artifacts":
        extra = ["--artifacts-uri", "ftp://example.invalid/artifacts"]
    elif case == "artifacts under a file":
        extra = ["--artifacts-uri", str(tmp_path / "afile" / "artifacts")]
    elif case == "database unreachable":
        store = f"postgresql://postgres@127.0.0.1:{free_port()}/x?connect_timeout=5"
        extra = ["--artifacts-uri", str(tmp_path / "new" / "artifacts")]
    elif case == "s3fs missing":
        extra, block = ["--artifacts-uri", "s3://bucket/prefix"], "s3fs"
    with socket.socket() as taken:
        if case == "port taken":
            taken.bind(("127.0.0.1", port))
            taken.listen()
        finished = _server(home, "--port", str(port), "--store-uri", store, *extra, block=block)
    message = _assert_refused(finished, needle)
    if case != "database unreachable":  # the driver's own words may take two lines
        assert "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_store_location_under_a_file_is_one_clear_line(tmp_path: Path, home: Path) -> None:
    (tmp_path / "afile").write_text("a file, not a folder")
    store = str(tmp_path / "afile" / "x.db")
    artifacts = str(tmp_path / "new" / "artifacts")
    finished = _server(
        home, "--port", str(free_port()), "--store-uri", store, "--artifacts-uri", artifacts
    )
    message = _assert_refused(finished, "is a file, not a folder")
    assert "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_missing_driver_is_a_hint_naming_the_extra(home: Path) -> None:
    store = "postgresql://postgres@127.0.0.1/postgres"
    finished = _server(home, "--port", str(free_port()), "--store-uri", store, block="psycopg")
    hint = (
        'Error: PostgreSQL needs psycopg, which is not installed: pip install "mlsteward[postgres]"'
    )
    assert _assert_refused(finished) == hint
    for args in (["runs", "list", "-t", store], ["db", "upgrade", "--store-uri", store]):
        entry = (
            "import sys; sys.modules['psycopg'] = None; "
            "from mlsteward.interfaces.cli.main import main; main()"
        )
        other = subprocess.run(
            [sys.executable, "-c", entry, *args],
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=_REFUSE_TIMEOUT_S,
        )
        assert _assert_refused(other) == hint


@pytest.fixture
def started(new_store: Path, home: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``mlsteward server --no-upgrade`` on a store that does not exist yet."""
    log_path = tmp_path / "server.log"
    args = ["--no-upgrade", "--store-uri", str(new_store), "--no-monitor-scheduler"]
    with cli_server(args, env=_env(home), log_path=log_path) as url:
        yield url, log_path


def test_a_brand_new_database_gets_the_schema(started: tuple[str, Path], new_store: Path) -> None:
    url, log_path = started
    assert current_revision(f"sqlite:///{new_store}") == head_revision()
    created = httpx.post(f"{url}/api/v1/experiments", json={"name": "first"}, timeout=10)
    assert created.status_code == 201, created.text
    assert log_path.read_text().count(BANNER) == 1


def test_the_module_entry_point_creates_the_schema_too(tmp_path: Path) -> None:
    store = tmp_path / "fresh" / "x.db"
    with running_server(store, tmp_path / "artifacts", upgrade=False) as url:
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    assert current_revision(f"sqlite:///{store}") == head_revision()


@pytest.mark.postgres
def test_a_brand_new_postgres_database_gets_the_schema(
    tmp_path: Path, postgres_server: str
) -> None:
    from mlsteward.testing.postgres import temporary_database

    with (
        temporary_database(postgres_server) as database,
        running_server(database, tmp_path / "artifacts", upgrade=False) as url,
    ):
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        assert current_revision(database) == head_revision()
