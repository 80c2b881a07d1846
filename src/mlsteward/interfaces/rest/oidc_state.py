"""What an OIDC sign-in must remember between the redirect to the provider and the way
back: its state, nonce and PKCE code verifier, kept in a short-lived cookie signed with the
server's key (so any worker process can check it and no client can forge or alter it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from mlsteward.domain.errors import InvalidArgumentError

#: The cookie holding a sign-in in progress.
STATE_COOKIE = "mlsteward_oidc"
#: How long a sign-in may take at the provider, in seconds.
STATE_TTL_S = 600
_RESTART = "start again from the sign-in page"


@dataclass(frozen=True)
class PendingSignIn:
    """One sign-in on its way through the provider."""

    state: str
    nonce: str
    code_verifier: str
    expires_s: int

    @staticmethod
    def new(now_s: int | None = None) -> PendingSignIn:
        now = int(time.time()) if now_s is None else now_s
        return PendingSignIn(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            expires_s=now + STATE_TTL_S,
        )


def seal(pending: PendingSignIn, key: bytes) -> str:
    """The cookie value: the sign-in as base64url JSON, a dot, and its HMAC-SHA256."""
    payload = json.dumps(
        {
            "s": pending.state,
            "n": pending.nonce,
            "v": pending.code_verifier,
            "e": pending.expires_s,
        },
        separators=(",", ":"),
    ).encode()
    body = _b64(payload)
    return f"{body}.{_b64(_mac(key, body))}"


def unseal(value: str | None, key: bytes, now_s: int | None = None) -> PendingSignIn:
    """The sign-in a cookie holds; :class:`InvalidArgumentError` when it is missing, was not
    made by this server, or is too old."""
    if not value:
        raise InvalidArgumentError(f"No sign-in is in progress in this browser; {_RESTART}")
    body, _, mac = value.partition(".")
    try:
        valid = hmac.compare_digest(_unb64(mac), _mac(key, body))
        fields = json.loads(_unb64(body)) if valid else None
        pending = (
            PendingSignIn(
                state=str(fields["s"]),
                nonce=str(fields["n"]),
                code_verifier=str(fields["v"]),
                expires_s=int(fields["e"]),
            )
            if isinstance(fields, dict)
            else None
        )
    except (ValueError, KeyError, TypeError):
        pending = None
    if pending is None:
        raise InvalidArgumentError(f"The sign-in cookie is not this server's; {_RESTART}")
    now = int(time.time()) if now_s is None else now_s
    if now >= pending.expires_s:
        raise InvalidArgumentError(f"The sign-in took too long; {_RESTART}")
    return pending


def check_state(pending: PendingSignIn, returned: str | None) -> None:
    """Refuse a provider answer whose ``state`` is not this browser's sign-in (a forged or
    replayed callback)."""
    if not returned or not hmac.compare_digest(returned.encode(), pending.state.encode()):
        raise InvalidArgumentError(
            f"The sign-in answer does not belong to this browser's sign-in (state mismatch); "
            f"{_RESTART}"
        )


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, b"mlsteward-oidc\n" + body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
