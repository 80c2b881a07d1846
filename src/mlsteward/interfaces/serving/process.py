"""Start the data plane: uvicorn with this package's app, one or several workers on one port.

uvicorn picks uvloop and httptools when installed (``uvicorn[standard]``); uvloop (like
asyncio) sets TCP_NODELAY on every accepted connection, so small answers leave at once.
``--workers N`` starts N processes sharing the listening socket; each loads the models and
follows the plan on its own. On SIGTERM uvicorn stops accepting, lets requests in flight
finish (up to the graceful timeout), then the app's shutdown drains the batchers and flushes
the prediction log.

``--grpc-port`` adds the Open Inference Protocol gRPC service (the ``grpc`` extra) to every
worker, in the same event loop and on the same data plane as HTTP; it starts after the
HTTP app's startup and stops (finishing calls in flight) before the data plane drains.

Serving a deployment, each worker reports its status to the control plane after its plan
polls under a name of its own: the host, the port, the ``serve`` process's pid and, with
several workers, the index of a worker slot it holds a lock on (a worker started again in
place of one that died takes the free slot, so it reports under its predecessor's name).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import AsyncIterator
from types import FrameType
from typing import IO

from starlette.applications import Starlette

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError, UnavailableError
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.serving.app import build_app
from mlsteward.interfaces.serving.config import CONFIG_ENV, ServeConfig
from mlsteward.interfaces.serving.data_plane import DataPlane
from mlsteward.interfaces.serving.metrics import MULTIPROC_ENV
from mlsteward.interfaces.serving.model_loading import load_version
from mlsteward.interfaces.serving.plan_source import DeploymentPlanSource, plan_source
from mlsteward.interfaces.serving.replica_status import ReplicaReporter, replica_name

logger = logging.getLogger("mlsteward.serve")

#: The environment variable a worker reads the gRPC port from (unset: no gRPC service).
GRPC_PORT_ENV = "MLSTEWARD_SERVE_GRPC_PORT"
#: The ``serve`` process's pid, as its workers name themselves by it.
SERVE_PID_ENV = "MLSTEWARD_SERVE_PID"
#: The folder of worker slot lock files (set only with several workers).
WORKER_SLOTS_ENV = "MLSTEWARD_SERVE_WORKER_SLOTS"
#: Per slot folder, the index and open lock file this worker holds for the life of the
#: process (the lock goes when the process does).
_HELD_SLOTS: dict[str, tuple[int, IO[str]]] = {}


def data_plane(config: ServeConfig) -> DataPlane:
    """The data plane ``config`` describes (nothing loaded yet); serving a deployment, it
    reports this replica's status after its polls."""
    source = plan_source(config)
    client: Client = source.client  # type: ignore[attr-defined]

    def load(name: str, version: int, runtime: str) -> LoadedModel:
        return load_version(client, name, version, runtime)

    reporter = None
    if isinstance(source, DeploymentPlanSource):
        reporter = ReplicaReporter(source.name, this_replica(config), source.report)
    return DataPlane(source, load, interval_s=config.plan_interval_s, reporter=reporter)


def this_replica(config: ServeConfig) -> str:
    """This process's replica name (see the module docstring)."""
    serve_pid = os.environ.get(SERVE_PID_ENV, "")
    slots = os.environ.get(WORKER_SLOTS_ENV)
    worker = claim_worker_slot(slots) if slots else None
    if worker is None or not serve_pid.isdigit():
        return replica_name(socket.gethostname(), config.port, os.getpid())
    return replica_name(socket.gethostname(), config.port, int(serve_pid), worker)


def claim_worker_slot(folder: str, most: int = 4096) -> int | None:
    """The lowest worker index (from 1) whose lock file in ``folder`` no live process holds,
    now held by this one until it exits; None where file locks are unavailable."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: workers name themselves by pid
        return None
    held = _HELD_SLOTS.get(folder)
    if held is not None:
        return held[0]
    for index in range(1, most + 1):
        handle = open(os.path.join(folder, f"worker-{index}.lock"), "a")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _HELD_SLOTS[folder] = (index, handle)
        return index
    return None


def create_app() -> Starlette:
    """uvicorn's app factory in each worker: the config comes from the environment."""
    config = ServeConfig.from_env()
    plane = data_plane(config)
    app = build_app(plane, max_body_bytes=config.max_body_bytes, load_first=config.workers > 1)
    grpc_port = os.environ.get(GRPC_PORT_ENV)
    if grpc_port:
        with_grpc(app, plane, config, int(grpc_port))
    return app


