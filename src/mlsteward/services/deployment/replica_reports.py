"""Replica reports: what each data-plane replica says about itself after its plan polls.

A report is a heartbeat. Its content comes from a process on the network, so every field is
judged here before anything is stored: names by pattern, text and lists by size, counts as
whole numbers from zero, times and latencies as finite numbers in range. The control plane
stamps the report with its own clock on receipt, keeps the latest per replica, and forgets
replicas silent for longer than :data:`REPORT_RETENTION_MS` (and, per deployment, the
longest silent beyond :data:`MAX_REPLICAS_KEPT`) on each write, so a replica that went away,
or a client inventing replica names, never grows the table without bound.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mlsteward.domain.deployments import (
    REPLICA_KINDS,
    ReplicaReport,
    RouteTarget,
    validate_deployment_name,
)
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment.records import _store
from mlsteward.services.registry.validation import MAX_VERSION, validate_model_name

#: Host, port, pid and worker index, joined by ``:`` (``host-a.example:8080:4242:w1``).
REPLICA_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_REPLICA_LENGTH = 128
#: Route names as plans write them (``stable``, ``canary``, ``shadow``).
ROUTE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
#: More routes than any plan has (stable, candidate, shadow), with room to grow.
MAX_ROUTES = 8
MAX_MESSAGE_LENGTH = 1000
#: A stream consumer's broker URL, and its subject and group names.
MAX_SOURCE_LENGTH = 500
MAX_SUBJECT_LENGTH = 256
#: The counters only a stream consumer reports (a ``serve`` replica leaves them at 0/None).
STREAM_COUNTS = ("scored", "dead_lettered", "redelivered", "stream_errors")
STREAM_BACKLOG = ("consumer_lag", "unacknowledged")
#: Counters, revisions and times stay exact in a JSON number (2**53 - 1).
MAX_COUNT = 2**53 - 1
#: Poll intervals ``mlsteward serve --plan-interval`` accepts, up to a day.
MIN_INTERVAL_S, MAX_INTERVAL_S = 0.1, 86_400.0
MAX_LATENCY_MS = 86_400_000.0
#: A replica silent for a day is forgotten.
REPORT_RETENTION_MS = 86_400_000
#: Replicas kept per deployment (the most a record asks for is 1000, and each worker of a
#: data plane reports on its own); beyond it the longest silent are forgotten.
MAX_REPLICAS_KEPT = 2000


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidArgumentError(f"{name} must be a whole number from 0 to {MAX_COUNT}")
    return value


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{name} must be a number from {low:g} to {high:g}")
    result = float(value)
    if not math.isfinite(result) or not low <= result <= high:
        raise InvalidArgumentError(f"{name} must be a number from {low:g} to {high:g}")
    return result


def _latency(name: str, value: object) -> float | None:
    return None if value is None else _number(name, value, 0.0, MAX_LATENCY_MS)


def _text(name: str, value: object, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise InvalidArgumentError(f"{name} must be printable text of at most {limit} characters")
    return value


def _source(value: object) -> str:
    """A broker URL without credentials: reports are readable by every reader of the
    deployment, so a password in a URL is refused rather than stored."""
    source = _text("source", value, MAX_SOURCE_LENGTH)
    _, _, rest = source.partition("://")
    if "@" in rest.split("/", 1)[0]:
        raise InvalidArgumentError(
            "source must not carry credentials (user:password@): report the broker's URL "
            "without them"
        )
    return source


def _stream_fields(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A stream consumer's fields, judged; a ``serve`` replica must leave them unset."""
    clean: dict[str, Any] = {"kind": kind}
    clean["source"] = _source(fields.get("source"))
    for name in ("subject", "group"):
        clean[name] = _text(name, fields.get(name), MAX_SUBJECT_LENGTH)
    for name in STREAM_COUNTS:
        clean[name] = _count(name, fields.get(name) or 0)
    for name in STREAM_BACKLOG:
        value = fields.get(name)
        clean[name] = None if value is None else _count(name, value)
    if kind != "stream":
        given = sorted(
            name for name, value in clean.items() if name != "kind" and value not in ("", 0, None)
        )
        if given:
            raise InvalidArgumentError(
                f"{', '.join(given)} describe a stream consumer: report them with kind 'stream'"
            )
    return clean


