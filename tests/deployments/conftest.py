"""Deployment fixtures: an empty database for migration tests, registered model versions with
the signatures a test gives, a local client, and a CLI runner."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward.domain.errors import NotFoundError
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.testing.postgres import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (SQLite file or a fresh PostgreSQL database) for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrating.db'}"
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def columns(**dtypes: str) -> dict[str, object]:
    """A columns schema: ``columns(income="float64", region="string")``."""
    return {"type": "columns", "columns": [{"name": n, "dtype": d} for n, d in dtypes.items()]}


#: The signature most tests deploy first.
CHURN_INPUTS = columns(income="float64", tenure="int64")
CHURN_OUTPUTS = columns(prediction="int64")


def register_version(
    client: Client,
    name: str,
    inputs: Mapping[str, object] | None = CHURN_INPUTS,
    outputs: Mapping[str, object] | None = CHURN_OUTPUTS,
) -> int:
    """A new version of ``name`` registered from a run holding a model manifest with this
    signature (``inputs`` None: a model file without a manifest, so no signature)."""
    experiment = f"deploy-{uuid.uuid4().hex[:10]}"
    run_id = client.create_run(client.create_experiment(experiment)).info.run_id
    if inputs is None:
        client.log_text(run_id, "weights", "model/model.bin")
    else:
        manifest = {"signature": {"inputs": dict(inputs), "outputs": outputs}}
        client.log_text(run_id, json.dumps(manifest), "model/MLmodel.json")
    try:
        client.get_registered_model(name)
    except NotFoundError:
        client.create_registered_model(name)
    return int(client.create_model_version(name, f"runs:/{run_id}/model").version)


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'deployments.db'}"


@pytest.fixture
def client(store_uri: str) -> Iterator[Client]:
    """A client on a fresh SQLite store (the in-process door)."""
    yield Client(store_uri, user="alice")
    close_backends()


Cli = Callable[..., Result]


@pytest.fixture
def cli(store_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """``mlsteward ...`` through Typer's CliRunner against the ``client`` fixture's store."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, ["--tracking-uri", store_uri, *args])

    yield run
    close_backends()
