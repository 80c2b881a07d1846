"""The SDK against a server: declared operations over HTTP, with an offline spool.

Every call raises the typed error the server reported, so code behaves the same against a
server as against a local store. State changes never get lost to an outage: a log batch
(metrics, params, tags) carries an idempotency key reused on every retry, and when the server
cannot be reached the change (a log batch, a run's end or rename, a tag removed) is spooled
to disk (see :mod:`mlsteward.interfaces.sdk.spool`) and the call returns. A background thread
delivers the spool, in order, once the server answers again; while anything is spooled, new
changes queue behind it so they cannot overtake older ones (a run's end never arrives before
its metrics). Deliveries hold the spool's lock (see :mod:`mlsteward.interfaces.sdk.spool_lock`),
so this thread, those of other programs, ``mlsteward sync`` and ``close`` never deliver side
by side. When the spool folder cannot be written either, the call raises
:class:`~mlsteward.interfaces.sdk.spool.SpoolUnwritableError`: nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar, cast

import httpx

from mlsteward.domain.entities import RunInfo
from mlsteward.domain.errors import MlstewardError, UnavailableError
from mlsteward.interfaces.sdk.http_client import ApiClient, is_transient
from mlsteward.interfaces.sdk.spool import (
    DELETE_TAG,
    LOG_BATCH,
    UPDATE_RUN,
    Spool,
    SpoolReport,
    sender_for,
)
from mlsteward.interfaces.sdk.transport import HttpTransport
from mlsteward.interfaces.sdk.wire_transport import WireHttpTransport, wire_body
from mlsteward.services.api import wire
from mlsteward.services.api.schemas import LogBatchRequest
from mlsteward.services.context import local_actor, now_ms
from mlsteward.services.limits import Limits
from mlsteward.services.operations import Operation, OperationRequest
from mlsteward.services.tracking import operations_artifacts as artifact_ops
from mlsteward.services.tracking import operations_runs as run_ops
from mlsteward.services.tracking.artifact_uploads import LocalFiles, join
from mlsteward.services.tracking.runs import parse_status
from mlsteward.services.tracking.validation import (
    validate_int64,
    validate_key,
    validate_name,
    validate_value,
)

log = logging.getLogger(__name__)

_RETRY_FIRST_S = 0.5
_RETRY_MAX_S = 5.0
#: How long ``close`` waits for the background delivery to stop.
_CLOSE_JOIN_S = 10.0
# A batch is small and quick; a server that does not answer one in 30 s is as good as away,
# and the metric writer thread should spool rather than wait minutes.
_BATCH_ATTEMPTS = 3
_BATCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


_LIMITS = Limits()
_KNOWN_RUNS = 4096
_Result = TypeVar("_Result")
RequestT = TypeVar("RequestT", bound=OperationRequest)
ResultT = TypeVar("ResultT")


class HttpBackend:
    """Talks to the server at ``uri`` (``http(s)://host:port``) through :attr:`transport` (a
    :class:`ServerTransport`): signed in with ``token`` when given (a server with sign-in
    goes by it), else as the local OS user (a server without sign-in takes the name).

    ``transport`` replaces httpx's network transport (custom TLS, proxies, or a test seam that
    loses responses on purpose).
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.uri = uri.rstrip("/")
        self._api = ApiClient(
            self.uri, user=user or local_actor(), token=token, transport=transport
        )
        self.transport = ServerTransport(self._api)

    def spooled_batches(self) -> int:
        """How many changes (log batches, run updates, tag removals) wait on disk."""
        return self.transport.spooled_batches()

    def close(self) -> None:
        """Stop background delivery, try once more to deliver the spool, close connections."""
        self.transport.close()


