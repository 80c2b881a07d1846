"""A source query only reads: one reading statement, run where the database refuses writes.

A rollback at the end is not enough: a function with side effects, a ``COMMIT`` in a
multi-statement text, SQLite's ``VACUUM INTO`` / ``ATTACH`` (which create files) or
PostgreSQL's ``COPY ... TO`` (which writes one on the database host) all act before it. So:

* the text is one statement (a ``;`` only at its very end; one elsewhere is refused even
  inside quotes or comments, since a scanner that misreads an escape would let a second
  statement through) that begins with ``SELECT``, ``WITH``, ``VALUES`` or ``TABLE``;
* PostgreSQL runs it in a ``READ ONLY`` transaction (``SET TRANSACTION READ ONLY`` first);
* SQLite opens a file database with ``mode=ro`` and an authorizer that allows reading only
  (no ATTACH, so no ``VACUUM INTO``; no PRAGMA; no write, even to a temporary table).

Other backends (MySQL, SQL Server, ...) get the statement checks only: the local SDK may
still query them, but a server accepts only :data:`READ_ONLY_BACKENDS` in its allow-list.
"""

from __future__ import annotations

import os
import re
import sqlite3
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mlsteward.engines.data.errors import SourceError

#: Backends on which a source query is guaranteed not to write.
READ_ONLY_BACKENDS = frozenset({"sqlite", "postgresql"})
_READING_KEYWORDS = frozenset({"select", "with", "values", "table"})
_KEYWORD = re.compile(r"[A-Za-z_]+")
_SPACE_OR_PAREN = string.whitespace + "("

_SQLITE_ALLOWED = frozenset(
    {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_RECURSIVE,
        sqlite3.SQLITE_TRANSACTION,  # the driver's own ROLLBACK; BEGIN/COMMIT cannot lead
    }
)
#: Functions that reach outside the database file (most are off or absent by default).
_SQLITE_FUNCTIONS_DENIED = frozenset(
    {"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"}
)
#: What a database says when a statement tried to write (PostgreSQL SQLSTATE, SQLite codes).
_PG_READ_ONLY_STATE = "25006"
_SQLITE_REFUSED_CODES = frozenset({8, 23})  # SQLITE_READONLY, SQLITE_AUTH


class WriteRefusedError(SourceError):
    """A source query that is not one reading statement, or that tried to write."""

    code = "DATA_QUERY_NOT_READ_ONLY"


def check_read_query(query: str, source: str) -> None:
    """Refuse (400) a query that is not one statement beginning with a reading keyword."""
    if not isinstance(query, str) or not query.strip():
        raise WriteRefusedError("a SQL source needs a query (one SELECT)", source=source)
    body = query.strip().removesuffix(";")
    if ";" in body:
        raise WriteRefusedError(
            "a source query must be one statement: ';' may only end it (it is refused inside "
            "quotes and comments too; use a parameter for a value holding one)",
            source=source,
        )
    keyword = _first_keyword(body)
    if keyword not in _READING_KEYWORDS:
        shown = keyword.upper() or "something else"
        raise WriteRefusedError(
            f"a source query only reads: it must begin with SELECT, WITH, VALUES or TABLE, "
            f"not {shown}",
            source=source,
        )


def _first_keyword(text: str) -> str:
    """The first word after spaces, ``(`` and comments ("" when a comment is ambiguous).

    A nested ``/*`` or a MySQL ``/*!`` comment (whose text is run) is not skipped, so the
    word a database would see first cannot hide behind it.
    """
    rest = text
    while True:
        rest = rest.lstrip(_SPACE_OR_PAREN)
        if rest.startswith("--"):
            _, newline, rest = rest.partition("\n")
            if not newline:
                return ""
        elif rest.startswith("/*"):
            comment, end, rest = rest[2:].partition("*/")
            if not end or "/*" in comment or comment.startswith("!"):
                return ""
        else:
            break
    match = _KEYWORD.match(rest)
    return match.group(0).lower() if match else ""


def read_only_engine(url: sa.URL) -> sa.Engine:
    """An engine for ``url``; a SQLite file is opened read-only (``mode=ro``), never created."""
    database = url.database
    sqlite_file = url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
    if not sqlite_file or url.get_driver_name() != "pysqlite":
        return sa.create_engine(url)
    target = Path(os.path.abspath(str(database))).as_uri() + "?mode=ro"
    return sa.create_engine(
        url, creator=lambda: sqlite3.connect(target, uri=True, check_same_thread=False)
    )


@contextmanager
def read_only(connection: sa.Connection, source: str) -> Iterator[None]:
    """Make ``connection`` refuse writes until the block ends (see the module docstring)."""
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        yield
        return
    if backend != "sqlite":
        yield
        return
    raw: Any = connection.connection.dbapi_connection
    authorize = getattr(raw, "set_authorizer", None)
    if authorize is None:
        raise WriteRefusedError(
            "this SQLite driver cannot be limited to reading; use the standard one (sqlite://)",
            source=source,
        )
    authorize(_sqlite_authorizer)
    try:
        yield
    finally:
        authorize(None)


def _sqlite_authorizer(action: int, _arg1: str | None, arg2: str | None, *_: object) -> int:
    """SQLite's per-operation check: reading yes; ATTACH, PRAGMA and any write no."""
    if action == sqlite3.SQLITE_FUNCTION:
        denied = (arg2 or "").lower() in _SQLITE_FUNCTIONS_DENIED
        return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK
    return sqlite3.SQLITE_OK if action in _SQLITE_ALLOWED else sqlite3.SQLITE_DENY


def refused_write(error: BaseException) -> bool:
    """Whether a driver error says the database refused a write (read-only, not authorized)."""
    if getattr(error, "sqlstate", None) == _PG_READ_ONLY_STATE:
        return True
    return getattr(error, "sqlite_errorcode", None) in _SQLITE_REFUSED_CODES
