"""Start the data plane: uvicorn with this package's app, one or several workers on one port.

uvicorn picks uvloop and httptools when installed (``uvicorn[standard]``); uvloop (like
asyncio) sets TCP_NODELAY on every accepted connection, so small answers leave at once.
``--workers N`` starts N processes sharing the listening socket; each loads the models and
follows the plan on its own. On SIGTERM uvicorn stops accepting, lets requests in flight
finish (up to the graceful timeout), then the app's shutdown drains the batchers and flushes
the prediction log.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from types import FrameType

from starlette.applications import Starlette

from mlsteward.domain.errors import MlstewardError, UnavailableError
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.serving.app import build_app
from mlsteward.interfaces.serving.config import CONFIG_ENV, ServeConfig
from mlsteward.interfaces.serving.data_plane import DataPlane
from mlsteward.interfaces.serving.metrics import MULTIPROC_ENV
from mlsteward.interfaces.serving.model_loading import load_version
from mlsteward.interfaces.serving.plan_source import plan_source

logger = logging.getLogger("mlsteward.serve")


def data_plane(config: ServeConfig) -> DataPlane:
    """The data plane ``config`` describes (nothing loaded yet)."""
    source = plan_source(config)
    client: Client = source.client  # type: ignore[attr-defined]

    def load(name: str, version: int, runtime: str) -> LoadedModel:
        return load_version(client, name, version, runtime)

    return DataPlane(source, load, interval_s=config.plan_interval_s)


def create_app() -> Starlette:
    """uvicorn's app factory in each worker: the config comes from the environment."""
    config = ServeConfig.from_env()
    return build_app(
        data_plane(config), max_body_bytes=config.max_body_bytes, load_first=config.workers > 1
    )


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


def serve(config: ServeConfig) -> None:
    """Run the data plane until SIGTERM / SIGINT."""
    check_target(config)
    # uvicorn drains on SIGTERM, then raises the signal again under the handler it found:
    # a handler of ours makes that a normal return, so a clean shutdown exits with 0.
    signal.signal(signal.SIGTERM, _drained)
    os.environ[CONFIG_ENV] = config.to_json()
    metrics_dir = None
    if config.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        metrics_dir = tempfile.mkdtemp(prefix="mlsteward-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        _run_uvicorn(config)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


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


def serving_app(config: ServeConfig, *, load_first: bool = True) -> Starlette:
    """The data plane as an ASGI app in this process (for tests and embedding): its startup
    loads and warms the plan's versions first unless ``load_first`` is False."""
    return build_app(
        data_plane(config), max_body_bytes=config.max_body_bytes, load_first=load_first
    )
