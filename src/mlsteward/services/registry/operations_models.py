"""Registered models: create, search, read, describe, tag, thresholds (and their history),
card fields.

Model names travel as one percent-encoded path segment (names never hold ``/``: the service
refuses them); tag keys may hold ``/``, so they take the rest of the path.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.registry import RegisteredModel, RegistryPage, ThresholdChange
from mlsteward.services.api import wire_registry
from mlsteward.services.api.documented_types import ModelName, TrackingKey
from mlsteward.services.api.schemas_registry import (
    CreateRegisteredModelRequest,
    DescriptionRequest,
    ModelCardFields,
    SearchModelsRequest,
    TagValueRequest,
    ThresholdsRequest,
)
from mlsteward.services.api.schemas_registry_out import (
    RegisteredModelPageOut,
    ThresholdHistoryOut,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Action, Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec
from mlsteward.services.registry import models
from mlsteward.services.registry.operations_common import (
    GOVERNED,
    MODEL,
    RegistryDeclarations,
)

TAG = "registered models"
PREFIX = wire_registry.REGISTRY_PREFIX


class CreateRegisteredModel(OperationRequest):
    body: CreateRegisteredModelRequest


class SearchRegisteredModels(OperationRequest):
    body: SearchModelsRequest


class ModelNamed(OperationRequest):
    name: ModelName


class UpdateRegisteredModel(OperationRequest):
    name: ModelName
    body: DescriptionRequest


class SetModelTag(OperationRequest):
    name: ModelName
    key: TrackingKey
    body: TagValueRequest


class ModelTag(OperationRequest):
    name: ModelName
    key: TrackingKey


class SetThresholds(OperationRequest):
    name: ModelName
    body: ThresholdsRequest


class UpdateModelCard(OperationRequest):
    name: ModelName
    body: ModelCardFields


declare = RegistryDeclarations(TAG)


@declare.post(PREFIX, returns=MODEL, status=201, resource_name=lambda r: r.body.name)
def create_registered_model(ctx: ServiceContext, r: CreateRegisteredModel) -> RegisteredModel:
    return models.create_registered_model(ctx, r.body.name, r.body.description, r.body.tags)


@declare.post(
    f"{PREFIX}/search",
    returns=Codec(
        wire_registry.encode_model_page, wire_registry.decode_model_page, RegisteredModelPageOut
    ),
    action=Action.READ,
    mutates=False,
    idempotent=True,
    resource_name=lambda r: None,
)
def search_registered_models(
    ctx: ServiceContext, r: SearchRegisteredModels
) -> RegistryPage[RegisteredModel]:
    """Models matching ``filter`` (``name``, ``created_by``, ``tags.<key>``, ``alias``)."""
    return models.search_registered_models(
        ctx, r.body.filter, r.body.max_results, r.body.page_token
    )


@declare.get(f"{PREFIX}/{{name}}", returns=MODEL)
def get_registered_model(ctx: ServiceContext, r: ModelNamed) -> RegisteredModel:
    return models.get_registered_model(ctx, r.name)


@declare.patch(f"{PREFIX}/{{name}}", returns=MODEL, idempotent=True)
def update_registered_model(ctx: ServiceContext, r: UpdateRegisteredModel) -> RegisteredModel:
    return models.update_registered_model(ctx, r.name, r.body.description)


@declare.put(f"{PREFIX}/{{name}}/tags/{{key:path}}", status=204)
def set_registered_model_tag(ctx: ServiceContext, r: SetModelTag) -> None:
    models.set_registered_model_tag(ctx, r.name, r.key, r.body.value)


@declare.delete(f"{PREFIX}/{{name}}/tags/{{key:path}}", action=Action.UPDATE, status=204)
def delete_registered_model_tag(ctx: ServiceContext, r: ModelTag) -> None:
    models.delete_registered_model_tag(ctx, r.name, r.key)


@declare.put(
    f"{PREFIX}/{{name}}/thresholds", returns=MODEL, action=Action.APPROVE, responses=GOVERNED
)
def set_acceptance_thresholds(ctx: ServiceContext, r: SetThresholds) -> RegisteredModel:
    """Replace the thresholds a version must meet before a protected alias points at it.
    Removing or loosening one needs a named user who registered no version of the model,
    and a ``reason``."""
    return models.set_acceptance_thresholds(ctx, r.name, r.body.thresholds, r.body.reason)


@declare.get(
    f"{PREFIX}/{{name}}/threshold-history",
    returns=Codec(
        listed("changes", wire_registry.encode_threshold_change),
        unlisted("changes", wire_registry.decode_threshold_change),
        ThresholdHistoryOut,
    ),
)
def get_threshold_history(ctx: ServiceContext, r: ModelNamed) -> list[ThresholdChange]:
    """Every change of the thresholds (who, when, why, before and after), oldest first."""
    return models.threshold_history(ctx, r.name)


@declare.patch(f"{PREFIX}/{{name}}/card", returns=MODEL, idempotent=True)
def update_model_card(ctx: ServiceContext, r: UpdateModelCard) -> RegisteredModel:
    """Merge-patch the card fields only a person can write: ``null`` clears a field, and an
    unknown field is refused."""
    return models.update_model_card(ctx, r.name, r.body.root)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
