"""Storing artifacts as they reach the service: bytes, a stream, or files on this machine.

The SDK walks a directory itself (the same walk for a local store and a server); files on
this machine then reach the service as one list, which is stored all or none, as a directory
upload always was on a local store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import artifacts
from mlsteward.storage.base import ArtifactRecord


@dataclass(frozen=True)
class LocalFiles:
    """Files on this machine to store in a run: (local file, path under the upload's folder)
    pairs, stored all or none. Only the in-process door takes them as they are; over HTTP
    each file is an upload of its own."""

    files: tuple[tuple[Path, str], ...]


def join(folder: str, name: str) -> str:
    """``name`` under ``folder`` (``""``: the run's root)."""
    folder = folder.strip("/")
    return f"{folder}/{name}" if folder else name


def store_upload(ctx: ServiceContext, run_id: str, path: str, content: Any) -> list[ArtifactRecord]:
    """Store an upload's ``content`` at ``path`` in the run: :class:`LocalFiles` (under
    ``path`` as a folder), bytes, chunks, a binary file, or a callable opening one."""
    if isinstance(content, LocalFiles):
        named = [(file, join(path, name)) for file, name in content.files]
        return artifacts.log_artifact_files(ctx, run_id, named)
    if isinstance(content, bytes | bytearray | memoryview):
        return [artifacts.log_artifact_stream(ctx, run_id, path, iter([bytes(content)]))]
    if callable(content):
        opener: Callable[[], BinaryIO] = content
        with opener() as handle:
            return [artifacts.log_artifact_stream(ctx, run_id, path, handle)]
    stream: BinaryIO | Iterator[bytes] = content
    return [artifacts.log_artifact_stream(ctx, run_id, path, stream)]


class OpenArtifact:
    """A stored file opened for reading: its record (path, digest, size) and its bytes, read
    from ``handle`` or from the object itself."""

    def __init__(self, record: ArtifactRecord, handle: IO[bytes]) -> None:
        self.record = record
        self.handle = handle

    def read(self, size: int = -1) -> bytes:
        return self.handle.read(size)

    def close(self) -> None:
        self.handle.close()


def open_artifact(ctx: ServiceContext, run_id: str, path: str) -> OpenArtifact:
    record, handle = artifacts.open_artifact(ctx, run_id, path)
    return OpenArtifact(record, handle)
