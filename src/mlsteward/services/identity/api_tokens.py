"""API tokens: created for an account (the secret shown once), listed, revoked.

A token acts for its account with the account's grants (only reads when it is read-only). It
expires after ``expires_in_days`` (90 by default); only an admin, or a service account for
itself, may create one that never expires. Revoking keeps the record (who had what, until
when) and tells the authenticator to forget the token at once.
"""

from __future__ import annotations

import math

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError, PermissionDeniedError
from mlsteward.domain.identity import ApiToken, PrincipalKind, User
from mlsteward.domain.ids import is_valid_id, new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.callers import (
    caller_account,
    holds_admin,
    is_caller,
    refuse_read_only,
)
from mlsteward.services.identity.names import check_label, user_name_key
from mlsteward.services.identity.token_secrets import new_secret, secret_sha256

DEFAULT_EXPIRY_DAYS = 90.0
#: The longest a token may live when it expires at all (ten years).
MAX_EXPIRY_DAYS = 3650.0
_DAY_MS = 86_400_000


def create_token(
    ctx: ServiceContext,
    *,
    name: str,
    user: str | None = None,
    expires_in_days: float | None = DEFAULT_EXPIRY_DAYS,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """A new token for ``user`` (None: the caller's own account) and its secret, which is
    never shown again. Only admins create tokens for others; a read-only token creates none.
    """
    refuse_read_only(ctx, "create tokens")
    owner = _owner(ctx, user)
    if not is_caller(ctx, owner) and not holds_admin(ctx):
        raise PermissionDeniedError(
            f"{ctx.actor} may not create tokens for {owner.name!r}: only an admin may"
        )
    if expires_in_days is None and not (
        holds_admin(ctx) or (owner.kind is PrincipalKind.SERVICE and is_caller(ctx, owner))
    ):
        raise PermissionDeniedError(
            "Only an admin (or a service account, for itself) may create a token that never "
            "expires: give expires_in_days"
        )
    return issue_token(ctx, owner, name, expires_in_days, read_only=read_only)


def issue_token(
    ctx: ServiceContext,
    owner: User,
    name: str,
    expires_in_days: float | None,
    *,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """Store a new token for ``owner`` (no check of who asks: the callers do) and return it
    with its secret."""
    check_label(name, "A token name")
    if not isinstance(read_only, bool):
        raise InvalidArgumentError("read_only must be true or false")
    if not owner.active:
        raise InvalidArgumentError(f"The account {owner.name!r} is disabled: enable it first")
    now = ctx.clock()
    token = ApiToken(
        token_id=new_id(),
        user_id=owner.user_id,
        name=name,
        created_at_ms=now,
        expires_at_ms=None if expires_in_days is None else now + _lifetime_ms(expires_in_days),
        read_only=read_only,
    )
    secret = new_secret()
    return ctx.stores.identity.create_token(token, secret_sha256(secret)), secret


def list_tokens(ctx: ServiceContext, user: str | None = None) -> list[ApiToken]:
    """Token records (never secrets), newest first: ``user``'s, else the caller's own. The
    local owner without an account of its own sees every account's."""
    if user is None:
        mine = caller_account(ctx)
        if mine is None:
            if holds_admin(ctx):
                return ctx.stores.identity.list_tokens()
            raise NotFoundError(f"{ctx.actor!r} has no account here, so no tokens")
        return ctx.stores.identity.list_tokens(mine.user_id)
    owner = _owner(ctx, user)
    if not is_caller(ctx, owner) and not holds_admin(ctx):
        raise PermissionDeniedError(
            f"{ctx.actor} may not list the tokens of {owner.name!r}: only an admin may"
        )
    return ctx.stores.identity.list_tokens(owner.user_id)


def revoke_token(ctx: ServiceContext, token_id: str) -> ApiToken:
    """Revoke a token (its owner or an admin): it stops working at once. Revoking a revoked
    token changes nothing. A read-only token may revoke itself, and only itself."""
    if ctx.acting.token_id != token_id:
        refuse_read_only(ctx, "revoke tokens")
    token = ctx.stores.identity.get_token(_token_id(token_id))
    if token is None:
        raise NotFoundError(f"No token with id {token_id!r}")
    owner = ctx.stores.identity.get_user(token.user_id)
    mine = owner is not None and is_caller(ctx, owner)
    if not mine and not holds_admin(ctx):
        raise PermissionDeniedError(
            f"{ctx.actor} may not revoke token {token_id!r}: only its owner or an admin may"
        )
    revoked = ctx.stores.identity.revoke_token(token.token_id, ctx.clock())
    if ctx.authenticator is not None:
        ctx.authenticator.forget(token.token_id)
    return revoked


def token_owner_name(ctx: ServiceContext, token_id: str) -> str | None:
    """The name of the account a token belongs to (None when there is no such token)."""
    token = ctx.stores.identity.get_token(token_id)
    owner = None if token is None else ctx.stores.identity.get_user(token.user_id)
    return None if owner is None else owner.name


def _owner(ctx: ServiceContext, user: str | None) -> User:
    """The account named ``user``, else the caller's own (``NotFoundError`` when none)."""
    if user is None:
        mine = caller_account(ctx)
        if mine is None:
            raise NotFoundError(
                f"{ctx.actor!r} has no account here: name the user the token is for"
            )
        return mine
    found = ctx.stores.identity.get_user_by_name_key(user_name_key(user))
    if found is None:
        raise NotFoundError(f"No user named {user!r}")
    return found


def _lifetime_ms(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int | float):
        raise InvalidArgumentError("expires_in_days must be a number of days")
    if not math.isfinite(days) or not 0 < days <= MAX_EXPIRY_DAYS:
        raise InvalidArgumentError(
            f"expires_in_days must be more than 0 and at most {MAX_EXPIRY_DAYS:g}"
        )
    return max(1, round(days * _DAY_MS))


def _token_id(token_id: object) -> str:
    if not isinstance(token_id, str) or not is_valid_id(token_id):
        raise InvalidArgumentError("Not a token id: a token id is 32 hexadecimal digits")
    return token_id
