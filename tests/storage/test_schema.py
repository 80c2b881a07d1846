"""Schema versioning: migrations build exactly the declared tables; newer schemas are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
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


def _revisions_oldest_first() -> list[str]:
    from alembic.script import ScriptDirectory

    from mlsteward.storage.sql.schema import _config

    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.mark.parametrize("start", _revisions_oldest_first())
def test_upgrading_from_every_released_revision_keeps_data(empty_database: str, start: str) -> None:
    """A database left at any older revision is upgraded on open, its tracking data intact."""
    from alembic import command

    from mlsteward.storage.sql.schema import _config

    engine = create_engine(normalize_sql_url(empty_database), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, start)
            # Rows written the way release `start` wrote them (tracking tables exist since 0001).
            connection.execute(
                text("INSERT INTO experiments VALUES ('e1', 'old', '/a', 'active', 1, 1)")
            )
            connection.execute(
                text(
                    "INSERT INTO runs (run_id, experiment_id, run_name, user_id, status,"
                    " start_time, lifecycle_stage, artifact_uri)"
                    " VALUES ('r1', 'e1', 'old-run', 'me', 'FINISHED', 5, 'active', 'runs:/r1')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO metric_chunks (run_id, key, n_points, min_step, max_step,"
                    " steps, timestamps, metric_values)"
                    " VALUES ('r1', 'loss', 1, 3, 3, :steps, :stamps, :values)"
                ),
                {
                    "steps": np.array([3], dtype="<i8").tobytes(),
                    "stamps": np.array([7], dtype="<i8").tobytes(),
                    "values": np.array([0.5], dtype="<f8").tobytes(),
                },
            )
            connection.execute(text("INSERT INTO params VALUES ('r1', 'lr', '0.1')"))
    finally:
        engine.dispose()
    assert _revision(empty_database) == start

    stores = open_store(empty_database)
    try:
        run = stores.tracking.get_run("r1")
        assert (run.info.run_name, run.info.experiment_id) == ("old-run", "e1")
        assert run.data.params == {"lr": "0.1"}
        history = stores.tracking.get_metric_history("r1", "loss")
        assert [(p.value, p.step) for p in history] == [(0.5, 3)]
    finally:
        stores.close()
    assert _revision(empty_database) == head_revision()
