"""Schema revisions for tests that need a database at a given migration (any backend)."""

from __future__ import annotations

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from mlsteward.storage.sql.engine import normalize_sql_url
from mlsteward.storage.sql.schema import _config


def current_revision(url: str) -> str | None:
    """The migration the database at ``url`` is at (None for one never migrated)."""
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def migrate_to_first_revision(url: str) -> str:
    """Leave the database at the oldest schema, as the first release left it; its revision."""
    first = [rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()][-1]
    engine = create_engine(normalize_sql_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, first)
    finally:
        engine.dispose()
    return first
