"""Example requests for the deployment operations: each deploys a fresh model of its own
(version 1 behind ``champion``, version 2 beside it), so examples stay independent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

from .registry import SOURCE


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _model(client: Client) -> str:
    """A model with versions 1 (behind ``champion``) and 2; no signatures (allowed)."""
    name = client.create_registered_model(_unique("deployed-model")).name
    client.create_model_version(name, SOURCE)
    client.create_model_version(name, SOURCE)
    client.set_registered_model_alias(name, "champion", 1)
    return name


def _deployed(client: Client) -> str:
    name = _unique("dep")
    client.deployments.create(name, f"models:/{_model(client)}@champion", reason="example")
    return name


def _create(client: Client) -> dict[str, Any]:
    return {
        "name": _unique("dep"),
        "model_uri": f"models:/{_model(client)}@champion",
        "reason": "example",
    }


def _update(client: Client) -> dict[str, Any]:
    name = _deployed(client)
    model = client.deployments.get(name).model_uri.split("/")[1].split("@")[0]
    return {"name": name, "model_uri": f"models:/{model}/2", "replicas": 2, "reason": "example"}


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "deployments.create": _create,
    "deployments.list": lambda c: {},
    "deployments.get": lambda c: {"name": _deployed(c)},
    "deployments.update": _update,
    "deployments.delete": lambda c: {"name": _deployed(c), "reason": "example"},
    "deployments.history": lambda c: {"name": _deployed(c), "limit": 10},
    "deployments.plan": lambda c: {"name": _deployed(c)},
}
