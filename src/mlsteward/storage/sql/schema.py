"""Schema versioning: upgrade on open, refuse databases written by a newer release."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from mlsteward.domain.errors import SchemaVersionError

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant works; it only has to be the same in every process migrating one database.
_PG_MIGRATION_LOCK = 7_231_004_117


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration scripts in {_MIGRATIONS}")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _check_known(revision: str | None) -> None:
    if revision is None:
        return
    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if revision not in known:
        raise SchemaVersionError(
            f"This database is at schema revision {revision!r}, written by a newer mlsteward "
            f"than this one (which knows up to {head_revision()!r}). Upgrade mlsteward; the "
            "database was left untouched."
        )


def upgrade_schema(writer: Engine) -> None:
    """Bring the database to the head revision inside one locked transaction.

    Concurrent openers serialise on the lock (SQLite's write lock via BEGIN IMMEDIATE, a
    PostgreSQL advisory lock), so the second one finds the work done.
    """
    with writer.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
        revision = current_revision(connection)
        _check_known(revision)
        if revision == head_revision():
            return
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def verify_schema(reader: Engine) -> None:
    """Raise unless the database is exactly at head (for servers started without upgrade)."""
    with reader.connect() as connection:
        revision = current_revision(connection)
    _check_known(revision)
    if revision is None:
        raise SchemaVersionError(
            "This database is empty (no mlsteward schema yet): run `mlsteward db upgrade "
            "--store-uri ...` first, or start the server with --upgrade."
        )
    if revision != head_revision():
        raise SchemaVersionError(
            f"Database schema is at {revision!r}, expected {head_revision()!r}: run "
            "`mlsteward db upgrade --store-uri ...` first."
        )
