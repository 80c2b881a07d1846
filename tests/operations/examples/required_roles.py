"""Requests the access matrix (``tests/security``) needs beyond :data:`EXAMPLES`.

``SIGNED_IN_EXAMPLES`` replaces the examples that cannot be prepared on a server with
sign-in: the registry's approval and lifting of a protection have "someone else" register
the model by naming them in ``X-Mlsteward-User``, which such a server ignores (the request
is anonymous, so 401). Here the preparing client registers the model itself; the principal
the matrix then calls as is someone else already.

``OWN_ACCOUNT_EXAMPLES`` are requests about the calling account itself (its record, its
password, its tokens), which every signed-in principal may make whatever its roles; each
takes the preparing client and the caller's account name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

from .identity import PASSWORD
from .registry import SOURCE

Example = Callable[[Client], dict[str, Any]]
OwnAccountExample = Callable[[Client, str], dict[str, Any]]


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _registered(client: Client) -> str:
    """A model whose version 1 the client's own principal registered."""
    name = client.create_registered_model(_unique("model")).name
    client.create_model_version(name, SOURCE)
    return name


def _protected(client: Client) -> str:
    """A registered model whose ``production`` alias the client protected."""
    name = _registered(client)
    client.protect_alias(name, "production", reason="policy")
    return name


def _own_token(client: Client, account: str) -> dict[str, Any]:
    """A second token of ``account`` (made by the preparing client), to revoke."""
    token, _ = client.identity().create_token("own", user=account)
    return {"token_id": token.token_id}


SIGNED_IN_EXAMPLES: dict[str, Example] = {
    "registry.approve_model_version": lambda c: {
        "name": _registered(c),
        "version": 1,
        "comment": "checked",
    },
    "registry.unprotect_alias": lambda c: {
        "name": _protected(c),
        "alias": "production",
        "reason": "retired",
    },
}

OWN_ACCOUNT_EXAMPLES: dict[str, OwnAccountExample] = {
    "identity.whoami": lambda c, me: {},
    "identity.get_user": lambda c, me: {"name": me},
    "identity.update_user": lambda c, me: {"name": me, "password": PASSWORD},
    "identity.create_token": lambda c, me: {"name": "own"},
    "identity.list_tokens": lambda c, me: {},
    "identity.revoke_token": _own_token,
}
