"""The deployment routes of a real ``mlsteward server`` process on 127.0.0.1: the SDK over
HTTP, raw requests (bad input refused with 4xx and nothing changed), and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mlsteward.domain.deployments import RouteTarget, ServingPlan
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.testing.server_process import running_server

from .conftest import columns, register_version

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("deployments-server")
    with running_server(root / "d.db", root / "artifacts") as url:
        yield str(url)


@pytest.fixture(scope="module")
def seeded(server: str) -> str:
    """The server with ``churn`` versions 1 (behind ``champion``) and 2 (the same
    signature) registered."""
    client = Client(server, user="alice")
    register_version(client, "churn")
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    close_backends()
    return server


@pytest.fixture
def remote(seeded: str) -> Iterator[Client]:
    """The SDK over HTTP, acting as alice."""
    yield Client(seeded, user="alice")
    close_backends()


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server}/api/v1", timeout=60) as client:
        yield client


def test_the_sdk_over_http_follows_an_alias(remote: Client) -> None:
    made = remote.deployments.create("http-api", "models:/churn@champion", reason="launch")
    assert remote.deployments.get("http-api") == made
    assert remote.deployments.plan("http-api").routes == (RouteTarget("stable", "churn", 1, 1.0),)
    remote.set_registered_model_alias("churn", "champion", 2)
    try:
        assert remote.deployments.plan("http-api").routes[0].version == 2
    finally:
        remote.set_registered_model_alias("churn", "champion", 1)
    remote.deployments.update("http-api", reason="scale out", replicas=3)
    newest = remote.deployments.history("http-api")[0]
    assert (newest.revision, newest.actor, newest.reason) == (2, "alice", "scale out")


def test_the_plan_route_answers_a_serving_plan(remote: Client, api: httpx.Client) -> None:
    remote.deployments.create("plan-api", "models:/churn/2", max_wait_ms=0.5)
    response = api.get("/deployments/plan-api/plan")
    assert response.status_code == 200
    plan = ServingPlan.from_dict(response.json())
    assert plan == remote.deployments.plan("plan-api")
    assert (plan.routes[0].version, plan.batching.max_wait_ms) == (2, 0.5)


def test_bad_input_is_refused_and_changes_nothing(remote: Client, api: httpx.Client) -> None:
    remote.deployments.create("bad-api", "models:/churn/1")
    bad = [
        api.post("/deployments", json={"name": "Bad", "model_uri": "models:/churn/1"}),
        api.post("/deployments", json={"name": "x", "model_uri": "models:/ghost@champion"}),
        api.post("/deployments", json={"name": "x", "model_uri": "models:/churn/1", "eval": 1}),
        api.post("/deployments", content=b"not json", headers={"content-type": "application/json"}),
        api.patch("/deployments/bad-api", json={"replicas": 2}),
        api.patch("/deployments/bad-api", json={"reason": "r", "replicas": 0}),
        api.delete("/deployments/bad-api"),
    ]
    assert [r.status_code for r in bad] == [400] * len(bad), [r.text for r in bad]
    assert all("message" in r.json() or "error" in r.json() for r in bad)
    assert api.get("/deployments/nope").status_code == 404
    assert api.get("/deployments/nope/plan").status_code == 404
    taken = {"name": "bad-api", "model_uri": "models:/churn/1"}
    assert api.post("/deployments", json=taken).status_code == 409
    assert remote.deployments.get("bad-api").revision == 1
    assert "x" not in [d.name for d in remote.deployments.list()]


def test_an_incompatible_model_is_refused_over_http(remote: Client, api: httpx.Client) -> None:
    remote.deployments.create("strict-api", "models:/churn/1")
    version = register_version(remote, "churn", columns(income="string", tenure="int64"))
    response = api.patch(
        "/deployments/strict-api",
        json={"reason": "text incomes", "model_uri": f"models:/churn/{version}"},
    )
    assert response.status_code == 400
    assert "input 'income' changes dtype float64 -> string" in response.text
    with pytest.raises(InvalidArgumentError, match="changes dtype float64 -> string"):
        remote.deployments.update(
            "strict-api", reason="text incomes", model_uri=f"models:/churn/{version}"
        )
    assert remote.deployments.get("strict-api").model_uri == "models:/churn/1"


def test_the_cli_talks_to_the_server(remote: Client, server: str) -> None:
    remote.deployments.create("cli-api", "models:/churn@champion")
    result = CliRunner().invoke(
        app, ["--tracking-uri", server, "deployments", "plan", "cli-api", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"version": 1' in result.output
