"""Who is calling, as the identity rules need to know: their account, whether they are an
admin, whether their credential is read-only.

The local owner of an embedded store (a context with no authenticated principal) counts as
an admin: whoever can open the database file can change anything in it anyway.
"""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.domain.identity import PrincipalKind, Role, User
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.names import user_name_key


def caller_account(ctx: ServiceContext) -> User | None:
    """The caller's account: the authenticated principal's, or for the local owner the
    account named like them (None when there is none)."""
    principal = ctx.acting
    identity = ctx.stores.identity
    if principal.user_id is not None:
        return identity.get_user(principal.user_id)
    if principal.kind is not PrincipalKind.LOCAL:
        return None
    try:
        key = user_name_key(principal.name)
    except InvalidArgumentError:
        return None
    return identity.get_user_by_name_key(key)


def holds_admin(ctx: ServiceContext) -> bool:
    """Whether the caller is an admin: the local owner, or an account with a server-wide
    admin grant."""
    principal = ctx.acting
    if principal.kind is PrincipalKind.LOCAL:
        return True
    if not principal.authenticated:
        return False
    return any(
        grant.server_wide and grant.role is Role.ADMIN
        for grant in ctx.stores.identity.list_grants(principal=principal.name)
    )


def refuse_read_only(ctx: ServiceContext, what: str) -> None:
    """``PermissionDeniedError`` when the caller signed in with a read-only token."""
    if ctx.acting.read_only:
        raise PermissionDeniedError(f"A read-only token cannot {what}: sign in with another")


def is_caller(ctx: ServiceContext, user: User) -> bool:
    """Whether ``user`` is the caller's own account."""
    mine = caller_account(ctx)
    return mine is not None and mine.user_id == user.user_id


def require_admin(ctx: ServiceContext, what: str) -> None:
    """``PermissionDeniedError`` unless the caller is an admin (see :func:`holds_admin`)."""
    if not holds_admin(ctx):
        raise PermissionDeniedError(f"{ctx.actor} may not {what}: only an admin may")