class ServerTransport:
    """Runs declared operations on a server through :class:`HttpTransport`, with the client's
    own policies on top:

    * a log batch, a run's update and a tag's removal are spooled while the server cannot be
      reached (see the module); a log batch is packed in columns once and retried a few
      times under one idempotency key, with a short timeout;
    * local files to upload travel one file per request.
    """

    def __init__(self, api: ApiClient) -> None:
        self.uri = api.uri
        self._api = api
        self._http = HttpTransport(api)
        self._changes = WireHttpTransport(api)
        self._batches = WireHttpTransport(api, attempts=_BATCH_ATTEMPTS, timeout=_BATCH_TIMEOUT)
        self._spool = Spool(self.uri)
        self._order = threading.Lock()  # direct sends vs. spooling: keeps batches in order
        self._delivery_lock = threading.Lock()
        self._deliverer: threading.Thread | None = None
        self._closing = threading.Event()
        # The last state seen of each run this transport touched, so a spooled update can
        # answer with the run as it will be once delivered.
        self._known_runs: dict[str, RunInfo] = {}
        self._known_lock = threading.Lock()
        if self._spool.has_pending():  # left by an earlier process: deliver it now
            self._ensure_deliverer()

    def call(self, operation: Operation[RequestT, ResultT], request: RequestT) -> ResultT:
        """Send ``request``; run changes may be spooled instead (the answer is then the state
        they will give once delivered)."""
        handled: Any
        if operation is run_ops.log_batch:
            handled = self._log_batch(cast(run_ops.LogBatch, request))
        elif operation is run_ops.update_run:
            handled = self._update_run(cast(run_ops.UpdateRun, request))
        elif operation is run_ops.delete_tag:
            self._delete_tag(cast(run_ops.DeleteTag, request))
            handled = None
        elif operation is artifact_ops.upload_artifact and isinstance(
            getattr(request, "content", None), LocalFiles
        ):
            handled = self._upload_files(cast(artifact_ops.UploadArtifact, request))
        else:
            handled = self._http.call(operation, request)
            if operation is run_ops.create_run or operation is run_ops.get_run:
                self._remember(handled.info)
        return cast(ResultT, handled)

    def stream(
        self, operation: Operation[RequestT, Any], request: RequestT
    ) -> contextlib.AbstractContextManager[Iterator[bytes]]:
        return self._http.stream(operation, request)

    # -- run changes -------------------------------------------------------------------------
    def _remember(self, info: RunInfo) -> None:
        """Keep a run's latest info (the most recent few thousand runs only)."""
        with self._known_lock:
            self._known_runs.pop(info.run_id, None)
            self._known_runs[info.run_id] = info
            if len(self._known_runs) > _KNOWN_RUNS:
                del self._known_runs[next(iter(self._known_runs))]

    def _update_run(self, request: run_ops.UpdateRun) -> RunInfo:
        """Change a run's status, end time or name; spooled when the server is away.

        A run ended while the server is away keeps the time it ended at: the end time is
        fixed now, and the change is delivered after everything spooled before it.
        """
        ended_at = now_ms()
        run_id = request.run_id
        status, end_time, run_name = (
            request.body.status,
            request.body.end_time,
            request.body.run_name,
        )

        def send() -> RunInfo:
            info = self._changes.call(run_ops.update_run, request)
            self._remember(info)
            return info

        def spool() -> tuple[dict[str, Any], Callable[[], RunInfo]]:
            known = self._known_runs.get(run_id)
            if known is None:  # the answer needs the run: ask (the server may be back)
                try:
                    known = self.call(run_ops.get_run, run_ops.get_run.make(run_id=run_id)).info
                except UnavailableError as error:
                    raise UnavailableError(
                        f"{error.message}; run {run_id!r} is unknown to this process, so "
                        "its update cannot be kept for later"
                    ) from error
            new_status = parse_status(status) if status is not None else None
            final_end = validate_int64("end_time", end_time) if end_time is not None else None
            if final_end is None and new_status is not None and new_status.is_terminal:
                final_end = ended_at
            name = validate_name("Run", run_name, _LIMITS) if run_name is not None else None
            spooled = {
                "status": new_status.value if new_status else None,
                "end_time": final_end,
                "run_name": name,
            }
            info = dataclasses.replace(
                known,
                status=new_status or known.status,
                end_time=final_end if final_end is not None else known.end_time,
                run_name=name or known.run_name,
            )

            def answer() -> RunInfo:
                self._remember(info)
                return info

            return spooled, answer

        return self._send_or_spool(UPDATE_RUN, run_id, send, spool)

    def _delete_tag(self, request: run_ops.DeleteTag) -> None:
        """Remove a tag; spooled (in order with other changes) when the server is away."""

        def send() -> None:
            self._changes.call(run_ops.delete_tag, request)

        def spool() -> tuple[dict[str, Any], Callable[[], None]]:
            return {"key": validate_key("Tag", request.key, _LIMITS)}, lambda: None

        self._send_or_spool(DELETE_TAG, request.run_id, send, spool)

    def _log_batch(self, request: run_ops.LogBatch) -> bool:
        """Send one batch (retried under one idempotency key), or spool it if the server
        cannot be reached. Errors the server reports about the batch itself are raised."""
        batch = request.body
        params: Sequence[Any] = batch.params or ()  # ``Param`` or ``KeyValue``: a key, a value
        tags: Sequence[Any] = batch.tags or ()
        body: dict[str, Any] = {"idempotency_key": batch.idempotency_key or uuid.uuid4().hex}
        if batch.metrics:
            metrics: Any = batch.metrics
            body["metrics"] = metrics if isinstance(metrics, dict) else wire.metric_columns(metrics)
        if params:
            body["params"] = [{"key": p.key, "value": p.value} for p in params]
        if tags:
            body["tags"] = [{"key": t.key, "value": t.value} for t in tags]
        packed = run_ops.log_batch.make(
            run_id=request.run_id, body=wire_body(LogBatchRequest, body)
        )

        def send() -> bool:
            return self._batches.call(run_ops.log_batch, packed)

        def spool() -> tuple[dict[str, Any], Callable[[], bool]]:
            _check_params_and_tags(params, tags)  # refused now rather than after delivery
            return body, lambda: True

        return self._send_or_spool(LOG_BATCH, request.run_id, send, spool)

    def _send_or_spool(
        self,
        operation: str,
        run_id: str,
        send: Callable[[], _Result],
        spool: Callable[[], tuple[dict[str, Any], Callable[[], _Result]]],
    ) -> _Result:
        """Send a state change now, or add it to the spool when the server cannot be reached
        or older changes still wait there (it must not overtake them).

        ``spool`` checks the change and returns the body to keep plus what to answer the
        caller. Raises the server's error for a change it refuses, and
        :class:`~mlsteward.interfaces.sdk.spool.SpoolUnwritableError` when the spool folder
        cannot take the change either.
        """
        with self._order:
            if not self._spool.has_pending():
                try:
                    return send()
                except MlstewardError as error:
                    if not is_transient(error):
                        raise
                    log.warning("%s; spooling changes until it is back", error.message)
            body, answer = spool()
            path = self._spool.add(run_id, body, operation)
            log.debug("Spooled %s for run %s to %s", operation, run_id, path)
        self._ensure_deliverer()
        return answer()

    # -- uploads -----------------------------------------------------------------------------
    def _upload_files(self, request: artifact_ops.UploadArtifact) -> list[Any]:
        """Upload local files one per request, each streamed from disk (and opened afresh for
        a retry)."""
        content: LocalFiles = request.content
        stored: list[Any] = []
        for file, name in content.files:
            one = artifact_ops.upload_artifact.make(
                run_id=request.run_id,
                path=join(request.path, name),
                content=partial(open, file, "rb"),
            )
            records: list[Any] = self._http.call(artifact_ops.upload_artifact, one)
            stored.extend(records)
        return stored

    # -- spool delivery ----------------------------------------------------------------------
    def _ensure_deliverer(self) -> None:
        with self._delivery_lock:
            if self._deliverer is None and not self._closing.is_set():
                self._deliverer = threading.Thread(
                    target=self._deliver_loop, name="mlsteward-spool", daemon=True
                )
                self._deliverer.start()

    def _deliver_loop(self) -> None:
        """Deliver the spool with growing pauses while the server is away (or another
        delivery holds the spool's lock); exit when it is empty or the transport closes."""
        send = sender_for(self._api, attempts=1)
        delay = _RETRY_FIRST_S
        while not self._closing.is_set():
            try:
                report = self._spool.deliver(send)
            except Exception:  # a broken spool folder must not kill delivery for good
                if self._closing.is_set():  # the connections closed under a slow delivery
                    break
                log.exception("Delivering the spool in %s failed", self._spool.directory)
                report = SpoolReport(self.uri, remaining=1)
            if report.delivered:
                log.info("Delivered %d spooled batches to %s", report.delivered, self.uri)
                delay = _RETRY_FIRST_S
            with self._delivery_lock:
                if not self._spool.has_pending():
                    self._deliverer = None
                    return
            if not report.remaining:
                continue  # the server took everything; more arrived meanwhile
            self._closing.wait(delay)
            delay = min(delay * 2, _RETRY_MAX_S)
        with self._delivery_lock:
            self._deliverer = None

    def spooled_batches(self) -> int:
        """How many changes (log batches, run updates, tag removals) wait on disk."""
        return len(self._spool.pending())

    def close(self) -> None:
        """Stop background delivery, try once more to deliver the spool, close connections.

        The last try is skipped when another delivery holds the spool's lock (this client's
        own thread still busy with a slow change, or another program): it never runs beside
        one.
        """
        self._closing.set()
        thread = self._deliverer
        if thread is not None:
            thread.join(timeout=_CLOSE_JOIN_S)
        try:
            if self._spool.has_pending():
                report = self._spool.deliver(sender_for(self._api, attempts=1))
                if report.busy:
                    log.warning(
                        "mlsteward: %d change(s) for %s wait in %s while another delivery "
                        "(a slow one of this program, or another program) is under way; "
                        "what it cannot deliver is delivered by `mlsteward sync`, or by the "
                        "next program that uses this server.",
                        report.remaining,
                        self.uri,
                        self._spool.directory,
                    )
                elif report.remaining:
                    log.warning(
                        "mlsteward: the server %s did not take %d change(s) (metrics, "
                        "params, tags, run ends): %s. They are kept in order in %s and "
                        "delivered by `mlsteward sync`, or by the next program that uses "
                        "this server.",
                        self.uri,
                        report.remaining,
                        report.last_error or "it cannot be reached",
                        self._spool.directory,
                    )
        finally:
            self._api.close()


def _check_params_and_tags(params: Sequence[Any], tags: Sequence[Any]) -> None:
    """The service's rules for param and tag keys and values, for a batch about to be
    spooled: a mistake is reported at the call, not refused by the server later."""
    for param in params:
        validate_key("Param", param.key, _LIMITS)
        validate_value("Param", param.key, param.value, _LIMITS.max_param_value_length)
    for tag in tags:
        validate_key("Tag", tag.key, _LIMITS)
        validate_value("Tag", tag.key, tag.value, _LIMITS.max_tag_value_length)
