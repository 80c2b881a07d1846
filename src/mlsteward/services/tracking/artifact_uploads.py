"""Storing artifacts as they reach the service: bytes, a stream, or files on this machine.

The SDK walks a directory itself (the same walk for a local store and a server); files on
this machine then reach the service as one list, which is stored all or none, as a directory
upload always was on a local store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from mlsteward.services.blob_gc import discard_unrecorded
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import artifacts
from mlsteward.services.tracking.runs import require_active_run
from mlsteward.services.tracking.validation import validate_artifact_path
from mlsteward.storage.artifacts.blob_store import StoredBlob
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


def log_artifact_files(
    ctx: ServiceContext, run_id: str, files: Sequence[tuple[str | os.PathLike[str], str]]
) -> list[ArtifactRecord]:
    """Store local files at their run paths, all or none.

    Every path is checked, then every file is stored before any path is recorded, so a
    failure leaves the run as it was; blobs the failed call created and nothing references
    are removed again (what cannot be removed is left to ``mlsteward gc``).
    """
    require_active_run(ctx, run_id)
    checked = [(Path(file), validate_artifact_path(path, ctx.limits)) for file, path in files]
    stored: list[StoredBlob] = []
    try:
        for file, _path in checked:
            stored.append(ctx.blobs.store_file(file))
        records = [
            ArtifactRecord(path, blob.digest, blob.size)
            for (_file, path), blob in zip(checked, stored, strict=True)
        ]
        ctx.stores.tracking.record_artifacts(run_id, records, ctx.clock())
    except BaseException:
        discard_unrecorded(ctx, stored)
        raise
    return records


def store_upload(ctx: ServiceContext, run_id: str, path: str, content: Any) -> list[ArtifactRecord]:
    """Store an upload's ``content`` at ``path`` in the run: :class:`LocalFiles` (under
    ``path`` as a folder), bytes, chunks, a binary file, or a callable opening one."""
    if isinstance(content, LocalFiles):
        named = [(file, join(path, name)) for file, name in content.files]
        return log_artifact_files(ctx, run_id, named)
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
