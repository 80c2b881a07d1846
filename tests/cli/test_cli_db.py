"""``mlsteward db upgrade``."""

from __future__ import annotations

from pathlib import Path

from mlsteward import Client
from mlsteward.storage.sql.schema import head_revision

from .conftest import Invoke


def test_upgrade_creates_a_fresh_sqlite_database(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "server" / "tracking.db"
    result = invoke("db", "upgrade", "--store-uri", str(path))
    assert result.exit_code == 0, result.output
    assert f"schema revision {head_revision()}" in result.stdout
    assert path.is_file()
    # The upgraded database is usable, and upgrading again is a no-op.
    Client(str(path)).create_experiment("after-upgrade")
    result = invoke("db", "upgrade", "--store-uri", f"sqlite:///{path}")
    assert result.exit_code == 0, result.output
    assert head_revision() in result.stdout
    assert [e.name for e in Client(str(path)).search_experiments()] == ["after-upgrade"]


def test_upgrade_defaults_to_the_home_store(invoke: Invoke, isolated_home: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (isolated_home / "mlsteward.db").is_file()


def test_upgrade_rejects_a_server_url(invoke: Invoke) -> None:
    result = invoke("db", "upgrade", "--store-uri", "http://127.0.0.1:5000")
    assert result.exit_code == 1
    assert "Error: Unsupported store URI" in result.stderr
