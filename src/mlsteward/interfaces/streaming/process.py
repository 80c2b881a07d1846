"""Run a stream consumer: in this event loop (``consume``), or blocking this thread until
it is told to stop (``consume_in_thread``: the SDK's ``client.streams.consume``, which
``mlsteward stream`` calls with a stop set by SIGTERM).

The plan is read once before anything is fetched, so an unknown deployment fails at once;
then the data plane follows it on its interval, like ``mlsteward serve``, and after each
poll reports the consumer's status to the control plane (see :mod:`.status`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from typing import Any

from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.serving.data_plane import DataPlane
from mlsteward.interfaces.serving.metrics import ServingMetrics
from mlsteward.interfaces.serving.model_loading import load_version
from mlsteward.interfaces.serving.plan_source import DeploymentPlanSource
from mlsteward.interfaces.streaming.config import StreamConfig
from mlsteward.interfaces.streaming.consumer import StreamConsumer, StreamReport
from mlsteward.interfaces.streaming.metrics import StreamMetrics
from mlsteward.interfaces.streaming.source import SourceOptions, open_source, source_scheme
from mlsteward.interfaces.streaming.status import StreamReporter, stream_replica_name

logger = logging.getLogger("mlsteward.stream")

_STOP_POLL_S = 0.1


def source_options(config: StreamConfig) -> SourceOptions:
    """What the consumer asks of its source; room in flight for a commit window and then
    some, so the broker never holds back messages the consumer is about to commit."""
    return SourceOptions(
        subject=config.subject,
        group=config.group_name,
        consumer=config.consumer,
        redeliver_after_ms=config.redeliver_after_ms,
        max_in_flight=max(1_000, 2 * (config.commit_every + config.batch_size)),
    )


def _start_metrics_server(port: int, metrics: ServingMetrics) -> Any:
    from prometheus_client import start_http_server

    server, _ = start_http_server(port, addr="127.0.0.1", registry=metrics.registry)
    return server


async def consume(
    client: Client,
    config: StreamConfig,
    *,
    stop: asyncio.Event | None = None,
    max_messages: int | None = None,
    idle_timeout_s: float | None = None,
) -> StreamReport:
    """Score ``config.subject`` with ``config.deployment`` until ``stop`` is set (or
    ``max_messages`` are finished, or nothing came for ``idle_timeout_s``)."""
    plan_source = DeploymentPlanSource(client, config.deployment)

    def load(name: str, version: int, runtime: str) -> LoadedModel:
        return load_version(client, name, version, runtime)

    serving_metrics = ServingMetrics()
    metrics = StreamMetrics(serving_metrics)
    reporter = StreamReporter(
        config, stream_replica_name(config.consumer, os.getpid()), plan_source.report
    )
    plane = DataPlane(
        plan_source,
        load,
        metrics=serving_metrics,
        interval_s=config.plan_interval_s,
        reporter=reporter,
    )
    kind = source_scheme(config.source)
    source = open_source(config.source, source_options(config))
    metrics_server = None
    follow: asyncio.Task[None] | None = None
    final = None
    try:
        await plane.apply(await asyncio.to_thread(plan_source.fetch))
        await source.start()
        if config.metrics_port is not None:
            metrics_server = _start_metrics_server(config.metrics_port, serving_metrics)
        consumer = StreamConsumer(plane, source, config, metrics, kind)
        reporter.consumer = consumer
        follow = asyncio.create_task(plane.follow())
        logger.info(
            "consuming %s on %s as %s of group %s for deployment %s",
            config.subject,
            config.source,
            config.consumer,
            config.group_name,
            config.deployment,
        )
        return await consumer.run(
            stop or asyncio.Event(), max_messages=max_messages, idle_timeout_s=idle_timeout_s
        )
    finally:
        if follow is not None:
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follow
            # The last word: final counts and backlog, not ready (nobody consumes now).
            reporter.stopped = True
            with contextlib.suppress(Exception):
                final = reporter.build(plane)
        with contextlib.suppress(Exception):
            await source.close()
        await plane.close()  # waits for a report on its way, so the final one lands last
        if final is not None:
            await asyncio.to_thread(reporter.deliver, final)
        if metrics_server is not None:
            metrics_server.shutdown()


def consume_in_thread(
    client: Client,
    config: StreamConfig,
    *,
    stop: threading.Event | None = None,
    max_messages: int | None = None,
    idle_timeout_s: float | None = None,
) -> StreamReport:
    """:func:`consume` in an event loop of its own, blocking until it returns; ``stop``
    (set from any thread) ends it after the batch in flight."""

    async def main() -> StreamReport:
        stopped = asyncio.Event()
        watcher = None
        if stop is not None:

            async def watch() -> None:
                while not stop.is_set():
                    await asyncio.sleep(_STOP_POLL_S)
                stopped.set()

            watcher = asyncio.create_task(watch())
        try:
            return await consume(
                client,
                config,
                stop=stopped,
                max_messages=max_messages,
                idle_timeout_s=idle_timeout_s,
            )
        finally:
            if watcher is not None:
                watcher.cancel()

    return asyncio.run(main())
