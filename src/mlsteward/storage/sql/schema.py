"""Schema versioning: upgrade on open, refuse databases written by a newer release.

A brand-new database (no tables at all) is not the same as one at an older schema: building
the schema in it changes no one's data, so a server does that by itself
(:func:`database_is_blank` tells the two apart), while an older schema waits for
``mlsteward db upgrade``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, exc, inspect, text
from sqlalchemy.pool import NullPool

from mlsteward.domain.errors import SchemaVersionError
from mlsteward.storage.sql.engine import create_sql_engine
from mlsteward.storage.sql.failures import sqlite_file, translate_database_error

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
        blank = revision is None and _has_no_tables(connection)
    _check_known(revision)
    if revision is None and blank:
        raise SchemaVersionError(
            "This database is empty (no mlsteward schema yet): run `mlsteward db upgrade "
            "--store-uri ...` first, or start the server with --upgrade."
        )
    if revision is None:
        raise SchemaVersionError(
            "This database has tables but no mlsteward schema version: it is not an mlsteward "
            "store (or not one this release can read). Point --store-uri at an empty database "
            "or at an mlsteward store; this one was left untouched."
        )
    if revision != head_revision():
        raise SchemaVersionError(
            f"Database schema is at {revision!r}, older than this mlsteward's "
            f"{head_revision()!r}: run `mlsteward db upgrade --store-uri ...` first (or start "
            "the server with --upgrade). The database was left untouched."
        )


def _has_no_tables(connection: Connection) -> bool:
    return not inspect(connection).get_table_names()


def database_is_blank(url: str) -> bool:
    """Whether nothing was ever written to the database at ``url``: a SQLite file that does
    not exist or holds no table, a PostgreSQL database with no table in its schema.

    A SQLite file that cannot be read is not blank (opening the store then says why); an
    unreachable server raises the error opening the store would.
    """
    path = sqlite_file(url)
    if path is not None:
        try:
            if Path(path).stat().st_size == 0:
                return True
        except FileNotFoundError:
            return True
    engine = create_sql_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return current_revision(connection) is None and _has_no_tables(connection)
    except exc.DBAPIError as error:
        failure = None if path is not None else translate_database_error(error, url, opening=True)
        if failure is None:
            return False
        raise failure from error
    finally:
        engine.dispose()
