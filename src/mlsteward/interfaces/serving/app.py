"""The data plane's ASGI app: plain Starlette routes; request JSON read by ``json_body``
(orjson when installed, else the stdlib, with the same values).

Routes: the Open Inference Protocol V2 REST API (``/v2/health/live``, ``/v2/health/ready``,
``/v2``, ``/v2/models/{name}[/versions/{v}]``, ``.../ready``, ``.../infer``), MLflow's
``/invocations`` (with ``/ping`` and ``/health``), and Prometheus ``/metrics``. Every answer
to an inference carries its prediction ID (``X-Prediction-ID``, and in the body); the
prediction record is handed to the log after the answer is sent. Client mistakes are 4xx
with ``{"error": ...}`` and are not logged as predictions; a model that raises is a 500 with
the prediction ID, logged with its error, and the server carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mlsteward._version import __version__
from mlsteward.domain.errors import (
    InvalidArgumentError,
    MlstewardError,
    PayloadTooLargeError,
    UnavailableError,
    UnsupportedMediaTypeError,
)
from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.engines.serving import json_body
from mlsteward.engines.serving.input_layout import Batch
from mlsteward.engines.serving.mlflow_formats import decode_csv, decode_json, encode_predictions
from mlsteward.engines.serving.model_runner import Answer, Job
from mlsteward.engines.serving.oip import decode_infer, encode_infer, model_metadata
from mlsteward.interfaces.serving.data_plane import DataPlane
from mlsteward.interfaces.serving.versions import ServedVersion, Snapshot

logger = logging.getLogger("mlsteward.serve")

JSON = "application/json"
PREDICTION_HEADER = "X-Prediction-ID"
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=True).encode


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_dumps(body).encode(), status, headers, media_type=JSON)


class Handlers:
    """The routes, bound to one :class:`DataPlane`."""

    def __init__(self, plane: DataPlane, max_body_bytes: int) -> None:
        self.plane = plane
        self.max_body_bytes = max_body_bytes
        self.metrics = plane.metrics

    # -- plumbing ----------------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        snapshot = self.plane.snapshot
        if snapshot is None:
            raise UnavailableError("The data plane is still loading its model versions")
        return snapshot

    async def _body(self, request: Request) -> bytes:
        length = request.headers.get("content-length")
        limit = self.max_body_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLargeError(f"The request body is over the limit of {limit} bytes")
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(f"The request body is over the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _parse(body: bytes) -> Any:
        try:
            return json_body.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise InvalidArgumentError("The request body is not valid JSON") from None

    def _refuse(
        self, error: MlstewardError, protocol: str, served: ServedVersion | None
    ) -> Response:
        code = str(error.http_status)
        model, version = (served.model_name, served.version_label) if served else ("", "")
        self.metrics.requests.labels(model, version, protocol, code).inc()
        self.metrics.errors.labels(model, version, code).inc()
        return _json({"error": error.message}, error.http_status)

    async def _predict(
        self,
        served: ServedVersion,
        batch: Batch,
        rows: int,
        outputs: tuple[str, ...],
        protocol: str,
        started: float,
        render: Callable[[Answer, str], Any],
    ) -> Response:
        prediction_id = new_prediction_id()
        time_ms = int(time.time() * 1000)
        try:
            answer = await served.batcher.submit(Job(batch, rows, outputs), rows)
        except MlstewardError as error:
            if error.http_status >= 500:
                return self._failed(served, batch, rows, protocol, started, prediction_id, error)
            return self._refuse(error, protocol, served)
        except Exception as error:  # the model raised: 500, logged, keep serving
            return self._failed(served, batch, rows, protocol, started, prediction_id, error)
        body = _dumps(render(answer, prediction_id)).encode()
        latency = time.perf_counter() - started
        served.instruments["latency"].observe(latency)
        self.metrics.requests.labels(served.model_name, served.version_label, protocol, "200").inc()
        task = BackgroundTask(
            self._log, served, prediction_id, time_ms, latency, rows, batch, answer, 200, None
        )
        return Response(body, 200, {PREDICTION_HEADER: prediction_id}, JSON, task)

    def _failed(
        self,
        served: ServedVersion,
        batch: Batch,
        rows: int,
        protocol: str,
        started: float,
        prediction_id: str,
        error: BaseException,
    ) -> Response:
        message, latency = self.plane.count_failure(served, protocol, started, prediction_id, error)
        task = BackgroundTask(
            self._log,
            served,
            prediction_id,
            int(time.time() * 1000),
            latency,
            rows,
            batch,
            {},
            500,
            message,
        )
        return Response(
            _dumps({"error": message, "prediction_id": prediction_id}).encode(),
            500,
            {PREDICTION_HEADER: prediction_id},
            JSON,
            task,
        )

    async def _log(self, *record: Any) -> None:
        """:meth:`DataPlane.log_prediction` as a coroutine, so it runs on the event loop
        after the answer is sent rather than taking a thread-pool hop per request."""
        self.plane.log_prediction(*record)

    # -- OIP ---------------------------------------------------------------------------------
    async def infer(self, request: Request) -> Response:
        with self.metrics.in_flight.track_inprogress():
            return await self._infer(request)

    async def _infer(self, request: Request) -> Response:
        started = time.perf_counter()
        served = None
        try:
            raw = await self._body(request)
            params = request.path_params
            snapshot = self._snapshot()
            headers = request.headers
            served = snapshot.find(params["name"], params.get("version"), snapshot.sticky(headers))
            decoded = decode_infer(self._parse(raw), served.runner.layout, served.runner.outputs)
            if snapshot.sticky_on_input and params.get("version") is None:
                # routes share a signature (rollouts check it), so the decoded batch fits
                served = snapshot.pick(snapshot.sticky(headers, decoded.batch))
        except MlstewardError as error:
            return self._refuse(error, "oip", served)
        runner = served.runner
        outputs = decoded.outputs or runner.default_outputs
        name = params["name"]
        version = served.version_label
        request_id = decoded.id

        def render(answer: Answer, prediction_id: str) -> Any:
            return encode_infer(
                name, version, answer, request_id=request_id, prediction_id=prediction_id
            )

        return await self._predict(
            served, decoded.batch, decoded.rows, outputs, "oip", started, render
        )

    async def model_metadata(self, request: Request) -> Response:
        try:
            snapshot = self._snapshot()
            name = request.path_params["name"]
            served = snapshot.find(name, request.path_params.get("version"))
        except MlstewardError as error:
            return _json({"error": error.message}, error.http_status)
        versions = (
            [served.version_label]
            if "version" in request.path_params
            else snapshot.versions_of(name)
        )
        runner = served.runner
        return _json(
            model_metadata(
                name,
                versions,
                f"mlsteward-{runner.model.flavor}-{runner.model.runtime}",
                runner.layout,
                runner.output_metadata,
            )
        )

    async def model_ready(self, request: Request) -> Response:
        try:
            self._snapshot().find(request.path_params["name"], request.path_params.get("version"))
        except MlstewardError as error:
            return _json({"error": error.message}, error.http_status)
        return _json({"name": request.path_params["name"], "ready": True})

    async def live(self, request: Request) -> Response:
        return _json({"live": True})

    async def ready(self, request: Request) -> Response:
        ready = self.plane.ready
        return _json({"ready": ready}, 200 if ready else 503)

    async def server_metadata(self, request: Request) -> Response:
        return _json({"name": "mlsteward", "version": __version__, "extensions": []})

    # -- MLflow ------------------------------------------------------------------------------
    async def invocations(self, request: Request) -> Response:
        with self.metrics.in_flight.track_inprogress():
            return await self._invocations(request)

    async def _invocations(self, request: Request) -> Response:
        started = time.perf_counter()
        served = None
        try:
            raw = await self._body(request)
            snapshot = self._snapshot()
            served = snapshot.pick(snapshot.sticky(request.headers))
            layout = served.runner.layout
            kind = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
            if kind == "text/csv":
                try:
                    batch = decode_csv(raw.decode("utf-8"), layout)
                except UnicodeDecodeError:
                    raise InvalidArgumentError("The CSV body is not UTF-8 text") from None
            elif kind in (JSON, "", "*/*"):
                batch = decode_json(self._parse(raw), layout)
            else:
                raise UnsupportedMediaTypeError(
                    f"Content-Type {kind!r} is not read here: send application/json or text/csv"
                )
            rows = layout.rows(batch)
            if snapshot.sticky_on_input:
                served = snapshot.pick(snapshot.sticky(request.headers, batch))
        except MlstewardError as error:
            return self._refuse(error, "mlflow", served)
        return await self._predict(
            served,
            batch,
            rows,
            served.runner.default_outputs,
            "mlflow",
            started,
            lambda answer, prediction_id: encode_predictions(answer, prediction_id),
        )

    async def ping(self, request: Request) -> Response:
        ready = self.plane.ready
        return Response(b"\n", 200 if ready else 503, media_type="text/plain")

    # -- metrics -----------------------------------------------------------------------------
    async def prometheus(self, request: Request) -> Response:
        self.metrics.set_log_stats(self.plane.sink.stats())
        body, kind = self.metrics.render()
        return Response(body, 200, media_type=kind)


def build_app(
    plane: DataPlane, *, max_body_bytes: int, follow: bool = True, load_first: bool = False
) -> Starlette:
    """The ASGI app for ``plane``; with ``follow`` its lifespan polls the plan in the
    background (readiness stays false until the first plan is loaded and warmed) and, at
    shutdown, finishes queued requests and flushes the prediction log.

    ``load_first`` holds the startup until the first plan serves, so the server accepts no
    connection before it can answer (for several workers sharing one socket: a worker
    still loading would otherwise take connections from the ready ones and answer 503).
    """
    h = Handlers(plane, max_body_bytes)
    model = "/v2/models/{name}"
    version = "/v2/models/{name}/versions/{version}"
    routes = [
        Route("/v2/health/live", h.live, methods=["GET"]),
        Route("/v2/health/ready", h.ready, methods=["GET"]),
        Route("/v2", h.server_metadata, methods=["GET"]),
        Route(model, h.model_metadata, methods=["GET"]),
        Route(version, h.model_metadata, methods=["GET"]),
        Route(model + "/ready", h.model_ready, methods=["GET"]),
        Route(version + "/ready", h.model_ready, methods=["GET"]),
        Route(model + "/infer", h.infer, methods=["POST"]),
        Route(version + "/infer", h.infer, methods=["POST"]),
        Route("/invocations", h.invocations, methods=["POST"]),
        Route("/ping", h.ping, methods=["GET"]),
        Route("/health", h.ping, methods=["GET"]),
        Route("/metrics", h.prometheus, methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(plane.follow()) if follow else None
        if load_first and task is not None:
            await plane.loaded.wait()
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await plane.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(405, _not_allowed)
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return _json({"error": f"No route {request.url.path}"}, 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _json({"error": f"{request.method} is not allowed on {request.url.path}"}, 405)
