"""The Open Inference Protocol gRPC service on the same :class:`DataPlane` as the REST app.

``mlsteward serve ... --grpc-port N`` runs it in the HTTP server's event loop, so both doors
share the loaded versions, their batchers, the prediction log and the metrics (protocol
label ``grpc``). Semantics follow the REST routes: the same decoding and checks, the
prediction ID in the response's ``parameters["prediction_id"]`` (and the ``x-prediction-id``
trailing metadata, also on a failed prediction), client mistakes as ``INVALID_ARGUMENT`` or
``NOT_FOUND`` and never logged as predictions, a model that raises as ``INTERNAL`` with its
prediction ID, logged with its error. An unversioned call is routed as over REST too: by
route weight, sticky on the plan's key, read from the call's metadata (``header:NAME``) or
the decoded inputs (``input:NAME``), so one key reaches one version through either door.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, NoReturn

import grpc
from grpc import aio

from mlsteward._version import __version__
from mlsteward.domain.errors import MlstewardError, UnavailableError
from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.engines.serving.input_layout import Batch
from mlsteward.engines.serving.model_runner import Job
from mlsteward.engines.serving.oip import decode_infer, model_metadata
from mlsteward.interfaces.serving import grpc_protocol as pb
from mlsteward.interfaces.serving.data_plane import DataPlane
from mlsteward.interfaces.serving.grpc_codec import (
    infer_response,
    model_metadata_response,
    request_body,
)
from mlsteward.interfaces.serving.versions import ServedVersion, Snapshot

logger = logging.getLogger("mlsteward.serve")

PREDICTION_METADATA = "x-prediction-id"
PROTOCOL = "grpc"


class MetadataHeaders(Mapping[str, str]):
    """A call's invocation metadata as the request headers sticky routing reads: names
    matched case-insensitively, the first value of a repeated key, binary (``-bin``) values
    left out. The same key then routes a caller alike through the REST and the gRPC door."""

    def __init__(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> None:
        self._values: dict[str, str] = {}
        for key, value in metadata or ():
            if isinstance(value, str):
                self._values.setdefault(key.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def status_code(error: MlstewardError) -> grpc.StatusCode:
    """The gRPC status for an error's HTTP status."""
    status = error.http_status
    if status == 404:
        return grpc.StatusCode.NOT_FOUND
    if status == 503:
        return grpc.StatusCode.UNAVAILABLE
    if status == 413:
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    if 400 <= status < 500:
        return grpc.StatusCode.INVALID_ARGUMENT
    return grpc.StatusCode.INTERNAL


