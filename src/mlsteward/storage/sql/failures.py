"""Database failures a user must act on: a damaged SQLite file, a full disk, a lost server.

The driver reports these as ``sqlalchemy`` exceptions wrapping ``sqlite3`` or ``psycopg``
errors; callers of the store get the platform's errors instead, whose messages name the file
and say what to do.

Opening a SQLite store checks only what is cheap (:func:`check_sqlite_on_open`): the 100-byte
header and the schema table, which catch a file that is not a database, garbage over its
start and a file cut short, in milliseconds whatever the file's size. Damage deeper in the
file is reported by the first read or write that meets it. Either way the full check,
SQLite's ``PRAGMA quick_check`` (:func:`integrity_findings`, which reads every page: about
1 s per 100 MB from a cold disk), then runs once to confirm, and the message says what it
found; ``mlsteward db check`` runs it on request.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import Engine, exc
from sqlalchemy.engine import make_url

from mlsteward.domain.errors import (
    CorruptStoreError,
    InsufficientStorageError,
    MlstewardError,
    UnavailableError,
)
from mlsteward.storage.sql.engine import SQLITE_BUSY_TIMEOUT_MS, normalize_sql_url, redact_url

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
# The database header (https://sqlite.org/fileformat.html#the_database_header).
_HEADER_BYTES = 100
_MAGIC = b"SQLite format 3\x00"
#: Payload fractions at offsets 21-23: the format fixes them at 64, 32 and 32.
_FIXED_FRACTIONS = bytes([64, 32, 32])
#: How often (in SQLite VM steps) a full check reports that it is still working.
_PROGRESS_STEPS = 10_000


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


#: SQLite files a database of this process has open, with how many (by real path).
_OPEN_FILES: dict[str, int] = {}
_OPEN_FILES_LOCK = threading.Lock()


def _real(path: str) -> str:
    return os.path.realpath(path)


def hold_sqlite_file(path: str) -> None:
    """Note that a database of this process opened ``path`` (until :func:`release_sqlite_file`).

    While any is open, this process must not open and close the file itself: closing any
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's included,
    and another process could then reset the write-ahead log under this one's connections,
    losing what they commit. So the header is read only by the first opener.
    """
    with _OPEN_FILES_LOCK:
        key = _real(path)
        _OPEN_FILES[key] = _OPEN_FILES.get(key, 0) + 1


def release_sqlite_file(path: str) -> None:
    """Undo one :func:`hold_sqlite_file` (after the database's connections are closed)."""
    with _OPEN_FILES_LOCK:
        key = _real(path)
        count = _OPEN_FILES.get(key, 0) - 1
        if count > 0:
            _OPEN_FILES[key] = count
        else:
            _OPEN_FILES.pop(key, None)


def sqlite_file_held(path: str) -> bool:
    """Whether a database of this process has ``path`` open."""
    with _OPEN_FILES_LOCK:
        return _real(path) in _OPEN_FILES


def sqlite_header_problem(path: str) -> str | None:
    """What is wrong with a SQLite file's 100-byte header, or ``None``.

    Reads those bytes only. A missing or empty file is fine (SQLite creates the database);
    so is a file this process cannot read, which SQLite then reports as it should. Not read
    (``None``) while a database of this process has the file open (see
    :func:`hold_sqlite_file`): SQLite itself reports damage its connections meet.
    """
    if sqlite_file_held(path):
        return None
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER_BYTES)
    except OSError:
        return None
    if not header:
        return None
    if len(header) < _HEADER_BYTES:
        return f"the file is {len(header)} bytes long, shorter than a SQLite header"
    if not header.startswith(_MAGIC):
        return "file is not a database: it does not begin with the SQLite header"
    raw = int.from_bytes(header[16:18], "big")
    page_size = 65536 if raw == 1 else raw
    if not 512 <= page_size <= 65536 or page_size & (page_size - 1):
        return f"the header gives an impossible page size ({raw})"
    if header[21:24] != _FIXED_FRACTIONS:
        return "the header's fixed fields are overwritten"
    return None


