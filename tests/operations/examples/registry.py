"""Example requests for the registry operations.

The client acts as the seam's user; a version it approves, or a protection it lifts, needs a
model someone else built, so :func:`_built_by_someone_else` registers one through the same
door acting for another user.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.interfaces.sdk.transport import (
    HttpTransport,
    InProcessTransport,
    Transport,
    invoke,
)
from mlsteward.services.api.schemas_registry import ModelCardFields
from mlsteward.services.registry import operations as ops

SOURCE = "s3://bucket/model"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _model(client: Client) -> str:
    return client.create_registered_model(unique("model")).name


def _version(client: Client) -> str:
    """A model with version 1, registered by the client's user."""
    name = _model(client)
    client.create_model_version(name, SOURCE)
    return name


def _with_alias(client: Client) -> str:
    name = _version(client)
    client.set_registered_model_alias(name, "champion", 1)
    return name


def _moved_twice(client: Client) -> str:
    """``champion`` moved from version 1 to 2, so it can roll back."""
    name = _with_alias(client)
    client.create_model_version(name, SOURCE)
    client.set_registered_model_alias(name, "champion", 2)
    return name


def _as_other_user(client: Client, user: str) -> Transport:
    """The client's door, acting for ``user``."""
    backend: Any = client._backend
    if isinstance(backend.transport, InProcessTransport):
        return InProcessTransport(backend.transport.ctx.as_actor(user))
    api: ApiClient = backend._api
    return HttpTransport(ApiClient(api.uri, user=user, transport=api._client._transport))


def _built_by_someone_else(client: Client) -> str:
    """A model whose version 1 another user registered (the client may approve it)."""
    builder = _as_other_user(client, "builder")
    name = unique("model")
    invoke(builder, ops.create_model_version, name=name, source=SOURCE, create_model=True)
    return name


def _protected(client: Client) -> str:
    name = _built_by_someone_else(client)
    client.protect_alias(name, "production", reason="policy")
    return name


def _model_tag(client: Client) -> dict[str, Any]:
    name = _model(client)
    client.set_registered_model_tag(name, "k", "v")
    return {"name": name, "key": "k"}


def _version_tag(client: Client) -> dict[str, Any]:
    name = _version(client)
    client.set_model_version_tag(name, 1, "k", "v")
    return {"name": name, "version": 1, "key": "k"}


def _values(**values: Any) -> Callable[[Client], dict[str, Any]]:
    """An example whose values need nothing prepared."""
    return lambda client: dict(values)


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    # registered models
    "registry.create_registered_model": lambda c: {
        "name": unique("model"),
        "description": "d",
        "tags": {"team": "risk"},
    },
    "registry.search_registered_models": _values(filter="name LIKE 'model-%'", max_results=5),
    "registry.get_registered_model": lambda c: {"name": _model(c)},
    "registry.update_registered_model": lambda c: {"name": _model(c), "description": "d"},
    "registry.set_registered_model_tag": lambda c: {"name": _model(c), "key": "a/b", "value": "v"},
    "registry.delete_registered_model_tag": lambda c: _model_tag(c),
    "registry.set_acceptance_thresholds": lambda c: {
        "name": _model(c),
        "thresholds": ["auc >= 0.8"],
    },
    "registry.get_threshold_history": lambda c: {"name": _model(c)},
    "registry.update_model_card": lambda c: {
        "name": _model(c),
        "body": ModelCardFields.model_construct({"license": "MIT"}),
    },
    # versions
    "registry.search_model_versions": _values(filter="version >= 1", max_results=5),
    "registry.resolve_model_uri": lambda c: {"uri": f"models:/{_version(c)}/1"},
    "registry.create_model_version": lambda c: {"name": _model(c), "source": SOURCE},
    "registry.get_latest_versions": lambda c: {"name": _version(c), "stage": ["None"]},
    "registry.get_model_version": lambda c: {"name": _version(c), "version": 1},
    "registry.update_model_version": lambda c: {
        "name": _version(c),
        "version": 1,
        "description": "d",
    },
    "registry.set_model_version_tag": lambda c: {
        "name": _version(c),
        "version": 1,
        "key": "k",
        "value": "v",
    },
    "registry.delete_model_version_tag": lambda c: _version_tag(c),
    "registry.attach_evaluation": lambda c: {
        "name": _version(c),
        "version": 1,
        "metrics": {"auc": 0.9, "loss": float("nan")},
    },
    "registry.get_evaluation_history": lambda c: {"name": _version(c), "version": 1},
    "registry.transition_stage": lambda c: {"name": _version(c), "version": 1, "stage": "Staging"},
    "registry.get_stage_history": lambda c: {"name": _version(c)},
    # aliases
    "registry.set_alias": lambda c: {"name": _version(c), "alias": "champion", "version": 1},
    "registry.delete_alias": lambda c: {"name": _with_alias(c), "alias": "champion"},
    "registry.get_version_by_alias": lambda c: {"name": _with_alias(c), "alias": "champion"},
    "registry.rollback_alias": lambda c: {
        "name": _moved_twice(c),
        "alias": "champion",
        "reason": "bad",
    },
    "registry.get_alias_history": lambda c: {"name": _with_alias(c), "alias": "champion"},
    "registry.protect_alias": lambda c: {"name": _model(c), "alias": "production"},
    "registry.unprotect_alias": lambda c: {
        "name": _protected(c),
        "alias": "production",
        "reason": "retired",
    },
    # reviews and cards
    "registry.approve_model_version": lambda c: {
        "name": _built_by_someone_else(c),
        "version": 1,
        "comment": "checked",
    },
    "registry.reject_model_version": lambda c: {"name": _version(c), "version": 1, "comment": "no"},
    "registry.list_approvals": lambda c: {"name": _version(c), "version": 1},
    "registry.render_model_card": lambda c: {"name": _version(c), "version": 1, "format": "html"},
}
