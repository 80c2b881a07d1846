"""Fixtures for the data-plane tests: a store with registered models, and ``mlsteward serve``
processes on 127.0.0.1.

The store is built once per module (logging and registering models takes seconds); each
module gets its own, under its own home, so the tests stay independent of ``~/.mlsteward``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import mlsteward
from mlsteward.interfaces.sdk import fluent
from mlsteward.models import log_model
from mlsteward.testing.server_process import free_port

from . import fault_models

cloudpickle.register_pickle_by_value(fault_models)  # the server need not import the tests

RNG = np.random.default_rng(7)
X = RNG.normal(size=(300, 4)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
FRAME = pd.DataFrame(
    {
        "age": RNG.integers(18, 80, size=300).astype(np.int64),
        "income": RNG.normal(50, 15, size=300),
        "region": RNG.choice(["north", "south", "east"], size=300),
    }
)
FRAME_Y = ((FRAME["income"] > 50) ^ (FRAME["region"] == "east")).astype(np.int64).to_numpy()
_START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Store:
    """A local store with ``clf`` (versions 1 and 2, float32 tensor, ``champion`` -> 1),
    ``tab`` (columns: age int64, income float64, region string) and ``faulty``."""

    uri: str
    home: Path
    clf: tuple[LogisticRegression, LogisticRegression]
    tab: Pipeline

    @property
    def log_root(self) -> str:
        return str(Path(self.uri) / "artifacts" / "predictions")

    def client(self) -> mlsteward.Client:
        return mlsteward.Client(self.uri)


def _build_store(root: Path) -> Store:
    uri = str(root / "store")
    mlsteward.set_tracking_uri(uri)
    client = mlsteward.Client(uri)
    clfs = []
    for c in (1.0, 0.01):
        model = LogisticRegression(C=c).fit(X, Y)
        with mlsteward.start_run():
            info = log_model(model, "model", input_example=X[:3])
        mlsteward.register_model(info.model_uri, "clf")
        clfs.append(model)
    client.set_registered_model_alias("clf", "champion", 1)
    tab = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("region", OneHotEncoder(handle_unknown="ignore"), ["region"])],
                    remainder="passthrough",
                ),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    ).fit(FRAME, FRAME_Y)
    with mlsteward.start_run():
        info = log_model(tab, "model", input_example=FRAME.head(3))
    mlsteward.register_model(info.model_uri, "tab")
    with mlsteward.start_run():
        info = log_model(fault_models.Sentinel(), "model", input_example=np.zeros((2, 3)))
    mlsteward.register_model(info.model_uri, "faulty")
    mlsteward.set_tracking_uri(None)
    return Store(uri, root / "home", (clfs[0], clfs[1]), tab)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("serving")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_HOME", str(root / "home"))
        for name in ("MLSTEWARD_TRACKING_URI", "MLSTEWARD_ARTIFACTS_URI", "MLSTEWARD_USER"):
            patch.delenv(name, raising=False)
        fluent.reset()
        try:
            yield _build_store(root)
        finally:
            fluent.reset()


class DataPlaneProcess:
    """``mlsteward serve ...`` in a subprocess on a free port; stopped by its PID."""

    def __init__(self, args: Sequence[str], home: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.args = [*args, "--port", str(self.port)]
        self.env = {
            **os.environ,
            "MLSTEWARD_HOME": str(home),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("MLSTEWARD_TRACKING_URI", None)
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_dir = Path(tempfile.mkdtemp(prefix="mlsteward-serve-"))
        self.log_path = self._log_dir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait_ready: bool = True) -> DataPlaneProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mlsteward", "serve", *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        if wait_ready:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"mlsteward serve exited:\n{self.output()}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.url}/v2/health/ready").status_code == 200:
                        return
                time.sleep(0.05)
        raise RuntimeError(f"mlsteward serve not ready:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait for the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(15)


@contextlib.contextmanager
def serving(
    store: Store, target: str, *extra: str, env: dict[str, str] | None = None
) -> Iterator[DataPlaneProcess]:
    """A running data plane for ``target`` on ``store``'s tracking URI."""
    plane = DataPlaneProcess([target, "--tracking-uri", store.uri, *extra], store.home, env)
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()
