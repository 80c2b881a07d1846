"""OpenID Connect sign-in for browsers (mounted when the server has ``--oidc-issuer``).

``GET /auth/oidc/login`` sends the browser to the provider's authorization endpoint with a
fresh state, nonce and PKCE challenge (remembered in a signed, short-lived cookie);
``GET /auth/oidc/callback`` checks the state, exchanges the code (Authlib), has the ID token
verified and mapped to an account (:mod:`mlsteward.services.identity.oidc`), and answers
``{token, secret}`` while setting the session cookies. The provider's discovery document is
read once every few minutes; its signing keys on every sign-in, so a rotated key is seen.
"""

from __future__ import annotations

import re
import time
from typing import Any

import anyio
import httpx
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from mlsteward.domain.errors import (
    InvalidArgumentError,
    UnauthenticatedError,
    UnavailableError,
)
from mlsteward.domain.identity import Principal, Role
from mlsteward.interfaces.rest.dependencies import context_for
from mlsteward.interfaces.rest.oidc_state import (
    STATE_COOKIE,
    STATE_TTL_S,
    PendingSignIn,
    check_state,
    seal,
    unseal,
)
from mlsteward.interfaces.rest.responses import json_response
from mlsteward.interfaces.rest.session_cookies import cookies_secure, max_age_until, set_session
from mlsteward.interfaces.rest.settings import ServerSettings
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.wire import API_PREFIX
from mlsteward.services.context import ServiceContext

_SCOPE = "openid profile email"
_DISCOVERY_TTL_S = 300.0
_HTTP_TIMEOUT_S = 10.0
_COOKIE_PATH = f"{API_PREFIX}/auth/oidc"
# A provider's error code is an ASCII word (RFC 6749 4.1.2.1); anything else is not shown.
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class OidcProvider:
    """The provider named by the settings: its discovery document (cached), its keys."""

    def __init__(self, settings: ServerSettings) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise InvalidArgumentError("OIDC sign-in needs --oidc-issuer and --oidc-client-id")
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.redirect_url = settings.oidc_redirect_url
        self.default_role = Role(settings.oidc_default_role) if settings.oidc_default_role else None
        self._metadata: dict[str, Any] | None = None
        self._read_at = 0.0

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, checked to be this issuer's own (OIDC Discovery 4.3)."""
        if self._metadata is not None and time.monotonic() - self._read_at < _DISCOVERY_TTL_S:
            return self._metadata
        document = await _get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(document.get("issuer", "")).rstrip("/") != self.issuer:
            raise UnavailableError(
                "The identity provider's discovery document names another issuer"
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(field), str):
                raise UnavailableError(f"The identity provider's discovery lacks {field}")
        self._metadata, self._read_at = document, time.monotonic()
        return document

    def callback_url(self, request: Request) -> str:
        return self.redirect_url or str(request.url_for("oidc_callback"))


