"""Example requests for the prediction-log operations.

Reading a prediction needs one in the log of the platform the client talks to: the example
writes it where that platform keeps its log. The root is found from the client's own context
(local door), from the app behind an in-process HTTP client (the seam's HTTP door), or from
:data:`LOG_ROOTS`, which a test serving a real server process fills with its root.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.predictions import PredictionLogWriter, prediction_log_root

#: A server's prediction-log root by its URL (for servers in another process).
LOG_ROOTS: dict[str, str] = {}


def log_root_of(client: Client) -> str:
    backend: Any = client._backend
    ctx = getattr(backend, "ctx", None)
    if ctx is not None:
        return prediction_log_root(ctx)
    if backend.uri in LOG_ROOTS:
        return LOG_ROOTS[backend.uri]
    app = backend._api._client._transport.app  # an in-process server
    return prediction_log_root(app.state.ctx)


def logged(client: Client) -> tuple[str, str]:
    """A deployment name and the ID of a prediction logged for it."""
    deployment = f"dep-{uuid.uuid4().hex[:8]}"
    prediction_id = new_prediction_id()
    record = PredictionRecord(
        prediction_id,
        deployment,
        "churn",
        1,
        "stable",
        int(time.time() * 1000),
        1.0,
        1,
        {"x": [1.0]},
        {"y": [0]},
    )
    with PredictionLogWriter(log_root_of(client)) as writer:
        writer.submit(record)
    return deployment, prediction_id


def _get(client: Client) -> dict[str, Any]:
    name, prediction_id = logged(client)
    return {"name": name, "prediction_id": prediction_id}


def _find(client: Client) -> dict[str, Any]:
    return {"prediction_id": logged(client)[1]}


def _query(client: Client) -> dict[str, Any]:
    name, _ = logged(client)
    return {"name": name, "start": 0, "end": int(time.time() * 1000) + 1, "limit": 10}


def _feedback(client: Client) -> dict[str, Any]:
    name, prediction_id = logged(client)
    return {"name": name, "items": [{"prediction_id": prediction_id, "labels": [1]}]}


def _prune(client: Client) -> dict[str, Any]:
    name, _ = logged(client)
    return {"name": name, "older_than_days": 30}


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "predictions.get": _get,
    "predictions.find": _find,
    "predictions.query": _query,
    "predictions.feedback": _feedback,
    "predictions.prune": _prune,
}
