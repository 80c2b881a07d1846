"""Model versions: register, read, describe, tag, evaluate (with the evaluation's history),
move between stages (gated like a protected alias of the same name), and the questions asked
across registered models (search, ``models:/`` URIs)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mlsteward.domain.registry import ModelVersion, RegistryPage, StageTransition
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.services.api import wire_registry
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
    SearchVersionsRequest,
    StageRequest,
    TagValueRequest,
)
from mlsteward.services.api.schemas_registry_out import (
    EvaluationHistoryOut,
    ModelVersionListOut,
    ModelVersionPageOut,
    StageHistoryOut,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Action, Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec
from mlsteward.services.operations.kinds import ResourceKind
from mlsteward.services.registry import stages, uris, versions
from mlsteward.services.registry.operations_common import (
    GATED,
    VERSION,
    RegistryDeclarations,
    model_in_uri,
)

TAG = "model versions"
PREFIX = wire_registry.REGISTRY_PREFIX
VERSION_PATH = f"{PREFIX}/{{name}}/versions/{{version}}"


class CreateModelVersion(OperationRequest):
    name: ModelName
    body: CreateModelVersionRequest


class LatestVersions(OperationRequest):
    name: ModelName
    stage: list[StageName] | None = None


class VersionOf(OperationRequest):
    name: ModelName
    version: VersionNumber


class UpdateModelVersion(OperationRequest):
    name: ModelName
    version: VersionNumber
    body: DescriptionRequest


class SetVersionTag(OperationRequest):
    name: ModelName
    version: VersionNumber
    key: TrackingKey
    body: TagValueRequest


class VersionTag(OperationRequest):
    name: ModelName
    version: VersionNumber
    key: TrackingKey


class AttachEvaluation(OperationRequest):
    name: ModelName
    version: VersionNumber
    body: EvaluationRequest


class VersionsHistory(OperationRequest):
    """A model's history, of one version or (``version`` absent) of all of them."""

    name: ModelName
    version: VersionNumber | None = None


class TransitionStage(OperationRequest):
    name: ModelName
    version: VersionNumber
    body: StageRequest


class SearchModelVersions(OperationRequest):
    body: SearchVersionsRequest


class ResolveModelUri(OperationRequest):
    uri: str = Field(examples=["models:/fraud@production", "models:/fraud/3"])


#: The questions across registered models, under /model-versions so that no model name (a
#: model may be called "search" or "resolve") can shadow them.
across = RegistryDeclarations(TAG)


@across.post(
    f"{wire_registry.VERSIONS_PREFIX}/search",
    returns=Codec(
        wire_registry.encode_version_page, wire_registry.decode_version_page, ModelVersionPageOut
    ),
    action=Action.READ,
    mutates=False,
    idempotent=True,
    resource_name=lambda r: None,
)
def search_model_versions(
    ctx: ServiceContext, r: SearchModelVersions
) -> RegistryPage[ModelVersion]:
    """Versions matching ``filter`` (``name``, ``run_id``, ``version``, ``stage``, ``alias``,
    ``tags.<key>``, ...), by model name then newest version first."""
    return versions.search_model_versions(ctx, r.body.filter, r.body.max_results, r.body.page_token)


@across.get(
    f"{wire_registry.VERSIONS_PREFIX}/resolve",
    returns=VERSION,
    resource_name=lambda r: model_in_uri(r.uri),
)
def resolve_model_uri(ctx: ServiceContext, r: ResolveModelUri) -> ModelVersion:
    """The version a ``models:/name@alias``, ``/3``, ``/latest`` or ``/<stage>`` URI names."""
    return uris.resolve_model_uri(ctx, r.uri)


declare = RegistryDeclarations(TAG)


