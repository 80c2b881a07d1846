"""The state of one data-plane process: its plan, its served versions, its log and metrics.

:meth:`DataPlane.follow` polls the plan source; when a route's version, the runtime or the
batching changes it loads and warms the new versions in a thread (requests keep flowing to
the old ones), swaps the snapshot in one assignment, then retires what is no longer served
once its queue is empty. An unreachable control plane leaves the current snapshot serving
and is retried at the next poll.

After each plan it read, a data plane serving a deployment reports its status to the control
plane (see :mod:`.replica_status`) on a thread of its own: a slow or failing report never
delays a poll or a request.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Protocol

from mlsteward.domain.deployments import ServingPlan
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.serving.batcher import AdaptiveBatcher
from mlsteward.engines.serving.input_layout import Batch
from mlsteward.engines.serving.model_runner import Answer, Job, ModelRunner
from mlsteward.interfaces.serving.log_sink import NoLog, PredictionSink, ShadowingSink, open_sink
from mlsteward.interfaces.serving.metrics import ServingMetrics
from mlsteward.interfaces.serving.plan_source import PlanSource
from mlsteward.interfaces.serving.versions import ServedVersion, Snapshot

logger = logging.getLogger("mlsteward.serve")

Loader = Callable[[str, int, str], LoadedModel]
SinkOpener = Callable[[ServingPlan], PredictionSink]


class StatusReporter(Protocol):
    """Tells the control plane how this replica stands; never raises (a failure is logged
    and the next poll tries again)."""

    def report(self, plane: DataPlane) -> bool: ...


def _default_sink(plan: ServingPlan) -> PredictionSink:
    return open_sink(plan.log_root, plan.log)


def failure_message(error: BaseException) -> str:
    """What a client is told when the model raised on its request."""
    return f"The model failed on this request: {type(error).__name__}: {error}"


class DataPlane:
    """Serves the latest plan it could read; ``snapshot`` is None until the first one loads."""

    def __init__(
        self,
        source: PlanSource,
        loader: Loader,
        *,
        metrics: ServingMetrics | None = None,
        open_log: SinkOpener = _default_sink,
        interval_s: float = 5.0,
        reporter: StatusReporter | None = None,
    ) -> None:
        self.source = source
        self.reporter = reporter
        self._reporting: asyncio.Task[bool] | None = None
        #: The prediction-log counts of the sinks closed since the process started.
        self._closed_log_counts: Counter[str] = Counter()
        self.loader = loader
        self.metrics = metrics or ServingMetrics()
        self.open_log = open_log
        self.interval_s = interval_s
        self.snapshot: Snapshot | None = None
        self.sink = ShadowingSink(NoLog())
        self._log_key: tuple[object, ...] | None = None
        self.last_error: str | None = None
        self.reloads = 0
        self.loaded = asyncio.Event()  # set once the first plan serves

    @property
    def ready(self) -> bool:
        return self.snapshot is not None

    async def follow(self) -> None:
        """Apply the plan now and after every interval, for ever (cancel to stop)."""
        while True:
            fetched = False
            try:
                plan = await asyncio.to_thread(self.source.fetch)
                fetched = True
                await self.apply(plan)
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep serving; retry at the next poll
                message = f"{type(error).__name__}: {error}"
                if message != self.last_error:
                    logger.warning("plan not applied (still serving the last one): %s", message)
                self.last_error = message
            self.metrics.set_log_stats(self.sink.stats())
            if fetched:  # the control plane answered: tell it how this replica stands
                self._report()
            await asyncio.sleep(self.interval_s)

    def _report(self) -> None:
        """Send a status report in the background, unless the last one is still on its way
        (a control plane slower than the poll interval gets one report at a time)."""
        reporter = self.reporter
        if reporter is None or (self._reporting is not None and not self._reporting.done()):
            return
        self._reporting = asyncio.create_task(asyncio.to_thread(reporter.report, self))

    def log_counts(self) -> Mapping[str, int]:
        """The prediction log's counts since the process started (``written``, ``dropped``,
        ...), over every sink it opened: a changed log setting swaps the sink."""
        return self._closed_log_counts + Counter(self.sink.stats())

    def _changed(self, plan: ServingPlan) -> bool:
        current = self.snapshot
        if current is None:
            return True
        old = current.plan
        return (
            old.routes != plan.routes
            or old.runtime != plan.runtime
            or old.batching != plan.batching
            or old.deployment != plan.deployment
            or (old.log, old.log_root) != (plan.log, plan.log_root)
        )

    async def apply(self, plan: ServingPlan) -> bool:
        """Serve ``plan`` (True when anything changed)."""
        if not self._changed(plan):
            if self.snapshot is not None and self.snapshot.plan.revision != plan.revision:
                self.snapshot = replace(self.snapshot, plan=plan)
            return False
        await self._swap_log(plan)
        old = self.snapshot
        reusable = dict(old.versions) if old is not None else {}
        versions: dict[tuple[str, int], ServedVersion] = {}
        answering = []
        shadows: list[ServedVersion] = []
        for target in plan.routes:
            key = (target.model_name, target.version)
            served = versions.get(key)
            if served is None or served.route != target.route:
                served = await self._version(plan, target.route, key, reusable.get(key))
                versions[key] = served
            if target.route == "shadow":
                shadows.append(served)
            elif target.weight > 0:
                answering.append((served, target.weight))
        if not answering:
            raise ValueError(f"plan revision {plan.revision} has no route that answers requests")
        # Candidates first: a sticky key's hash then keeps a caller on the candidate while
        # its share grows (see Snapshot.pick).
        answering.sort(key=lambda pair: pair[0].route == "stable")
        self.snapshot = Snapshot(plan, versions, tuple(answering), tuple(shadows))
        self.sink.shadows = tuple(shadows)
        # The models' objects live as long as the version serves: keep them out of the
        # collector's scans, whose full passes over them otherwise stall requests for tens
        # of milliseconds at a time.
        gc.freeze()
        self.metrics.ready.set(1)
        self.loaded.set()
        if old is not None:
            self.reloads += 1
            retired = [s for k, s in old.versions.items() if versions.get(k) is not s]
            for served in retired:
                await served.batcher.close()
            logger.info(
                "serving plan revision %s: %s",
                plan.revision,
                ", ".join(f"{m} v{v}" for m, v in versions),
            )
        return True

    async def _version(
        self,
        plan: ServingPlan,
        route: str,
        key: tuple[str, int],
        previous: ServedVersion | None,
    ) -> ServedVersion:
        """The served version for ``key``: the running one when nothing about it changed."""
        if (
            previous is not None
            and previous.route == route
            and previous.runtime == plan.runtime
            and previous.deployment == plan.deployment
            and previous.batcher.max_batch_size == plan.batching.max_batch_size
            and previous.batcher.max_wait_s * 1000.0 == plan.batching.max_wait_ms
        ):
            return previous
        if previous is not None and previous.runtime == plan.runtime:
            runner = previous.runner
        else:
            model = await asyncio.to_thread(self.loader, key[0], key[1], plan.runtime)
            runner = ModelRunner(model)
            await asyncio.to_thread(runner.warm)
        batcher: AdaptiveBatcher[Job, Answer] = AdaptiveBatcher(
            runner.run_batch,
            max_batch_size=plan.batching.max_batch_size,
            max_wait_ms=plan.batching.max_wait_ms,
        )
        served = ServedVersion(
            plan.deployment, route, key[0], key[1], plan.runtime, runner, batcher
        )
        self._instrument(served)
        return served

    def _instrument(self, served: ServedVersion) -> None:
        labels = (served.model_name, served.version_label)
        metrics = self.metrics
        served.instruments["latency"] = metrics.latency.labels(*labels)
        batch_requests = metrics.batch_requests.labels(*labels)
        batch_rows = metrics.batch_rows.labels(*labels)

        def on_batch(items: int, rows: int) -> None:
            batch_requests.observe(items)
            batch_rows.observe(rows)

        served.batcher.on_batch = on_batch

    async def _swap_log(self, plan: ServingPlan) -> None:
        key = (plan.deployment, plan.log_root, plan.log)
        if key == self._log_key:
            return
        old = self.sink
        opened = ShadowingSink(await asyncio.to_thread(self.open_log, plan))
        opened.shadows = old.shadows
        self.sink = opened
        self._log_key = key
        await asyncio.to_thread(old.close)
        self._closed_log_counts.update(old.stats())

    async def close(self, timeout: float = 10.0) -> None:
        """Finish queued requests, stop the batchers, flush and close the prediction log."""
        reporting = self._reporting
        if reporting is not None and not reporting.done():
            await asyncio.wait({reporting}, timeout=min(timeout, 2.0))
        snapshot = self.snapshot
        if snapshot is not None:
            for served in snapshot.versions.values():
                await served.batcher.close()
        self.metrics.ready.set(0)
        await asyncio.to_thread(self.sink.close, timeout)
        self.metrics.set_log_stats(self.sink.stats())

    def log_prediction(
        self,
        served: ServedVersion,
        prediction_id: str,
        time_ms: int,
        latency_s: float,
        rows: int,
        batch: Batch,
        answer: Answer,
        status: int,
        error: str | None,
    ) -> None:
        """Hand one answered (or failed) request to the prediction log: never blocks, a full
        queue counts a drop. The arrays go as they are (the writer stores their bytes, off
        the request path); both doors (REST and gRPC) log here, alike."""
        self.sink.submit(
            PredictionRecord(
                prediction_id=prediction_id,
                deployment=served.deployment,
                model_name=served.model_name,
                model_version=served.version,
                route=served.route,
                time_ms=time_ms,
                latency_ms=latency_s * 1000.0,
                rows=rows,
                inputs=dict(batch),
                outputs=dict(answer),
                status=status,
                error=error,
            )
        )

    def count_failure(
        self,
        served: ServedVersion,
        protocol: str,
        started: float,
        prediction_id: str,
        error: BaseException,
    ) -> tuple[str, float]:
        """Count a prediction the model raised on (metrics by protocol, the latency it took)
        and log a warning; the message for the client and the latency, for its log record.
        Both doors (REST and gRPC) account for a failure here, alike."""
        message = failure_message(error)
        logger.warning("prediction %s failed: %s", prediction_id, message)
        latency = time.perf_counter() - started
        labels = (served.model_name, served.version_label)
        self.metrics.requests.labels(*labels, protocol, "500").inc()
        self.metrics.errors.labels(*labels, "500").inc()
        served.instruments["latency"].observe(latency)
        return message, latency
