"""Parquet source: row groups streamed as record batches, column projection optional."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.engines.data.errors import SourceError, require_columns
from mlsteward.engines.data.progress import ProgressCallback, ProgressTracker
from mlsteward.engines.data.sources.base import BatchSource, FileInput, input_name


class ParquetSource(BatchSource):
    """Stream a Parquet file in batches of at most ``batch_rows`` rows."""

    kind = "parquet"

    def __init__(
        self,
        source: FileInput,
        *,
        columns: Sequence[str] | None = None,
        batch_rows: int = 131_072,
        progress: ProgressCallback | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.name = input_name(source)
        self.columns = list(columns) if columns is not None else None
        self.batch_rows = batch_rows
        self.progress = progress

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "uri": self.name, "columns": self.columns}

    def _open(self) -> pq.ParquetFile:
        try:
            # No pre-buffering: Arrow would otherwise hold a row group's raw bytes next to the
            # decoded columns, about doubling peak memory on large row groups.
            return pq.ParquetFile(self.source, pre_buffer=False, buffer_size=1 << 20)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(f"not a readable Parquet file: {exc}", source=self.name) from None

    def _batches(self) -> Iterator[pa.RecordBatch]:
        parquet = self._open()
        schema = parquet.schema_arrow
        if self.columns is not None:
            require_columns(self.columns, schema.names, where=f"reading {self.name}")
            schema = pa.schema([schema.field(name) for name in self.columns])
        tracker = ProgressTracker(self.name, self.progress, total_rows=parquet.metadata.num_rows)
        produced = False
        try:
            for batch in parquet.iter_batches(batch_size=self.batch_rows, columns=self.columns):
                produced = True
                tracker.advance(batch.num_rows)
                yield batch
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(
                f"reading failed after {tracker.rows} rows: {exc}", source=self.name
            ) from None
        if not produced:
            yield pa.RecordBatch.from_pylist([], schema=schema)

    def read_all(self) -> pa.Table:
        """Read the whole file, one row group at a time (leaner than batch by batch)."""
        self.bad_rows = []
        parquet = self._open()
        if self.columns is not None:
            require_columns(self.columns, parquet.schema_arrow.names, where=f"reading {self.name}")
        tracker = ProgressTracker(self.name, self.progress, total_rows=parquet.metadata.num_rows)
        parts = []
        try:
            for index in range(parquet.num_row_groups):
                part = parquet.read_row_group(index, columns=self.columns, use_threads=True)
                tracker.advance(part.num_rows)
                parts.append(part)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(
                f"reading failed after {tracker.rows} rows: {exc}", source=self.name
            ) from None
        if not parts:
            return parquet.schema_arrow.empty_table().select(
                self.columns or parquet.schema_arrow.names
            )
        self.rows_read = sum(p.num_rows for p in parts)
        return pa.concat_tables(parts)


def read_parquet(source: FileInput, **options: Any) -> ParquetSource:
    """Open ``source`` as a :class:`ParquetSource`; nothing is read yet."""
    return ParquetSource(source, **options)
