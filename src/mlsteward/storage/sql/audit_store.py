"""The audit SQL store (SQLite and PostgreSQL): the hash-chained records, their head, and the
signed checkpoints.

Appending starts with ``UPDATE audit_head SET seq = seq + 1 ... RETURNING seq, hash``: on
PostgreSQL that locks the head row until the transaction ends (a second appender waits, then
sees the first one's head), on SQLite the writer already holds the database's write lock
(``BEGIN IMMEDIATE``). The UPDATE leaves ``hash`` alone, so what it returns is the previous
record's hash; the new record is chained to it, inserted, and becomes the head. Inside a unit
of work the whole append is a savepoint of the caller's transaction, so a record commits or
rolls back with the change it records, and the head lock is held until then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, delete, exc, select, update
from sqlalchemy import insert as sql_insert

from mlsteward.domain.audit import AuditCheckpoint, AuditEntry, AuditRecord
from mlsteward.domain.errors import CorruptStoreError, InvalidArgumentError
from mlsteward.storage.audit_base import AuditQuery, AuditStore
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.database import SqlDatabase
from mlsteward.storage.sql.store_base import SqlStoreBase

R = t.audit_records
H = t.audit_head
C = t.audit_checkpoints

#: The only row of ``audit_head``.
_HEAD_ID = 1
#: Rows fetched at a time while streaming records.
_STREAM_ROWS = 1_000

# An append's three statements, built once: building a statement per call cost more than
# running it (an append runs with every state change).
_MOVE_HEAD = (
    update(H).where(H.c.id == _HEAD_ID).values(seq=H.c.seq + 1).returning(H.c.seq, H.c.hash)
)
_INSERT_RECORD = sql_insert(R)
_SET_HEAD_HASH = update(H).where(H.c.id == _HEAD_ID).values(hash=bindparam("head_hash"))
# PostgreSQL inserts the record and moves the head's hash in one round trip (a
# data-modifying WITH runs whether or not the statement reads it).
_PG_INSERT_AND_SET_HEAD = (
    update(H)
    .where(H.c.id == _HEAD_ID)
    .values(hash=bindparam("r_hash"))
    .add_cte(
        sql_insert(R).values({c.name: bindparam(f"r_{c.name}") for c in R.columns}).cte("inserted")
    )
)


_RECORD_FIELDS = tuple(field.name for field in dataclasses.fields(AuditRecord))


def _record_values(record: AuditRecord) -> dict[str, Any]:
    """The record's columns (``dataclasses.asdict`` copies deeply, and costs ten times more)."""
    return {name: getattr(record, name) for name in _RECORD_FIELDS}


