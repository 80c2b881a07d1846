"""What every source is: a re-iterable stream of Arrow record batches with a report.

A source reads lazily and in bounded memory; iterating it again reads the source again
(which is how a dataset version is rebuilt from its recorded source). The first batch always
arrives, possibly with zero rows, so consumers learn the schema even of an empty result.
Malformed rows skipped under ``on_bad_rows="skip"`` are listed in :attr:`bad_rows` once the
iteration has finished.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import IO, Any, Literal

import pyarrow as pa

from mlsteward.engines.data.errors import BadRow

BadRowPolicy = Literal["error", "skip"]

#: A file to read: a local path, or an already opened binary file object (e.g. from fsspec).
FileInput = str | os.PathLike[str] | IO[bytes]

#: Longest row text kept in a :class:`BadRow` report.
MAX_BAD_ROW_TEXT = 200


class BatchSource(ABC):
    """A stream of record batches from one source, re-read on every iteration."""

    #: Short kind of source, e.g. ``"csv"``, recorded in lineage.
    kind: str = "source"

    def __init__(self) -> None:
        self.bad_rows: list[BadRow] = []
        self.rows_read = 0

    @abstractmethod
    def _batches(self) -> Iterator[pa.RecordBatch]:
        """Yield the batches; implementations reset their own per-read state first."""

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        self.bad_rows = []
        self.rows_read = 0
        for batch in self._batches():
            self.rows_read += batch.num_rows
            yield batch

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON-able description of what is read and how (for lineage and rebuilds)."""

    def read_all(self) -> pa.Table:
        """Read everything into one table (sources may override with a leaner way)."""
        batches = list(self)
        return pa.Table.from_batches(batches, schema=batches[0].schema)


def input_name(source: FileInput) -> str:
    """A readable name for a file input, used in messages and lineage."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def validate_policy(policy: str) -> BadRowPolicy:
    """Check an ``on_bad_rows`` argument early, before any reading happens."""
    if policy not in ("error", "skip"):
        raise ValueError(f"on_bad_rows must be 'error' or 'skip', not {policy!r}")
    return policy  # type: ignore[return-value]


def truncate(text: str) -> str:
    """Row text as kept in reports: at most :data:`MAX_BAD_ROW_TEXT` characters."""
    return text if len(text) <= MAX_BAD_ROW_TEXT else text[: MAX_BAD_ROW_TEXT - 3] + "..."
