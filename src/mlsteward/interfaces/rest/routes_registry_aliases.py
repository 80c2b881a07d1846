"""``/api/v1/registered-models/{name}/aliases``: point, remove, read, roll back, protect, and
the recorded history of every move (who, when, why, from and to)."""

from __future__ import annotations

from fastapi import Query, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.interfaces.rest.routes_registry_base import GATED, GOVERNED, registry_router
from mlsteward.services.api import wire_registry
from mlsteward.services.api.documented_types import ModelName, RegistryAlias, RegistryText
from mlsteward.services.api.schemas_registry import ReasonRequest, SetAliasRequest
from mlsteward.services.api.schemas_registry_out import (
    AliasEventOut,
    AliasHistoryOut,
    ModelVersionOut,
    RegisteredModelOut,
)
from mlsteward.services.registry import aliases, models

router = registry_router(wire_registry.REGISTRY_PREFIX, "aliases")

_REASON = Query(default=None, description="why, recorded in the alias history")


@router.put(
    "/{name}/aliases/{alias}",
    response_model=AliasEventOut,
    responses={**GATED, 204: {"description": "the alias already pointed there; nothing recorded"}},
)
def set_alias(name: ModelName, alias: RegistryAlias, body: SetAliasRequest, ctx: Ctx) -> Response:
    """Point ``alias`` at a version; a protected alias needs an approval and met thresholds."""
    event = aliases.set_alias(ctx, name, alias, body.version, body.reason)
    return no_content() if event is None else json_response(event.to_dict())


@router.delete("/{name}/aliases/{alias}", response_model=AliasEventOut, responses=GOVERNED)
def delete_alias(
    name: ModelName, alias: RegistryAlias, ctx: Ctx, reason: RegistryText | None = _REASON
) -> Response:
    """Remove ``alias``; a protected one only by a named user who registered no version of
    the model, with a ``reason``."""
    return json_response(aliases.delete_alias(ctx, name, alias, reason).to_dict())


@router.get("/{name}/aliases/{alias}", response_model=ModelVersionOut)
def get_version_by_alias(name: ModelName, alias: RegistryAlias, ctx: Ctx) -> Response:
    version = aliases.get_version_by_alias(ctx, name, alias)
    return json_response(wire_registry.encode_version(version))


@router.post("/{name}/aliases/{alias}/rollback", response_model=AliasEventOut, responses=GATED)
def rollback_alias(
    name: ModelName, alias: RegistryAlias, ctx: Ctx, body: ReasonRequest | None = None
) -> Response:
    """Move ``alias`` back to the version it held before the current one (gates apply)."""
    reason = body.reason if body else None
    return json_response(aliases.rollback_alias(ctx, name, alias, reason).to_dict())


@router.get("/{name}/alias-history", response_model=AliasHistoryOut)
def alias_history(
    name: ModelName, ctx: Ctx, alias: RegistryAlias | None = Query(default=None)
) -> Response:
    """Every recorded entry, oldest first, for one alias or all of them."""
    events = aliases.alias_history(ctx, name, alias)
    return json_response({"events": [e.to_dict() for e in events]})


@router.put("/{name}/protected-aliases/{alias}", response_model=RegisteredModelOut)
def protect_alias(
    name: ModelName, alias: RegistryAlias, ctx: Ctx, body: ReasonRequest | None = None
) -> Response:
    """Protect ``alias``: moving it then needs an approval by a second person and met
    thresholds. Protecting ``production`` also gates the ``Production`` stage."""
    model = models.protect_alias(ctx, name, alias, True, body.reason if body else None)
    return json_response(wire_registry.encode_model(model))


@router.delete(
    "/{name}/protected-aliases/{alias}", response_model=RegisteredModelOut, responses=GOVERNED
)
def unprotect_alias(
    name: ModelName, alias: RegistryAlias, ctx: Ctx, reason: RegistryText | None = _REASON
) -> Response:
    """Lift the protection: only a named user who registered no version of the model, with
    a ``reason`` (recorded in the alias history)."""
    model = models.protect_alias(ctx, name, alias, False, reason)
    return json_response(wire_registry.encode_model(model))
