"""Engines per dialect: SQLite tuned for many local writers, PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.redaction import redact_url as redact_url  # storage's messages use it

SQLITE_BUSY_TIMEOUT_MS = 60_000
POSTGRES_HINT = (
    'PostgreSQL needs psycopg, which is not installed: pip install "mlsteward[postgres]"'
)


def normalize_sql_url(url: str) -> str:
    """Map accepted spellings to SQLAlchemy URLs (``postgresql://`` uses psycopg 3)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    raise InvalidArgumentError(f"Not a supported database URL: {url!r}")


def create_sql_engine(url: str, **kwargs: Any) -> Engine:
    """``sqlalchemy.create_engine`` for an accepted URL; a missing driver is one line saying
    which extra to install, not an ImportError from deep inside SQLAlchemy."""
    sa_url = normalize_sql_url(url)
    try:
        return create_engine(sa_url, **kwargs)
    except ImportError as error:
        if make_url(sa_url).get_backend_name() == "postgresql":
            raise InvalidArgumentError(POSTGRES_HINT) from error
        raise


def _configure_sqlite(engine: Engine, immediate: bool) -> None:
    """WAL, a long busy timeout, and (for the writer engine) BEGIN IMMEDIATE.

    Deferred transactions that read and then write can fail at once with "database is
    locked" when another process committed in between; taking the write lock at BEGIN
    makes writers queue on the busy timeout instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # LIKE is case-sensitive in PostgreSQL; without this SQLite ignores ASCII case, so the
        # same filter (or artifact prefix) would match different rows on the two backends.
        cursor.execute("PRAGMA case_sensitive_like = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engines(url: str) -> tuple[Engine, Engine]:
    """(writer, reader) engines for ``url``; the same engine twice for PostgreSQL."""
    sa_url = normalize_sql_url(url)
    parsed = make_url(sa_url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise InvalidArgumentError(
                "In-memory SQLite is not supported: give a file path so nothing is lost"
            )
        kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
        writer = create_sql_engine(sa_url, **kwargs)
        reader = create_sql_engine(sa_url, **kwargs)
        _configure_sqlite(writer, immediate=True)
        _configure_sqlite(reader, immediate=False)
        return writer, reader
    engine = create_sql_engine(sa_url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine, engine
