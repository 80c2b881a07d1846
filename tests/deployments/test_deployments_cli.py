"""``mlsteward deployments ...`` against a local store: create, list, show, update with a
reason, history, plan, delete, and a refused incompatible model."""

from __future__ import annotations

import json

import pytest

from mlsteward.interfaces.sdk.client import Client

from .conftest import Cli, columns, register_version


@pytest.fixture
def churn(client: Client) -> str:
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    return "churn"


def test_the_life_of_a_deployment(cli: Cli, client: Client, churn: str) -> None:
    made = cli(
        "deployments", "create", "churn-api", "--model", "models:/churn@champion",
        "--replicas", "2", "--max-batch-size", "64", "--log-sample-rate", "0.5",
        "--reason", "first release",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "churn-api" in made.output and "models:/churn@champion" in made.output

    listed = cli("deployments", "list")
    assert "churn-api" in listed.output and "models:/churn@champion" in listed.output

    updated = cli("deployments", "update", "churn-api", "--replicas", "4", "--reason", "peak")
    assert updated.exit_code == 0, updated.output

    shown = json.loads(cli("deployments", "show", "churn-api", "--json").output)
    assert (shown["replicas"], shown["revision"], shown["batching"]["max_batch_size"]) == (
        4,
        2,
        64,
    )

    history = cli("deployments", "history", "churn-api")
    assert history.exit_code == 0, history.output
    assert "peak" in history.output and "replicas: 2 -> 4" in history.output
    assert "first release" in history.output

    plan = cli("deployments", "plan", "churn-api")
    assert plan.exit_code == 0, plan.output
    assert "stable" in plan.output and "revision 2" in plan.output
    planned = json.loads(cli("deployments", "plan", "churn-api", "--json").output)
    assert planned["routes"] == [
        {"route": "stable", "model_name": "churn", "version": 1, "weight": 1.0}
    ]

    deleted = cli("deployments", "delete", "churn-api", "--reason", "retired")
    assert deleted.exit_code == 0, deleted.output
    assert "No deployments." in cli("deployments", "list").output
    events = json.loads(cli("deployments", "history", "churn-api", "--json").output)
    assert [e["action"] for e in events] == ["delete", "update", "create"]


def test_an_incompatible_model_is_refused_with_the_differences(
    cli: Cli, client: Client, churn: str
) -> None:
    assert cli("deployments", "create", "churn-api", "--model", "models:/churn/1").exit_code == 0
    register_version(client, "churn", columns(income="float64"))
    refused = cli(
        "deployments", "update", "churn-api", "--model", "models:/churn/2", "--reason", "v2"
    )
    assert refused.exit_code == 1
    assert "input 'tenure' is dropped" in refused.output


def test_update_without_a_reason_is_a_usage_error(cli: Cli, churn: str) -> None:
    assert cli("deployments", "create", "churn-api", "--model", "models:/churn/1").exit_code == 0
    result = cli("deployments", "update", "churn-api", "--replicas", "2")
    assert result.exit_code == 2
    assert "--reason" in result.output
