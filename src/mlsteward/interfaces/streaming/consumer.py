"""The stream consumer's loop: fetch a micro-batch, score it, publish, log, acknowledge.

It scores with a :class:`~mlsteward.interfaces.serving.data_plane.DataPlane`, the same one
``mlsteward serve`` runs: the deployment's plan (routes and weights, canary and shadow
included, followed as it changes), its loaded versions on the runtime the plan chose (ONNX
when the export held parity) and its prediction log. Per micro-batch:

1. decode every message (MLflow's JSON formats or an Open Inference Protocol request) and
   route it (by the plan's sticky key, else by its prediction ID: a redelivery takes the
   same route while the weights hold);
2. run the model once per served version (a failing batch is retried message by message,
   so only the poisonous one fails);
3. publish the outputs and the dead letters, and wait for the broker to take them;
4. hand the records to the prediction log.

Acknowledgements are deferred to a *commit*: once ``commit_every`` messages are waiting or
the oldest has waited ``commit_interval_ms``, the log is flushed (the records are written)
and only then are the messages acknowledged. A message is thus acknowledged only after its
output was published and its record logged; a consumer killed before the commit has its
messages delivered again and scored again under the same prediction ID (at most a commit
window plus a micro-batch per consumer). A publish, acknowledgement or log failure leaves
the messages unacknowledged, to be delivered again; a message that cannot be scored (not
JSON, not the model's input, the model raises on it alone, or delivered more than
``max_deliveries`` times) goes to the dead-letter subject with the error and is
acknowledged.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, cast

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.engines.serving import json_body
from mlsteward.engines.serving.input_layout import Batch
from mlsteward.engines.serving.mlflow_formats import decode_json, encode_predictions
from mlsteward.engines.serving.model_runner import Answer, Job
from mlsteward.engines.serving.oip import decode_infer
from mlsteward.interfaces.serving.data_plane import DataPlane, failure_message
from mlsteward.interfaces.serving.versions import ServedVersion, Snapshot
from mlsteward.interfaces.streaming.config import StreamConfig
from mlsteward.interfaces.streaming.message_ids import message_prediction_id
from mlsteward.interfaces.streaming.metrics import StreamMetrics
from mlsteward.interfaces.streaming.source import Lag, OutgoingMessage, StreamMessage, StreamSource

logger = logging.getLogger("mlsteward.stream")

PREDICTION_HEADER = "Mlsteward-Prediction-Id"
MESSAGE_HEADER = "Mlsteward-Message-Id"
ERROR_HEADER = "Mlsteward-Error"
PROTOCOL = "stream"
_RETRY_PAUSE_S = 0.5
_LAG_EVERY_S = 5.0
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=True).encode


@dataclass
class StreamReport:
    """What a consumer did: messages scored and dead-lettered (both acknowledged),
    redeliveries seen, commits made, and failures by kind (see ``metrics.ERROR_KINDS``)."""

    scored: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    commits: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return self.scored + self.dead_lettered


@dataclass
class _Scored:
    message: StreamMessage
    prediction_id: str
    served: ServedVersion
    batch: Batch
    rows: int
    outputs: tuple[str, ...]
    request_id: str | None


def _is_oip(body: Any) -> bool:
    """An OIP request: ``inputs`` is a list of tensors (objects with a ``datatype``); MLflow's
    ``inputs`` holds rows or columns instead."""
    inputs = body.get("inputs") if isinstance(body, dict) else None
    return (
        isinstance(inputs, list)
        and bool(inputs)
        and all(isinstance(item, dict) and "datatype" in item for item in inputs)
    )


def message_label(message: StreamMessage) -> str:
    """``stream:identity``: the message's identity across streams."""
    return f"{message.stream}:{message.identity}"


