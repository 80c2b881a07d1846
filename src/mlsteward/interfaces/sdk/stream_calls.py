"""``StreamCalls``: run a stream consumer in this process (``Client(...).streams``).

``consume`` is ``mlsteward stream`` in a function: it scores messages of a NATS JetStream
subject or a Redis stream with a deployment until ``max_messages`` are finished, nothing
came for ``idle_timeout_s``, or ``stop`` is set, and returns what it did. Useful in tests,
notebooks and batch jobs that drain a backlog. The consumer itself lives in
:mod:`mlsteward.interfaces.streaming` and loads on first use (it needs the ``streaming``
extra).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Through the package's face: the client module imports this one.
    from mlsteward import Client
    from mlsteward.interfaces.streaming import StreamReport

__all__ = ["StreamCalls"]


class StreamCalls:
    """Stream consumers of one client's platform."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def consume(
        self,
        deployment: str,
        *,
        source: str,
        subject: str,
        output_subject: str,
        group: str | None = None,
        consumer: str | None = None,
        batch_size: int = 100,
        max_wait_ms: float = 100.0,
        dead_letter_subject: str | None = None,
        max_deliveries: int = 5,
        commit_every: int = 1_000,
        commit_interval_ms: float = 1_000.0,
        redeliver_after_ms: int = 30_000,
        metrics_port: int | None = None,
        max_messages: int | None = None,
        idle_timeout_s: float | None = None,
        stop: threading.Event | None = None,
    ) -> StreamReport:
        """Score ``subject`` on ``source`` (``nats://...`` or ``redis://...``) with
        ``deployment``, publishing to ``output_subject``; blocks until ``max_messages``
        messages are finished (scored or dead-lettered, and acknowledged), nothing came for
        ``idle_timeout_s`` seconds, or ``stop`` is set. See ``mlsteward stream --help`` for
        the other options."""
        from mlsteward.interfaces.streaming import StreamConfig, consume_in_thread

        config = StreamConfig(
            deployment,
            source,
            subject,
            output_subject,
            group=group,
            batch_size=batch_size,
            max_wait_ms=max_wait_ms,
            dead_letter_subject=dead_letter_subject,
            max_deliveries=max_deliveries,
            commit_every=commit_every,
            commit_interval_ms=commit_interval_ms,
            redeliver_after_ms=redeliver_after_ms,
            metrics_port=metrics_port,
        )
        if consumer is not None:  # else the config's HOST-PID
            config = replace(config, consumer=consumer)
        return consume_in_thread(
            self._client,
            config,
            stop=stop,
            max_messages=max_messages,
            idle_timeout_s=idle_timeout_s,
        )
