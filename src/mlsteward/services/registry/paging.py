"""Opaque page tokens for registry searches, tied to the filter they were issued for."""

from __future__ import annotations

import base64
import hashlib
import json

from mlsteward.domain.errors import InvalidArgumentError


def _fingerprint(kind: str, filter_string: str | None) -> str:
    return hashlib.sha256(f"{kind}\0{filter_string or ''}".encode()).hexdigest()[:16]


def encode_token(kind: str, filter_string: str | None, offset: int) -> str:
    raw = json.dumps({"o": offset, "q": _fingerprint(kind, filter_string)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(kind: str, filter_string: str | None, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, query = int(data["o"]), str(data["q"])
    except Exception:
        raise InvalidArgumentError("Invalid page_token: pass the token a search returned") from None
    if query != _fingerprint(kind, filter_string) or offset < 0:
        raise InvalidArgumentError("page_token belongs to a different search")
    return offset
