"""Example requests for the scheduled batch job operations.

Each prepares a job of its own over a dataset in and a dataset out (the HTTP door's server
opens no file of its host) and a small registered scikit-learn model (see ``batch``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

from .batch import _predict


def _spec(client: Client) -> dict[str, Any]:
    """A new job's request: a fresh model and input dataset, a dataset output."""
    values = _predict(client)
    return {"name": f"job-{uuid.uuid4().hex[:10]}", **values}


def _job(client: Client) -> str:
    """A manual job (no schedule, so no scheduler runs it meanwhile)."""
    spec = _spec(client)
    name = spec.pop("name")
    client.batch_jobs.create(
        name, spec.pop("model_uri"), spec.pop("input"), spec.pop("output"), **spec
    )
    return name


def _ran(client: Client) -> str:
    name = _job(client)
    client.batch_jobs.run(name)
    return name


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "batch_jobs.create": lambda c: {**_spec(c), "every": "1h"},
    "batch_jobs.list": lambda c: {},
    "batch_jobs.get": lambda c: {"name": _job(c)},
    "batch_jobs.update": lambda c: {"name": _job(c), "every": "2h", "enabled": False},
    "batch_jobs.delete": lambda c: {"name": _job(c)},
    "batch_jobs.run": lambda c: {"name": _job(c)},
    "batch_jobs.list_runs": lambda c: {"name": _ran(c)},
}
