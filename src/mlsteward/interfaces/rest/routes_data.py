"""The data routes that carry content: a version's upload, its Parquet file, stored profile
and HTML report.

A client reads its source itself (files and databases it can reach), stages canonical
Parquet and uploads it with the source's description in the ``X-Mlsteward-Dataset-Meta``
header. Every other data route is mounted from its declaration
(``mlsteward.services.data.operations``); these build the declared operation's request and
run it through the same dispatcher.
"""

from __future__ import annotations

import json
from typing import IO, cast

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import ValidationError

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.errors import describe_validation_errors
from mlsteward.interfaces.rest.operation_routes import documented_responses
from mlsteward.interfaces.rest.responses import json_response, read_and_close, request_chunks
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.documented_types import DatasetName
from mlsteward.services.api.schemas_data import REF_HELP, UploadMeta
from mlsteward.services.data import operations_versions as ops
from mlsteward.services.operations import dispatch

router = APIRouter(tags=[ops.TAG])

REF = Query(description=REF_HELP)
_UPLOAD = ops.upload_version

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/vnd.apache.parquet": {"schema": {"type": "string"}}},
    },
    "parameters": [
        {
            "name": w.UPLOAD_META_HEADER,
            "in": "header",
            "required": False,
            "description": "JSON object: source, schema (YAML text), strict, description, "
            "bad_rows ([{line, reason, text}])",
            "schema": {"type": "string"},
        }
    ],
}


def _meta(request: Request) -> UploadMeta:
    """The upload's description, checked like a JSON body (a client's header is data)."""
    raw = request.headers.get(w.UPLOAD_META_HEADER)
    if not raw:
        return UploadMeta()
    try:
        meta = json.loads(raw)
    except ValueError as error:
        raise InvalidArgumentError(f"{w.UPLOAD_META_HEADER} is not JSON: {error}") from None
    if not isinstance(meta, dict):
        raise InvalidArgumentError(f"{w.UPLOAD_META_HEADER} must be a JSON object")
    try:
        return UploadMeta.model_validate(meta)
    except ValidationError as error:
        problems = describe_validation_errors([dict(e) for e in error.errors()])
        raise InvalidArgumentError(f"{w.UPLOAD_META_HEADER}: {problems}") from None


@router.post(
    _UPLOAD.path,
    status_code=_UPLOAD.status,
    response_model=_UPLOAD.response_model,
    responses=documented_responses(_UPLOAD),
    description=_UPLOAD.description,
    openapi_extra=_UPLOAD_BODY,
)
async def upload_version(name: DatasetName, request: Request, ctx: Ctx) -> Response:
    meta = _meta(request)
    content = request_chunks(request.stream())
    upload = ops.UploadVersion.model_construct(name=name, content=content, meta=meta)
    result = await anyio.to_thread.run_sync(dispatch, ctx, _UPLOAD, upload)
    return json_response(w.encode_registered(result), 201 if result.created else 200)


@router.get(
    ops.download_version.path,
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/vnd.apache.parquet": {}}},
        **documented_responses(ops.download_version),
    },
    description=ops.download_version.description,
)
def download_version(ctx: Ctx, ref: str = REF) -> StreamingResponse:
    request = ops.VersionByRef.model_construct(ref=ref)
    handle = cast(IO[bytes], dispatch(ctx, ops.download_version, request))  # the stored file
    return StreamingResponse(read_and_close(handle), media_type="application/vnd.apache.parquet")


@router.get(
    ops.version_profile.path,
    responses=documented_responses(ops.version_profile),
    description=ops.version_profile.description,
)
def version_profile(ctx: Ctx, ref: str = REF) -> Response:
    request = ops.VersionByRef.model_construct(ref=ref)
    return Response(dispatch(ctx, ops.version_profile, request), media_type="application/json")


@router.get(
    ops.version_report.path,
    response_class=HTMLResponse,
    responses=documented_responses(ops.version_report),
    description=ops.version_report.description,
)
def version_report(ctx: Ctx, ref: str = REF) -> Response:
    request = ops.VersionByRef.model_construct(ref=ref)
    return Response(dispatch(ctx, ops.version_report, request), media_type="text/html")
