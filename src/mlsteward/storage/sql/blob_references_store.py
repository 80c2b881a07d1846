"""Blob references in the SQL store, found by column name rather than listed by hand.

Convention: a column named ``digest`` or ending in ``_digest`` holds the SHA-256 of a blob in
the artifact store. Reading every such column means a table added later is protected from
``mlsteward gc`` without anyone remembering to register it; a column that happens to hold
another kind of digest only makes the collector keep more, never remove too much.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from sqlalchemy import Column, select

from mlsteward.storage.blob_references import BlobReferenceStore
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.in_chunks import in_chunks
from mlsteward.storage.sql.store_base import SqlStoreBase

_STREAM_ROWS = 10_000


def blob_digest_columns() -> list[Column[str]]:
    """Every column of the schema that holds a blob digest (see the module docstring)."""
    return [
        column
        for table in t.metadata.sorted_tables
        for column in table.columns
        if column.name == "digest" or column.name.endswith("_digest")
    ]


class SqlBlobReferences(SqlStoreBase, BlobReferenceStore):
    """The :class:`BlobReferenceStore` over every table of the shared SQL database."""

    def iter_referenced_digests(self) -> Iterator[str]:
        for column in blob_digest_columns():
            query = select(column).where(column.is_not(None))
            with self._read() as conn:
                result = conn.execute(query.execution_options(yield_per=_STREAM_ROWS))
                for (digest,) in result:
                    yield digest

    def referenced_among(self, digests: Collection[str]) -> set[str]:
        wanted = sorted(set(digests))
        found: set[str] = set()
        with self._read() as conn:
            for column in blob_digest_columns():
                for chunk in in_chunks(wanted):
                    found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
        return found
