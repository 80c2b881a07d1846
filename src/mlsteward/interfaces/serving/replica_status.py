"""What a data-plane replica tells the control plane about itself after each plan poll.

A replica is one serving process (each worker of ``--workers N`` is one). Its name stays
the same for the life of the process: host, port, the ``serve`` process's pid and, with
several workers, the worker's index. The report says since when it runs, the plan revision
and route versions it serves, whether it is ready, and its counters since it started, read
from the process's own Prometheus samples (with several workers each counts its own) and
prediction-log counts. Reporting never disturbs serving: a failure is logged once (until a
report gets through again) and the next poll tries again.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client.metrics import MetricWrapperBase

from mlsteward.domain.deployments import ReplicaReport
from mlsteward.services.context import now_ms

if TYPE_CHECKING:
    from mlsteward.interfaces.serving.data_plane import DataPlane

logger = logging.getLogger("mlsteward.serve")

#: The longest message sent (the control plane refuses longer ones).
MAX_MESSAGE_LENGTH = 1000
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_HOST_LENGTH = 80


def replica_name(host: str, port: int, pid: int, worker: int | None = None) -> str:
    """``host:port:pid`` and ``:wN`` for worker N; the host is cut to what a replica name
    allows (letters, digits, ``.``, ``_``, ``-``)."""
    cleaned = _NOT_IN_NAME.sub("-", host).strip("-.")[:_MAX_HOST_LENGTH] or "host"
    name = f"{cleaned}:{port}:{pid}"
    return name if worker is None else f"{name}:w{worker}"


def _totals(metric: MetricWrapperBase, sample: str) -> Iterable[tuple[dict[str, str], float]]:
    """This process's ``sample`` values of ``metric``, with their labels."""
    for family in metric.collect():
        for found in family.samples:
            if found.name == sample:
                yield found.labels, found.value


def request_counts(metric: MetricWrapperBase) -> tuple[int, int]:
    """(requests, requests answered with a status of 500 or more) from the requests counter."""
    requests = errors = 0
    for labels, value in _totals(metric, "mlsteward_serving_requests_total"):
        requests += int(value)
        if labels.get("code", "").startswith("5"):
            errors += int(value)
    return requests, errors


def latency_quantile(metric: MetricWrapperBase, quantile: float) -> float | None:
    """The ``quantile`` of the latency histogram over every version, in milliseconds, read
    from its buckets as Prometheus's ``histogram_quantile`` does (linear within a bucket);
    None before any request."""
    buckets: dict[float, float] = {}
    for labels, value in _totals(metric, "mlsteward_serving_request_latency_seconds_bucket"):
        bound = float(labels["le"])
        buckets[bound] = buckets.get(bound, 0.0) + value
    bounds = sorted(buckets)
    total = buckets.get(math.inf, 0.0)
    if not bounds or total <= 0:
        return None
    rank = quantile * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):  # beyond the largest bucket: its bound is all we know
                return lower * 1000.0
            share = (rank - below) / (count - below) if count > below else 1.0
            return (lower + (bound - lower) * share) * 1000.0
        lower, below = bound, count
    return lower * 1000.0


class ReplicaReporter:
    """Builds this replica's report from a data plane and sends it with ``send`` (a
    :class:`~.plan_source.DeploymentPlanSource`'s ``report``)."""

    def __init__(
        self,
        deployment: str,
        replica: str,
        send: Callable[[ReplicaReport], object],
        *,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.deployment = deployment
        self.replica = replica
        self.send = send
        self.started_ms = clock()
        self.sent = 0
        self._failing: str | None = None

    def build(self, plane: DataPlane) -> ReplicaReport:
        """The report of ``plane`` as it stands now."""
        snapshot = plane.snapshot
        metrics = plane.metrics
        requests, errors = request_counts(metrics.requests)
        log = plane.log_counts()
        return ReplicaReport(
            deployment=self.deployment,
            replica=self.replica,
            started_ms=self.started_ms,
            interval_s=plane.interval_s,
            revision=snapshot.plan.revision if snapshot is not None else 0,
            ready=plane.ready,
            routes=snapshot.plan.routes if snapshot is not None else (),
            requests=requests,
            errors=errors,
            predictions_logged=log.get("written", 0),
            log_dropped=log.get("dropped", 0),
            p50_ms=latency_quantile(metrics.latency, 0.5),
            p99_ms=latency_quantile(metrics.latency, 0.99),
            message=(plane.last_error or "")[:MAX_MESSAGE_LENGTH],
        )

    def report(self, plane: DataPlane) -> bool:
        """Send the report; False when it did not get through (logged the first time)."""
        try:
            report = self.build(plane)
        except Exception as error:  # never let reporting disturb serving
            return self._failed(error)
        return self.deliver(report)

    def deliver(self, report: ReplicaReport) -> bool:
        """Send a report built before; False when it did not get through."""
        try:
            self.send(report)
        except Exception as error:  # never let reporting disturb serving
            return self._failed(error)
        if self._failing is not None:
            logger.info("status reports reach the control plane again")
            self._failing = None
        self.sent += 1
        return True

    def _failed(self, error: Exception) -> bool:
        """Log a failure to report the first time (until a report gets through again)."""
        message = f"{type(error).__name__}: {error}"
        if self._failing is None:
            logger.warning(
                "status report not sent (serving goes on; retried after each poll): %s",
                message,
            )
        self._failing = message
        return False