def replica_id(value: object) -> str:
    """A replica's name: letters, digits, ``.``, ``_``, ``:`` or ``-``, up to 128."""
    if not isinstance(value, str) or not REPLICA_PATTERN.fullmatch(value):
        shown = value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value
        raise InvalidArgumentError(
            f"A replica is named by 1-{MAX_REPLICA_LENGTH} letters, digits, '.', '_', ':' or "
            f"'-', starting with a letter or digit, not {shown!r}"
        )
    return value


def _routes(ctx: ServiceContext, value: object) -> tuple[RouteTarget, ...]:
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidArgumentError("routes must be a list of {route, model_name, version, weight}")
    if len(value) > MAX_ROUTES:
        raise InvalidArgumentError(
            f"A replica serves at most {MAX_ROUTES} routes, not {len(value)}"
        )
    routes = []
    for item in value:
        if isinstance(item, RouteTarget):
            item = vars(item)
        if not isinstance(item, Mapping) or set(item) != {
            "route",
            "model_name",
            "version",
            "weight",
        }:
            raise InvalidArgumentError(
                "Each route must have exactly route, model_name, version and weight"
            )
        route = item["route"]
        if not isinstance(route, str) or not ROUTE_PATTERN.fullmatch(route):
            raise InvalidArgumentError(
                "A route name is 1-32 lowercase letters, digits, '_' or '-', starting with a "
                f"letter, not {str(route)[:40]!r}"
            )
        version = item["version"]
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidArgumentError("A route's version must be a whole number")
        if not 1 <= version <= MAX_VERSION:
            raise InvalidArgumentError(f"A route's version must be from 1 to {MAX_VERSION}")
        routes.append(
            RouteTarget(
                route=route,
                model_name=validate_model_name(item["model_name"], ctx.limits),
                version=version,
                weight=_number("A route's weight", item["weight"], 0.0, 1.0),
            )
        )
    return tuple(routes)


def validated_report(
    ctx: ServiceContext, deployment: str, replica: str, fields: Mapping[str, Any]
) -> ReplicaReport:
    """The report ``fields`` describe, each judged (400 on the first bad one), stamped with
    the control plane's time now."""
    message = fields.get("message") or ""
    if not isinstance(message, str) or len(message) > MAX_MESSAGE_LENGTH:
        raise InvalidArgumentError(
            f"message must be text of at most {MAX_MESSAGE_LENGTH} characters"
        )
    ready = fields.get("ready")
    if not isinstance(ready, bool):
        raise InvalidArgumentError("ready must be true or false")
    kind = fields.get("kind") or "serve"
    if kind not in REPLICA_KINDS:
        raise InvalidArgumentError(
            f"kind must be one of {', '.join(REPLICA_KINDS)}, not {str(kind)[:40]!r}"
        )
    stream = _stream_fields(kind, fields)
    requests = _count("requests", fields.get("requests", 0))
    errors = _count("errors", fields.get("errors", 0))
    if errors > requests:
        raise InvalidArgumentError(f"errors ({errors}) cannot exceed requests ({requests})")
    return ReplicaReport(
        deployment=validate_deployment_name(deployment),
        replica=replica_id(replica),
        started_ms=_count("started_ms", fields.get("started_ms")),
        interval_s=_number("interval_s", fields.get("interval_s"), MIN_INTERVAL_S, MAX_INTERVAL_S),
        revision=_count("revision", fields.get("revision", 0)),
        ready=ready,
        routes=_routes(ctx, fields.get("routes")),
        requests=requests,
        errors=errors,
        predictions_logged=_count("predictions_logged", fields.get("predictions_logged", 0)),
        log_dropped=_count("log_dropped", fields.get("log_dropped", 0)),
        p50_ms=_latency("p50_ms", fields.get("p50_ms")),
        p99_ms=_latency("p99_ms", fields.get("p99_ms")),
        message=message,
        received_ms=ctx.clock(),
        **stream,
    )


def record_report(
    ctx: ServiceContext, deployment: str, replica: str, fields: Mapping[str, Any]
) -> ReplicaReport:
    """Keep the replica's report as its latest (the deployment must exist: 404 otherwise);
    the stored report, as received."""
    report = validated_report(ctx, deployment, replica, fields)
    store = _store(ctx)
    store.get_deployment(report.deployment)
    store.put_replica_report(
        report,
        forget_before_ms=report.received_ms - REPORT_RETENTION_MS,
        max_replicas=MAX_REPLICAS_KEPT,
    )
    return report
