"""Drain a source once: hash it while reading, and either keep it in memory or stage it.

Both entry points give all-or-nothing results. :func:`stage_to_parquet` writes the canonical
batches to a hidden temporary Parquet file next to its destination and renames it into place
only after the source finished cleanly; any failure (a SQL error on row 3,000,001, a malformed
CSV line under ``on_bad_rows="error"``) deletes the partial file and re-raises, so a service
never registers half a dataset.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.engines.data.canonical import (
    canonical_schema,
    canonicalize_array,
    canonicalize_batch,
)
from mlsteward.engines.data.errors import BadRow, SourceError
from mlsteward.engines.data.sources.base import BatchSource
from mlsteward.engines.data.table_hash import TableHasher


@dataclass(frozen=True)
class HashedTable:
    """A source read into memory in canonical form, with its content hash."""

    table: pa.Table
    content_hash: str
    bad_rows: list[BadRow] = field(default_factory=list)


@dataclass(frozen=True)
class StagedParquet:
    """A source written to ``path`` as Parquet in canonical form, with its content hash."""

    path: Path
    content_hash: str
    schema: pa.Schema
    num_rows: int
    num_bytes: int
    bad_rows: list[BadRow] = field(default_factory=list)


def _bad_rows(batches: Iterable[pa.RecordBatch]) -> list[BadRow]:
    return list(batches.bad_rows) if isinstance(batches, BatchSource) else []


def read_and_hash(
    batches: Iterable[pa.RecordBatch], *, canonical: bool = True, threads: int = 2
) -> HashedTable:
    """Read every batch into one table and hash it.

    With ``canonical`` (default) the table is returned in canonical form (see
    :mod:`.canonical`); the hash is the same either way. A :class:`BatchSource` is read with
    its ``read_all`` (for Parquet: whole row groups, leaner than batches), then hashed
    column-parallel with ``threads`` threads and canonicalized one column at a time, so
    peak memory stays near the table's own size.
    """
    if isinstance(batches, BatchSource):
        table = batches.read_all()
        hasher = TableHasher()
        hasher.update(table, threads=threads)
        names, columns = table.column_names, table.columns
        del table  # let each original column go as soon as its canonical copy exists
        if canonical:
            for index, column in enumerate(columns):
                columns[index] = canonicalize_array(column)
        result = pa.Table.from_arrays(columns, names=names)
        return HashedTable(result, hasher.hexdigest(), list(batches.bad_rows))
    hasher = TableHasher()
    kept: list[pa.RecordBatch] = []
    for batch in batches:
        hasher.update(batch)
        kept.append(canonicalize_batch(batch) if canonical else batch)
    if not kept:
        raise SourceError("the source produced no batches (not even a schema)")
    table = pa.Table.from_batches(kept, schema=kept[0].schema)
    return HashedTable(table, hasher.hexdigest(), _bad_rows(batches))


def stage_to_parquet(
    batches: Iterable[pa.RecordBatch],
    directory: str | os.PathLike[str],
    *,
    compression: str = "zstd",
) -> StagedParquet:
    """Write the batches to ``directory/<content hash>.parquet``, all or nothing.

    If that file already exists (same content staged before) it is kept and the new copy is
    dropped, so staging is idempotent.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".staging-{uuid.uuid4().hex}.parquet"
    hasher = TableHasher()
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    try:
        for batch in batches:
            hasher.update(batch)
            canonical = canonicalize_batch(batch)
            if writer is None:
                schema = canonical_schema(batch.schema)
                writer = pq.ParquetWriter(temporary, schema, compression=compression)
            writer.write_batch(canonical)
        if writer is None or schema is None:
            raise SourceError("the source produced no batches (not even a schema)")
        writer.close()
        writer = None
        content = hasher.hexdigest()
        final = directory / f"{content}.parquet"
        if final.exists():
            temporary.unlink()
        else:
            os.replace(temporary, final)
        return StagedParquet(
            path=final,
            content_hash=content,
            schema=schema,
            num_rows=hasher.rows,
            num_bytes=final.stat().st_size,
            bad_rows=_bad_rows(batches),
        )
    except BaseException:
        if writer is not None:
            writer.close()
        temporary.unlink(missing_ok=True)
        raise
