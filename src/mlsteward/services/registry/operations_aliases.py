"""Aliases: point, remove, read, roll back, protect, and the recorded history of every move
(who, when, why, from and to)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mlsteward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from mlsteward.services.api import wire_registry
from mlsteward.services.api.documented_types import ModelName, RegistryAlias, RegistryText
from mlsteward.services.api.schemas_registry import ReasonRequest, SetAliasRequest
from mlsteward.services.api.schemas_registry_out import AliasEventOut, AliasHistoryOut
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Action, Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec
from mlsteward.services.registry import aliases, models
from mlsteward.services.registry.operations_common import (
    GATED,
    GOVERNED,
    MODEL,
    VERSION,
    RegistryDeclarations,
)

TAG = "aliases"
PREFIX = wire_registry.REGISTRY_PREFIX
ALIAS_PATH = f"{PREFIX}/{{name}}/aliases/{{alias}}"
PROTECTED_PATH = f"{PREFIX}/{{name}}/protected-aliases/{{alias}}"
_WHY = "why, recorded in the alias history"


class SetAlias(OperationRequest):
    name: ModelName
    alias: RegistryAlias
    body: SetAliasRequest


class AliasOf(OperationRequest):
    name: ModelName
    alias: RegistryAlias


class AliasWithReason(OperationRequest):
    """An alias change whose optional ``reason`` travels in the body."""

    name: ModelName
    alias: RegistryAlias
    body: ReasonRequest | None = None


class AliasRemoval(OperationRequest):
    """An alias change whose optional ``reason`` travels in the query (it has no body)."""

    name: ModelName
    alias: RegistryAlias
    reason: RegistryText | None = Field(default=None, description=_WHY)


class AliasHistory(OperationRequest):
    name: ModelName
    alias: RegistryAlias | None = None


def _reason(body: ReasonRequest | None) -> str | None:
    return None if body is None else body.reason


declare = RegistryDeclarations(TAG)
EVENT = Codec(wire_registry.encode_alias_event, wire_registry.decode_alias_event, AliasEventOut)
_UNMOVED = {204: {"description": "the alias already pointed there; nothing recorded"}}


@declare.put(
    ALIAS_PATH,
    returns=Codec(wire_registry.encode_alias_move, wire_registry.decode_alias_move, AliasEventOut),
    responses={**GATED, **_UNMOVED},
)
def set_alias(ctx: ServiceContext, r: SetAlias) -> AliasEvent | None:
    """Point ``alias`` at a version; a protected alias needs an approval and met thresholds."""
    return aliases.set_alias(ctx, r.name, r.alias, r.body.version, r.body.reason)


@declare.delete(ALIAS_PATH, returns=EVENT, responses=GOVERNED, idempotent=False)
def delete_alias(ctx: ServiceContext, r: AliasRemoval) -> AliasEvent:
    """Remove ``alias``; a protected one only by a named user who registered no version of
    the model, with a ``reason``."""
    return aliases.delete_alias(ctx, r.name, r.alias, r.reason)


@declare.get(ALIAS_PATH, returns=VERSION)
def get_version_by_alias(ctx: ServiceContext, r: AliasOf) -> ModelVersion:
    return aliases.get_version_by_alias(ctx, r.name, r.alias)


@declare.post(f"{ALIAS_PATH}/rollback", returns=EVENT, action=Action.UPDATE, responses=GATED)
def rollback_alias(ctx: ServiceContext, r: AliasWithReason) -> AliasEvent:
    """Move ``alias`` back to the version it held before the current one (gates apply)."""
    return aliases.rollback_alias(ctx, r.name, r.alias, _reason(r.body))


@declare.get(
    f"{PREFIX}/{{name}}/alias-history",
    returns=Codec(
        listed("events", wire_registry.encode_alias_event),
        unlisted("events", wire_registry.decode_alias_event),
        AliasHistoryOut,
    ),
)
def get_alias_history(ctx: ServiceContext, r: AliasHistory) -> list[AliasEvent]:
    """Every recorded entry, oldest first, for one alias or all of them."""
    return aliases.alias_history(ctx, r.name, r.alias)


@declare.put(PROTECTED_PATH, returns=MODEL, action=Action.APPROVE, idempotent=False)
def protect_alias(ctx: ServiceContext, r: AliasWithReason) -> RegisteredModel:
    """Protect ``alias``: moving it then needs an approval by a second person and met
    thresholds. Protecting ``production`` also gates the ``Production`` stage."""
    return models.protect_alias(ctx, r.name, r.alias, True, _reason(r.body))


@declare.delete(
    PROTECTED_PATH, returns=MODEL, action=Action.APPROVE, responses=GOVERNED, idempotent=False
)
def unprotect_alias(ctx: ServiceContext, r: AliasRemoval) -> RegisteredModel:
    """Lift the protection: only a named user who registered no version of the model, with
    a ``reason`` (recorded in the alias history)."""
    return models.protect_alias(ctx, r.name, r.alias, False, r.reason)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
