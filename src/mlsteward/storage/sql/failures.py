"""Database failures a user must act on: a damaged SQLite file, a full disk, a lost server.

The driver reports these as ``sqlalchemy`` exceptions wrapping ``sqlite3`` or ``psycopg``
errors; callers of the store get the platform's errors instead, whose messages name the file
and say what to do. ``check_sqlite_integrity`` runs SQLite's ``PRAGMA quick_check`` when a
store is opened, so a damaged file is reported before anything is read from or written to it.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, exc
from sqlalchemy.engine import make_url

from mlsteward.domain.errors import (
    CorruptStoreError,
    InsufficientStorageError,
    MlstewardError,
    UnavailableError,
)
from mlsteward.storage.sql.engine import normalize_sql_url, redact_url

# SQLite primary result codes (https://sqlite.org/rescode.html).
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
_CORRUPT_WORDS = ("file is not a database", "database disk image is malformed")
# PostgreSQL SQLSTATEs: disk_full, data_corrupted, index_corrupted.
_PG_DISK_FULL = "53100"
_PG_CORRUPT = ("XX001", "XX002")
#: How many of quick_check's findings a message quotes.
_QUOTED_FINDINGS = 3


def sqlite_file(url: str) -> str | None:
    """The database file behind a ``sqlite:`` URL, ``None`` for other databases."""
    parsed = make_url(normalize_sql_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    return parsed.database or None


def corrupt_sqlite_error(path: str, detail: str) -> CorruptStoreError:
    """The message for a damaged SQLite file: which file, what SQLite said, what to do."""
    return CorruptStoreError(
        f"The database file {path} is damaged ({detail}); mlsteward stopped before using it "
        "further. Restore it from a backup, or salvage what is readable with "
        f'`sqlite3 {path} ".recover" | sqlite3 recovered.db` and use the recovered copy '
        "(if that fails, as it does with sqlite3 builds that lack .recover, the mlsteward "
        'CLI docs, "Damaged and full stores", give a .dump alternative). '
        "Do not delete the damaged file (nor its -wal file beside it): it may still hold "
        "data the recovery can read."
    )


def check_sqlite_integrity(engine: Engine, url: str) -> None:
    """Run ``PRAGMA quick_check`` once; raise ``CorruptStoreError`` unless SQLite says ok.

    quick_check reads every page but skips matching indexes against tables: about 0.1 s
    per 100 MB from the page cache, about 1 s per 100 MB from a cold disk, so it runs when a
    store is opened, not on each connection.
    """
    path = sqlite_file(url)
    if path is None:
        return
    try:
        with engine.connect() as connection:
            findings = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA quick_check")]
    except exc.DBAPIError as error:
        failure = translate_database_error(error, url, opening=True)
        if failure is None:
            raise
        raise failure from error
    if findings != ["ok"]:
        detail = "; ".join(line.strip() for line in findings[:_QUOTED_FINDINGS])
        more = len(findings) - _QUOTED_FINDINGS
        if more > 0:
            detail += f"; and {more} more problems"
        raise corrupt_sqlite_error(path, f"integrity check: {detail}")


def _sqlite_code(error: BaseException) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def translate_database_error(
    error: exc.DBAPIError, url: str, *, opening: bool = False
) -> MlstewardError | None:
    """The platform error for a driver error, or ``None`` when it is not one of ours.

    ``opening`` words an unreachable database as a failure to open the store.

    Constraint violations and the like return ``None``: the store turns those into
    ``AlreadyExistsError`` or ``ConflictError`` where it knows what they mean.
    """
    original = error.orig
    text = str(original)
    path = sqlite_file(url)
    if path is not None and isinstance(original, sqlite3.DatabaseError):
        code = _sqlite_code(original)
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or any(w in text for w in _CORRUPT_WORDS):
            return corrupt_sqlite_error(path, text)
        if code == _SQLITE_FULL or "database or disk is full" in text:
            return InsufficientStorageError(
                f"The disk holding the database {path} is full ({text}): the change was "
                "rolled back and nothing was half-written. Free space on that disk (or move "
                "the database to a larger one), then retry."
            )
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate == _PG_DISK_FULL:
        return InsufficientStorageError(
            f"The database server of {redact_url(url)} is out of disk space ({text.strip()}): "
            "the change was rolled back. Free space on the server, then retry."
        )
    if sqlstate in _PG_CORRUPT:
        return CorruptStoreError(
            f"The database {redact_url(url)} reports damaged data ({text.strip()}). Restore "
            "the damaged table or index from a backup (an index can be rebuilt with REINDEX); "
            "do not drop the database."
        )
    if isinstance(error, exc.OperationalError):
        if opening:
            return UnavailableError(f"Cannot open database {redact_url(url)}: {original}")
        return UnavailableError(f"Database unavailable: {original}")
    return None
