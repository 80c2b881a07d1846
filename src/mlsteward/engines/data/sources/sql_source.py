"""SQL source: a query over any SQLAlchemy URL, fetched in chunks through a server-side cursor.

Rows are fetched ``chunk_rows`` at a time (``stream_results``), so memory stays bounded on
drivers that support server-side cursors (PostgreSQL, MySQL); others buffer as their driver
does. A failure part-way raises :class:`SourceError` saying how many rows had been read; the
batches already yielded must then be discarded by the consumer, which
:func:`~mlsteward.engines.data.staging.stage_batches` does for you (nothing half-registered).
The query only reads (:mod:`.sql_read_only`): it must be one ``SELECT``-like statement, and
runs where the database refuses writes (a read-only transaction on PostgreSQL, a read-only
file and an authorizer on SQLite); the transaction is rolled back at the end all the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from mlsteward.domain.redaction import redact_url
from mlsteward.engines.data.errors import SourceError
from mlsteward.engines.data.progress import ProgressCallback, ProgressTracker
from mlsteward.engines.data.sources.base import BatchSource
from mlsteward.engines.data.sources.record_batcher import RecordBatcher
from mlsteward.engines.data.sources.sql_read_only import (
    WriteRefusedError,
    check_read_query,
    read_only,
    read_only_engine,
    refused_write,
)


class SqlSource(BatchSource):
    """Stream the result of ``query`` (SQL text with ``:name`` parameters) as record batches."""

    kind = "sql"

    def __init__(
        self,
        url: str | sa.Engine,
        query: str,
        *,
        params: Mapping[str, Any] | None = None,
        schema: pa.Schema | None = None,
        inference_rows: int = 100_000,
        chunk_rows: int = 50_000,
        progress: ProgressCallback | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.query = query
        self.params = dict(params or {})
        self.schema = schema
        self.inference_rows = inference_rows
        self.chunk_rows = chunk_rows
        self.progress = progress
        check_read_query(query, self.safe_url)  # before anything is opened

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, fit for logs and lineage."""
        if isinstance(self.url, sa.Engine):
            return redact_url(self.url.url.render_as_string(hide_password=False))
        return redact_url(str(self.url))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "uri": self.safe_url,
            "query": self.query,
            "params": {k: repr(v) for k, v in self.params.items()},
            "inference_rows": self.inference_rows,
        }

    def _batches(self) -> Iterator[pa.RecordBatch]:
        owned = not isinstance(self.url, sa.Engine)
        if isinstance(self.url, sa.Engine):
            engine = self.url
        else:
            try:
                engine = read_only_engine(sa.make_url(self.url))
            except (SQLAlchemyError, ImportError, ValueError) as exc:
                raise SourceError(f"cannot use database URL: {exc}", source=self.safe_url) from None
        tracker = ProgressTracker(self.safe_url, self.progress)
        batcher = RecordBatcher(
            source=self.safe_url,
            schema=self.schema,
            position_kind="record",
            inference_rows=self.inference_rows,
        )
        try:
            with engine.connect() as connection, read_only(connection, self.safe_url):
                streaming = connection.execution_options(
                    stream_results=True, max_row_buffer=self.chunk_rows
                )
                result = streaming.execute(sa.text(self.query), self.params)
                names = list(result.keys())
                position = 1
                for rows in result.partitions(self.chunk_rows):
                    columns = [list(column) for column in zip(*rows, strict=True)]
                    positions = range(position, position + len(rows))
                    position += len(rows)
                    for batch in batcher.add_columns(names, columns, positions):
                        tracker.advance(batch.num_rows)
                        yield batch
                for batch in batcher.finish(names):
                    tracker.advance(batch.num_rows)
                    yield batch
                connection.rollback()
        except SQLAlchemyError as exc:
            detail = getattr(exc, "orig", None) or exc
            if refused_write(detail):
                raise WriteRefusedError(
                    f"the database refused the query as a write ({str(detail).strip()}); "
                    "a source query only reads",
                    source=self.safe_url,
                ) from None
            raise SourceError(
                f"query failed after {tracker.rows} rows: {str(detail).strip()}",
                source=self.safe_url,
            ) from None
        finally:
            if owned:
                engine.dispose()


def read_sql(url: str | sa.Engine, query: str, **options: Any) -> SqlSource:
    """Open a :class:`SqlSource`; the query runs when the source is iterated."""
    return SqlSource(url, query, **options)
