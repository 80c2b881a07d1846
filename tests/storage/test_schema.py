"""Schema versioning: migrations build exactly the declared tables; newer schemas are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.errors import SchemaVersionError
from mlsteward.storage import open_store
from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import head_revision
from mlsteward.storage.sql.tables import metadata
from mlsteward.testing.postgres import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database nothing has been written to yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def _revision(url: str) -> str | None:
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_migrations_create_exactly_the_declared_tables(empty_database: str) -> None:
    open_store(empty_database).close()
    engine = create_engine(normalize_sql_url(empty_database), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    finally:
        engine.dispose()
    assert _revision(empty_database) == head_revision()


def test_opening_twice_is_a_no_op(empty_database: str) -> None:
    open_store(empty_database).close()
    open_store(empty_database).close()
    assert _revision(empty_database) == head_revision()


def test_without_upgrade_an_unmigrated_database_is_refused(empty_database: str) -> None:
    with pytest.raises(SchemaVersionError, match="db upgrade"):
        open_store(empty_database, upgrade=False)
    engine = create_engine(normalize_sql_url(empty_database), poolclass=NullPool)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_refusal_message_names_both_revisions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    open_store(url).close()
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'zz_future'"))
    engine.dispose()
    with pytest.raises(SchemaVersionError) as raised:
        open_store(url)
    message = str(raised.value)
    assert "zz_future" in message and head_revision() in message
    assert "untouched" in message
    assert _revision(url) == "zz_future"


def test_many_openers_at_once_migrate_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 'raced.db'}"

    def open_and_close(_: int) -> None:
        open_store(url).close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(open_and_close, range(6)))
    assert _revision(url) == head_revision()
