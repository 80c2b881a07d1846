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


def _rolling(client: Client) -> str:
    """A deployment with a canary of version 2 under way."""
    name = _deployed(client)
    client.deployments.rollout(name, 2, reason="example")
    return name


def _rollout(client: Client) -> dict[str, Any]:
    return {
        "name": _deployed(client),
        "version": 2,
        "strategy": "canary",
        "steps": [0.1, 1.0],
        "criteria": {"interval_s": 30.0, "max_error_rate": 0.02},
        "sticky_key": "header:x-user",
        "reason": "example",
    }


def _report(client: Client) -> dict[str, Any]:
    """A data-plane replica's status, as it reports after reading the plan."""
    name = _deployed(client)
    plan = client.deployments.plan(name)
    return {
        "name": name,
        "replica": "node-1:8080:4242",
        "started_ms": 1_700_000_000_000,
        "interval_s": 5.0,
        "revision": plan.revision,
        "ready": True,
        "routes": [
            {"route": r.route, "model_name": r.model_name, "version": r.version, "weight": r.weight}
            for r in plan.routes
        ],
        "requests": 10,
        "errors": 1,
        "p99_ms": 12.5,
    }


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "deployments.create": _create,
    "deployments.list": lambda c: {},
    "deployments.get": lambda c: {"name": _deployed(c)},
    "deployments.update": _update,
    "deployments.delete": lambda c: {"name": _deployed(c), "reason": "example"},
    "deployments.history": lambda c: {"name": _deployed(c), "limit": 10},
    "deployments.plan": lambda c: {"name": _deployed(c)},
    "deployments.report": _report,
    "deployments.health": lambda c: {"name": _deployed(c)},
    "deployments.rollout": _rollout,
    "deployments.promote": lambda c: {"name": _rolling(c), "reason": "example"},
    "deployments.rollback": lambda c: {"name": _rolling(c), "reason": "example"},
    "deployments.pause": lambda c: {"name": _rolling(c), "reason": "example"},
    "deployments.resume": lambda c: {"name": _rolling(c), "reason": "example"},
    "deployments.analyze": lambda c: {"name": _rolling(c)},
}
