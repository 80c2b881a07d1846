"""Prometheus metrics of the data plane, served on ``/metrics``.

With several workers (``--workers N``) every worker is a process of its own and a scrape
reaches one of them, so the data plane uses prometheus-client's multiprocess mode: each
worker writes its samples to files under ``PROMETHEUS_MULTIPROC_DIR`` (``mlsteward serve``
creates one) and any worker answers a scrape with the sum over all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
LOG_COUNTS = ("submitted", "written", "dropped", "sampled_out", "queued", "errors")


def multiprocess() -> bool:
    """True when samples go to files shared by several worker processes."""
    return bool(os.environ.get(MULTIPROC_ENV))


class ServingMetrics:
    """The collectors, and ``render()`` for the scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        own = None if multiprocess() else self.registry
        # In multiprocess mode metric objects write to files; the registry only collects.
        target = own if own is not None else CollectorRegistry()
        self.requests = Counter(
            "mlsteward_serving_requests",
            "Requests answered, by model, version, protocol and HTTP status code.",
            ["model", "version", "protocol", "code"],
            registry=target,
        )
        self.errors = Counter(
            "mlsteward_serving_errors",
            "Requests answered with an error (4xx: the client's input; 5xx: the model), by code.",
            ["model", "version", "code"],
            registry=target,
        )
        self.latency = Histogram(
            "mlsteward_serving_request_latency_seconds",
            "Time from a request's arrival to its answer, by model and version.",
            ["model", "version"],
            buckets=LATENCY_BUCKETS,
            registry=target,
        )
        self.batch_requests = Histogram(
            "mlsteward_serving_batch_requests",
            "Requests per model call (adaptive batching), by model and version.",
            ["model", "version"],
            buckets=BATCH_BUCKETS,
            registry=target,
        )
        self.batch_rows = Histogram(
            "mlsteward_serving_batch_rows",
            "Rows per model call, by model and version.",
            ["model", "version"],
            buckets=BATCH_BUCKETS,
            registry=target,
        )
        self.log = Gauge(
            "mlsteward_prediction_log_records",
            "Prediction-log records of this data plane by state (submitted, written, dropped, "
            "sampled_out, queued, errors); dropped records never reach the log.",
            ["state"],
            registry=target,
            multiprocess_mode="livesum",  # ignored with one process
        )
        self.in_flight = Gauge(
            "mlsteward_serving_in_flight_requests",
            "Inference requests received and not yet answered.",
            registry=target,
            multiprocess_mode="livesum",
        )
        self.ready = Gauge(
            "mlsteward_serving_ready",
            "1 when the data plane has loaded and warmed its model versions.",
            registry=target,
            multiprocess_mode="livemin",
        )
        if own is None:
            from prometheus_client import multiprocess as mp

            mp.MultiProcessCollector(self.registry)

    def set_log_stats(self, stats: Mapping[str, int]) -> None:
        for state in LOG_COUNTS:
            self.log.labels(state).set(stats.get(state, 0))

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
