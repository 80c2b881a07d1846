"""SDK fixtures: every SDK test runs against a local store and against a real server process."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlsteward
from mlsteward import Experiment


def server_process_missing() -> str | None:
    """Why the 'server' variant cannot run yet, or None when it can."""
    if importlib.util.find_spec("mlsteward.testing.server_process") is None:
        return "mlsteward.testing.server_process is not available yet"
    return None


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server process for the session's SDK tests (each test uses its own experiment)."""
    reason = server_process_missing()
    if reason:
        pytest.skip(reason)
    from mlsteward.testing.server_process import running_server

    root = tmp_path_factory.mktemp("server")
    with running_server(str(root / "store"), str(root / "artifacts")) as url:
        yield str(url)


@pytest.fixture(params=["local", pytest.param("server", marks=pytest.mark.server)])
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URI the SDK is pointed at: a fresh local store, or the shared server."""
    if request.param == "local":
        uri = str(tmp_path / "local-store")
    else:
        uri = request.getfixturevalue("shared_server")
    mlsteward.set_tracking_uri(uri)
    return uri


@pytest.fixture
def experiment(tracking_uri: str, request: pytest.FixtureRequest) -> Experiment:
    """A new experiment of this test's own, made the current one."""
    name = f"{request.node.name[:150]}-{uuid.uuid4().hex[:8]}"
    return mlsteward.set_experiment(name)


@pytest.fixture
def client(tracking_uri: str) -> mlsteward.Client:
    return mlsteward.Client(tracking_uri)
