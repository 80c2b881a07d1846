"""Rollouts through a real ``mlsteward server`` process (the SDK over HTTP and raw requests:
bad input refused with 4xx and nothing changed) and through the CLI on a local store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mlsteward.domain.deployments import RouteTarget
from mlsteward.domain.errors import ConflictError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.testing.server_process import running_server

from .conftest import Cli, register_version


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root: Path = tmp_path_factory.mktemp("rollouts-server")
    with running_server(root / "r.db", root / "artifacts") as url:
        client = Client(str(url), user="alice")
        register_version(client, "churn")
        register_version(client, "churn")
        client.set_registered_model_alias("churn", "champion", 1)
        close_backends()
        yield str(url)


@pytest.mark.server
def test_rollouts_over_http(server: str) -> None:
    remote = Client(server, user="alice")
    try:
        remote.deployments.create("http-roll", "models:/churn@champion", reason="launch")
        with httpx.Client(base_url=f"{server}/api/v1", timeout=60) as api:
            path = "/deployments/http-roll/rollout"
            for body in (
                {"version": 2, "reason": "x", "strategy": "yolo"},
                {"version": 2, "reason": "x", "steps": [0.5, 0.1]},
                {"version": 2, "reason": "x", "criteria": {"max_error_rate": 2}},
                {"version": 2, "reason": "x", "criteria": {"nope": 1}},
                {"version": 2},
            ):
                response = api.post(path, json=body)
                assert response.status_code in (400, 422), response.text
                assert "error" in response.json() or "detail" in response.json()
            assert api.post(path + "/promote", json={"reason": "x"}).status_code == 409
        assert remote.deployments.get("http-roll").rollout is None
        started = remote.deployments.rollout(
            "http-roll", 2, steps=[0.2, 1.0], sticky_key="header:X-User", reason="try v2"
        )
        assert started.rollout is not None and started.rollout.weight == 0.2
        plan = remote.deployments.plan("http-roll")
        assert plan.routes[1] == RouteTarget("canary", "churn", 2, 0.2)
        assert plan.sticky_key == "header:x-user"
        assert remote.deployments.pause("http-roll", reason="hold").rollout.state == "paused"  # type: ignore[union-attr]
        assert remote.deployments.resume("http-roll", reason="go").rollout.state == "progressing"  # type: ignore[union-attr]
        # No answers logged yet: the analysis waits.
        assert remote.deployments.analyze("http-roll").rollout.state == "progressing"  # type: ignore[union-attr]
        done = remote.deployments.promote("http-roll", reason="looks good")
        assert done.rollout is not None and done.rollout.state == "promoted"
        assert remote.get_registered_model("churn").aliases["champion"] == 2
        with pytest.raises(ConflictError):
            remote.deployments.rollback("http-roll", reason="too late")
        actions = [e.action for e in remote.deployments.history("http-roll")]
        assert actions[:5] == ["promote", "resume", "pause", "rollout", "create"]
    finally:
        close_backends()


def test_rollouts_from_the_cli(client: Client, cli: Cli) -> None:
    register_version(client, "churn")
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    client.deployments.create("cli-roll", "models:/churn@champion", reason="launch")
    started = cli(
        "deployments", "rollout", "cli-roll", "--version", "2", "--steps", "10,50,100",
        "--interval", "30", "--no-drift", "--reason", "try v2",
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    assert "canary of churn version 2 (stable 1) progressing, step 1 of 3" in started.output
    assert "candidate traffic 10%" in started.output
    paused = cli("deployments", "pause", "cli-roll", "--reason", "hold", "--json")
    assert paused.exit_code == 0, paused.output
    rollout = json.loads(paused.output)["rollout"]
    assert rollout["state"] == "paused" and rollout["criteria"]["check_drift"] is False
    assert rollout["steps"] == [0.1, 0.5, 1.0] and rollout["criteria"]["interval_s"] == 30
    back = cli("deployments", "rollback", "cli-roll", "--reason", "no")
    assert back.exit_code == 0 and "rolled_back" in back.output
    again = cli("deployments", "promote", "cli-roll", "--reason", "x")
    assert again.exit_code != 0 and "no rollout under way" in again.output
    history = cli("deployments", "history", "cli-roll")
    assert history.exit_code == 0 and "rollback" in history.output
