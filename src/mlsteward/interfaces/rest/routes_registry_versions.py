"""``/api/v1/registered-models/{name}/versions``: register, read, describe, tag, evaluate
(with the evaluation's history), and move between stages (gated like a protected alias of the
same name)."""

from __future__ import annotations

from fastapi import Query, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.interfaces.rest.routes_registry_base import GATED, registry_router
from mlsteward.services.api import wire, wire_registry
from mlsteward.services.api.documented_types import (
    ModelName,
    StageName,
    TrackingKey,
    VersionNumber,
)
from mlsteward.services.api.schemas_registry import (
    CreateModelVersionRequest,
    DescriptionRequest,
    EvaluationRequest,
    StageRequest,
    TagValueRequest,
)
from mlsteward.services.api.schemas_registry_out import (
    EvaluationHistoryOut,
    ModelVersionListOut,
    ModelVersionOut,
    StageHistoryOut,
)
from mlsteward.services.registry import stages, versions

router = registry_router(wire_registry.REGISTRY_PREFIX, "model versions")


@router.post("/{name}/versions", status_code=201, response_model=ModelVersionOut)
def create_model_version(name: ModelName, body: CreateModelVersionRequest, ctx: Ctx) -> Response:
    """Register the next version; a ``runs:/`` source must name files the run logged."""
    version = versions.create_model_version(
        ctx,
        name,
        body.source,
        body.run_id,
        body.description,
        body.tags,
        body.dataset_version_ids,
        body.create_model,
    )
    return json_response(wire_registry.encode_version(version), 201)


@router.get("/{name}/latest-versions", response_model=ModelVersionListOut)
def get_latest_versions(
    name: ModelName, ctx: Ctx, stage: list[StageName] | None = Query(default=None)
) -> Response:
    """The newest version in each stage, or in each ``stage`` given (repeat the parameter)."""
    found = versions.get_latest_versions(ctx, name, stage)
    return json_response({"model_versions": [wire_registry.encode_version(v) for v in found]})


@router.get("/{name}/versions/{version}", response_model=ModelVersionOut)
def get_model_version(name: ModelName, version: VersionNumber, ctx: Ctx) -> Response:
    found = versions.get_model_version(ctx, name, version)
    return json_response(wire_registry.encode_version(found))


@router.patch("/{name}/versions/{version}", response_model=ModelVersionOut)
def update_model_version(
    name: ModelName, version: VersionNumber, body: DescriptionRequest, ctx: Ctx
) -> Response:
    updated = versions.update_model_version(ctx, name, version, body.description)
    return json_response(wire_registry.encode_version(updated))


@router.put("/{name}/versions/{version}/tags/{key:path}", status_code=204)
def set_model_version_tag(
    name: ModelName, version: VersionNumber, key: TrackingKey, body: TagValueRequest, ctx: Ctx
) -> Response:
    versions.set_model_version_tag(ctx, name, version, key, body.value)
    return no_content()


@router.delete("/{name}/versions/{version}/tags/{key:path}", status_code=204)
def delete_model_version_tag(
    name: ModelName, version: VersionNumber, key: TrackingKey, ctx: Ctx
) -> Response:
    versions.delete_model_version_tag(ctx, name, version, key)
    return no_content()


@router.post("/{name}/versions/{version}/evaluation", response_model=ModelVersionOut)
def attach_evaluation(
    name: ModelName, version: VersionNumber, body: EvaluationRequest, ctx: Ctx
) -> Response:
    """Attach evaluation results; gates read them before the run's own metrics. Every change
    is recorded, and approvals given before it no longer count at the gates."""
    metrics = {key: wire.decode_float(value) for key, value in body.metrics.items()}
    updated = versions.attach_evaluation(ctx, name, version, metrics)
    return json_response(wire_registry.encode_version(updated))


@router.get("/{name}/evaluation-history", response_model=EvaluationHistoryOut)
def evaluation_history(
    name: ModelName, ctx: Ctx, version: VersionNumber | None = Query(default=None)
) -> Response:
    """Every change of the version's (or every version's) evaluation: who, when, the metrics
    before and after, and the digest approvals given afterwards record; oldest first."""
    found = versions.evaluation_history(ctx, name, version)
    return json_response({"changes": [wire_registry.encode_evaluation_change(c) for c in found]})


@router.post("/{name}/versions/{version}/stage", response_model=ModelVersionOut, responses=GATED)
def transition_stage(
    name: ModelName, version: VersionNumber, body: StageRequest, ctx: Ctx
) -> Response:
    """Move to ``None``, ``Staging``, ``Production`` or ``Archived`` (recorded)."""
    moved = stages.transition_stage(
        ctx, name, version, body.stage, body.archive_existing_versions, body.reason
    )
    return json_response(wire_registry.encode_version(moved))


@router.get("/{name}/stage-history", response_model=StageHistoryOut)
def stage_history(
    name: ModelName, ctx: Ctx, version: VersionNumber | None = Query(default=None)
) -> Response:
    found = stages.stage_history(ctx, name, version)
    return json_response({"transitions": [t.to_dict() for t in found]})