class InferenceService:
    """The six RPCs, bound to one data plane."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane
        self.metrics = plane.metrics

    def _snapshot(self) -> Snapshot:
        snapshot = self.plane.snapshot
        if snapshot is None:
            raise UnavailableError("The data plane is still loading its model versions")
        return snapshot

    # -- health and metadata -----------------------------------------------------------------
    async def server_live(self, request: Any, context: aio.ServicerContext) -> Any:
        return pb.ServerLiveResponse(live=True)

    async def server_ready(self, request: Any, context: aio.ServicerContext) -> Any:
        return pb.ServerReadyResponse(ready=self.plane.ready)

    async def server_metadata(self, request: Any, context: aio.ServicerContext) -> Any:
        return pb.ServerMetadataResponse(name="mlsteward", version=__version__)

    async def model_ready(self, request: Any, context: aio.ServicerContext) -> Any:
        snapshot = self.plane.snapshot
        if snapshot is None:
            return pb.ModelReadyResponse(ready=False)
        try:
            snapshot.find(request.name, request.version or None)
        except MlstewardError as error:
            await _abort(context, status_code(error), error.message)
        return pb.ModelReadyResponse(ready=True)

    async def model_metadata(self, request: Any, context: aio.ServicerContext) -> Any:
        try:
            snapshot = self._snapshot()
            served = snapshot.find(request.name, request.version or None)
        except MlstewardError as error:
            await _abort(context, status_code(error), error.message)
        versions = [served.version_label] if request.version else snapshot.versions_of(request.name)
        runner = served.runner
        return model_metadata_response(
            model_metadata(
                request.name,
                versions,
                f"mlsteward-{runner.model.flavor}-{runner.model.runtime}",
                runner.layout,
                runner.output_metadata,
            )
        )

    # -- inference ---------------------------------------------------------------------------
    async def model_infer(self, request: Any, context: aio.ServicerContext) -> Any:
        with self.metrics.in_flight.track_inprogress():
            return await self._infer(request, context)

    async def _infer(self, request: Any, context: aio.ServicerContext) -> Any:
        started = time.perf_counter()
        served = None
        try:
            snapshot = self._snapshot()
            version = request.model_version or None
            headers: Mapping[str, str] = (
                MetadataHeaders(context.invocation_metadata()) if snapshot.plan.sticky_key else {}
            )
            served = snapshot.find(request.model_name, version, snapshot.sticky(headers))
            body, raw = request_body(request)
            decoded = decode_infer(body, served.runner.layout, served.runner.outputs)
            if snapshot.sticky_on_input and version is None:
                # as over REST: routes share a signature (rollouts check it), so the batch fits
                served = snapshot.pick(snapshot.sticky(headers, decoded.batch))
            runner = served.runner
        except MlstewardError as error:
            await self._refuse(context, error, served)
        outputs = decoded.outputs or runner.default_outputs
        prediction_id = new_prediction_id()
        time_ms = int(time.time() * 1000)
        context.set_trailing_metadata(((PREDICTION_METADATA, prediction_id),))
        try:
            answer = await served.batcher.submit(
                Job(decoded.batch, decoded.rows, outputs), decoded.rows
            )
        except MlstewardError as error:
            if error.http_status < 500:
                await self._refuse(context, error, served)
            await self._failed(
                context, served, decoded.batch, decoded.rows, started, time_ms, prediction_id, error
            )
        except Exception as error:  # the model raised: INTERNAL, logged, keep serving
            await self._failed(
                context, served, decoded.batch, decoded.rows, started, time_ms, prediction_id, error
            )
        response = infer_response(
            request.model_name,
            served.version_label,
            answer,
            request_id=request.id,
            prediction_id=prediction_id,
            raw=raw,
        )
        latency = time.perf_counter() - started
        served.instruments["latency"].observe(latency)
        self.metrics.requests.labels(served.model_name, served.version_label, PROTOCOL, "200").inc()
        asyncio.get_running_loop().call_soon(
            self.plane.log_prediction,
            served,
            prediction_id,
            time_ms,
            latency,
            decoded.rows,
            decoded.batch,
            answer,
            200,
            None,
        )
        return response

    async def _refuse(
        self, context: aio.ServicerContext, error: MlstewardError, served: ServedVersion | None
    ) -> NoReturn:
        code = str(error.http_status)
        model, version = (served.model_name, served.version_label) if served else ("", "")
        self.metrics.requests.labels(model, version, PROTOCOL, code).inc()
        self.metrics.errors.labels(model, version, code).inc()
        await _abort(context, status_code(error), error.message)

    async def _failed(
        self,
        context: aio.ServicerContext,
        served: ServedVersion,
        batch: Batch,
        rows: int,
        started: float,
        time_ms: int,
        prediction_id: str,
        error: BaseException,
    ) -> NoReturn:
        message, latency = self.plane.count_failure(served, PROTOCOL, started, prediction_id, error)
        self.plane.log_prediction(
            served, prediction_id, time_ms, latency, rows, batch, {}, 500, message
        )
        await _abort(
            context, grpc.StatusCode.INTERNAL, f"{message} (prediction_id {prediction_id})"
        )

    # -- wiring ------------------------------------------------------------------------------
    def handler(self) -> grpc.GenericRpcHandler:
        """The generic handler serving ``inference.GRPCInferenceService``."""
        calls: dict[str, Callable[[Any, aio.ServicerContext], Awaitable[Any]]] = {
            "ServerLive": self.server_live,
            "ServerReady": self.server_ready,
            "ModelReady": self.model_ready,
            "ServerMetadata": self.server_metadata,
            "ModelMetadata": self.model_metadata,
            "ModelInfer": self.model_infer,
        }
        methods = {
            name: grpc.unary_unary_rpc_method_handler(
                call,
                request_deserializer=pb.METHODS[name][0].FromString,
                response_serializer=pb.METHODS[name][1].SerializeToString,
            )
            for name, call in calls.items()
        }
        return grpc.method_handlers_generic_handler(pb.SERVICE, methods)


async def _abort(context: aio.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    """End the call with ``code`` (``abort`` raises; the raise below only tells the checker)."""
    await context.abort(code, message)
    raise RuntimeError("grpc abort returned")


async def start_grpc_server(
    plane: DataPlane, host: str, port: int, *, max_message_bytes: int
) -> aio.Server:
    """Serve ``plane`` over gRPC on ``host:port`` in the running event loop (started)."""
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", -1),
        ("grpc.so_reuseport", 1),  # several workers share the port, as uvicorn's do
    ]
    server = aio.server(options=options)
    server.add_generic_rpc_handlers((InferenceService(plane).handler(),))
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    server.add_insecure_port(address)
    await server.start()
    logger.info("gRPC inference service on %s", address)
    return server
