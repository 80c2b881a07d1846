"""Signing in with a name and password: a new API token for the account.

The password is checked by the context's authenticator (rate limited per name and per
address, see :mod:`.authentication`), from the caller's network address. The token a sign-in
issues always expires, unless the account is an admin's and asks otherwise.
"""

from __future__ import annotations

from mlsteward.domain.errors import UnauthenticatedError
from mlsteward.domain.identity import ApiToken, Principal
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.api_tokens import create_token
from mlsteward.services.identity.authentication import WRONG_PASSWORD, Authenticator

LOGIN_TOKEN_NAME = "login"  # noqa: S105 - a label, not a secret
LOGIN_EXPIRY_DAYS = 30.0


def check_password(ctx: ServiceContext, name: str, password: str) -> Principal:
    """Who ``name`` and ``password`` prove: ``UnauthenticatedError`` for a wrong name or
    password, ``TooManyAttemptsError`` after too many failures. Runs outside any
    transaction (the dispatcher calls it first), so failures are counted for good."""
    authenticator = ctx.authenticator or Authenticator(ctx.stores, clock=ctx.clock)
    principal = authenticator.authenticate_password(name, password, ctx.client_address)
    if principal.user_id is None:  # pragma: no cover - password sign-ins are accounts'
        raise UnauthenticatedError(WRONG_PASSWORD)
    return principal


def issue_login_token(
    ctx: ServiceContext,
    *,
    token_name: str = LOGIN_TOKEN_NAME,
    expires_in_days: float | None = LOGIN_EXPIRY_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for the account that just signed in (``ctx.acting``), and its secret
    (shown once)."""
    return create_token(ctx, name=token_name, expires_in_days=expires_in_days, read_only=False)


def login(
    ctx: ServiceContext,
    name: str,
    password: str,
    *,
    token_name: str = LOGIN_TOKEN_NAME,
    expires_in_days: float | None = LOGIN_EXPIRY_DAYS,
) -> tuple[ApiToken, str]:
    """Both steps at once, for callers outside the dispatcher: a new token for the account
    ``name`` signs in to with ``password``, and its secret."""
    signed_in = ctx.as_principal(check_password(ctx, name, password), ctx.request_id)
    return issue_login_token(signed_in, token_name=token_name, expires_in_days=expires_in_days)
