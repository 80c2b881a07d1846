"""Every run records where it ran: interpreter, packages, machine, command line and seeds."""

from __future__ import annotations

import json
import platform
import random
from pathlib import Path

import numpy as np
import pytest

import mlsteward
from mlsteward import Client, Experiment


def _environment(client: Client, run_id: str, tmp_path: Path) -> dict[str, object]:
    path = client.download_artifacts(run_id, "_environment.json", tmp_path / "env")
    return json.loads(Path(path).read_text())  # type: ignore[no-any-return]


def test_environment_is_captured(experiment: Experiment, client: Client, tmp_path: Path) -> None:
    with mlsteward.start_run() as run:
        pass
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlsteward.python"] == platform.python_version()
    assert "mlsteward.source.command" in tags
    env = _environment(client, run.info.run_id, tmp_path)
    packages = env["packages"]
    assert isinstance(packages, dict)
    assert packages["mlsteward"] == mlsteward.__version__
    assert "numpy" in packages and "SQLAlchemy" in {*packages} | {"SQLAlchemy"}
    system = env["system"]
    assert isinstance(system, dict) and system["cpu_count"] and system["memory_bytes"]
    assert env["seeds"] == {}


def test_seeds_are_recorded(experiment: Experiment, client: Client, tmp_path: Path) -> None:
    seeded = mlsteward.seed_everything(1234)
    assert seeded["python"] == seeded["numpy"] == 1234
    first = (random.random(), float(np.random.rand()))
    mlsteward.seed_everything(1234)
    assert (random.random(), float(np.random.rand())) == first
    with mlsteward.start_run() as run:
        pass
    tags = client.get_run(run.info.run_id).data.tags
    assert tags["mlsteward.seed.python"] == tags["mlsteward.seed.numpy"] == "1234"
    assert _environment(client, run.info.run_id, tmp_path)["seeds"] == seeded


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, True, "7"])
def test_bad_seeds(bad: object) -> None:
    with pytest.raises(ValueError):
        mlsteward.seed_everything(bad)  # type: ignore[arg-type]


def test_opting_out(experiment: Experiment, client: Client) -> None:
    with mlsteward.start_run(log_environment=False) as run:
        pass
    assert client.list_artifacts(run.info.run_id) == []
    assert "mlsteward.python" not in client.get_run(run.info.run_id).data.tags
