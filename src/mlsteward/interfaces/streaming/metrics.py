"""Prometheus metrics of a stream consumer, beside the data plane's own (batch sizes per
model version, prediction-log records) in one registry, served on ``--metrics-port``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from mlsteward.interfaces.serving.metrics import BATCH_BUCKETS, LATENCY_BUCKETS, ServingMetrics

#: What happened to a message: scored (output published, logged, acknowledged),
#: dead_lettered (published to the dead-letter subject with its error, acknowledged).
OUTCOMES = ("scored", "dead_lettered")
#: Why a micro-batch or message failed: decode (not JSON or not the model's input), model
#: (raised on that message alone), deliveries (over --max-deliveries), broker (fetch,
#: publish or ack failed: the batch is delivered again), log (the prediction log did not
#: take the records in time: delivered again).
ERROR_KINDS = ("decode", "model", "deliveries", "broker", "log")


class StreamMetrics:
    """Counters of one consumer, registered on the data plane's registry."""

    def __init__(self, serving: ServingMetrics) -> None:
        self.serving = serving
        registry = serving.registry
        self.messages = Counter(
            "mlsteward_stream_messages",
            "Messages finished by this consumer, by outcome (scored, dead_lettered).",
            ["outcome"],
            registry=registry,
        )
        self.errors = Counter(
            "mlsteward_stream_errors",
            "Failures by kind: decode, model and deliveries dead-letter a message; broker "
            "and log leave a batch unacknowledged, to be delivered again.",
            ["kind"],
            registry=registry,
        )
        self.redelivered = Counter(
            "mlsteward_stream_redelivered_messages",
            "Messages received more than once (a consumer stopped before acknowledging, or a "
            "batch failed): scored again under the same prediction ID.",
            registry=registry,
        )
        self.batch_messages = Histogram(
            "mlsteward_stream_batch_messages",
            "Messages per fetched micro-batch.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "mlsteward_stream_latency_seconds",
            "From a micro-batch's fetch to its outputs being published.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.lag = Gauge(
            "mlsteward_stream_consumer_lag",
            "The consumer group's backlog as the broker reports it: pending (not yet "
            "delivered to the group) and unacknowledged (delivered, not yet acknowledged).",
            ["state"],
            registry=registry,
        )

    def set_lag(self, pending: int | None, unacknowledged: int | None) -> None:
        if pending is not None:
            self.lag.labels("pending").set(pending)
        if unacknowledged is not None:
            self.lag.labels("unacknowledged").set(unacknowledged)
