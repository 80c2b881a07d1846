"""Example requests for the packaging operations: each packages a fresh deployment of a
logged model (one with a manifest, whose pins the Dockerfile takes)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

from .models import _logged_model


def _deployed(client: Client) -> str:
    source = _logged_model(client)
    run_id = source.removeprefix("runs:/").split("/", 1)[0]
    model = client.create_registered_model(f"packaged-{uuid.uuid4().hex[:10]}").name
    client.create_model_version(model, source, run_id=run_id)
    name = f"pack-{uuid.uuid4().hex[:10]}"
    client.deployments.create(name, f"models:/{model}/1", reason="example")
    return name


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "deployments.dockerfile": lambda c: {"name": _deployed(c)},
    "deployments.manifest": lambda c: {
        "name": _deployed(c),
        "format": "kubernetes",
        "image": "example:1",
        "control_plane_url": "https://mlsteward.example.com",
    },
}
