"""Grants: a role for an account on the whole server or on one resource.

Only accounts that exist can be granted a role (a grant to a typo would wait silently for
someone to take that name). An experiment is granted by id, whether the request names it by
id or by name. Changing grants tells the policy to forget what it cached, so the change
holds from the next request. The last admin grant of an active account cannot be removed:
nobody could manage the server any more.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.errors import ConflictError, InvalidArgumentError, NotFoundError
from mlsteward.domain.identity import GRANTABLE_KINDS, Grant, Role, User
from mlsteward.domain.ids import is_valid_id, new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.callers import refuse_read_only
from mlsteward.services.identity.names import check_label, user_name_key
from mlsteward.services.identity.scopes import experiment_id_of
from mlsteward.services.operations.kinds import ResourceKind


def add_grant(
    ctx: ServiceContext,
    principal: str,
    role: Role | str,
    resource_kind: str | None = None,
    resource_name: str | None = None,
) -> Grant:
    """Give the account ``principal`` ``role`` on the server (no resource) or on one resource
    (``resource_kind`` one of :data:`GRANTABLE_KINDS`; an experiment by name or id)."""
    refuse_read_only(ctx, "change grants")
    account = _account(ctx, principal)
    granted = parse_role(role)
    kind = _kind(resource_kind)
    if (kind is None) != (resource_name is None):
        raise InvalidArgumentError(
            "Give both resource_kind and resource_name for a grant on one resource, or "
            "neither for a grant on the whole server"
        )
    name = None if resource_name is None else check_label(resource_name, "resource_name")
    if kind == ResourceKind.EXPERIMENT and name is not None:
        experiment_id = experiment_id_of(ctx.stores, name)
        if experiment_id is None:
            raise NotFoundError(f"No experiment named (or with id) {name!r}")
        name = experiment_id
    grant = Grant(
        grant_id=new_id(),
        principal=account.name,
        role=granted,
        resource_kind=kind,
        resource_name=name,
        created_at_ms=ctx.clock(),
        created_by=ctx.actor,
    )
    added = ctx.stores.identity.add_grant(grant)
    forget_policy(ctx)
    return added


def list_grants(
    ctx: ServiceContext,
    principal: str | None = None,
    resource_kind: str | None = None,
    resource_name: str | None = None,
) -> list[Grant]:
    """Grants matching every filter given; ``principal`` by any spelling of the name, an
    experiment by name or id."""
    holder = None
    if principal is not None:
        account = ctx.stores.identity.get_user_by_name_key(user_name_key(principal))
        if account is None:
            return []
        holder = account.name
    kind = _kind(resource_kind)
    name = None if resource_name is None else check_label(resource_name, "resource_name")
    if kind == ResourceKind.EXPERIMENT and name is not None:
        name = experiment_id_of(ctx.stores, name) or name
    return ctx.stores.identity.list_grants(holder, kind, name)


def remove_grant(ctx: ServiceContext, grant_id: str) -> Grant:
    """Remove a grant (``NotFoundError`` when there is none with that id)."""
    refuse_read_only(ctx, "change grants")
    if not isinstance(grant_id, str) or not is_valid_id(grant_id):
        raise InvalidArgumentError("Not a grant id: a grant id is 32 hexadecimal digits")
    identity = ctx.stores.identity
    grant = next((g for g in identity.list_grants() if g.grant_id == grant_id), None)
    if grant is None:
        raise NotFoundError(f"No grant with id {grant_id!r}")
    if is_admin_grant(grant) and active_admin_names(ctx) == {grant.principal}:
        raise ConflictError(
            f"{grant.principal!r} is the last active admin: grant admin to another account "
            "before removing this grant"
        )
    removed = identity.delete_grant(grant_id)
    forget_policy(ctx)
    return removed


def parse_role(role: object) -> Role:
    """``role`` as a :class:`Role` (``InvalidArgumentError`` naming the roles otherwise)."""
    if isinstance(role, str) and role in {r.value for r in Role}:
        return Role(role)
    roles = ", ".join(r.value for r in Role)
    raise InvalidArgumentError(f"Not a role: choose one of {roles}")


def is_admin_grant(grant: Grant) -> bool:
    return grant.server_wide and grant.role is Role.ADMIN


def forget_policy(ctx: ServiceContext) -> None:
    """Tell the context's policy to drop what it cached about grants, when it caches."""
    forget: Any = getattr(ctx.policy, "forget", None)
    if callable(forget):
        forget()


def active_admin_names(ctx: ServiceContext) -> set[str]:
    """The names of the active accounts holding a server-wide admin grant."""
    identity = ctx.stores.identity
    admins = {g.principal for g in identity.list_grants() if is_admin_grant(g)}
    active = {user.name for user in identity.list_users() if user.active}
    return admins & active


def _account(ctx: ServiceContext, principal: object) -> User:
    account = ctx.stores.identity.get_user_by_name_key(user_name_key(principal))
    if account is None:
        raise NotFoundError(f"No user named {principal!r}: create the account first")
    return account


def _kind(resource_kind: object) -> str | None:
    if resource_kind is None:
        return None
    if not isinstance(resource_kind, str) or resource_kind not in GRANTABLE_KINDS:
        kinds = ", ".join(sorted(GRANTABLE_KINDS))
        raise InvalidArgumentError(f"Not a kind of resource a role is granted on: one of {kinds}")
    return resource_kind
