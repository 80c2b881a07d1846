"""Load a batch job's part files into a SQL table, one chunk per transaction, exactly once.

Each chunk's rows go in with a row of the marker table ``_mlsteward_batch_jobs`` (job ID,
chunk index, rows, part digest) in the same transaction: the marker's primary key
``(job_id, chunk)`` is inserted first, so a chunk is either loaded and marked or neither,
and a second loader of the same chunk (a rerun, a concurrent run) fails on the key and
skips the chunk instead of loading its rows twice. One transaction per chunk rather than
one for the whole output keeps each transaction (and the memory of the rows in flight, and
a database's lock and journal) bounded by the chunk size, and a crash while loading costs
only the chunk in flight: a rerun loads the chunks the markers do not list.

A table this module creates takes its column types from the Arrow schema of the parts
(:func:`sql_type`) and has ``prediction_id`` as its primary key, so a row can never be
loaded twice unnoticed. An existing table is appended to when it fits the rows
(:func:`table_mismatches`); otherwise nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeEngine

from mlsteward.engines.batch_scoring.runner import ID_COLUMN

MARKER_TABLE = "_mlsteward_batch_jobs"
#: Rows per INSERT (executemany) inside a chunk's transaction.
INSERT_ROWS = 5_000
#: UUID text: 36 characters.
_ID_LENGTH = 36


class UnsupportedColumnError(ValueError):
    """An output column whose Arrow type has no SQL column type (a list, a struct...)."""


def sql_type(arrow_type: pa.DataType) -> TypeEngine[Any]:
    """The SQLAlchemy column type a new table gives an Arrow column (exact where it can:
    float32 as REAL, int64 as BIGINT, a timestamp keeps its time zone)."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        return sql_type(t.value_type)
    if pa.types.is_boolean(t):
        return sa.Boolean()
    if pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t):
        return sa.SmallInteger()
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return sa.Integer()
    if pa.types.is_int64(t) or pa.types.is_uint32(t):
        return sa.BigInteger()
    if pa.types.is_uint64(t):
        return sa.Numeric(20, 0)
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return sa.REAL()
    if pa.types.is_float64(t):
        return sa.Double()
    if pa.types.is_decimal(t):
        return sa.Numeric(t.precision, t.scale)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return sa.Text()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return sa.LargeBinary()
    if pa.types.is_timestamp(t):
        return sa.DateTime(timezone=t.tz is not None)
    if pa.types.is_date(t):
        return sa.Date()
    if pa.types.is_time(t):
        return sa.Time()
    raise UnsupportedColumnError(str(t))


def target_table(
    name: str, schema: str | None, columns: pa.Schema, metadata: sa.MetaData
) -> sa.Table:
    """The table to create for rows of ``columns``: ``prediction_id`` is its primary key."""
    made: list[sa.Column[Any]] = []
    unsupported: list[str] = []
    for field in columns:
        if field.name == ID_COLUMN:
            made.append(sa.Column(ID_COLUMN, sa.String(_ID_LENGTH), primary_key=True))
            continue
        try:
            made.append(sa.Column(field.name, sql_type(field.type), nullable=True))
        except UnsupportedColumnError:
            unsupported.append(f"{field.name!r} ({field.type})")
    if unsupported:
        raise UnsupportedColumnError(
            f"no SQL column type for {', '.join(unsupported)}: leave such input columns out "
            "of the output (keep_columns)"
        )
    return sa.Table(name, metadata, *made, schema=schema)


