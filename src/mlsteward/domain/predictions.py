"""One logged prediction: what a deployment was asked, what it answered, by which version.

Written to the prediction log off the hot path; read back by ID, by time range, and joined
with labels that arrive later (feedback) by ``prediction_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Which traffic a prediction served: the stable version, the canary, or a shadow copy whose
#: answer was logged but never returned.
ROUTES = ("stable", "canary", "shadow")


@dataclass(frozen=True)
class PredictionRecord:
    """A request's inputs and outputs as JSON-able columns (name -> values, one per row).

    ``rows`` is how many rows the request carried (one ID covers a whole request); ``status``
    is the HTTP status answered (500 with ``error`` when the model raised). A shadow copy's
    ``shadow_of`` is the prediction ID of the answered request it copied (None otherwise).
    Values may also be numpy arrays on their way to the log; read back, they are lists.
    """

    prediction_id: str
    deployment: str
    model_name: str
    model_version: int
    route: str
    time_ms: int
    latency_ms: float
    rows: int
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error: str | None = None
    shadow_of: str | None = None


@dataclass(frozen=True)
class Feedback:
    """A label that arrived after the prediction it belongs to (one value per row)."""

    prediction_id: str
    deployment: str
    labels: list[Any]
    time_ms: int
    received_by: str = ""
