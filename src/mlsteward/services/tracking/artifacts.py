"""Run artifacts: files recorded under run-relative paths, their bytes stored by content."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, BinaryIO

from mlsteward.domain.entities import ArtifactEntry
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.services.blob_gc import discard_unrecorded
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.runs import require_active_run
from mlsteward.services.tracking.validation import validate_artifact_path
from mlsteward.storage.artifacts.blob_store import StoredBlob
from mlsteward.storage.base import ArtifactRecord


def _join(directory: str | None, name: str) -> str:
    return f"{directory.strip('/')}/{name}" if directory else name


def log_artifact(
    ctx: ServiceContext,
    run_id: str,
    local_path: str | os.PathLike[str],
    artifact_path: str | None = None,
) -> list[str]:
    """Store a file, or a directory recursively, under ``artifact_path`` in the run, all or
    none (as :func:`log_artifact_files` does)."""
    require_active_run(ctx, run_id)
    source = Path(local_path)
    if not source.exists():
        raise InvalidArgumentError(f"No such file or directory: {source}")
    base = validate_artifact_path(artifact_path, ctx.limits) if artifact_path else None
    files: list[tuple[Path, str]] = []
    if source.is_dir():
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            files.append((file, _join(base, file.relative_to(source).as_posix())))
    else:
        files.append((source, _join(base, source.name)))
    return [r.path for r in _store_all(ctx, run_id, files)]


def log_artifact_files(
    ctx: ServiceContext, run_id: str, files: Sequence[tuple[str | os.PathLike[str], str]]
) -> list[ArtifactRecord]:
    """Store local files at their run paths, all or none.

    Every path is checked, then every file is stored before any path is recorded, so a
    failure leaves the run as it was; blobs the failed call created and nothing references
    are removed again (what cannot be removed is left to ``mlsteward gc``).
    """
    require_active_run(ctx, run_id)
    return _store_all(ctx, run_id, files)


def _store_all(
    ctx: ServiceContext, run_id: str, files: Sequence[tuple[str | os.PathLike[str], str]]
) -> list[ArtifactRecord]:
    """Check every path, store every file, then record them all; on failure the blobs this
    call created go again. The run was already found active."""
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


def log_artifact_stream(
    ctx: ServiceContext, run_id: str, artifact_path: str, stream: BinaryIO | Iterator[bytes]
) -> ArtifactRecord:
    """Store bytes arriving as a stream (the server's upload path) at ``artifact_path``."""
    require_active_run(ctx, run_id)
    path = validate_artifact_path(artifact_path, ctx.limits)
    blob = ctx.blobs.store_stream(stream)
    record = ArtifactRecord(path, blob.digest, blob.size)
    _record_or_discard(ctx, run_id, record, blob)
    return record


def log_artifact_bytes(ctx: ServiceContext, run_id: str, artifact_path: str, data: bytes) -> str:
    require_active_run(ctx, run_id)
    path = validate_artifact_path(artifact_path, ctx.limits)
    blob = ctx.blobs.store_stream(iter([data]))
    _record_or_discard(ctx, run_id, ArtifactRecord(path, blob.digest, blob.size), blob)
    return path


def _record_or_discard(
    ctx: ServiceContext, run_id: str, record: ArtifactRecord, blob: StoredBlob
) -> None:
    """Record one file; if recording fails, the blob this call created goes again."""
    try:
        ctx.stores.tracking.record_artifacts(run_id, [record], ctx.clock())
    except BaseException:
        discard_unrecorded(ctx, [blob])
        raise


def list_artifacts(
    ctx: ServiceContext, run_id: str, path: str | None = None
) -> list[ArtifactEntry]:
    ctx.stores.tracking.get_run(run_id)
    prefix = validate_artifact_path(path or "", ctx.limits, allow_root=True)
    return ctx.stores.tracking.list_artifacts(run_id, prefix)


def resolve_artifact(ctx: ServiceContext, run_id: str, path: str) -> ArtifactRecord:
    """The record of one file; NotFoundError when the path is not a file of the run."""
    ctx.stores.tracking.get_run(run_id)
    clean = validate_artifact_path(path, ctx.limits)
    for record in ctx.stores.tracking.list_artifact_records(run_id, clean):
        if record.path == clean:
            return record
    raise NotFoundError(f"Run {run_id!r} has no artifact file {clean!r}")


def artifact_files(
    ctx: ServiceContext, run_id: str, path: str | None = None
) -> list[ArtifactRecord]:
    """Every file at or under ``path`` (a file path gives that file alone)."""
    ctx.stores.tracking.get_run(run_id)
    clean = validate_artifact_path(path or "", ctx.limits, allow_root=True)
    if not clean:
        return ctx.stores.tracking.list_artifact_records(run_id)
    exact = [r for r in ctx.stores.tracking.list_artifact_records(run_id, clean) if r.path == clean]
    if exact:
        return exact
    below = ctx.stores.tracking.list_artifact_records(run_id, clean + "/")
    if not below:
        raise NotFoundError(f"Run {run_id!r} has no artifact at {clean!r}")
    return below


def open_artifact(ctx: ServiceContext, run_id: str, path: str) -> tuple[ArtifactRecord, IO[bytes]]:
    record = resolve_artifact(ctx, run_id, path)
    return record, ctx.blobs.open(record.digest)


def download_artifacts(
    ctx: ServiceContext, run_id: str, path: str | None, destination: str | os.PathLike[str]
) -> Path:
    """Copy a file or a directory of the run to ``destination``; returns the local path."""
    records = artifact_files(ctx, run_id, path)
    dest_root = Path(destination)
    clean = validate_artifact_path(path or "", ctx.limits, allow_root=True)
    for record in records:
        ctx.blobs.download(record.digest, dest_root / record.path)
    return dest_root / clean if clean else dest_root
