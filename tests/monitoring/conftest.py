"""Monitoring fixtures: a service context on SQLite or PostgreSQL, data, a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import mlsteward
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.server_process import running_server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (SQLite file or a fresh PostgreSQL database) for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


class Clock:
    """A clock tests move by hand, so schedules never depend on real time."""

    def __init__(self, now: int = 1_700_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(tmp_path: Path, clock: Clock) -> Iterator[ServiceContext]:
    """A context over a fresh SQLite store (service tests; storage tests use ``store_url``)."""
    stores = open_store(f"sqlite:///{tmp_path / 'svc.db'}")
    try:
        blobs = open_blob_store(str(tmp_path / "blobs"))
        yield ServiceContext("tester", stores, blobs, clock, outbound=OutboundAccess.unrestricted())
    finally:
        stores.close()


def frames(n: int = 2000, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n) + shift,
            "y": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "ts": pd.date_range("2024-01-01", periods=n, freq="h"),
        }
    )


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every JSON body posted to it."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(
                    {"path": self.path, "body": json.loads(self.rfile.read(length) or b"null")}
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    try:
        yield hook
    finally:
        hook.close()


Cli = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """``mlsteward ...`` through Typer's CliRunner against a fresh SQLite store."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--tracking-uri", uri, *args])

    yield run
    close_backends()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlsteward server`` process per test module."""
    root: Path = tmp_path_factory.mktemp("monitoring-server")
    # Test files live under pytest's base temp folder: the server may read monitors there.
    allowed = str(tmp_path_factory.getbasetemp())
    # Webhooks go to the test's receiver on this host.
    args = ["--monitor-data-root", allowed, "--webhook-host", "127.0.0.1:*"]
    with running_server(root / "m.db", root / "artifacts", extra_args=args) as url:
        yield str(url)


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server}/api/v1/monitoring", timeout=60) as client:
        yield client


@pytest.fixture
def remote(server: str) -> Iterator[str]:
    """The SDK pointed at the server for one test."""
    mlsteward.set_tracking_uri(server)
    yield server
    close_backends()
