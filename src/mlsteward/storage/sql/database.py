"""One SQLite or PostgreSQL database, shared by the SQL stores of every domain.

It holds what the stores have in common: the engines, the schema check (or upgrade) on
opening, translating the database's failures into the platform's errors, the one-time
confirmation of damage, and the unit of work that makes several stores' writes one
transaction.

Opening a SQLite file checks its header and schema table only (cheap at any size); damage
deeper in the file is reported by the first operation that meets it, confirmed once by the
full check (see :mod:`mlsteward.storage.sql.failures`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NoReturn

from sqlalchemy import Connection, exc

from mlsteward.storage.capabilities import StoreCapabilities
from mlsteward.storage.sql.engine import create_engines
from mlsteward.storage.sql.failures import (
    check_sqlite_on_open,
    confirm_sqlite_damage,
    hold_sqlite_file,
    release_sqlite_file,
    sqlite_file,
    translate_database_error,
)
from mlsteward.storage.sql.schema import upgrade_schema, verify_schema

#: The unit of work open in this thread (or task): the database and its connection.
_UNIT: ContextVar[tuple[object, Connection] | None] = ContextVar("sql_unit_of_work", default=None)

#: What every SQL store can do, on either dialect.
SQL_CAPABILITIES = StoreCapabilities(multi_process_writers=True, transactional_ddl=True)


class SqlDatabase:
    """The engines behind ``url``. ``upgrade=False`` refuses a database not at the head schema."""

    capabilities = SQL_CAPABILITIES

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.uri = url
        self._writer, self._reader = create_engines(url)
        self.dialect = self._writer.dialect.name
        self._damage_lock = threading.Lock()
        self._damage_found: str | None = None
        self._held_file: str | None = None
        try:
            check_sqlite_on_open(self._reader, url)  # a damaged header or schema: refused now
            self._held_file = sqlite_file(url)
            if self._held_file is not None:
                hold_sqlite_file(self._held_file)
            if upgrade:
                upgrade_schema(self._writer)
            else:
                verify_schema(self._reader)
        except exc.DBAPIError as error:
            self.close()
            failure = translate_database_error(
                error, url, opening=True, confirm=self._confirm_damage
            )
            if failure is None:
                raise
            raise failure from error
        except Exception:
            self.close()
            raise

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Every ``write`` and ``read`` in the block, through any store of this database,
        shares one write transaction (each write in a savepoint, so a write that fails and is
        handled, such as a duplicate insert read as "already exists", leaves the rest
        standing)."""
        active = _UNIT.get()
        if active is not None and active[0] is self:
            yield
            return
        with self.write() as connection:
            token = _UNIT.set((self, connection))
            try:
                yield
            finally:
                _UNIT.reset(token)

    def _active_unit(self) -> Connection | None:
        active = _UNIT.get()
        return active[1] if active is not None and active[0] is self else None

    @contextmanager
    def write(self, *, savepoint: bool = True) -> Iterator[Connection]:
        """A connection in a transaction committed when the block ends (a savepoint inside
        an open unit of work; ``savepoint=False`` for writes whose failure must fail the
        whole unit anyway, which saves two statements)."""
        try:
            unit = self._active_unit()
            if unit is not None:
                if not savepoint:
                    yield unit
                    return
                with unit.begin_nested():
                    yield unit
                return
            with self._writer.begin() as connection:
                yield connection
        except exc.DBAPIError as error:
            self._raise_translated(error)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading (the unit of work's, when one is open)."""
        try:
            unit = self._active_unit()
            if unit is not None:
                yield unit
                return
            with self._reader.connect() as connection:
                yield connection
        except exc.DBAPIError as error:
            self._raise_translated(error)

    def _raise_translated(self, error: exc.DBAPIError) -> NoReturn:
        """A damaged file, a full disk or a lost server as the platform's error; anything
        else (constraint violations the callers interpret) unchanged."""
        failure = translate_database_error(error, self.uri, confirm=self._confirm_damage)
        if failure is None:
            raise error
        raise failure from error

    def _confirm_damage(self) -> str:
        """The full check's finding on this damaged file, computed once per database: every
        request that meets the damage reports it, but only the first pays for reading the file.
        """
        path = sqlite_file(self.uri)
        if path is None:  # pragma: no cover - only SQLite errors ask
            return "no full check for this database"
        with self._damage_lock:
            if self._damage_found is None:
                self._damage_found = confirm_sqlite_damage(path)
            return self._damage_found

    def close(self) -> None:
        """Dispose of the engines (their pooled connections)."""
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()
        if self._held_file is not None:
            release_sqlite_file(self._held_file)
            self._held_file = None
