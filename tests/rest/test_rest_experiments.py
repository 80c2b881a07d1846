"""``/api/v1/experiments`` against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

ExpectError = Callable[[httpx.Response, int, str], str]

pytestmark = pytest.mark.server


def _name() -> str:
    return f"exp-{uuid.uuid4().hex[:12]}"


def test_create_get_and_list(api: httpx.Client) -> None:
    name = _name()
    created = api.post("/experiments", json={"name": name, "tags": {"team": "vision"}})
    assert created.status_code == 201
    experiment = created.json()
    assert experiment["name"] == name
    assert experiment["tags"] == {"team": "vision"}
    assert experiment["lifecycle_stage"] == "active"

    fetched = api.get(f"/experiments/{experiment['experiment_id']}")
    assert fetched.json() == experiment
    listed = api.get("/experiments").json()["experiments"]
    assert experiment["experiment_id"] in {e["experiment_id"] for e in listed}


def test_by_name_and_get_or_create(api: httpx.Client, expect_error: ExpectError) -> None:
    name = _name() + "/with slash and ..dots"
    expect_error(api.get("/experiments/by-name", params={"name": name}), 404, "NOT_FOUND")
    first = api.post("/experiments/get-or-create", json={"name": name})
    assert first.status_code == 200
    again = api.post("/experiments/get-or-create", json={"name": name})
    assert again.json()["experiment_id"] == first.json()["experiment_id"]
    by_name = api.get("/experiments/by-name", params={"name": name})
    assert by_name.json()["experiment_id"] == first.json()["experiment_id"]


def test_delete_restore_and_tags(api: httpx.Client, experiment_id: str) -> None:
    assert api.delete(f"/experiments/{experiment_id}").status_code == 204
    assert api.get(f"/experiments/{experiment_id}").json()["lifecycle_stage"] == "deleted"
    active = {e["experiment_id"] for e in api.get("/experiments").json()["experiments"]}
    assert experiment_id not in active
    everything = api.get("/experiments", params={"include_deleted": "true"}).json()
    assert experiment_id in {e["experiment_id"] for e in everything["experiments"]}

    assert api.post(f"/experiments/{experiment_id}/restore").status_code == 204
    assert api.get(f"/experiments/{experiment_id}").json()["lifecycle_stage"] == "active"

    tagged = api.post(f"/experiments/{experiment_id}/tags", json={"key": "owner", "value": "ana"})
    assert tagged.status_code == 204
    assert api.get(f"/experiments/{experiment_id}").json()["tags"]["owner"] == "ana"


def test_experiment_errors(
    api: httpx.Client, experiment_id: str, expect_error: ExpectError
) -> None:
    unknown = uuid.uuid4().hex
    expect_error(api.get(f"/experiments/{unknown}"), 404, "NOT_FOUND")
    expect_error(api.delete(f"/experiments/{unknown}"), 404, "NOT_FOUND")
    expect_error(api.post(f"/experiments/{unknown}/restore"), 404, "NOT_FOUND")
    name = api.get(f"/experiments/{experiment_id}").json()["name"]
    expect_error(api.post("/experiments", json={"name": name}), 409, "ALREADY_EXISTS")
    expect_error(api.post("/experiments", json={"name": "  "}), 400, "INVALID_ARGUMENT")
    expect_error(api.post("/experiments", json={"name": "x" * 1000}), 400, "INVALID_ARGUMENT")
    message = expect_error(api.post("/experiments", json={}), 400, "INVALID_ARGUMENT")
    assert "name" in message
    bad_tag = {"key": "../escape", "value": "v"}
    expect_error(
        api.post(f"/experiments/{experiment_id}/tags", json=bad_tag), 400, "INVALID_ARGUMENT"
    )

    api.delete(f"/experiments/{experiment_id}")
    expect_error(
        api.post("/experiments/get-or-create", json={"name": name}), 400, "INVALID_ARGUMENT"
    )
    run = api.post("/runs", json={"experiment_id": experiment_id})
    expect_error(run, 404, "NOT_FOUND")
