"""API token secrets: what a secret looks like and the only form of it the store keeps.

A secret is ``mls_`` followed by 256 random bits (URL-safe base64), shown once when the token
is created. The store keeps its SHA-256: a secret this random needs no salt or slow hash, and
a lookup by hash needs no comparison of secrets at all.
"""

from __future__ import annotations

import hashlib
import secrets

#: Every secret starts with this, so a leaked one is easy to recognise (and to scan for).
SECRET_PREFIX = "mls_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """A fresh token secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_sha256(secret: str) -> str:
    """The SHA-256 of ``secret`` (hex): what the store keeps and looks tokens up by."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
