"""Signing in and out of a tracking URI, keeping the token in the credentials file.

What ``mlsteward login`` and ``logout`` run: a token is made (from a user name and password)
or taken as given, proved by asking the platform who it belongs to, and only then kept for
the URI; signing out revokes it on the platform when that can be reached and always forgets
it here. Each step uses a backend of its own, signed in with exactly the credential in hand
(never an older token the environment or the file may hold).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from mlsteward.domain.errors import (
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
)
from mlsteward.domain.identity import ApiToken, User
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.credentials import forget_token, save_token, stored_token
from mlsteward.interfaces.sdk.http_client import SIGN_IN_HINT
from mlsteward.interfaces.sdk.identity_calls import LOGIN_TOKEN_NAME, IdentityCalls, WhoAmI
from mlsteward.interfaces.sdk.tracking_uri import get_tracking_uri, open_backend

__all__ = ["SignedIn", "SignedOut", "create_admin_on_store", "sign_in", "sign_out"]


@dataclass(frozen=True)
class SignedIn:
    """The outcome of a sign-in: where, as whom, and the token's record (when it was made
    here; a token given as it is has no record to show)."""

    uri: str
    whoami: WhoAmI
    token: ApiToken | None


@dataclass(frozen=True)
class SignedOut:
    """The outcome of a sign-out: whether a token was kept here, and whether the platform
    revoked it (False when it could not be reached, or the token was no longer valid)."""

    uri: str
    forgotten: bool
    revoked: bool
    note: str | None = None


@contextlib.contextmanager
def _identity(uri: str, token: str | None) -> Iterator[IdentityCalls]:
    backend: TrackingBackend = open_backend(uri, token=token)
    try:
        yield IdentityCalls(backend)
    finally:
        backend.close()


def _without_hint(error: UnauthenticatedError) -> UnauthenticatedError:
    """The platform's refusal without the "run mlsteward login" advice (we are doing that)."""
    return UnauthenticatedError(error.message.removesuffix(f"; {SIGN_IN_HINT}"))


def sign_in(
    uri: str | None,
    name: str,
    password: str,
    *,
    token_name: str = LOGIN_TOKEN_NAME,
    expires_in_days: float | None = 30.0,
) -> SignedIn:
    """Sign in to ``uri`` (default: the SDK's tracking URI) as ``name`` and keep the new
    token for it. A wrong name or password raises ``UnauthenticatedError`` and keeps
    nothing."""
    target = uri or get_tracking_uri()
    try:
        with _identity(target, None) as calls:
            token, secret = calls.login(
                name, password, token_name=token_name, expires_in_days=expires_in_days
            )
    except UnauthenticatedError as error:
        raise _without_hint(error) from None
    signed = _prove(target, secret, token)
    save_token(target, secret)
    return signed


def sign_in_with_token(uri: str | None, secret: str) -> SignedIn:
    """Keep ``secret`` for ``uri`` once the platform says whose token it is (a token it
    does not know raises ``UnauthenticatedError`` and keeps nothing)."""
    target = uri or get_tracking_uri()
    secret = secret.strip()
    if not secret:
        raise UnauthenticatedError("No token given")
    signed = _prove(target, secret, None)
    save_token(target, secret)
    return signed


def _prove(uri: str, secret: str, token: ApiToken | None) -> SignedIn:
    try:
        with _identity(uri, secret) as calls:
            me = calls.whoami()
    except UnauthenticatedError as error:
        raise _without_hint(error) from None
    return SignedIn(uri, me, token)


def sign_out(uri: str | None) -> SignedOut:
    """Revoke the token kept for ``uri`` on the platform when it can be reached, and forget
    it here either way."""
    target = uri or get_tracking_uri()
    secret = stored_token(target)
    if secret is None:
        return SignedOut(target, forgotten=False, revoked=False, note="not signed in here")
    revoked, note = False, None
    try:
        with _identity(target, secret) as calls:
            token_id = calls.whoami().token_id
            if token_id:
                calls.revoke_token(token_id)
                revoked = True
    except UnavailableError:
        note = "the server could not be reached; the token stays valid until it expires"
    except (UnauthenticatedError, NotFoundError):
        note = "the token was no longer valid"
    except PermissionDeniedError as error:
        note = f"the server did not revoke it ({error.message}); revoke it with an admin"
    forget_token(target)
    return SignedOut(target, forgotten=True, revoked=revoked, note=note)


def create_admin_on_store(
    store_uri: str, name: str, *, password: str | None = None
) -> tuple[User, str]:
    """Make ``name`` an administrator of the store itself (the local door, as the store's
    owner: for the first admin of a server, or to recover access); returns the account and
    a new token's secret, shown once."""
    from mlsteward.interfaces.sdk.local_backend import LocalBackend
    from mlsteward.interfaces.sdk.tracking_uri import default_artifacts_uri
    from mlsteward.services.identity.accounts import create_admin

    backend = LocalBackend(store_uri, default_artifacts_uri(store_uri))
    try:
        return create_admin(backend.ctx, name, password=password)
    finally:
        backend.close()
