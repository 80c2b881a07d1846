"""``/api/v1/datasets`` and ``/dataset-versions``: upload, read, download, aliases, run inputs.

A client reads its source itself (files and databases it can reach), stages canonical
Parquet and uploads it with the source's description in the ``X-Mlsteward-Dataset-Meta``
header; the server registers it through the same service as a local ingest. References
(``name@3``, ``name@alias``, ``name``, or a version id) travel as the ``ref`` query parameter.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.rest import routes_data_derive, routes_data_labels
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.errors import describe_validation_errors
from mlsteward.interfaces.rest.responses import json_response, no_content, read_and_close
from mlsteward.interfaces.rest.routes_registry_base import COMMON_RESPONSES
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.documented_types import (
    DatasetAlias,
    DatasetName,
    DatasetVersionNumber,
    InputContext,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import versions

router = APIRouter(tags=["datasets"], responses=COMMON_RESPONSES)
router.include_router(routes_data_derive.router)
router.include_router(routes_data_labels.router)

REF = Query(description="name@version, name@alias, name (latest) or a version id")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AliasRequest(_Request):
    version: Annotated[DatasetVersionNumber, Strict()]


class InputRequest(_Request):
    run_id: str
    ref: str
    context: InputContext = "training"


class BadRowIn(_Request):
    line: StrictInt
    reason: StrictStr
    text: StrictStr


class UploadMeta(_Request):
    """What ``X-Mlsteward-Dataset-Meta`` may hold: the client's description of its source."""

    source: dict[str, Any] | None = None
    schema_yaml: StrictStr | None = Field(default=None, alias="schema")
    bad_rows: list[BadRowIn] = []
    strict: StrictBool = False
    description: StrictStr | None = None


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


def _register_upload(ctx: ServiceContext, name: str, path: str, meta: UploadMeta) -> dict:
    from mlsteward.engines.data import BadRow, DataSchema

    result = versions.register_upload(
        ctx,
        name,
        path,
        source=meta.source,
        bad_rows=[BadRow(row.line, row.reason, row.text) for row in meta.bad_rows],
        schema=DataSchema.from_yaml(meta.schema_yaml) if meta.schema_yaml else None,
        strict=meta.strict,
        description=meta.description,
    )
    return w.encode_registered(result.version, result.created, result.bad_rows)


@router.post(w.DATASETS_PREFIX + "/{name}/versions", status_code=201, openapi_extra=_UPLOAD_BODY)
async def upload_version(name: DatasetName, request: Request, ctx: Ctx) -> Response:
    """Register the Parquet body as a version of ``name`` (200 when the content exists)."""
    meta = _meta(request)
    handle, path = tempfile.mkstemp(suffix=".parquet", prefix="mlsteward-upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        body = await anyio.to_thread.run_sync(_register_upload, ctx, name, path, meta)
    finally:
        os.unlink(path)
    return json_response(body, 201 if body["created"] else 200)


@router.get(w.DATASETS_PREFIX)
def list_datasets(ctx: Ctx) -> Response:
    return json_response({"datasets": versions.list_datasets(ctx)})


@router.get(w.DATASETS_PREFIX + "/{name}/versions")
def list_versions(name: DatasetName, ctx: Ctx) -> Response:
    found = versions.list_versions(ctx, name)
    return json_response({"versions": [w.encode_version(v) for v in found]})


@router.put(w.DATASETS_PREFIX + "/{name}/aliases/{alias}")
def set_alias(name: DatasetName, alias: DatasetAlias, body: AliasRequest, ctx: Ctx) -> Response:
    version = versions.set_alias(ctx, f"{name}@{body.version}", alias)
    return json_response(w.encode_version(version))


@router.delete(w.DATASETS_PREFIX + "/{name}/aliases/{alias}", status_code=204)
def delete_alias(name: DatasetName, alias: DatasetAlias, ctx: Ctx) -> Response:
    versions.delete_alias(ctx, name, alias)
    return no_content()


@router.get(w.VERSIONS_PREFIX)
def get_version(ctx: Ctx, ref: str = REF) -> Response:
    return json_response(w.encode_version(versions.get_version(ctx, ref)))


@router.get(
    w.VERSIONS_PREFIX + "/content",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/vnd.apache.parquet": {}}}},
)
def download(ctx: Ctx, ref: str = REF) -> StreamingResponse:
    """The version's Parquet file, streamed."""
    version = versions.get_version(ctx, ref)
    handle = ctx.blobs.open(version.blob_digest)
    return StreamingResponse(read_and_close(handle), media_type="application/vnd.apache.parquet")


@router.get(w.VERSIONS_PREFIX + "/profile")
def profile(ctx: Ctx, ref: str = REF) -> Response:
    version = versions.get_version(ctx, ref)
    if version.profile_digest is None:
        return json_response({})
    # Stored JSON as is (it may hold NaN, which Python's json reads back).
    raw = ctx.blobs.read_bytes(version.profile_digest)
    return Response(content=raw, media_type="application/json")


@router.get(w.VERSIONS_PREFIX + "/report", response_class=HTMLResponse)
def report(ctx: Ctx, ref: str = REF) -> Response:
    return Response(content=versions.get_report_html(ctx, ref), media_type="text/html")


@router.post(w.INPUTS_PREFIX, status_code=201)
def log_input(body: InputRequest, ctx: Ctx) -> Response:
    item = versions.log_input(ctx, body.run_id, body.ref, body.context)
    return json_response(w.encode_input(item), 201)


@router.get(w.INPUTS_PREFIX)
def list_inputs(ctx: Ctx, run_id: str = Query()) -> Response:
    items = versions.list_run_inputs(ctx, run_id)
    return json_response({"inputs": [w.encode_input(i) for i in items]})