def with_grpc(app: Starlette, plane: DataPlane, config: ServeConfig, port: int) -> None:
    """Run the gRPC service inside ``app``'s lifespan: up after the app's startup, stopped
    (calls in flight finish, up to the graceful timeout) before its shutdown drains."""
    from mlsteward.interfaces.serving.grpc_service import start_grpc_server

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            server = await start_grpc_server(
                plane, config.host, port, max_message_bytes=config.max_body_bytes
            )
            try:
                yield
            finally:
                await server.stop(config.graceful_timeout_s)

    app.router.lifespan_context = lifespan


def grpc_available() -> bool:
    """True when the ``grpc`` extra (grpcio, protobuf) is installed."""
    try:
        import google.protobuf  # noqa: F401
        import grpc  # noqa: F401
    except ImportError:
        return False
    return True


def check_target(config: ServeConfig) -> None:
    """Fail fast on a target that cannot be served (unknown deployment, malformed URI); an
    unreachable control plane only warns: the data plane starts and keeps asking."""
    source = plan_source(config)
    try:
        source.fetch()
    except UnavailableError as error:
        logger.warning("control plane unreachable, will retry: %s", error.message)
    except MlstewardError:
        raise
    except OSError as error:
        logger.warning("control plane unreachable, will retry: %s", error)


def _drained(signum: int, frame: FrameType | None) -> None:
    """SIGTERM after uvicorn has drained: nothing left to do but return."""


def serve(config: ServeConfig, *, grpc_port: int | None = None) -> None:
    """Run the data plane until SIGTERM / SIGINT (with the gRPC service on ``grpc_port``)."""
    if grpc_port is not None:
        if not grpc_available():
            raise InvalidArgumentError(
                "--grpc-port needs the gRPC extra: pip install 'mlsteward[grpc]'"
            )
        if grpc_port == config.port:
            raise InvalidArgumentError("--grpc-port must differ from --port")
        os.environ[GRPC_PORT_ENV] = str(grpc_port)
    else:
        os.environ.pop(GRPC_PORT_ENV, None)
    check_target(config)
    # uvicorn drains on SIGTERM, then raises the signal again under the handler it found:
    # a handler of ours makes that a normal return, so a clean shutdown exits with 0.
    signal.signal(signal.SIGTERM, _drained)
    os.environ[CONFIG_ENV] = config.to_json()
    os.environ[SERVE_PID_ENV] = str(os.getpid())
    metrics_dir = slots_dir = None
    if config.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        metrics_dir = tempfile.mkdtemp(prefix="mlsteward-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
    if config.workers > 1:
        slots_dir = tempfile.mkdtemp(prefix="mlsteward-workers-")
        os.environ[WORKER_SLOTS_ENV] = slots_dir
    else:
        os.environ.pop(WORKER_SLOTS_ENV, None)
    try:
        _run_uvicorn(config)
    finally:
        for folder in (metrics_dir, slots_dir):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


def _run_uvicorn(config: ServeConfig) -> None:
    import uvicorn

    uvicorn.run(
        "mlsteward.interfaces.serving.process:create_app",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=config.graceful_timeout_s,
        log_level="info",
    )


def serving_app(
    config: ServeConfig, *, load_first: bool = True, grpc_port: int | None = None
) -> Starlette:
    """The data plane as an ASGI app in this process (for tests and embedding): its startup
    loads and warms the plan's versions first unless ``load_first`` is False, and starts the
    gRPC service on ``grpc_port`` when given."""
    plane = data_plane(config)
    app = build_app(plane, max_body_bytes=config.max_body_bytes, load_first=load_first)
    if grpc_port is not None:
        with_grpc(app, plane, config, grpc_port)
    return app
