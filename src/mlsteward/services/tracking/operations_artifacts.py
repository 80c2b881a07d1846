"""The artifact operations a client can call: list a run's files, upload one, download one.

Uploads and downloads carry content, so their routes are written by hand
(``interfaces/rest/routes_artifacts.py``) and stream it in 1 MiB chunks; both call the same
dispatcher as every other door. Directory uploads and downloads are the SDK's walk over them.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.entities import ArtifactEntry
from mlsteward.services.api import wire
from mlsteward.services.api.schemas import ArtifactListOut, ArtifactRecordOut
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Operation, OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import WireForm
from mlsteward.services.tracking import artifacts
from mlsteward.services.tracking.artifact_uploads import OpenArtifact, open_artifact, store_upload
from mlsteward.storage.base import ArtifactRecord


class ListArtifacts(OperationRequest):
    run_id: str
    path: str | None = None
    recursive: bool = False


class UploadArtifact(OperationRequest):
    """``content``: bytes, chunks, a binary file or a callable opening a fresh one (sent again
    on a retry); in-process also ``LocalFiles``, stored under ``path`` as a folder."""

    run_id: str
    path: str
    content: Any


class ArtifactPath(OperationRequest):
    run_id: str
    path: str


def stored_json(records: list[ArtifactRecord]) -> dict[str, Any]:
    """An upload over HTTP stores one file: its record."""
    (record,) = records
    return {"path": record.path, "digest": record.digest, "size": record.size}


def _stored(raw: dict[str, Any]) -> list[ArtifactRecord]:
    return [ArtifactRecord(str(raw["path"]), str(raw["digest"]), int(raw["size"]))]


def _in_run(r: Any) -> str:
    return f"{r.run_id}/{r.path}" if r.path else str(r.run_id)


declare = Declarations(
    "tracking", ResourceKind.RUN, tag="artifacts", responses={400: None, 404: None}
)
FILES = Codec(
    listed("files", ArtifactEntry.to_dict),
    unlisted("files", wire.decode_artifact_entry),
    ArtifactListOut,
)
STORED = Codec(stored_json, _stored, ArtifactRecordOut)
#: A download's bytes are not JSON: nothing to encode, and a client reads them as they came.
CONTENT: Codec[Any] = Codec(None, bytes)


@declare.get("/runs/{run_id}/artifacts", returns=FILES)
def list_artifacts(ctx: ServiceContext, r: ListArtifacts) -> list[ArtifactEntry]:
    """Direct children of ``path`` (files and folders), or with ``recursive`` every file at or
    under it (a file path lists that file alone)."""
    if r.recursive:
        records = artifacts.artifact_files(ctx, r.run_id, r.path)
        return [ArtifactEntry(rec.path, False, rec.size, rec.digest) for rec in records]
    return artifacts.list_artifacts(ctx, r.run_id, r.path)


@declare.put(
    "/runs/{run_id}/artifacts/{path:path}",
    returns=STORED,
    status=201,
    wire=WireForm.UPLOAD,
    responses={413: None},
    resource_name=_in_run,
)
def upload_artifact(ctx: ServiceContext, r: UploadArtifact) -> list[ArtifactRecord]:
    """Store the request body (any length up to the server's limit) at ``path`` in the run.

    The run and path are checked before the body is read; the body is hashed and stored as
    it streams in, and the path is recorded only once every byte has arrived.
    """
    return store_upload(ctx, r.run_id, r.path, r.content)


#: In-process the result is the stored file opened (:class:`OpenArtifact`); over HTTP, read
#: whole, its bytes. Stream it (``Transport.stream``) to read either in chunks.
@declare.get("/runs/{run_id}/artifacts/{path:path}", returns=CONTENT, wire=WireForm.DOWNLOAD)
def download_artifact(ctx: ServiceContext, r: ArtifactPath) -> OpenArtifact:
    """The file's bytes, streamed; its SHA-256 is in ``X-Mlsteward-Digest`` and the ETag."""
    return open_artifact(ctx, r.run_id, r.path)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
