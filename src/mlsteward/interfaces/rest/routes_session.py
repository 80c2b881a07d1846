"""Browser sessions: ``POST /auth/session`` signs in with a name and password and keeps the
new token in an HttpOnly cookie; ``DELETE /auth/session`` revokes it and clears the cookies.

Both run the declared operations (``identity.login``, ``identity.revoke_token``) through the
dispatcher, so signing in is rate limited, audited and judged exactly as through any other
door; this module only moves the token between the answer and the cookies.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from mlsteward.domain.errors import UnauthenticatedError
from mlsteward.domain.identity import Principal
from mlsteward.interfaces.rest.authentication import (
    CSRF_HEADER,
    SESSION_COOKIE,
    check_csrf,
    csrf_token_for,
)
from mlsteward.interfaces.rest.dependencies import context_for
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.interfaces.rest.session_cookies import (
    SESSION_DAYS,
    clear_session,
    max_age_until,
    set_session,
)
from mlsteward.interfaces.rest.settings import ServerSettings
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity import operations as identity_operations
from mlsteward.services.operations import dispatch

router = APIRouter(prefix="/auth", tags=["Identity"])

#: What the session's token is called in the account's token list.
SESSION_TOKEN_NAME = "web session"  # noqa: S105 - a label, not a secret


class SessionIn(BaseModel):
    """A name and password, as typed on a sign-in page."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=250, description="The account's user name.")
    password: SecretStr = Field(min_length=1, max_length=1024, description="Its password.")


class SessionOut(BaseModel):
    """The session begun: whose it is, its token's id and expiry (the secret stays in the
    HttpOnly cookie), and the CSRF token to send back in ``X-CSRF-Token``."""

    name: str
    token_id: str
    expires_at_ms: int | None = None
    csrf_token: str


@router.post(
    "/session",
    status_code=201,
    response_model=SessionOut,
    responses={
        401: {"model": ErrorResponse, "description": "UNAUTHENTICATED: wrong name or password"},
        429: {"model": ErrorResponse, "description": "TOO_MANY_ATTEMPTS: wait and try again"},
    },
)
def create_session(body: SessionIn, request: Request) -> Response:
    """Sign in with a name and password: sets the ``mlsteward_session`` cookie (HttpOnly,
    SameSite=Strict) and the readable ``mlsteward_csrf`` cookie, whose value later requests
    that change anything send back as ``X-CSRF-Token``."""
    ctx = context_for(request, Principal.anonymous())
    login = identity_operations.login
    signed_in = dispatch(
        ctx,
        login,
        login.make(
            name=body.name,
            password=body.password,
            token_name=SESSION_TOKEN_NAME,
            expires_in_days=SESSION_DAYS,
        ),
    )
    if login.encode is None:  # pragma: no cover - declared with a JSON codec
        raise TypeError("identity.login has no JSON encoder")
    encoded: dict[str, Any] = login.encode(signed_in)
    token: dict[str, Any] = encoded["token"]
    expires_at_ms = token.get("expires_at_ms")
    secret: str = encoded["secret"]
    answer = {
        "name": body.name,
        "token_id": token["token_id"],
        "expires_at_ms": expires_at_ms,
        "csrf_token": csrf_token_for(secret),
    }
    response = json_response(answer, 201)
    max_age = max_age_until(expires_at_ms, ctx.clock())
    set_session(response, request, _settings(request), secret, max_age_s=max_age)
    return response


@router.delete(
    "/session",
    status_code=204,
    responses={403: {"model": ErrorResponse, "description": f"{CSRF_HEADER} missing or wrong"}},
)
def end_session(request: Request) -> Response:
    """Sign out: revoke the session's token and clear both cookies. Without a session, or
    with one already ended, only the cookies are cleared."""
    ctx: ServiceContext = request.app.state.ctx
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and ctx.authenticator is not None:
        try:
            principal: Principal | None = ctx.authenticator.authenticate_token(secret)
        except UnauthenticatedError:
            principal = None  # already signed out, expired or revoked: nothing to revoke
        if principal is not None and principal.token_id is not None:
            check_csrf(request, secret)
            revoke = identity_operations.revoke_token
            dispatch(
                context_for(request, principal), revoke, revoke.make(token_id=principal.token_id)
            )
    response = Response(status_code=204)
    clear_session(response, request, _settings(request))
    return response


def _settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings
