"""The resolver turns paths and URLs into stores, and refuses what it cannot serve."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.domain.errors import InvalidArgumentError, UnavailableError
from mlsteward.storage import open_store
from mlsteward.storage.resolver import normalize_store_uri


def test_a_directory_gets_a_database_inside(tmp_path: Path) -> None:
    target = tmp_path / "store"
    assert normalize_store_uri(str(target)) == f"sqlite:///{target / 'mlsteward.db'}"


def test_a_file_path_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "tracking.db"
    assert normalize_store_uri(str(path)) == f"sqlite:///{path}"
    assert normalize_store_uri(f"file://{path}") == f"sqlite:///{path}"


def test_urls_pass_through() -> None:
    assert normalize_store_uri("postgresql://u@h/db") == "postgresql://u@h/db"
    assert normalize_store_uri("postgres://u@h/db") == "postgres://u@h/db"


@pytest.mark.parametrize("uri", ["mysql://root@localhost/db", "ftp://host/x", "s3://bucket/x"])
def test_unsupported_schemes_are_refused(uri: str) -> None:
    with pytest.raises(InvalidArgumentError, match="Unsupported store URI"):
        normalize_store_uri(uri)


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="In-memory"):
        open_store("sqlite:///:memory:")


def test_unreachable_postgres_is_unavailable() -> None:
    with pytest.raises(UnavailableError, match="Cannot open database"):
        open_store("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2")


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "wal"))
    try:
        with store._reader.connect() as connection:  # type: ignore[attr-defined]
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        store.close()
    assert mode == "wal"
    assert timeout is not None and timeout >= 10_000