class StreamConsumer:
    """Scores one source's messages with one data plane (see the module docstring)."""

    def __init__(
        self,
        plane: DataPlane,
        source: StreamSource,
        config: StreamConfig,
        metrics: StreamMetrics,
        source_kind: str,
    ) -> None:
        self.plane = plane
        self.source = source
        self.config = config
        self.metrics = metrics
        self.kind = source_kind
        self.report = StreamReport()
        self._pending: list[StreamMessage] = []
        self._pending_counts = (0, 0)  # (scored, dead-lettered) waiting for the commit
        self._pending_since = 0.0
        self._log_baseline: dict[str, int] | None = None
        self._next_lag = 0.0
        #: The group's backlog as the broker last reported it (None: not read yet); the
        #: consumer's status reports carry it to the control plane.
        self.lag: Lag | None = None

    # -- the loop ------------------------------------------------------------------------
    async def run(
        self,
        stop: asyncio.Event,
        *,
        max_messages: int | None = None,
        idle_timeout_s: float | None = None,
    ) -> StreamReport:
        """Consume until ``stop`` is set, ``max_messages`` are finished, or nothing came for
        ``idle_timeout_s``; the batch in flight is finished and committed before returning."""
        config = self.config
        wait_s = max(config.max_wait_ms, 1.0) / 1000.0
        idle_since = time.monotonic()
        while not stop.is_set():
            if max_messages is not None and self.report.finished >= max_messages:
                break
            try:
                messages = await self.source.fetch(config.batch_size, wait_s)
            except Exception as error:  # broker down or restarting: retry after a pause
                self._failed("broker", f"fetch failed: {type(error).__name__}: {error}")
                await self._pause(stop)
                continue
            now = time.monotonic()
            if messages:
                idle_since = now
                await self._process(messages)
            elif (
                idle_timeout_s is not None
                and now - idle_since >= idle_timeout_s
                and not self._pending
            ):
                break
            if self._commit_due(max_messages):
                await self.commit()
            await self._refresh_lag()
        await self.commit()
        await self._refresh_lag(now_anyway=True)
        return self.report

    async def _pause(self, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _RETRY_PAUSE_S)

    def _commit_due(self, max_messages: int | None) -> bool:
        if not self._pending:
            return False
        config = self.config
        if len(self._pending) >= config.commit_every:
            return True
        if max_messages is not None and self.report.finished + len(self._pending) >= max_messages:
            return True
        waited_ms = (time.monotonic() - self._pending_since) * 1000.0
        return waited_ms >= config.commit_interval_ms

    def _failed(self, kind: str, message: str) -> None:
        self.metrics.errors.labels(kind).inc()
        self.report.errors[kind] = self.report.errors.get(kind, 0) + 1
        logger.warning("%s", message)

    # -- one micro-batch -----------------------------------------------------------------
    async def _process(self, messages: list[StreamMessage]) -> None:
        started = time.perf_counter()
        self.metrics.batch_messages.observe(len(messages))
        snapshot = self.plane.snapshot
        if snapshot is None:  # run() applies the plan before fetching
            raise RuntimeError("the data plane has no plan yet")
        dead: list[tuple[StreamMessage, str, str]] = []
        groups: dict[int, list[_Scored]] = {}
        for message in messages:
            if message.deliveries > 1:
                self.metrics.redelivered.inc()
                self.report.redelivered += 1
            if message.deliveries > self.config.max_deliveries:
                reason = (
                    f"delivered {message.deliveries} times, more than --max-deliveries "
                    f"{self.config.max_deliveries}"
                )
                dead.append((message, "deliveries", reason))
                continue
            try:
                item = self._decode(snapshot, message)
            except MlstewardError as error:
                dead.append((message, "decode", error.message))
                continue
            groups.setdefault(id(item.served), []).append(item)
        outputs: list[OutgoingMessage] = []
        records: list[PredictionRecord] = []
        for items in groups.values():
            await self._score(items, started, outputs, records, dead)
        try:
            await self.source.publish(self.config.output_subject, outputs)
            await self.source.publish(
                self.config.dead_letters, [self._dead_letter(*entry) for entry in dead]
            )
        except Exception as error:  # nothing acknowledged: the batch comes again
            self._failed("broker", f"publish failed: {type(error).__name__}: {error}")
            return
        self.metrics.latency.observe(time.perf_counter() - started)
        for message, kind, reason in dead:
            self._failed(kind, f"dead-lettered {message_label(message)}: {reason}")
        if not self._pending:
            self._pending_since = time.monotonic()
            self._log_baseline = self._log_stats()
        sink = self.plane.sink
        for record in records:
            sink.submit(record)
        self._pending.extend(messages)
        scored, dead_count = self._pending_counts
        self._pending_counts = (scored + len(outputs), dead_count + len(dead))

    def _decode(self, snapshot: Snapshot, message: StreamMessage) -> _Scored:
        prediction_id = message_prediction_id(
            self.kind, message.stream, message.identity, message.time_ms
        )
        try:
            body = json_body.loads(message.payload)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise InvalidArgumentError("The message is not valid JSON") from None
        headers = message.headers
        served = snapshot.pick(snapshot.sticky(headers) or prediction_id)
        runner = served.runner
        request_id = None
        if _is_oip(body):
            decoded = decode_infer(body, runner.layout, runner.outputs)
            batch, rows = decoded.batch, decoded.rows
            outputs = decoded.outputs or runner.default_outputs
            request_id = decoded.id
        else:
            batch = decode_json(body, runner.layout)
            rows = runner.layout.rows(batch)
            outputs = runner.default_outputs
        if snapshot.sticky_on_input:
            served = snapshot.pick(snapshot.sticky(headers, batch) or prediction_id)
        return _Scored(message, prediction_id, served, batch, rows, outputs, request_id)

    async def _score(
        self,
        items: list[_Scored],
        started: float,
        outputs: list[OutgoingMessage],
        records: list[PredictionRecord],
        dead: list[tuple[StreamMessage, str, str]],
    ) -> None:
        """Run one served version on its messages; outputs, records and dead letters out."""
        served = items[0].served
        jobs = [Job(item.batch, item.rows, item.outputs) for item in items]
        answers = await asyncio.to_thread(served.runner.run_batch, jobs)
        on_batch = served.batcher.on_batch
        if on_batch is not None:
            on_batch(len(jobs), sum(job.rows for job in jobs))
        latency = time.perf_counter() - started
        now_ms = int(time.time() * 1000)
        requests = self.plane.metrics.requests.labels(
            served.model_name, served.version_label, PROTOCOL, "200"
        )
        for item, answer in zip(items, answers, strict=True):
            if isinstance(answer, BaseException):
                message, failed_latency = self.plane.count_failure(
                    served, PROTOCOL, started, item.prediction_id, answer
                )
                records.append(self._record(item, now_ms, failed_latency, {}, 500, message))
                dead.append((item.message, "model", failure_message(answer)))
                continue
            requests.inc()
            served.instruments["latency"].observe(latency)
            outputs.append(self._output(item, answer))
            records.append(self._record(item, now_ms, latency, answer, 200, None))

    def _record(
        self,
        item: _Scored,
        time_ms: int,
        latency_s: float,
        answer: Answer,
        status: int,
        error: str | None,
    ) -> PredictionRecord:
        served = item.served
        return PredictionRecord(
            prediction_id=item.prediction_id,
            deployment=served.deployment,
            model_name=served.model_name,
            model_version=served.version,
            route=served.route,
            time_ms=time_ms,
            latency_ms=latency_s * 1000.0,
            rows=item.rows,
            inputs=cast(dict[str, list[Any]], dict(item.batch)),
            outputs=cast(dict[str, list[Any]], dict(answer)),
            status=status,
            error=error,
        )

    def _output(self, item: _Scored, answer: Answer) -> OutgoingMessage:
        served = item.served
        body = encode_predictions(answer, item.prediction_id)
        body.update(
            message_id=item.message.identity,
            stream=item.message.stream,
            deployment=served.deployment,
            model_name=served.model_name,
            model_version=served.version,
            route=served.route,
        )
        if item.request_id is not None:
            body["id"] = item.request_id
        headers = {
            PREDICTION_HEADER: item.prediction_id,
            MESSAGE_HEADER: message_label(item.message),
        }
        return OutgoingMessage(_dumps(body).encode(), headers, dedup_id=item.prediction_id)

    def _dead_letter(self, message: StreamMessage, kind: str, reason: str) -> OutgoingMessage:
        body: dict[str, Any] = {
            "error": reason,
            "kind": kind,
            "message_id": message.identity,
            "stream": message.stream,
            "subject": self.config.subject,
            "deliveries": message.deliveries,
            "headers": dict(message.headers),
        }
        try:
            body["payload"] = message.payload.decode("utf-8")
        except UnicodeDecodeError:
            body["payload_base64"] = base64.b64encode(message.payload).decode("ascii")
        headers = {ERROR_HEADER: reason[:512], MESSAGE_HEADER: message_label(message)}
        dedup = "dead-" + message_label(message)
        return OutgoingMessage(_dumps(body).encode(), headers, dedup_id=dedup)

    # -- commit: the log written, then the acknowledgements ---------------------------------
    def _log_stats(self) -> dict[str, int]:
        return dict(self.plane.sink.inner.stats())

    async def commit(self) -> bool:
        """Flush the prediction log and acknowledge every message waiting for it; False (and
        nothing acknowledged: the messages come again) when the log or the broker failed."""
        pending = self._pending
        if not pending:
            return True
        self._pending = []
        scored, dead = self._pending_counts
        self._pending_counts = (0, 0)
        inner = self.plane.sink.inner
        flush = getattr(inner, "flush", None)
        if flush is not None:
            written = await asyncio.to_thread(flush, self.config.log_flush_timeout_s)
            after = self._log_stats()
            before = self._log_baseline or after
            lost = sum(after.get(k, 0) - before.get(k, 0) for k in ("errors", "dropped"))
            if not written or lost > 0:
                why = "not written in time" if not written else f"{lost} record(s) lost"
                self._failed(
                    "log", f"prediction log: {why}; {len(pending)} message(s) left unacknowledged"
                )
                return False
        try:
            await self.source.ack(pending)
        except Exception as error:  # the messages come again, scored under the same IDs
            self._failed("broker", f"acknowledging failed: {type(error).__name__}: {error}")
            return False
        self.report.scored += scored
        self.report.dead_lettered += dead
        self.report.commits += 1
        self.metrics.messages.labels("scored").inc(scored)
        self.metrics.messages.labels("dead_lettered").inc(dead)
        self.plane.metrics.set_log_stats(self.plane.sink.stats())
        return True

    async def _refresh_lag(self, *, now_anyway: bool = False) -> None:
        """Read the group's backlog, at most every :data:`_LAG_EVERY_S` unless
        ``now_anyway`` (the last figures before the consumer stops)."""
        now = time.monotonic()
        if now < self._next_lag and not now_anyway:
            return
        self._next_lag = now + _LAG_EVERY_S
        try:
            lag = await asyncio.wait_for(self.source.lag(), _LAG_EVERY_S)
        except Exception as error:  # figures only: the next refresh tries again
            logger.debug("consumer lag not read: %s", error)
            return
        self.lag = lag
        self.metrics.set_lag(lag.pending, lag.unacknowledged)
