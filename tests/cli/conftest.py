"""Fixtures for CLI tests: an isolated home, a seeded store and an in-process runner."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward import Client, Metric, Param, RunTag
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.tracking_uri import close_backends

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def plain_terminal(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """On top of the suite's isolated home: no colours and Rich's default width for pipes."""
    for name in ("FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield isolated_home
    close_backends()


@pytest.fixture
def invoke() -> Invoke:
    """Run ``mlsteward ARGS...`` in-process; stdout and stderr stay separate."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env)

    return run


@dataclass(frozen=True)
class Seeded:
    uri: str
    experiment_id: str
    alpha: str
    beta: str
    child: str


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """A store with experiment ``demo``: runs alpha and beta, and a child run of alpha."""
    uri = f"sqlite:///{tmp_path / 'store' / 'mlsteward.db'}"
    client = Client(uri)
    experiment_id = client.create_experiment("demo", tags={"team": "vision"})
    ids = []
    for name, lr, accuracy, loss in (
        ("alpha", "0.1", 0.91, 0.25),
        ("beta", "0.01", 0.84, math.nan),
    ):
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        client.log_batch(
            run_id,
            metrics=[
                Metric("accuracy", accuracy - 0.1, 1_700_000_000_000, 0),
                Metric("accuracy", accuracy, 1_700_000_001_000, 1),
                Metric("loss", loss, 1_700_000_001_000, 1),
            ],
            params=[Param("lr", lr), Param("epochs", "10")],
            tags=[RunTag("owner", "ada")],
        )
        ids.append(run_id)
    client.log_text(ids[0], '{"ok": true}', "report.json")
    client.log_text(ids[0], "weights", "model/weights.bin")
    client.log_text(ids[0], "config", "model/config/params.yaml")
    child = client.create_run(experiment_id, run_name="alpha-fold-1", parent_run_id=ids[0])
    for run_id in (*ids, child.info.run_id):
        client.set_terminated(run_id)
    return Seeded(uri, experiment_id, ids[0], ids[1], child.info.run_id)
