"""``/api/v1/runs/{run_id}/artifacts``: streamed upload and download, and listings.

Bytes pass through the server in 1 MiB chunks in both directions, so clients need no
credentials for the artifact store and the server never holds a whole file in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, read_and_close
from mlsteward.services.api.schemas import ArtifactListOut, ArtifactRecordOut, ErrorResponse
from mlsteward.services.api.wire import DIGEST_HEADER
from mlsteward.services.tracking import artifacts

router = APIRouter(
    prefix="/runs/{run_id}/artifacts",
    tags=["artifacts"],
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


def _blocking_chunks(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    """The request body as a plain iterator, for a service running in a worker thread."""

    async def next_chunk() -> bytes | None:
        try:
            return await anext(stream)
        except StopAsyncIteration:
            return None

    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        if chunk:
            yield chunk


@router.put(
    "/{path:path}",
    status_code=201,
    response_model=ArtifactRecordOut,
    responses={413: {"model": ErrorResponse}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_artifact(run_id: str, path: str, request: Request, ctx: Ctx) -> Response:
    """Store the request body (any length up to the server's limit) at ``path`` in the run.

    The run and path are checked before the body is read; the body is hashed and stored as
    it streams in, and the path is recorded only once every byte has arrived.
    """
    body = _blocking_chunks(request.stream())
    record = await anyio.to_thread.run_sync(artifacts.log_artifact_stream, ctx, run_id, path, body)
    return json_response({"path": record.path, "digest": record.digest, "size": record.size}, 201)


@router.get("", response_model=ArtifactListOut)
def list_artifacts(
    run_id: str,
    ctx: Ctx,
    path: str | None = Query(default=None),
    recursive: bool = Query(default=False),
) -> Response:
    """Direct children of ``path`` (files and folders), or with ``recursive`` every file at or
    under it (a file path lists that file alone)."""
    if recursive:
        records = artifacts.artifact_files(ctx, run_id, path)
        files = [
            {"path": r.path, "is_dir": False, "size": r.size, "digest": r.digest} for r in records
        ]
    else:
        files = [e.to_dict() for e in artifacts.list_artifacts(ctx, run_id, path)]
    return json_response({"files": files})


@router.get(
    "/{path:path}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_artifact(run_id: str, path: str, ctx: Ctx) -> Response:
    """The file's bytes, streamed; its SHA-256 is in ``X-Mlsteward-Digest`` and the ETag."""
    record, handle = artifacts.open_artifact(ctx, run_id, path)
    name = record.path.rsplit("/", 1)[-1]
    headers = {
        "Content-Length": str(record.size),
        DIGEST_HEADER: record.digest,
        "ETag": f'"{record.digest}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    }
    return StreamingResponse(
        read_and_close(handle), media_type="application/octet-stream", headers=headers
    )
