"""``/api/v1/dataset-versions/...``: schemas, validation, transforms, splits, rebuild, lineage."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.documented_types import DatasetName
from mlsteward.services.data import derive, lineage, quality, rebuild

router = APIRouter(prefix=w.VERSIONS_PREFIX)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValidateRequest(_Request):
    ref: str
    schema_yaml: str


class TransformRequest(_Request):
    ref: str
    steps: list[dict[str, Any]]
    output_name: DatasetName


class SplitRequest(_Request):
    ref: str
    method: str = "holdout"
    output_prefix: DatasetName | None = None
    options: dict[str, Any] = {}


class RebuildRequest(_Request):
    ref: str
    overrides: dict[str, Any] | None = None


@router.get("/schema")
def infer_schema(ctx: Ctx, ref: str = Query()) -> Response:
    """An inferred schema as YAML text."""
    return json_response({"schema_yaml": quality.infer_version_schema(ctx, ref).to_yaml()})


@router.post("/validate")
def validate(body: ValidateRequest, ctx: Ctx) -> Response:
    """Every failure of the version against the YAML schema."""
    from mlsteward.engines.data import DataSchema

    schema = DataSchema.from_yaml(body.schema_yaml)
    return json_response(w.finite(quality.validate_version(ctx, body.ref, schema).to_dict()))


@router.post("/transform", status_code=201)
def transform(body: TransformRequest, ctx: Ctx) -> Response:
    result = derive.transform(ctx, body.ref, body.steps, body.output_name)
    return json_response(w.encode_registered(result.version, result.created, []), 201)


@router.post("/split", status_code=201)
def split(body: SplitRequest, ctx: Ctx) -> Response:
    parts = derive.split(
        ctx, body.ref, method=body.method, output_prefix=body.output_prefix, **body.options
    )
    return json_response({part: w.encode_version(v) for part, v in parts.items()}, 201)


@router.post("/rebuild")
def rebuild_version(body: RebuildRequest, ctx: Ctx) -> Response:
    checks = rebuild.rebuild(ctx, body.ref, body.overrides)
    return json_response({"checks": [c.to_dict() for c in checks]})


@router.get("/lineage")
def lineage_graph(ctx: Ctx, ref: str = Query()) -> Response:
    return json_response(w.finite(lineage.lineage(ctx, ref)))
