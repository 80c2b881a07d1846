"""What a stream consumer tells the control plane about itself: a replica report of kind
``stream``.

A consumer scores with a data plane, so it reports as one does (after each plan poll, on a
thread of its own, see :mod:`mlsteward.interfaces.serving.replica_status`): the plan
revision and versions it scores with, whether it is ready, its request counters. It adds
what only a consumer knows: the broker (its URL without credentials), subject and group,
the messages it scored, dead-lettered and saw again, the failures that left batches for
redelivery, and the group's backlog as the broker last reported it. When it stops it
sends one last report, not ready, with its final counts and backlog, so the control plane
knows at once that nobody consumes (rather than after the report goes stale).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from mlsteward.domain.deployments import ReplicaReport
from mlsteward.interfaces.serving.replica_status import MAX_MESSAGE_LENGTH, ReplicaReporter
from mlsteward.interfaces.streaming.config import StreamConfig

if TYPE_CHECKING:
    from mlsteward.interfaces.serving.data_plane import DataPlane
    from mlsteward.interfaces.streaming.consumer import StreamConsumer

KIND = "stream"
#: Failures that leave a micro-batch unacknowledged, to be delivered again.
RETRIED_KINDS = ("broker", "log")
STOPPED = "stopped: the consumer exited"
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_CONSUMER_LENGTH = 80
#: What the control plane takes of a subject or group name.
_MAX_NAME_LENGTH = 256


def stream_replica_name(consumer: str, pid: int) -> str:
    """``CONSUMER:stream:PID``: the group member's name (cut to what a replica name allows)
    and the process, so a restarted consumer reusing its member name reports anew."""
    cleaned = _NOT_IN_NAME.sub("-", consumer).strip("-.")[:_MAX_CONSUMER_LENGTH] or "consumer"
    return f"{cleaned}:{KIND}:{pid}"


def public_source(url: str) -> str:
    """``url`` without its user and password: reports are read by anyone who may read the
    deployment."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class StreamReporter(ReplicaReporter):
    """Builds a stream consumer's report: the data plane's, plus the consumer's figures."""

    def __init__(
        self,
        config: StreamConfig,
        replica: str,
        send: Callable[[ReplicaReport], object],
    ) -> None:
        super().__init__(config.deployment, replica, send)
        self.config = config
        self.consumer: StreamConsumer | None = None
        self.stopped = False

    def build(self, plane: DataPlane) -> ReplicaReport:
        report = super().build(plane)
        config = self.config
        fields: dict[str, object] = {
            "kind": KIND,
            "source": public_source(config.source),
            "subject": config.subject[:_MAX_NAME_LENGTH],
            "group": config.group_name[:_MAX_NAME_LENGTH],
        }
        consumer = self.consumer
        if consumer is not None:
            done = consumer.report
            lag = consumer.lag
            fields.update(
                scored=done.scored,
                dead_lettered=done.dead_lettered,
                redelivered=done.redelivered,
                stream_errors=sum(done.errors.get(kind, 0) for kind in RETRIED_KINDS),
                consumer_lag=None if lag is None else lag.pending,
                unacknowledged=None if lag is None else lag.unacknowledged,
            )
        if self.stopped:
            fields.update(ready=False, message=STOPPED[:MAX_MESSAGE_LENGTH])
        return dataclasses.replace(report, **fields)  # type: ignore[arg-type]
