"""``/api/v1/runs/{run_id}/artifacts/{path}``: streamed upload and download.

Bytes pass through the server in 1 MiB chunks in both directions, so clients need no
credentials for the artifact store and the server never holds a whole file in memory. Both
routes build their operation's request and run it through the dispatcher (the listing is
mounted from its declaration).
"""

from __future__ import annotations

from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.operation_routes import documented_responses
from mlsteward.interfaces.rest.responses import json_response, read_and_close, request_chunks
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.wire import DIGEST_HEADER
from mlsteward.services.operations import dispatch
from mlsteward.services.tracking import operations_artifacts as artifact_ops

router = APIRouter(
    prefix="/runs/{run_id}/artifacts",
    tags=["artifacts"],
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
_UPLOAD = artifact_ops.upload_artifact
_DOWNLOAD = artifact_ops.download_artifact


@router.put(
    "/{path:path}",
    status_code=_UPLOAD.status,
    response_model=_UPLOAD.response_model,
    responses=documented_responses(_UPLOAD),
    description=_UPLOAD.description,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_artifact(run_id: str, path: str, request: Request, ctx: Ctx) -> Response:
    content = request_chunks(request.stream())
    upload = artifact_ops.UploadArtifact.model_construct(run_id=run_id, path=path, content=content)
    stored = await anyio.to_thread.run_sync(dispatch, ctx, _UPLOAD, upload)
    return json_response(artifact_ops.stored_json(stored), _UPLOAD.status)


@router.get(
    "/{path:path}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
    description=_DOWNLOAD.description,
)
def download_artifact(run_id: str, path: str, ctx: Ctx) -> Response:
    request = artifact_ops.ArtifactPath.model_construct(run_id=run_id, path=path)
    opened = dispatch(ctx, _DOWNLOAD, request)
    record = opened.record
    name = record.path.rsplit("/", 1)[-1]
    headers = {
        "Content-Length": str(record.size),
        DIGEST_HEADER: record.digest,
        "ETag": f'"{record.digest}"',
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    }
    return StreamingResponse(
        read_and_close(opened.handle), media_type="application/octet-stream", headers=headers
    )
