"""The SDK against a server: ``TrackingBackend`` over the REST API, with an offline spool.

Every call raises the typed error the server reported, so code behaves the same against a
server as against a local store. ``log_batch`` never loses data to an outage: each batch gets
an idempotency key (reused on every retry), and when the server cannot be reached the batch
is spooled to disk (see :mod:`mlsteward.interfaces.sdk.spool`) and the call returns. A
background thread delivers the spool, in order, once the server answers again; while
anything is spooled, new batches queue behind it so they cannot overtake older ones.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import threading
import uuid
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from mlsteward.domain.entities import (
    ArtifactEntry,
    Experiment,
    Metric,
    Param,
    Run,
    RunInfo,
    RunPage,
    RunTag,
)
from mlsteward.domain.errors import InvalidArgumentError, MlstewardError, NotFoundError
from mlsteward.domain.metric_arrays import MetricArrays
from mlsteward.interfaces.rest import wire
from mlsteward.interfaces.sdk.data_http_backend import HttpDataBackendMixin
from mlsteward.interfaces.sdk.http_client import ApiClient, is_transient, quote_path
from mlsteward.interfaces.sdk.http_models_backend import HttpModelsBackendMixin
from mlsteward.interfaces.sdk.http_registry_backend import HttpRegistryBackendMixin
from mlsteward.interfaces.sdk.monitoring_http_backend import HttpMonitoringBackendMixin
from mlsteward.interfaces.sdk.spool import Spool, SpoolReport, sender_for
from mlsteward.services.context import local_actor
from mlsteward.services.limits import Limits
from mlsteward.services.tracking.validation import validate_artifact_path

log = logging.getLogger(__name__)

_RETRY_FIRST_S = 0.5
_RETRY_MAX_S = 5.0
_CHUNK = 1 << 20
# A batch is small and quick; a server that does not answer one in 30 s is as good as away,
# and the metric writer thread should spool rather than wait minutes.
_BATCH_ATTEMPTS = 3
_BATCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


_LIMITS = Limits()


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
        self._spool = Spool(self.uri)
        self._order = threading.Lock()  # direct sends vs. spooling: keeps batches in order
        self._delivery_lock = threading.Lock()
        self._deliverer: threading.Thread | None = None
        self._closing = threading.Event()
        if self._spool.has_pending():  # left by an earlier process: deliver it now
            self._ensure_deliverer()

    # -- experiments -----------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> Experiment:
        raw = self._api.json(
            "POST", "/experiments", json={"name": name, "tags": tags}, idempotent=False
        )
        return wire.decode_experiment(raw)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return wire.decode_experiment(self._api.json("GET", f"/experiments/{_id(experiment_id)}"))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            raw = self._api.json("GET", "/experiments/by-name", params={"name": name})
        except NotFoundError:
            return None
        return wire.decode_experiment(raw)

    def get_or_create_experiment(self, name: str) -> Experiment:
        raw = self._api.json("POST", "/experiments/get-or-create", json={"name": name})
        return wire.decode_experiment(raw)

    def list_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        raw = self._api.json(
            "GET", "/experiments", params={"include_deleted": str(include_deleted).lower()}
        )
        return [wire.decode_experiment(e) for e in raw["experiments"]]

    def delete_experiment(self, experiment_id: str) -> None:
        self._api.request("DELETE", f"/experiments/{_id(experiment_id)}")

    def restore_experiment(self, experiment_id: str) -> None:
        self._api.request("POST", f"/experiments/{_id(experiment_id)}/restore")

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._api.request(
            "POST", f"/experiments/{_id(experiment_id)}/tags", json={"key": key, "value": value}
        )

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
        return wire.decode_run(self._api.json("POST", "/runs", json=body, idempotent=False))

    def get_run(self, run_id: str) -> Run:
        return wire.decode_run(self._api.json("GET", f"/runs/{_id(run_id)}"))

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        body = {"status": status, "end_time": end_time, "run_name": run_name}
        return wire.decode_run_info(self._api.json("PATCH", f"/runs/{_id(run_id)}", json=body))

    def delete_run(self, run_id: str) -> None:
        self._api.request("DELETE", f"/runs/{_id(run_id)}")

    def restore_run(self, run_id: str) -> None:
        self._api.request("POST", f"/runs/{_id(run_id)}/restore")

    def delete_tag(self, run_id: str, key: str) -> None:
        self._api.request("DELETE", f"/runs/{_id(run_id)}/tags", params={"key": key})

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
        with self._order:
            if not self._spool.has_pending():
                try:
                    self._api.request(
                        "POST",
                        f"/runs/{_id(run_id)}/log-batch",
                        json=body,
                        idempotent=True,
                        attempts=_BATCH_ATTEMPTS,
                        timeout=_BATCH_TIMEOUT,
                    )
                    return
                except MlstewardError as error:
                    if not is_transient(error):
                        raise
                    log.warning("%s; spooling batches until it is back", error.message)
            path = self._spool.add(run_id, body)
            log.debug("Spooled %d metric points to %s", len(metrics), path)
        self._ensure_deliverer()

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
        """Deliver the spool with growing pauses while the server is away; exit when empty."""
        send = sender_for(self._api, attempts=1)
        delay = _RETRY_FIRST_S
        while not self._closing.is_set():
            try:
                report = self._spool.deliver(send)
            except Exception:  # a broken spool folder must not kill delivery for good
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
        """How many batches wait on disk for this server."""
        return len(self._spool.pending())

    def close(self) -> None:
        """Stop background delivery, try once more to deliver the spool, close connections."""
        self._closing.set()
        thread = self._deliverer
        if thread is not None:
            thread.join(timeout=10)
        try:
            if self._spool.has_pending():
                report = self._spool.deliver(sender_for(self._api, attempts=1))
                if report.remaining:
                    log.warning(
                        "%d batches for %s remain spooled in %s; run `mlsteward sync` when "
                        "the server is back",
                        report.remaining,
                        self.uri,
                        self._spool.directory,
                    )
        finally:
            self._api.close()


def _id(value: str) -> str:
    """An id as one URL path segment (ids are hex, but never trust a caller's string)."""
    return quote_path(str(value)).replace("/", "%2F")