def check_sqlite_on_open(engine: Engine, url: str) -> None:
    """The cheap check of every open: the header, then the schema table and version.

    Raises ``CorruptStoreError`` (confirmed by the full check) when either is damaged; costs
    a few page reads, not a read of the file.
    """
    path = sqlite_file(url)
    if path is None:
        return
    problem = sqlite_header_problem(path)
    if problem is not None:
        raise corrupt_sqlite_error(path, f"{problem}; {confirm_sqlite_damage(path)}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA schema_version").all()
            connection.exec_driver_sql("SELECT type, name, tbl_name, sql FROM sqlite_master").all()
    except exc.DBAPIError as error:
        failure = translate_database_error(
            error, url, opening=True, confirm=lambda: confirm_sqlite_damage(path)
        )
        if failure is None:
            raise
        raise failure from error


def integrity_findings(path: str, progress: Callable[[], None] | None = None) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` over the whole file: ``["ok"]``, or what it found.

    Reads every page (about 0.1 s per 100 MB from the page cache, 1 s per 100 MB from a
    cold disk). ``progress`` is called every few thousand steps, so a caller can show that
    the check is working. A file too damaged to check at all raises ``sqlite3.DatabaseError``.
    """
    connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    with contextlib.closing(connection):
        if progress is not None:
            report = progress

            def tick() -> int:
                report()
                return 0  # carry on

            connection.set_progress_handler(tick, _PROGRESS_STEPS)
        return [str(row[0]) for row in connection.execute("PRAGMA quick_check")]


def check_sqlite_file(path: str, progress: Callable[[], None] | None = None) -> list[str]:
    """The header check and the full check of a SQLite file: ``["ok"]`` or what is wrong.

    A file too damaged to check is damage too; anything else that stops the check (the file
    is missing or unreadable, another process holds it locked) raises ``UnavailableError``.
    """
    if not os.path.isfile(path):  # sqlite3 would create it
        raise UnavailableError(f"There is no database file at {path}")
    header = sqlite_header_problem(path)
    try:
        findings = integrity_findings(path, progress)
    except sqlite3.DatabaseError as error:
        if not is_sqlite_damage(error):
            raise UnavailableError(f"Cannot check {path}: {error}") from error
        findings = [f"the check could not read the file: {error}"]
    if header is None:
        return findings
    return [header, *(line for line in findings if line != "ok")]


def describe_findings(findings: list[str]) -> str:
    """The first few findings on one line, with how many more there are."""
    detail = "; ".join(" ".join(line.split()) for line in findings[:_QUOTED_FINDINGS])
    more = len(findings) - _QUOTED_FINDINGS
    return f"{detail}; and {more} more problems" if more > 0 else detail


def confirm_sqlite_damage(path: str) -> str:
    """Run the full check after a cheap check or an operation reported damage: what it found,
    as a clause for the message."""
    try:
        findings = integrity_findings(path)
    except sqlite3.DatabaseError as error:
        return f"the full integrity check could not read it either: {error}"
    if findings == ["ok"]:
        return (
            "the full integrity check (PRAGMA quick_check) found nothing more; "
            "PRAGMA integrity_check also compares each index with its table"
        )
    return f"the full integrity check confirms it: {describe_findings(findings)}"


def _sqlite_code(error: BaseException) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_sqlite_damage(error: BaseException) -> bool:
    """Whether a ``sqlite3`` error says the file is damaged or not a database."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    text = str(error)
    code = _sqlite_code(error)
    return code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or any(w in text for w in _CORRUPT_WORDS)


def translate_database_error(
    error: exc.DBAPIError,
    url: str,
    *,
    opening: bool = False,
    confirm: Callable[[], str] | None = None,
) -> MlstewardError | None:
    """The platform error for a driver error, or ``None`` when it is not one of ours.

    ``opening`` words an unreachable database as a failure to open the store. ``confirm``
    runs the full check on a damaged SQLite file; its finding goes into the message.

    Constraint violations and the like return ``None``: the store turns those into
    ``AlreadyExistsError`` or ``ConflictError`` where it knows what they mean.
    """
    original = error.orig
    text = str(original)
    path = sqlite_file(url)
    if path is not None and isinstance(original, sqlite3.DatabaseError):
        if is_sqlite_damage(original):
            return corrupt_sqlite_error(path, text if confirm is None else f"{text}; {confirm()}")
        if _sqlite_code(original) == _SQLITE_FULL or "database or disk is full" in text:
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
