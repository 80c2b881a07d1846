"""Artifacts between this machine and a run, through the declared operations on any transport.

The SDK walks directories itself, the same way for a local store and a server: an upload
names every local file and the run path it goes to (a directory is stored all or none where
the store can do that, in-process; over HTTP each file is a request of its own), and a
download lists the files under a path and streams each one into place, checking its digest.
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import uuid
from pathlib import Path

from mlsteward.domain.entities import ArtifactEntry
from mlsteward.domain.errors import (
    ConflictError,
    InsufficientStorageError,
    InvalidArgumentError,
    MlstewardError,
)
from mlsteward.interfaces.sdk.transport import Transport, invoke
from mlsteward.services.limits import Limits
from mlsteward.services.tracking import operations_artifacts as artifact_ops
from mlsteward.services.tracking.artifact_uploads import LocalFiles
from mlsteward.services.tracking.validation import validate_artifact_path

_LIMITS = Limits()
#: A full disk, or the user's quota used up.
_NO_SPACE = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def local_files(local_path: str | os.PathLike[str]) -> LocalFiles:
    """A file, or every file under a directory (sorted), each with its path relative to the
    upload's folder: a file keeps its name, a directory's files their place in it."""
    source = Path(local_path)
    if not source.exists():
        raise InvalidArgumentError(f"No such file or directory: {source}")
    if not source.is_dir():
        return LocalFiles(((source, source.name),))
    found = sorted(p for p in source.rglob("*") if p.is_file())
    return LocalFiles(tuple((file, file.relative_to(source).as_posix()) for file in found))


def log_artifact(
    transport: Transport,
    run_id: str,
    local_path: str | os.PathLike[str],
    artifact_path: str | None = None,
) -> list[str]:
    """Store a file, or a directory's files, under ``artifact_path`` in the run; returns the
    run paths stored. The folder is checked before anything is sent, with the same rule and
    message as the store's."""
    files = local_files(local_path)
    folder = validate_artifact_path(artifact_path, _LIMITS) if artifact_path else ""
    stored = invoke(
        transport, artifact_ops.upload_artifact, run_id=run_id, path=folder, content=files
    )
    return [record.path for record in stored]


def log_artifact_bytes(transport: Transport, run_id: str, artifact_path: str, data: bytes) -> str:
    """Store ``data`` at ``artifact_path`` in the run; returns the path as stored."""
    (record,) = invoke(
        transport, artifact_ops.upload_artifact, run_id=run_id, path=artifact_path, content=data
    )
    return record.path


def list_artifacts(
    transport: Transport, run_id: str, path: str | None = None
) -> list[ArtifactEntry]:
    return invoke(transport, artifact_ops.list_artifacts, run_id=run_id, path=path)


def download_artifacts(
    transport: Transport, run_id: str, path: str | None, destination: str | os.PathLike[str]
) -> Path:
    """Copy a file, or every file under a directory, of the run to ``destination``; returns
    the local path of what ``path`` names."""
    entries = invoke(
        transport, artifact_ops.list_artifacts, run_id=run_id, path=path, recursive=True
    )
    destination_root = Path(destination)
    root = destination_root.resolve()
    for entry in entries:
        target = (root / entry.path).resolve()
        if not target.is_relative_to(root):
            raise MlstewardError(f"The store named an artifact path outside the run: {entry}")
        _download_file(transport, run_id, entry, target)
    clean = posixpath.normpath(path.strip("/")) if path and path.strip("/") else ""
    return destination_root / clean if clean not in ("", ".") else destination_root


def _download_file(transport: Transport, run_id: str, entry: ArtifactEntry, target: Path) -> None:
    """Stream one file to a temporary name beside ``target``, check it against the digest the
    store recorded (a mismatch is a :class:`ConflictError`), then rename it."""
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    sha = hashlib.sha256()
    request = artifact_ops.download_artifact.make(run_id=run_id, path=entry.path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            transport.stream(artifact_ops.download_artifact, request) as chunks,
            open(partial, "wb") as out,
        ):
            for chunk in chunks:
                sha.update(chunk)
                out.write(chunk)
        if entry.digest and sha.hexdigest() != entry.digest:
            raise ConflictError(
                f"Artifact {entry.path!r} arrived corrupted: its bytes differ from the digest "
                "the store recorded; nothing was written"
            )
        os.replace(partial, target)
    except OSError as error:
        if error.errno in _NO_SPACE:
            raise InsufficientStorageError(
                f"No space left in {target.parent} to download {target.name} "
                f"({os.strerror(error.errno or errno.ENOSPC)}); nothing was written there. "
                "Free space or choose another destination, then retry."
            ) from error
        raise
    finally:
        partial.unlink(missing_ok=True)
