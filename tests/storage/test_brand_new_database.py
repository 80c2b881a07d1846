"""A brand-new database is not an old one: opening it for a server builds the schema, while
an older schema is still refused, and a refused open leaves no file or folder behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.errors import CorruptStoreError, InvalidArgumentError, SchemaVersionError
from mlsteward.storage import open_store
from mlsteward.storage.resolver import normalize_store_uri
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import database_is_blank, head_revision
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.schema_revisions import current_revision, migrate_to_first_revision


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database nothing was written to (a SQLite file that does not exist)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new' / 'dir' / 'x.db'}"
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_a_brand_new_database_gets_the_schema_without_upgrade(new_database: str) -> None:
    assert database_is_blank(new_database)
    open_store(new_database, upgrade=False, create=True).close()
    assert current_revision(new_database) == head_revision()
    assert not database_is_blank(new_database)
    open_store(new_database, upgrade=False).close()  # at head: a plain check passes


def test_an_older_schema_is_still_refused(new_database: str) -> None:
    if new_database.startswith("sqlite:"):
        Path(new_database.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    first = migrate_to_first_revision(new_database)
    assert first != head_revision()
    assert not database_is_blank(new_database)
    with pytest.raises(SchemaVersionError, match="db upgrade") as refused:
        open_store(new_database, upgrade=False, create=True)
    assert first in refused.value.message and "--upgrade" in refused.value.message
    assert current_revision(new_database) == first


def test_a_database_with_other_tables_is_not_taken_over(new_database: str) -> None:
    if new_database.startswith("sqlite:"):
        Path(new_database.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    _execute(new_database, "CREATE TABLE someone_elses (x INTEGER)")
    assert not database_is_blank(new_database)
    with pytest.raises(SchemaVersionError, match="not an mlsteward store"):
        open_store(new_database, upgrade=False, create=True)
    assert current_revision(new_database) is None


def test_without_create_a_brand_new_database_is_still_refused(tmp_path: Path) -> None:
    """What ``mlsteward gc`` and other readers get: nothing is created on their behalf."""
    target = tmp_path / "new" / "dir" / "x.db"
    with pytest.raises(SchemaVersionError, match="empty"):
        open_store(f"sqlite:///{target}", upgrade=False)
    assert not (tmp_path / "new").exists()


def test_a_refused_open_leaves_no_file_or_folder(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(InvalidArgumentError, match="is a file, not a folder"):
        open_store(str(tmp_path / "afile" / "new" / "x.db"), upgrade=False, create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_damaged_file_is_refused_and_kept(tmp_path: Path) -> None:
    damaged = tmp_path / "x.db"
    damaged.write_bytes(b"this is not a SQLite database" * 200)
    with pytest.raises(CorruptStoreError):
        open_store(str(damaged), upgrade=False, create=True)
    assert damaged.read_bytes().startswith(b"this is not")  # never removed nor rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]


def test_normalizing_a_uri_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "store"
    assert normalize_store_uri(str(target)) == f"sqlite:///{target / 'mlsteward.db'}"
    assert normalize_store_uri(f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    assert list(tmp_path.iterdir()) == []
