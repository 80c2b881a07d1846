"""Errors of a batch job, each saying where it stopped and that a rerun resumes.

Messages never quote a value read from the input: on a server they travel to a client who
may not read the file (the position and the column say where to look).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from mlsteward.domain.errors import ConflictError, InvalidArgumentError, MlstewardError, wire_int


class BatchInputError(InvalidArgumentError):
    """The input cannot be read (no file matches, a file is not CSV or Parquet, a broken
    file): raised before any output is written when found up front."""

    code = "BATCH_INPUT_ERROR"


class BadRowError(InvalidArgumentError):
    """A row does not fit the model's signature and ``on_bad_rows`` is ``fail``."""

    code = "BATCH_BAD_ROW"

    def __init__(self, message: str, *, source: str = "", row: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.row = row

    def details(self) -> dict[str, Any]:
        return {"source": self.source, "row": self.row}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        source = details.get("source")
        return cls(
            message,
            source=source if isinstance(source, str) else "",
            row=wire_int(details.get("row")),
        )


class ChunkFailedError(MlstewardError):
    """The model raised on one chunk; the chunks finished before it are kept."""

    code = "BATCH_CHUNK_FAILED"
    http_status = 500

    def __init__(self, message: str, *, chunk: int | None = None) -> None:
        super().__init__(message)
        self.chunk = chunk

    def details(self) -> dict[str, Any]:
        return {"chunk": self.chunk}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        return cls(message, chunk=wire_int(details.get("chunk")))


class OutputWriteError(MlstewardError):
    """Writing the output (or the prediction log) failed midway; finished chunks are kept."""

    code = "BATCH_OUTPUT_UNWRITABLE"
    http_status = 500

    def __init__(self, message: str, *, chunk: int | None = None) -> None:
        super().__init__(message)
        self.chunk = chunk

    def details(self) -> dict[str, Any]:
        return {"chunk": self.chunk}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        return cls(message, chunk=wire_int(details.get("chunk")))


class JobChangedError(ConflictError):
    """The output holds a job for another model, input or settings: resuming it would mix
    two jobs' rows. ``restart`` starts over instead."""

    code = "BATCH_JOB_CHANGED"
