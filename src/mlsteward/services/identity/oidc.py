"""Signing in with an OpenID Connect provider: a verified ID token becomes an account and
an mlsteward token.

The browser flow (redirects, the code exchange) belongs to the REST door; what is decided
here, once, is whether an ID token is to be believed (:func:`verify_id_token`: signature by
one of the provider's published keys with an asymmetric algorithm, issuer, audience, nonce,
expiry) and which account it signs in (:func:`sign_in_with_oidc`: the one linked to the
provider's issuer and subject, else a new user named after the provider's user name or
e-mail address). An account is never linked by name alone: a local ``alice`` is not taken
over by whoever the provider calls ``alice``.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlsteward.domain.errors import (
    AlreadyExistsError,
    InvalidArgumentError,
    UnauthenticatedError,
)
from mlsteward.domain.identity import ApiToken, Principal, PrincipalKind, Role, User
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.identity.api_tokens import issue_token
from mlsteward.services.identity.grants import add_grant
from mlsteward.services.identity.names import user_name_key
from mlsteward.services.operations.dispatcher import record_change
from mlsteward.services.operations.kinds import Action, ResourceKind
from mlsteward.services.operations.policy import Resource

#: Signature algorithms an ID token may use: asymmetric only, so neither "none" nor an HMAC
#: keyed with something a client could know is ever accepted.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
#: Clock skew tolerated between this server and the provider, in seconds.
LEEWAY_S = 60
#: How long the mlsteward token an OIDC sign-in issues lasts.
TOKEN_DAYS = 7.0
_MAX_NAME = 250
#: Who the accounts and grants made by a sign-in are recorded as created by.
CREATED_BY = "oidc"


@dataclass(frozen=True)
class OidcIdentity:
    """Who the provider says signed in, from a verified ID token."""

    issuer: str
    subject: str
    #: ``preferred_username`` (None when the provider sent none).
    username: str | None = None
    email: str | None = None


def verify_id_token(
    id_token: str,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now_s: int | None = None,
    algorithms: tuple[str, ...] = ALGORITHMS,
) -> OidcIdentity:
    """The identity an ID token vouches for; :class:`UnauthenticatedError` when it is not
    signed by a key of ``jwks``, not issued by ``issuer`` for ``client_id``, not bound to
    ``nonce`` (this sign-in's), or expired. Messages name the check, never the token."""
    from joserfc import jwt
    from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
    from joserfc.jwk import KeySet

    allowed = [name for name in algorithms if name in ALGORITHMS]
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise UnauthenticatedError(
            f"The identity provider's signing keys cannot be read ({type(error).__name__})"
        ) from None
    try:
        token = jwt.decode(id_token, keys, algorithms=allowed)
    except (JoseError, ValueError, TypeError) as error:
        raise UnauthenticatedError(
            "The identity provider's ID token is not validly signed by its published keys "
            f"({type(error).__name__})"
        ) from None
    claims: dict[str, Any] = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=now_s if now_s is not None else int(time.time()),
        leeway=LEEWAY_S,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise UnauthenticatedError("The identity provider's ID token has expired") from None
    except MissingClaimError as error:
        raise UnauthenticatedError(
            f"The identity provider's ID token lacks a required claim ({error.description})"
        ) from None
    except InvalidClaimError as error:
        raise UnauthenticatedError(
            f"The identity provider's ID token was refused: {error.description}"
        ) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        # OIDC Core 3.1.3.7: with several audiences, azp names the client it was issued to.
        raise UnauthenticatedError("The identity provider's ID token was issued to another client")
    if not isinstance(claims["sub"], str):
        raise UnauthenticatedError("The identity provider's ID token has no valid subject")
    return OidcIdentity(
        issuer=issuer,
        subject=claims["sub"],
        username=_text(claims.get("preferred_username")),
        email=_text(claims.get("email")),
    )


def sign_in_with_oidc(
    ctx: ServiceContext,
    identity: OidcIdentity,
    *,
    default_role: Role | None = None,
    token_name: str = "oidc sign-in",  # noqa: S107 - a label, not a secret
    expires_in_days: float = TOKEN_DAYS,
) -> tuple[User, ApiToken, str]:
    """The account linked to ``identity`` (created on its first sign-in, with
    ``default_role`` granted server-wide when given) and a new token for it, with the
    token's secret (shown once). A disabled account is refused. Account creation and the
    token are audited as ``identity.oidc_sign_in``, in the same transaction."""
    with ctx.stores.unit_of_work():
        user = _linked_account(ctx, identity, default_role)
        if not user.active:
            raise UnauthenticatedError(f"The account {user.name!r} is disabled")
        token, secret = issue_token(ctx, user, token_name, expires_in_days)
        signed_in = Principal(name=user.name, kind=user.kind, user_id=user.user_id)
        record_change(
            ctx.as_principal(signed_in, ctx.request_id),
            "identity.oidc_sign_in",
            Action.CREATE,
            Resource(ResourceKind.USER, user.name),
            {"issuer": identity.issuer, "subject": identity.subject},
        )
    return user, token, secret


def _linked_account(ctx: ServiceContext, identity: OidcIdentity, role: Role | None) -> User:
    store = ctx.stores.identity
    found = store.get_user_by_oidc(identity.issuer, identity.subject)
    if found is not None:
        return found
    name = account_name(identity, taken=lambda key: store.get_user_by_name_key(key) is not None)
    user = User(
        user_id=new_id(),
        name=name,
        kind=PrincipalKind.USER,
        created_at_ms=ctx.clock(),
        created_by=CREATED_BY,
        oidc_issuer=identity.issuer,
        oidc_subject=identity.subject,
        email=identity.email,
    )
    try:
        created = store.create_user(user, user_name_key(name), None)
    except AlreadyExistsError:
        # Another sign-in of the same person won the race: use the account it made.
        again = store.get_user_by_oidc(identity.issuer, identity.subject)
        if again is None:
            raise
        return again
    if role is not None:
        # Granted by the sign-in itself (the server's own act, as the operator configured).
        add_grant(ctx.as_actor(CREATED_BY, ctx.request_id), created.name, role)
    return created


def account_name(identity: OidcIdentity, *, taken: Callable[[str], bool]) -> str:
    """The name a new account gets: the provider's user name, else the e-mail address, else
    ``oidc-<subject>``, with characters a user name may not hold replaced by ``-``; suffixed
    with a short digest of issuer and subject when an account of that name exists already
    (``taken(name_key)`` says so), so no existing account is ever taken over by name."""
    digest = hashlib.sha256(f"{identity.issuer}\n{identity.subject}".encode()).hexdigest()
    fallback = f"oidc-{digest[:16]}"
    base = fallback
    for candidate in (identity.username, identity.email, f"oidc-{identity.subject}"):
        cleaned = _as_user_name(candidate or "")
        if cleaned:
            base = cleaned
            break
    if not taken(user_name_key(base)):
        return base
    return f"{base}-{digest[:8]}"


def _as_user_name(text: str) -> str | None:
    """``text`` made a valid user name (None when nothing usable is left)."""
    kept = "".join(ch if _allowed(ch) else "-" for ch in text)
    name = " ".join(kept.split())[: _MAX_NAME - 9].strip()
    try:
        user_name_key(name)
    except InvalidArgumentError:
        return None
    return name


def _allowed(ch: str) -> bool:
    return ch in "._-@+ " or unicodedata.category(ch)[0] in "LNM"


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