@declare.post(
    f"{PREFIX}/{{name}}/versions",
    returns=VERSION,
    status=201,
    # Registering a run's model reads the run: a grant on the model alone is not enough.
    reads=lambda r: [(ResourceKind.RUN, r.body.run_id)] if r.body.run_id else [],
)
def create_model_version(ctx: ServiceContext, r: CreateModelVersion) -> ModelVersion:
    """Register the next version; a ``runs:/`` source must name files the run logged."""
    body = r.body
    return versions.create_model_version(
        ctx,
        r.name,
        body.source,
        body.run_id,
        body.description,
        body.tags,
        body.dataset_version_ids,
        body.create_model,
    )


@declare.get(
    f"{PREFIX}/{{name}}/latest-versions",
    returns=Codec(
        listed("model_versions", wire_registry.encode_version),
        unlisted("model_versions", wire_registry.decode_version),
        ModelVersionListOut,
    ),
)
def get_latest_versions(ctx: ServiceContext, r: LatestVersions) -> list[ModelVersion]:
    """The newest version in each stage, or in each ``stage`` given (repeat the parameter)."""
    return versions.get_latest_versions(ctx, r.name, r.stage)


@declare.get(VERSION_PATH, returns=VERSION)
def get_model_version(ctx: ServiceContext, r: VersionOf) -> ModelVersion:
    return versions.get_model_version(ctx, r.name, r.version)


@declare.patch(VERSION_PATH, returns=VERSION, idempotent=True)
def update_model_version(ctx: ServiceContext, r: UpdateModelVersion) -> ModelVersion:
    return versions.update_model_version(ctx, r.name, r.version, r.body.description)


@declare.put(f"{VERSION_PATH}/tags/{{key:path}}", status=204)
def set_model_version_tag(ctx: ServiceContext, r: SetVersionTag) -> None:
    versions.set_model_version_tag(ctx, r.name, r.version, r.key, r.body.value)


@declare.delete(f"{VERSION_PATH}/tags/{{key:path}}", action=Action.UPDATE, status=204)
def delete_model_version_tag(ctx: ServiceContext, r: VersionTag) -> None:
    versions.delete_model_version_tag(ctx, r.name, r.version, r.key)


@declare.post(f"{VERSION_PATH}/evaluation", returns=VERSION, action=Action.UPDATE, idempotent=True)
def attach_evaluation(ctx: ServiceContext, r: AttachEvaluation) -> ModelVersion:
    """Attach evaluation results; gates read them before the run's own metrics. Every change
    is recorded, and approvals given before it no longer count at the gates."""
    return versions.attach_evaluation(ctx, r.name, r.version, r.body.metrics)


@declare.get(
    f"{PREFIX}/{{name}}/evaluation-history",
    returns=Codec(
        listed("changes", wire_registry.encode_evaluation_change),
        unlisted("changes", wire_registry.decode_evaluation_change),
        EvaluationHistoryOut,
    ),
)
def get_evaluation_history(ctx: ServiceContext, r: VersionsHistory) -> list[EvaluationChange]:
    """Every change of the version's (or every version's) evaluation: who, when, the metrics
    before and after, and the digest approvals given afterwards record; oldest first."""
    return versions.evaluation_history(ctx, r.name, r.version)


@declare.post(f"{VERSION_PATH}/stage", returns=VERSION, action=Action.UPDATE, responses=GATED)
def transition_stage(ctx: ServiceContext, r: TransitionStage) -> ModelVersion:
    """Move to ``None``, ``Staging``, ``Production`` or ``Archived`` (recorded)."""
    body = r.body
    return stages.transition_stage(
        ctx, r.name, r.version, body.stage, body.archive_existing_versions, body.reason
    )


@declare.get(
    f"{PREFIX}/{{name}}/stage-history",
    returns=Codec(
        listed("transitions", wire_registry.encode_stage_transition),
        unlisted("transitions", wire_registry.decode_stage_transition),
        StageHistoryOut,
    ),
)
def get_stage_history(ctx: ServiceContext, r: VersionsHistory) -> list[StageTransition]:
    return stages.stage_history(ctx, r.name, r.version)


LOOKUPS: tuple[Operation[Any, Any], ...] = tuple(across.operations)
OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