def oidc_router(settings: ServerSettings, state_key: bytes) -> APIRouter:
    """The two routes of the browser flow, for the provider the settings name."""
    provider = OidcProvider(settings)
    router = APIRouter(prefix="/auth/oidc", tags=["Identity"])

    @router.get(
        "/login",
        status_code=302,
        response_class=RedirectResponse,
        responses={503: {"model": ErrorResponse}},
    )
    async def oidc_login(request: Request) -> Response:
        """Start signing in with the identity provider: redirects there."""
        from authlib.integrations.httpx_client import AsyncOAuth2Client

        metadata = await provider.metadata()
        pending = PendingSignIn.new()
        async with AsyncOAuth2Client(
            client_id=provider.client_id,
            scope=_SCOPE,
            redirect_uri=provider.callback_url(request),
            code_challenge_method="S256",
        ) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=pending.state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        response = RedirectResponse(url, status_code=302)
        response.set_cookie(
            STATE_COOKIE,
            seal(pending, state_key),
            max_age=STATE_TTL_S,
            path=_COOKIE_PATH,
            secure=cookies_secure(request, settings),
            httponly=True,
            # Lax, not Strict: the provider's redirect back is a top-level cross-site GET.
            samesite="lax",
        )
        return response

    @router.get(
        "/callback",
        responses={
            400: {"model": ErrorResponse},
            401: {"model": ErrorResponse},
            503: {"model": ErrorResponse},
        },
    )
    async def oidc_callback(
        request: Request,
        code: str | None = Query(default=None, max_length=4096),
        state: str | None = Query(default=None, max_length=512),
        error: str | None = Query(default=None, max_length=256),
    ) -> Response:
        """Where the provider sends the browser back: answers ``{token, secret}`` (the
        secret shown once) and sets the session cookies."""
        pending = unseal(request.cookies.get(STATE_COOKIE), state_key)
        check_state(pending, state)
        if error is not None:
            shown = error if _ERROR_CODE.match(error) else "an error"
            raise UnauthenticatedError(f"The identity provider refused the sign-in ({shown})")
        if not code:
            raise InvalidArgumentError("The identity provider sent no authorization code")
        metadata = await provider.metadata()
        id_token = await _exchange(provider, metadata, request, code, pending.code_verifier)
        jwks = await _get_json(metadata["jwks_uri"])
        offered = metadata.get("id_token_signing_alg_values_supported")
        ctx = context_for(request, Principal.anonymous())
        signed_in = await anyio.to_thread.run_sync(
            _sign_in, ctx, provider, id_token, jwks, pending.nonce, offered
        )
        token, secret, body = signed_in
        response = json_response(body)
        max_age = max_age_until(token.expires_at_ms, ctx.clock())
        set_session(response, request, settings, secret, max_age_s=max_age)
        response.delete_cookie(STATE_COOKIE, path=_COOKIE_PATH)
        return response

    return router


def _sign_in(
    ctx: ServiceContext,
    provider: OidcProvider,
    id_token: str,
    jwks: dict[str, Any],
    nonce: str,
    offered: object,
) -> tuple[Any, str, dict[str, Any]]:
    """Verify the ID token, sign its account in; returns the token, its secret and the
    answer's body (blocking: the store is written)."""
    from mlsteward.services.identity.oidc import ALGORITHMS, sign_in_with_oidc, verify_id_token

    algorithms: tuple[str, ...] = ALGORITHMS
    if isinstance(offered, list):
        algorithms = tuple(name for name in ALGORITHMS if name in offered) or ALGORITHMS
    identity = verify_id_token(
        id_token,
        jwks,
        issuer=provider.issuer,
        client_id=provider.client_id,
        nonce=nonce,
        algorithms=algorithms,
    )
    _, token, secret = sign_in_with_oidc(ctx, identity, default_role=provider.default_role)
    # The same answer as creating a token: {token, secret}.
    from mlsteward.services.identity import operations as identity_operations

    encode = identity_operations.create_token.encode
    if encode is None:  # pragma: no cover - declared with a JSON codec
        raise TypeError("identity.create_token has no JSON encoder")
    return token, secret, encode((token, secret))


async def _exchange(
    provider: OidcProvider, metadata: dict[str, Any], request: Request, code: str, verifier: str
) -> str:
    """Trade the authorization code (and the PKCE verifier) for the ID token."""
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    method = "client_secret_basic" if provider.client_secret else "none"
    try:
        async with AsyncOAuth2Client(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            token_endpoint_auth_method=method,
            redirect_uri=provider.callback_url(request),
            timeout=_HTTP_TIMEOUT_S,
        ) as client:
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
            )
    except OAuthError as refused:
        shown = refused.error if _ERROR_CODE.match(refused.error or "") else "an error"
        raise UnauthenticatedError(
            f"The identity provider refused the authorization code ({shown})"
        ) from None
    except httpx.HTTPError as failure:
        raise UnavailableError(
            f"The identity provider cannot be reached ({type(failure).__name__})"
        ) from None
    except ValueError:  # not JSON
        raise UnavailableError("The identity provider's token answer is not JSON") from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise UnauthenticatedError("The identity provider answered without an ID token")
    return id_token


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=_HTTP_TIMEOUT_S) as client:
            answer = await client.get(url)
        answer.raise_for_status()
        document = answer.json()
    except (httpx.HTTPError, ValueError) as failure:
        raise UnavailableError(
            f"The identity provider cannot be read ({type(failure).__name__})"
        ) from None
    if not isinstance(document, dict):
        raise UnavailableError("The identity provider answered something other than an object")
    return document