def marker_table(schema: str | None, metadata: sa.MetaData) -> sa.Table:
    """``_mlsteward_batch_jobs``: one row per chunk loaded, in the target table's schema."""
    return sa.Table(
        MARKER_TABLE,
        metadata,
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("chunk", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("target_table", sa.String(255), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("part_digest", sa.String(64), nullable=False),
        sa.Column("loaded_ms", sa.BigInteger(), nullable=False),
        schema=schema,
    )


# Which reflected column types take an Arrow column's values without loss of meaning.
# (``Float`` is not a ``Numeric`` from SQLAlchemy 2.1 on: both are named.)
_REAL_NUMBER = (sa.Numeric, sa.Float)
_NUMBER = (sa.Integer, *_REAL_NUMBER)
_ACCEPTS: tuple[tuple[Callable[[pa.DataType], bool], tuple[type[Any], ...]], ...] = (
    (pa.types.is_boolean, (sa.Boolean, sa.Integer)),
    (pa.types.is_integer, _NUMBER),
    (pa.types.is_floating, _REAL_NUMBER),
    (pa.types.is_decimal, _REAL_NUMBER),
    (pa.types.is_string, (sa.String, sa.Uuid)),
    (pa.types.is_large_string, (sa.String, sa.Uuid)),
    (pa.types.is_timestamp, (sa.DateTime,)),
    (pa.types.is_date, (sa.Date, sa.DateTime)),
    (pa.types.is_time, (sa.Time,)),
    (pa.types.is_binary, (sa.LargeBinary, sa.BINARY, sa.VARBINARY)),
    (pa.types.is_large_binary, (sa.LargeBinary, sa.BINARY, sa.VARBINARY)),
)


def table_mismatches(existing: list[dict[str, object]], columns: pa.Schema) -> list[str]:
    """Why a reflected table cannot take rows of ``columns`` (empty when it can): a column
    it lacks, a column of another kind of type, a column it requires that no row fills."""
    by_name = {str(column["name"]): column for column in existing}
    problems: list[str] = []
    for field in columns:
        found = by_name.get(field.name)
        if found is None:
            problems.append(f"the table has no column {field.name!r}")
            continue
        value_type = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        column_type = found["type"]
        if isinstance(column_type, sa.types.NullType) or pa.types.is_null(value_type):
            continue  # an untyped SQLite column takes anything
        for test, accepted in _ACCEPTS:
            if test(value_type):
                if not isinstance(column_type, accepted):
                    problems.append(
                        f"column {field.name!r} is {column_type} in the table, the output's "
                        f"is {value_type}"
                    )
                break
    wanted = set(columns.names)
    for name, column in by_name.items():
        filled = column.get("default") is not None or column.get("autoincrement") is True
        if name not in wanted and not column.get("nullable", True) and not filled:
            problems.append(f"the table's column {name!r} is NOT NULL and the output has no such")
    return problems


@dataclass
class TableLoader:
    """Loads chunks of one job (``job_id``) into ``table`` on ``engine`` (module docstring)."""

    engine: sa.Engine
    table: sa.Table
    markers: sa.Table
    job_id: str

    def loaded_chunks(self) -> set[int]:
        """The chunks of this job the marker table lists as loaded."""
        query = sa.select(self.markers.c.chunk).where(self.markers.c.job_id == self.job_id)
        with self.engine.connect() as connection:
            return {int(row[0]) for row in connection.execute(query)}

    def load_chunk(self, index: int, rows: pa.Table, digest: str) -> bool:
        """Load one chunk's rows with its marker in one transaction; False when the chunk
        was loaded already (its marker exists: another run got there first)."""
        marker = {
            "job_id": self.job_id,
            "chunk": index,
            "target_table": self.table.fullname,
            "rows": rows.num_rows,
            "part_digest": digest,
            "loaded_ms": time.time_ns() // 1_000_000,
        }
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                try:
                    connection.execute(self.markers.insert(), [marker])
                except IntegrityError:
                    transaction.rollback()
                    return False
                insert = self.table.insert()
                for batch in _slices(rows, INSERT_ROWS):
                    connection.execute(insert, batch)
                transaction.commit()
            except BaseException:
                if transaction.is_active:
                    transaction.rollback()
                raise
        return True


def _slices(rows: pa.Table, size: int) -> Iterator[list[dict[str, object]]]:
    for batch in rows.to_batches(max_chunksize=size):
        yield batch.to_pylist()


__all__ = [
    "INSERT_ROWS",
    "MARKER_TABLE",
    "TableLoader",
    "UnsupportedColumnError",
    "marker_table",
    "sql_type",
    "table_mismatches",
    "target_table",
]
