"""The data plane: ``mlsteward serve`` answers Open Inference Protocol V2 and MLflow
``/invocations`` requests for a deployment's model versions, follows its plan without
restarts, and ships the prediction log and Prometheus metrics off the hot path.

``serving_app(ServeConfig(...))`` is the same server as an ASGI app in this process. The
server's modules load on first use, so the command line starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsteward.interfaces.serving.config import ServeConfig

if TYPE_CHECKING:
    from mlsteward.interfaces.serving.process import serve, serving_app

__all__ = ["ServeConfig", "serve", "serving_app"]


def __getattr__(name: str) -> Any:
    if name in ("serve", "serving_app"):
        from mlsteward.interfaces.serving import process

        return getattr(process, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