class SqlAuditStore(SqlStoreBase, AuditStore):
    """The :class:`AuditStore` over a database it shares with the other domains' stores."""

    def __init__(self, database: SqlDatabase) -> None:
        super().__init__(database)
        self._one_round_trip = database.dialect == "postgresql"

    def append(self, entry: AuditEntry) -> AuditRecord:
        # No savepoint of its own inside a unit of work: a record that cannot be written
        # must undo the change it records, so its failure fails the whole unit.
        with self.database.write(savepoint=False) as conn:
            moved = conn.execute(_MOVE_HEAD).first()
            if moved is None:
                raise self._missing_head()
            record = entry.chained(int(moved.seq), moved.hash)
            if self._one_round_trip:
                values = _record_values(record)
                conn.execute(_PG_INSERT_AND_SET_HEAD, {f"r_{k}": v for k, v in values.items()})
            else:
                conn.execute(_INSERT_RECORD, _record_values(record))
                conn.execute(_SET_HEAD_HASH, {"head_hash": record.hash})
        return record

    def head(self) -> tuple[int, str]:
        with self._read() as conn:
            row = _head_row(conn)
        if row is None:
            raise self._missing_head()
        return int(row.seq), str(row.hash)

    def records(self, query: AuditQuery) -> Iterator[AuditRecord]:
        statement = _select_records(query)
        with self._read() as conn:
            result = conn.execute(statement.execution_options(yield_per=_STREAM_ROWS))
            for row in result:
                yield _record(row)

    def add_checkpoint(self, checkpoint: AuditCheckpoint) -> AuditCheckpoint:
        try:
            with self._write() as conn:
                kept = _checkpoint_at(conn, checkpoint.seq)
                if kept is not None:
                    return kept
                conn.execute(sql_insert(C).values(**dataclasses.asdict(checkpoint)))
        except exc.IntegrityError:
            # Another writer kept one for this sequence number in between: theirs stands.
            with self._read() as conn:
                kept = _checkpoint_at(conn, checkpoint.seq)
            if kept is None:  # pragma: no cover - the conflict was on this very row
                raise
            return kept
        return checkpoint

    def checkpoints(self) -> list[AuditCheckpoint]:
        with self._read() as conn:
            return [_checkpoint(row) for row in conn.execute(select(C).order_by(C.c.seq))]

    def prune(self, through_seq: int) -> int:
        with self._write() as conn:
            # Lock the head first (FOR UPDATE on PostgreSQL; a SQLite writer holds the
            # database's lock), so no append moves it between the check and the prune.
            head = conn.execute(
                select(H.c.seq, H.c.pruned_through).where(H.c.id == _HEAD_ID).with_for_update()
            ).first()
            if head is None:
                raise self._missing_head()
            if not 0 <= through_seq <= head.seq:
                raise InvalidArgumentError(
                    f"Cannot prune the audit log through record {through_seq}: give a "
                    f"sequence number from 0 to the last record's, {head.seq}"
                )
            removed = conn.execute(delete(R).where(R.c.seq <= through_seq)).rowcount
            if through_seq > head.pruned_through:
                conn.execute(update(H).where(H.c.id == _HEAD_ID).values(pruned_through=through_seq))
        return int(removed)

    def pruned_through(self) -> int:
        with self._read() as conn:
            row = _head_row(conn)
        if row is None:
            raise self._missing_head()
        return int(row.pruned_through)

    def _missing_head(self) -> CorruptStoreError:
        return CorruptStoreError(
            f"The audit log's head row is missing from {self.uri}: the table audit_head was "
            "changed outside mlsteward. Restore the database from a backup."
        )


def _head_row(conn: Connection) -> Row[Any] | None:
    return conn.execute(select(H).where(H.c.id == _HEAD_ID)).first()


def _select_records(query: AuditQuery) -> Select[tuple[object, ...]]:
    """The records ``query`` asks for, by sequence number (``since_ms`` inclusive,
    ``until_ms`` exclusive)."""
    statement = select(R).where(R.c.seq > query.after_seq).order_by(R.c.seq)
    if query.through_seq is not None:
        statement = statement.where(R.c.seq <= query.through_seq)
    for column, wanted in (
        (R.c.actor, query.actor),
        (R.c.resource_kind, query.resource_kind),
        (R.c.resource_name, query.resource_name),
        (R.c.operation, query.operation),
    ):
        if wanted is not None:
            statement = statement.where(column == wanted)
    if query.since_ms is not None:
        statement = statement.where(R.c.time_ms >= query.since_ms)
    if query.until_ms is not None:
        statement = statement.where(R.c.time_ms < query.until_ms)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


def _checkpoint_at(conn: Connection, seq: int) -> AuditCheckpoint | None:
    row = conn.execute(select(C).where(C.c.seq == seq)).first()
    return None if row is None else _checkpoint(row)


def _record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(
        seq=int(row.seq),
        time_ms=int(row.time_ms),
        actor=row.actor,
        actor_kind=row.actor_kind,
        operation=row.operation,
        action=row.action,
        resource_kind=row.resource_kind,
        resource_name=row.resource_name,
        request_id=row.request_id,
        change_sha256=row.change_sha256,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _checkpoint(row: Row[Any]) -> AuditCheckpoint:
    return AuditCheckpoint(
        seq=int(row.seq),
        head_hash=row.head_hash,
        time_ms=int(row.time_ms),
        key_id=row.key_id,
        signature=row.signature,
    )
