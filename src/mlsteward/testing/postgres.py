"""Throw-away PostgreSQL databases for tests: create a uniquely named one, drop it afterwards.

The server defaults to ``postgresql://postgres@127.0.0.1:5432/postgres``;
``MLSTEWARD_TEST_POSTGRES_URL`` points elsewhere. When no server answers,
:func:`postgres_unavailable_reason` says why, so a suite can skip with that reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_URL_ENV = "MLSTEWARD_TEST_POSTGRES_URL"
DATABASE_PREFIX = "mlsteward_test_"


def server_url() -> str:
    """The maintenance-database URL tests connect to (env override, else the default)."""
    return os.environ.get(SERVER_URL_ENV) or DEFAULT_SERVER_URL


def _sa_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _admin_engine(url: str) -> Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    return create_engine(
        _sa_url(url),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )


def postgres_unavailable_reason(url: str | None = None) -> str | None:
    """None when a PostgreSQL server answers at ``url``; otherwise a one-line reason."""
    target = url or server_url()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'mlsteward[postgres]')"
    try:
        engine = _admin_engine(target)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as error:  # any failure to connect means "unavailable", with its reason
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return f"PostgreSQL at {_redacted(target)} is unreachable: {first_line}"
    return None


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def database_name(url: str) -> str:
    """The database part of a PostgreSQL URL."""
    return make_url(url).database or ""


@contextmanager
def temporary_database(url: str | None = None, *, template: str | None = None) -> Iterator[str]:
    """Create a uniquely named database and yield its ``postgresql://`` URL.

    The database starts empty, or as a copy of the ``template`` database (copying an
    already-migrated database is much faster than migrating each new one). It is dropped on
    exit, even when connections to it are still open.
    """
    admin_url = url or server_url()
    name = DATABASE_PREFIX + uuid.uuid4().hex[:16]
    engine = _admin_engine(admin_url)
    copy_of = f' TEMPLATE "{template}"' if template else ""
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        database_url = make_url(admin_url).set(database=name)
        try:
            yield database_url.render_as_string(hide_password=False)
        finally:
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
