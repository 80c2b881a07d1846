"""The SDK against a server: ``TrackingBackend`` over the REST API, with an offline spool.

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

import dataclasses
import hashlib
import logging
import os
import posixpath
import threading
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

from mlsteward.domain.entities import (
    ArtifactEntry,
    Metric,
    Param,
    Run,
    RunInfo,
    RunPage,
    RunTag,
)
from mlsteward.domain.errors import (
    InvalidArgumentError,
    MlstewardError,
    UnavailableError,
)
from mlsteward.domain.metric_arrays import MetricArrays
from mlsteward.interfaces.sdk.data_http_backend import HttpDataBackendMixin
from mlsteward.interfaces.sdk.http_client import (
    ApiClient,
    is_transient,
    quote_path,
    quote_segment,
)
from mlsteward.interfaces.sdk.http_models_backend import HttpModelsBackendMixin
from mlsteward.interfaces.sdk.http_registry_backend import HttpRegistryBackendMixin
from mlsteward.interfaces.sdk.monitoring_http_backend import HttpMonitoringBackendMixin
from mlsteward.interfaces.sdk.spool import (
    DELETE_TAG,
    LOG_BATCH,
    UPDATE_RUN,
    Spool,
    SpoolReport,
    sender_for,
)
from mlsteward.interfaces.sdk.transport import HttpTransport
from mlsteward.services.api import wire
from mlsteward.services.context import local_actor, now_ms
from mlsteward.services.limits import Limits
from mlsteward.services.tracking.runs import parse_status
from mlsteward.services.tracking.validation import (
    validate_artifact_path,
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
_CHUNK = 1 << 20
# A batch is small and quick; a server that does not answer one in 30 s is as good as away,
# and the metric writer thread should spool rather than wait minutes.
_BATCH_ATTEMPTS = 3
_BATCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


_LIMITS = Limits()
_KNOWN_RUNS = 4096
_Result = TypeVar("_Result")


class HttpBackend(
    HttpRegistryBackendMixin,
    HttpModelsBackendMixin,
    HttpDataBackendMixin,
    HttpMonitoringBackendMixin,
):
    """Talks to the server at ``uri`` (``http(s)://host:port``) as the local OS user.

    ``transport`` replaces httpx's network transport (custom TLS, proxies, or a test seam that
    loses responses on purpose).
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.uri = uri.rstrip("/")
        self._api = ApiClient(self.uri, user=user or local_actor(), transport=transport)
        self.transport = HttpTransport(self._api)
        self._spool = Spool(self.uri)
        self._order = threading.Lock()  # direct sends vs. spooling: keeps batches in order
        self._delivery_lock = threading.Lock()
        self._deliverer: threading.Thread | None = None
        self._closing = threading.Event()
        # The last state seen of each run this backend touched, so a spooled update can
        # answer with the run as it will be once delivered.
        self._known_runs: dict[str, RunInfo] = {}
        self._known_lock = threading.Lock()
        if self._spool.has_pending():  # left by an earlier process: deliver it now
            self._ensure_deliverer()

    # -- runs ------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        run_name: str | None = None,
        tags: dict[str, str] | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
    ) -> Run:
        body = {
            "experiment_id": experiment_id,
            "run_name": run_name,
            "tags": tags,
            "parent_run_id": parent_run_id,
            "start_time": start_time,
        }
        run = wire.decode_run(self._api.json("POST", "/runs", json=body, idempotent=False))
        self._remember(run.info)
        return run

    def get_run(self, run_id: str) -> Run:
        run = wire.decode_run(self._api.json("GET", f"/runs/{_id(run_id)}"))
        self._remember(run.info)
        return run

    def _remember(self, info: RunInfo) -> None:
        """Keep a run's latest info (the most recent few thousand runs only)."""
        with self._known_lock:
            self._known_runs.pop(info.run_id, None)
            self._known_runs[info.run_id] = info
            if len(self._known_runs) > _KNOWN_RUNS:
                del self._known_runs[next(iter(self._known_runs))]

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        """Change a run's status, end time or name; spooled when the server is away.

        A run ended while the server is away keeps the time it ended at: the end time is
        fixed now, and the change is delivered after everything spooled before it.
        """
        ended_at = now_ms()
        body = {"status": status, "end_time": end_time, "run_name": run_name}

        def send() -> RunInfo:
            raw = self._api.json("PATCH", f"/runs/{_id(run_id)}", json=body)
            info = wire.decode_run_info(raw)
            self._remember(info)
            return info

        def spool() -> tuple[dict[str, Any], Callable[[], RunInfo]]:
            known = self._known_runs.get(run_id)
            if known is None:  # the answer needs the run: ask (the server may be back)
                try:
                    known = self.get_run(run_id).info
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

    def delete_run(self, run_id: str) -> None:
        self._api.request("DELETE", f"/runs/{_id(run_id)}")

    def restore_run(self, run_id: str) -> None:
        self._api.request("POST", f"/runs/{_id(run_id)}/restore")

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag; spooled (in order with other changes) when the server is away."""

        def send() -> None:
            self._api.request("DELETE", f"/runs/{_id(run_id)}/tags", params={"key": key})

        def spool() -> tuple[dict[str, Any], Callable[[], None]]:
            return {"key": validate_key("Tag", key, _LIMITS)}, lambda: None

        self._send_or_spool(DELETE_TAG, run_id, send, spool)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        idempotency_key: str | None = None,
    ) -> None:
        """Send one batch (retried under one idempotency key), or spool it if the server
        cannot be reached. Errors the server reports about the batch itself are raised."""
        body: dict[str, Any] = {"idempotency_key": idempotency_key or uuid.uuid4().hex}
        if metrics:
            body["metrics"] = wire.metric_columns(metrics)
        if params:
            body["params"] = [{"key": p.key, "value": p.value} for p in params]
        if tags:
            body["tags"] = [{"key": t.key, "value": t.value} for t in tags]

        def send() -> None:
            self._api.request(
                "POST",
                f"/runs/{_id(run_id)}/log-batch",
                json=body,
                idempotent=True,
                attempts=_BATCH_ATTEMPTS,
                timeout=_BATCH_TIMEOUT,
            )

        def spool() -> tuple[dict[str, Any], Callable[[], None]]:
            _check_params_and_tags(params, tags)  # refused now rather than after delivery
            return body, lambda: None

        self._send_or_spool(LOG_BATCH, run_id, send, spool)

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

    def get_metric_history(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> list[Metric]:
        params: dict[str, Any] = {"key": key, "encoding": "base64-le"}
        if max_points is not None:
            params["max_points"] = max_points
        raw = self._api.json("GET", f"/runs/{_id(run_id)}/metrics/history", params=params)
        return MetricArrays.from_packed(raw).to_metrics(key)

    def list_metric_keys(self, run_id: str) -> list[str]:
        return list(self._api.json("GET", f"/runs/{_id(run_id)}/metrics/keys")["keys"])

    def search_runs(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        order_by: Sequence[str] | None,
        run_view_type: str,
        max_results: int,
        page_token: str | None,
    ) -> RunPage:
        body = {
            "experiment_ids": list(experiment_ids) if experiment_ids is not None else None,
            "filter": filter_string,
            "order_by": list(order_by) if order_by is not None else None,
            "run_view_type": run_view_type,
            "max_results": max_results,
            "page_token": page_token,
        }
        return wire.decode_run_page(self._api.json("POST", "/runs/search", json=body))

    # -- artifacts -------------------------------------------------------------------------
    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[str]:
        """Upload a file, or a directory's files, streaming each from disk."""
        source = Path(local_path)
        if not source.exists():
            raise InvalidArgumentError(f"No such file or directory: {source}")
        # The service's own rule, checked before anything is sent: the same error locally.
        base = validate_artifact_path(artifact_path, _LIMITS) if artifact_path else ""
        if source.is_dir():
            files = [
                (f, f.relative_to(source).as_posix())
                for f in sorted(source.rglob("*"))
                if f.is_file()
            ]
        else:
            files = [(source, source.name)]
        stored = []
        for file, rel in files:
            target = f"{base}/{rel}" if base else rel
            raw = self._api.json(
                "PUT", self._artifact_url(run_id, target), content=partial(open, file, "rb")
            )
            stored.append(str(raw["path"]))
        return stored

    def log_artifact_bytes(self, run_id: str, artifact_path: str, data: bytes) -> str:
        raw = self._api.json("PUT", self._artifact_url(run_id, artifact_path), content=data)
        return str(raw["path"])

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[ArtifactEntry]:
        params = {"path": path} if path else None
        raw = self._api.json("GET", f"/runs/{_id(run_id)}/artifacts", params=params)
        return [wire.decode_artifact_entry(e) for e in raw["files"]]

    def download_artifacts(
        self, run_id: str, path: str | None, destination: str | os.PathLike[str]
    ) -> Path:
        """Stream a file, or every file under a directory, to ``destination``."""
        params: dict[str, Any] = {"recursive": "true"}
        if path:
            params["path"] = path
        raw = self._api.json("GET", f"/runs/{_id(run_id)}/artifacts", params=params)
        destination_root = Path(destination)
        root = destination_root.resolve()
        for entry in raw["files"]:
            target = (root / entry["path"]).resolve()
            if not target.is_relative_to(root):
                raise MlstewardError(f"Server sent an artifact path outside the run: {entry}")
            self._download_file(run_id, entry["path"], entry.get("digest"), target)
        clean = posixpath.normpath(path.strip("/")) if path and path.strip("/") else ""
        return destination_root / clean if clean not in ("", ".") else destination_root

    def _download_file(self, run_id: str, path: str, digest: str | None, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        sha = hashlib.sha256()
        try:
            with self._api.stream(self._artifact_url(run_id, path)) as response:
                expected = digest or response.headers.get(wire.DIGEST_HEADER)
                with open(partial, "wb") as out:
                    for chunk in response.iter_bytes(_CHUNK):
                        sha.update(chunk)
                        out.write(chunk)
            if expected and sha.hexdigest() != expected:
                raise MlstewardError(f"Artifact {path!r} arrived corrupted (digest mismatch)")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def _artifact_url(self, run_id: str, path: str) -> str:
        return f"/runs/{_id(run_id)}/artifacts/{quote_path(path)}"

    # -- spool delivery --------------------------------------------------------------------
    def _ensure_deliverer(self) -> None:
        with self._delivery_lock:
            if self._deliverer is None and not self._closing.is_set():
                self._deliverer = threading.Thread(
                    target=self._deliver_loop, name="mlsteward-spool", daemon=True
                )
                self._deliverer.start()

    def _deliver_loop(self) -> None:
        """Deliver the spool with growing pauses while the server is away (or another
        delivery holds the spool's lock); exit when it is empty or the backend closes."""
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

        The last try is skipped when another delivery holds the spool's lock (this backend's
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
                        "mlsteward: the server %s cannot be reached; %d change(s) (metrics, "
                        "params, tags, run ends) are kept in order in %s. They are delivered "
                        "by `mlsteward sync`, or by the next program that uses this server.",
                        self.uri,
                        report.remaining,
                        self._spool.directory,
                    )
        finally:
            self._api.close()


def _check_params_and_tags(params: Sequence[Param], tags: Sequence[RunTag]) -> None:
    """The service's rules for param and tag keys and values, for a batch about to be
    spooled: a mistake is reported at the call, not refused by the server later."""
    for param in params:
        validate_key("Param", param.key, _LIMITS)
        validate_value("Param", param.key, param.value, _LIMITS.max_param_value_length)
    for tag in tags:
        validate_key("Tag", tag.key, _LIMITS)
        validate_value("Tag", tag.key, tag.value, _LIMITS.max_tag_value_length)


def _id(value: str) -> str:
    """An id as one URL path segment (ids are hex, but never trust a caller's string)."""
    return quote_segment(value)
