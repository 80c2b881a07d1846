"""Example requests for the identity operations.

The seam runs as the local owner ``tester``, who has no account of their own: every example
names an account it made (a unique name), so tokens, grants and updates have someone to be
about.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

#: A password every strength rule accepts.
PASSWORD = "correct horse battery staple"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _account(client: Client, *, password: str | None = None) -> str:
    """The name of a new account."""
    return client.identity().create_user(unique("user"), password=password).name


def _token(client: Client) -> dict[str, Any]:
    token, _ = client.identity().create_token("example", user=_account(client))
    return {"token_id": token.token_id}


def _grant(client: Client) -> dict[str, Any]:
    grant = client.identity().add_grant(_account(client), "viewer")
    return {"grant_id": grant.grant_id}


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "identity.login": lambda c: {"name": _account(c, password=PASSWORD), "password": PASSWORD},
    "identity.whoami": lambda c: {},
    "identity.create_user": lambda c: {"name": unique("user"), "kind": "user"},
    "identity.list_users": lambda c: {},
    "identity.get_user": lambda c: {"name": _account(c)},
    "identity.update_user": lambda c: {"name": _account(c), "password": PASSWORD},
    "identity.create_token": lambda c: {"name": "example", "user": _account(c)},
    "identity.list_tokens": lambda c: {"user": _account(c)},
    "identity.revoke_token": _token,
    "identity.create_grant": lambda c: {"principal": _account(c), "role": "viewer"},
    "identity.list_grants": lambda c: {},
    "identity.delete_grant": _grant,
}
