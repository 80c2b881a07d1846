"""The resolver turns paths and URLs into stores, and refuses what it cannot serve."""

from __future__ import annotations

import sys
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
    stores = open_store(str(tmp_path / "wal"))
    try:
        with stores.tracking._read() as connection:  # type: ignore[attr-defined]
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        stores.close()
    assert mode == "wal"
    assert timeout is not None and timeout >= 10_000


def test_a_backend_registered_under_the_entry_point_group_opens_its_scheme(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A third backend plugs in by declaring an opener for its scheme: no resolver edit."""
    from importlib.metadata import EntryPoint

    from mlsteward.storage import resolver

    opened: list[tuple[str, bool, bool]] = []

    def fake_opener(uri: str, *, upgrade: bool, create: bool) -> object:
        opened.append((uri, upgrade, create))
        return "a store"

    module = type(sys)("fake_backend_for_test")
    module.open_fake = fake_opener  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_backend_for_test", module)
    registered = EntryPoint("fakedb", "fake_backend_for_test:open_fake", "mlsteward.stores")
    monkeypatch.setattr(
        resolver,
        "entry_points",
        lambda group: [registered] if group == resolver.STORE_BACKENDS_GROUP else [],
    )
    assert resolver.open_store("fakedb://somewhere/x", upgrade=False) == "a store"
    assert opened == [("fakedb://somewhere/x", False, False)]
    with pytest.raises(InvalidArgumentError, match="Unsupported store URI"):
        resolver.open_store("otherdb://x")
    # mlsteward's own schemes still open without any metadata (a source checkout).
    store = resolver.open_store(str(tmp_path / "plain.db"))
    store.close()


def test_a_server_url_is_not_a_store() -> None:
    from mlsteward.storage.resolver import open_store

    with pytest.raises(InvalidArgumentError, match="Unsupported store URI"):
        open_store("http://127.0.0.1:5000")
