"""``mlsteward server`` as a real process, and ``mlsteward sync`` delivering to it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlsteward import Client, Metric
from mlsteward.interfaces.sdk.spool import Spool
from mlsteward.services.api import wire
from mlsteward.testing.server_process import cli_server, free_port

from .conftest import Invoke

pytestmark = pytest.mark.server


@pytest.fixture
def server_url(tmp_path: Path, isolated_home: Path) -> Iterator[str]:
    """``mlsteward server --upgrade`` on a fresh store, stopped with Ctrl-C afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSTEWARD_")}
    env.update(MLSTEWARD_HOME=str(isolated_home), NO_COLOR="1")
    log_path = tmp_path / "server.log"
    args = ["--upgrade", "--store-uri", str(tmp_path / "server" / "mlsteward.db")]
    args += ["--artifacts-uri", str(tmp_path / "server" / "artifacts")]
    with cli_server(args, env=env, log_path=log_path) as url:
        yield url
    assert f"mlsteward server on {url}" in log_path.read_text()


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
    unreachable = f"http://127.0.0.1:{free_port()}"
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
    port = str(free_port())
    result = invoke("server", "--port", port, "--store-uri", str(store), "--no-upgrade")
    assert result.exit_code == 1
    assert "mlsteward db upgrade" in result.stderr
    assert "mlsteward server on" not in result.output
    assert "Traceback" not in result.output
