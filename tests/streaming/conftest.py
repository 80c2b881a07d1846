"""Fixtures for the stream consumer's tests: a store with a deployed model, the brokers, and
``mlsteward stream`` processes.

The store is built once per module; each module gets its own, under its own home.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mlsteward
from mlsteward.interfaces.sdk import fluent
from mlsteward.models import log_model

from .brokers import Broker, NatsBroker, RedisBroker, need

RNG = np.random.default_rng(11)
X = RNG.normal(size=(400, 4)).astype(np.float32)
Y = (X[:, 0] - X[:, 2] > 0).astype(np.int64)
DEPLOYMENT = "clf-stream"
BROKERS = ["nats", "redis"]


@dataclass(frozen=True)
class Store:
    """A local store with ``clf`` (a float32 tensor of 4 features) deployed as
    ``clf-stream``."""

    uri: str
    home: Path
    model: LogisticRegression

    def client(self) -> mlsteward.Client:
        return mlsteward.Client(self.uri)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("streaming")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_HOME", str(root / "home"))
        for name in ("MLSTEWARD_TRACKING_URI", "MLSTEWARD_ARTIFACTS_URI", "MLSTEWARD_USER"):
            patch.delenv(name, raising=False)
        fluent.reset()
        uri = str(root / "store")
        mlsteward.set_tracking_uri(uri)
        try:
            model = LogisticRegression().fit(X, Y)
            with mlsteward.start_run():
                info = log_model(model, "model", input_example=X[:3])
            mlsteward.register_model(info.model_uri, "clf")
            client = mlsteward.Client(uri)
            client.set_registered_model_alias("clf", "champion", 1)
            client.deployments.create(DEPLOYMENT, "models:/clf@champion", reason="test")
            mlsteward.set_tracking_uri(None)
            yield Store(uri, root / "home", model)
        finally:
            fluent.reset()


@pytest.fixture(params=BROKERS)
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """The machine's NATS or Redis, with this test's own stream names (deleted after)."""
    made: Broker
    if request.param == "nats":
        need(4222, "NATS JetStream")
        made = NatsBroker().create()
    else:
        need(6379, "Redis")
        made = RedisBroker().create()
    try:
        yield made
    finally:
        made.cleanup()


class StreamProcess:
    """``mlsteward stream ...`` in a subprocess; killed or stopped by its PID."""

    def __init__(self, store: Store, broker: Broker, extra: Sequence[str]) -> None:
        self.argv = [
            sys.executable, "-m", "mlsteward", "stream", DEPLOYMENT,
            "--tracking-uri", store.uri, "--source", broker.url,
            "--subject", broker.subject, "--output-subject", broker.output_subject, *extra,
        ]  # fmt: skip
        self.env = {**os.environ, "MLSTEWARD_HOME": str(store.home), "PYTHONUNBUFFERED": "1"}
        self.env.pop("MLSTEWARD_TRACKING_URI", None)
        self.log_path = Path(tempfile.mkdtemp(prefix="mlsteward-stream-")) / "stream.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> StreamProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no batch finished, no log flushed, nothing acknowledged on the way out."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def terminate(self, timeout: float = 60.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)
