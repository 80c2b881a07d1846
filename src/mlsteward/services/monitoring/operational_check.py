"""A deployment's operational check: latency, error rate and throughput against bounds.

The numbers come from the prediction log's records of one run's window (stable and canary
routes; shadow answers are never returned, so they are not the service's): p50 and p99
latency over every logged request, the error rate as the share of requests the model failed
(status 500 and above; a refused request is the client's error and is not logged as the
model's), and throughput as requests per second over the window. The deployment's stream
consumers add two figures from their latest live reports (see ``deployment_operational``):
the consumer lag (the largest backlog a group reported) and the dead-letter rate. A bound
that is broken is a breach of the ``operational`` check, its alert's column the bound's name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import OPERATIONAL_BOUNDS
from mlsteward.services.monitoring.alerts import Breach

CHECK = "operational"
#: Bounds that are a floor (alert below); the others are ceilings (alert above).
_FLOORS = frozenset({"min_throughput_rps"})
#: The figure each bound is judged on.
_FIGURE = {
    "p50_latency_ms": "p50_latency_ms",
    "p99_latency_ms": "p99_latency_ms",
    "error_rate": "error_rate",
    "min_throughput_rps": "throughput_rps",
    "max_consumer_lag": "consumer_lag",
    "max_dead_letter_rate": "dead_letter_rate",
}
_SEVERITY = {"error_rate": "critical", "max_dead_letter_rate": "critical"}
#: Bounds judged on the stream consumers' reports, not on the prediction log.
STREAM_BOUNDS = ("max_consumer_lag", "max_dead_letter_rate")
#: Bounds that are shares (from 0 to 1).
_SHARES = ("error_rate", "max_dead_letter_rate")
#: What a stream bound's evidence adds: the consumers it was judged on.
STREAM_EVIDENCE = "consumers"


def validate_operational(bounds: object) -> dict[str, float]:
    """The bounds as floats, or ``InvalidArgumentError`` naming what is wrong."""
    if bounds is None:
        return {}
    if not isinstance(bounds, Mapping):
        raise InvalidArgumentError(
            'operational bounds map a name to a number, e.g. {"p99_latency_ms": 50}'
        )
    clean: dict[str, float] = {}
    for name, value in bounds.items():
        if name not in OPERATIONAL_BOUNDS:
            raise InvalidArgumentError(
                f"Unknown operational bound {name!r}; known: {', '.join(OPERATIONAL_BOUNDS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgumentError(f"The operational bound {name!r} must be a number")
        if not math.isfinite(value) or value < 0:
            raise InvalidArgumentError(
                f"The operational bound {name!r} must be a finite number, 0 or above"
            )
        if name in _SHARES and value > 1:
            raise InvalidArgumentError(f"{name} is a share, between 0 and 1")
        clean[str(name)] = float(value)
    return clean


def rule(name: str, bound: float) -> str:
    """``"p99_latency_ms <= 50"``: one bound as people read it (by the figure it judges)."""
    return f"{_FIGURE[name]} {'>=' if name in _FLOORS else '<='} {bound:g}"


@dataclass(frozen=True)
class OperationalOutcome:
    """The window's figures, the bounds they broke, and whether anything could be judged."""

    summary: dict[str, Any]
    breaches: list[Breach] = field(default_factory=list)
    judged: bool = False
    #: Bounds without a figure this run (no requests: no latency): their alerts stay open.
    unjudged: tuple[str, ...] = ()


def operational_figures(records: pa.Table, start_ms: int | None, end_ms: int) -> dict[str, Any]:
    """Requests, errors, error rate, p50/p99 latency and throughput of ``records`` (rows of
    the prediction log) made in ``[start_ms, end_ms)``; latency figures are None without
    requests, throughput None when the window's start is unknown."""
    latency = np.asarray(records.column("latency_ms").to_numpy(zero_copy_only=False), float)
    status = np.asarray(records.column("status").to_numpy(zero_copy_only=False), int)
    n = len(latency)
    errors = int((status >= 500).sum())
    span_s = (end_ms - start_ms) / 1000 if start_ms is not None and end_ms > start_ms else None
    return {
        "window_start_ms": start_ms,
        "window_end_ms": end_ms,
        "n_requests": n,
        "n_errors": errors,
        "error_rate": errors / n if n else None,
        "p50_latency_ms": float(np.percentile(latency, 50)) if n else None,
        "p99_latency_ms": float(np.percentile(latency, 99)) if n else None,
        "throughput_rps": n / span_s if span_s else None,
    }


def evaluate_operational(
    bounds: Mapping[str, float], figures: dict[str, Any]
) -> OperationalOutcome:
    """Judge ``figures`` (from :func:`operational_figures`, with the stream figures when
    there are stream bounds) against ``bounds``."""
    breaches: list[Breach] = []
    judged = False
    unjudged: list[str] = []
    evidence_base = {
        k: figures[k] for k in ("n_requests", "n_errors", "window_start_ms", "window_end_ms")
    }
    for name, bound in bounds.items():
        value = figures.get(_FIGURE[name])
        if value is None:
            unjudged.append(name)
            continue
        judged = True
        broken = value < bound if name in _FLOORS else value > bound
        if broken:
            breaches.append(
                Breach(
                    CHECK,
                    name,
                    _SEVERITY.get(name, "warning"),
                    {
                        **evidence_base,
                        **(
                            {STREAM_EVIDENCE: figures.get(STREAM_EVIDENCE, [])}
                            if name in STREAM_BOUNDS
                            else {}
                        ),
                        "value": value,
                        "bound": bound,
                        "rule": rule(name, bound),
                    },
                )
            )
    summary = {
        **figures,
        "bounds": dict(bounds),
        "rules": [rule(n, b) for n, b in bounds.items()],
        "breaches": [b.column for b in breaches],
    }
    return OperationalOutcome(summary, breaches, judged, tuple(unjudged))
