"""What one ``mlsteward serve`` process serves and how, passed to its uvicorn workers as JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

#: The environment variable a worker process reads its :class:`ServeConfig` from.
CONFIG_ENV = "MLSTEWARD_SERVE_CONFIG"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServeConfig:
    """``target`` is a deployment name or a ``models:/`` URI (a one-off with no record).

    ``tracking_uri`` is the control plane (None: the SDK's default); the token comes from the
    usual places (``MLSTEWARD_TRACKING_TOKEN`` or ``mlsteward login``). The ``runtime``,
    batching and log settings apply to a one-off; a deployment's plan carries its own.
    """

    target: str
    tracking_uri: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    plan_interval_s: float = 5.0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    log_root: str | None = None
    log_enabled: bool = True
    runtime: str = "auto"
    max_batch_size: int = 32
    max_wait_ms: float = 2.0
    graceful_timeout_s: int = 30

    @property
    def one_off(self) -> bool:
        """True for ``models:/...``: no deployment record, a plan built locally."""
        return self.target.startswith("models:/")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        return cls(**json.loads(text))

    @classmethod
    def from_env(cls) -> ServeConfig:
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise RuntimeError(f"{CONFIG_ENV} is not set: start the data plane with `serve`")
        return cls.from_json(text)
