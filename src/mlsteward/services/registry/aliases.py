"""Aliases: named pointers to versions that move atomically, with history and rollback.

Every move is recorded (who, when, why, from -> to). A move onto a protected alias passes
the gates in ``gates`` first; that includes a rollback, since the version rolled back to
may have been rejected since it last held the alias. Deleting a protected alias takes it out
of the gates' reach, so it is a governance action (see ``governance``).
"""

from __future__ import annotations

from dataclasses import replace

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.registry import AliasAction, AliasEvent, AliasGuard, ModelVersion
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.gates import check_gates
from mlsteward.services.registry.governance import authorize_governance
from mlsteward.services.registry.validation import (
    validate_alias,
    validate_model_name,
    validate_text,
    validate_version,
)


def _move(
    ctx: ServiceContext,
    name: str,
    alias: str,
    version: int,
    action: AliasAction,
    reason: str | None,
) -> AliasEvent | None:
    store = ctx.stores.registry
    model = store.get_registered_model(name)
    target = store.get_model_version(name, version)
    current = model.aliases.get(alias)
    if current == version and action is AliasAction.SET:
        return None
    if alias in model.protected_aliases:
        gated = check_gates(ctx, model, target, f"protected alias {alias!r}", current)
        guard = replace(gated, protected=True)
    else:
        guard = AliasGuard(current, protected=False)
    return store.set_alias(
        name,
        alias,
        version,
        action=action,
        actor=ctx.actor,
        reason=reason,
        now=ctx.clock(),
        guard=guard,
    )


def set_alias(
    ctx: ServiceContext, name: str, alias: str, version: int | str, reason: str | None = None
) -> AliasEvent | None:
    """Point ``alias`` at ``version``; None when it already points there (nothing recorded)."""
    return _move(
        ctx,
        validate_model_name(name, ctx.limits),
        validate_alias(alias, ctx.limits),
        validate_version(version),
        AliasAction.SET,
        validate_text("reason", reason),
    )


def delete_alias(
    ctx: ServiceContext, name: str, alias: str, reason: str | None = None
) -> AliasEvent:
    """Remove ``alias`` (recorded). A protected alias is a governance action to delete."""
    clean_name = validate_model_name(name, ctx.limits)
    clean_alias = validate_alias(alias, ctx.limits)
    store = ctx.stores.registry
    model = store.get_registered_model(clean_name)
    current = model.aliases.get(clean_alias)
    if current is None:
        raise NotFoundError(f"Registered model {clean_name!r} has no alias {clean_alias!r}")
    protected = clean_alias in model.protected_aliases
    text = (
        authorize_governance(
            ctx, clean_name, f"delete the protected alias {clean_name!r}@{clean_alias}", reason
        )
        if protected
        else validate_text("reason", reason)
    )
    return store.delete_alias(
        clean_name,
        clean_alias,
        actor=ctx.actor,
        reason=text,
        now=ctx.clock(),
        guard=AliasGuard(current, protected=protected),
    )


def get_version_by_alias(ctx: ServiceContext, name: str, alias: str) -> ModelVersion:
    clean_name = validate_model_name(name, ctx.limits)
    store = ctx.stores.registry
    model = store.get_registered_model(clean_name)
    version = model.aliases.get(alias)
    if version is None:
        known = ", ".join(model.aliases) or "none"
        raise NotFoundError(
            f"Registered model {clean_name!r} has no alias {alias!r} (its aliases: {known})"
        )
    return store.get_model_version(clean_name, version)


def alias_history(ctx: ServiceContext, name: str, alias: str | None = None) -> list[AliasEvent]:
    """Every recorded move of ``alias`` (or of all the model's aliases), oldest first."""
    clean_alias = None if alias is None else validate_alias(alias, ctx.limits)
    return ctx.stores.registry.list_alias_events(validate_model_name(name, ctx.limits), clean_alias)


def rollback_target(events: list[AliasEvent]) -> int | None:
    """The version an alias held before its current one, undoing earlier rollbacks too.

    History is replayed as a stack: a set pushes its version, a delete pushes None, a
    rollback pops back to the version it restored. The target is the nearest earlier
    version below the top that differs from the current one.
    """
    stack: list[int | None] = []
    for event in events:
        if event.action is AliasAction.SET:
            stack.append(event.to_version)
        elif event.action is AliasAction.DELETE:
            stack.append(None)
        elif event.action is AliasAction.ROLLBACK:
            while stack and stack[-1] != event.to_version:
                stack.pop()
    current = stack[-1] if stack else None
    for candidate in reversed(stack[:-1]):
        if candidate is not None and candidate != current:
            return candidate
    return None


def rollback_alias(
    ctx: ServiceContext, name: str, alias: str, reason: str | None = None
) -> AliasEvent:
    """Move ``alias`` back to the version it held before (recorded as a rollback)."""
    clean_name = validate_model_name(name, ctx.limits)
    clean_alias = validate_alias(alias, ctx.limits)
    events = ctx.stores.registry.list_alias_events(clean_name, clean_alias)
    target = rollback_target(events)
    if target is None:
        raise InvalidArgumentError(
            f"Alias {clean_alias!r} of {clean_name!r} has no earlier version to roll back to"
        )
    event = _move(
        ctx, clean_name, clean_alias, target, AliasAction.ROLLBACK, validate_text("reason", reason)
    )
    if event is None:  # only a set that changes nothing records no event
        raise RuntimeError(f"rolling back alias {clean_alias!r} recorded no event")
    return event
