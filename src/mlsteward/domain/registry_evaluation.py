"""A version's attached evaluation as governance sees it: its digest and its change history.

Gates judge a version by its attached evaluation, so an approval is only worth something for
the evaluation it was given on. Each approval records :func:`evaluation_digest` of the
version's evaluation at that moment; a later change gives another digest, and the approval no
longer counts. Every change is kept as an :class:`EvaluationChange` (who, when, before, after).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _canonical(value: float) -> str:
    """One spelling per value: NaN is NaN, -0.0 is 0.0, the rest as ``repr`` (exact)."""
    if math.isnan(value):
        return "nan"
    if value == 0:
        return "0.0"
    return repr(float(value))


def evaluation_digest(metrics: Mapping[str, float]) -> str:
    """SHA-256 (hex) of an evaluation's metrics, whatever their order.

    Digests are stored with approvals and compared with fresh ones, so this encoding must
    never change.
    """
    canonical = json.dumps(
        sorted((str(key), _canonical(value)) for key, value in metrics.items()),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def same_value(a: float, b: float) -> bool:
    """Equal as evaluation results: NaN equals NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


@dataclass(frozen=True)
class EvaluationChange:
    """One change of a version's attached evaluation.

    ``from_metrics`` holds the earlier values of the metrics that changed (a metric attached
    for the first time is absent from it), ``to_metrics`` their new values, and
    ``evaluation_digest`` the digest of the whole evaluation afterwards, which is what an
    approval given after this change records.
    """

    event_id: int
    name: str
    version: int
    actor: str
    timestamp: int
    evaluation_digest: str
    from_metrics: dict[str, float] = field(default_factory=dict)
    to_metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "name": self.name,
            "version": self.version,
            "from_metrics": dict(self.from_metrics),
            "to_metrics": dict(self.to_metrics),
            "evaluation_digest": self.evaluation_digest,
            "actor": self.actor,
            "timestamp": self.timestamp,
        }
