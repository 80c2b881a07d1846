"""``mlsteward server`` as a real process, and ``mlsteward sync`` delivering to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward import Client, Metric
from mlsteward.interfaces.rest import wire
from mlsteward.interfaces.sdk.spool import Spool

from .conftest import Invoke

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_url(tmp_path: Path, isolated_home: Path) -> Iterator[str]:
    """``mlsteward server --upgrade`` on a fresh store, stopped with Ctrl-C afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSTEWARD_")}
    env.update(MLSTEWARD_HOME=str(isolated_home), NO_COLOR="1")
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "-m", "mlsteward", "server", "--port", str(port), "--upgrade"]
    command += ["--store-uri", str(tmp_path / "server" / "mlsteward.db")]
    command += ["--artifacts-uri", str(tmp_path / "server" / "artifacts")]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited early:\n{(tmp_path / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert f"mlsteward server on {url}" in (tmp_path / "server.log").read_text()


def test_cli_reads_through_the_server_and_sync_delivers(invoke: Invoke, server_url: str) -> None:
    result = invoke("experiments", "create", "remote", "-t", server_url)
    assert result.exit_code == 0, result.output
    client = Client(server_url)
    experiment = client.get_experiment_by_name("remote")
    assert experiment is not None
    run_id = client.create_run(experiment.experiment_id, run_name="offline").info.run_id

    result = invoke("runs", "show", "0" * 32, "-t", server_url)
    assert result.exit_code == 1
    assert "Error: No run with id" in result.stderr

    # A batch that could not reach the server earlier, as the SDK spools it.
    points = [Metric("loss", 0.5, 1_700_000_000_000, 1), Metric("loss", 0.25, 1_700_000_000_000, 2)]
    body = {"idempotency_key": uuid.uuid4().hex, "metrics": wire.metric_columns(points)}
    Spool(server_url).add(run_id, body)

    result = invoke("sync", "-t", server_url)
    assert result.exit_code == 0, result.output
    assert "Delivered 1 spooled batch" in result.stdout
    assert [(p.step, p.value) for p in client.get_metric_history(run_id, "loss")] == [
        (1, 0.5),
        (2, 0.25),
    ]
    result = invoke("sync", "-t", server_url)
    assert "Nothing to deliver" in result.stdout

    listed = invoke("runs", "list", "-t", server_url, "-e", "remote")
    assert run_id in listed.stdout


def test_sync_reports_batches_a_server_cannot_take(invoke: Invoke) -> None:
    unreachable = f"http://127.0.0.1:{_free_port()}"
    Spool(unreachable).add("0" * 32, {"idempotency_key": uuid.uuid4().hex})
    result = invoke("sync")
    assert result.exit_code == 1
    assert "1 batch(es) still waiting" in result.stderr
    assert unreachable in result.stderr


def test_server_refuses_a_database_not_at_head_without_upgrade(
    invoke: Invoke, tmp_path: Path
) -> None:
    """An older schema waits for ``db upgrade`` (a brand-new database would get the schema)."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from mlsteward.storage.sql.schema import _config

    store = tmp_path / "old.db"
    oldest = list(ScriptDirectory.from_config(_config()).walk_revisions())[-1].revision
    engine = create_engine(f"sqlite:///{store}")
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, oldest)
    engine.dispose()
    port = str(_free_port())
    result = invoke("server", "--port", port, "--store-uri", str(store), "--no-upgrade")
    assert result.exit_code == 1
    assert "mlsteward db upgrade" in result.stderr
    assert "mlsteward server on" not in result.output
    assert "Traceback" not in result.output
