"""Who is calling: the credential a request carries, checked by the context's authenticator.

A request proves who it is with an API token, sent one of three ways:

- ``Authorization: Bearer <token>`` (the SDK, curl, scripts);
- ``Authorization: Basic base64(name:token)``, the token as the password, as MLflow-style
  clients send their user name and password;
- the ``mlsteward_session`` cookie a browser got from ``POST /auth/session``; then a request
  that may change state must also send ``X-CSRF-Token`` equal to the ``mlsteward_csrf``
  cookie (a value derived from the session, so another site can neither read nor forge it).

No credential at all is the anonymous caller (the policy then asks them to sign in); a
credential that does not check out is refused at once with 401. No message ever repeats
what was sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from mlsteward.domain.errors import PermissionDeniedError, UnauthenticatedError
from mlsteward.domain.identity import Principal
from mlsteward.services.people import same_person

SESSION_COOKIE = "mlsteward_session"
CSRF_COOKIE = "mlsteward_csrf"
CSRF_HEADER = "X-CSRF-Token"
#: Sent with every 401, so a client knows a Bearer token is what this server takes.
CHALLENGE = 'Bearer realm="mlsteward"'
#: Methods a browser may send cross-site without a preflight and that change nothing here.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A token is ~50 characters; anything far longer is not one (and is not hashed).
_MAX_SECRET_LENGTH = 1024


@dataclass(frozen=True)
class Credential:
    """A token as a request presented it."""

    secret: str
    #: ``bearer``, ``basic`` or ``session``.
    via: str
    #: The user name a Basic credential named (None otherwise).
    name: str | None = None


def csrf_token_for(session_secret: str) -> str:
    """The CSRF token that goes with a session: an HMAC of a fixed label keyed by the
    session's secret, so only someone who holds the session (or was given the token by this
    server) has it, and it changes with every session."""
    return hmac.new(session_secret.encode(), b"mlsteward-csrf", hashlib.sha256).hexdigest()


def credential_of(request: Request) -> Credential | None:
    """The credential the request carries (None: none at all). Raises
    :class:`UnauthenticatedError` for an ``Authorization`` header that cannot be read."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return Credential(_bounded(value), "bearer")
        if scheme.lower() == "basic" and value:
            name, secret = _basic(value)
            return Credential(_bounded(secret), "basic", name)
        raise UnauthenticatedError(
            "Unsupported Authorization header: send 'Bearer <token>' (or Basic with a token "
            "as the password)"
        )
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return Credential(_bounded(session), "session")
    return None


def verified(
    credential: Credential, request: Request, lookup: Callable[[str], Principal]
) -> Principal:
    """The principal ``lookup`` finds for the credential, once the request's other proofs
    agree with it (a Basic name, a session's CSRF token)."""
    try:
        principal = lookup(credential.secret)
    except UnauthenticatedError:
        if credential.via == "session":
            raise UnauthenticatedError(
                "Your session has ended (signed out, expired or revoked); sign in again"
            ) from None
        raise
    if credential.name and not same_person(credential.name, principal.name):
        raise UnauthenticatedError("The user name does not match the token's account")
    if credential.via == "session" and request.method not in SAFE_METHODS:
        check_csrf(request, credential.secret)
    return principal


def check_csrf(request: Request, session_secret: str) -> None:
    """Refuse (403) a state-changing request on a session cookie without the session's CSRF
    token in ``X-CSRF-Token``: the cookie alone travels with any site's forged request."""
    sent = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = csrf_token_for(session_secret)
    matches = hmac.compare_digest(sent.encode(), expected.encode())
    if not (sent and matches and hmac.compare_digest(cookie.encode(), expected.encode())):
        raise PermissionDeniedError(
            f"A request signed in by session cookie must send {CSRF_HEADER} equal to the "
            f"{CSRF_COOKIE} cookie"
        )


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise UnauthenticatedError(
            "The Basic credential is not valid base64 of name:token"
        ) from None
    name, colon, secret = decoded.partition(":")
    if not colon or not secret:
        raise UnauthenticatedError("The Basic credential must be name:token")
    return name.strip(), secret


def _bounded(secret: str) -> str:
    if len(secret) > _MAX_SECRET_LENGTH:
        raise UnauthenticatedError("The token is not valid (unknown, expired or revoked)")
    return secret
