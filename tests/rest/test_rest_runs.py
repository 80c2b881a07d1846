"""``/api/v1/runs``: lifecycle, batched logging, metric histories and search."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.server

ExpectError = Callable[[httpx.Response, int, str], str]


def _columns(key: str, values: list[Any], start_step: int = 0) -> dict[str, Any]:
    return {
        "keys": [key] * len(values),
        "values": values,
        "timestamps": [1_700_000_000_000 + i for i in range(len(values))],
        "steps": list(range(start_step, start_step + len(values))),
    }


def _history(api: httpx.Client, run_id: str, key: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/runs/{run_id}/metrics/history", params={"key": key, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_run_lifecycle(api: httpx.Client, experiment_id: str, expect_error: ExpectError) -> None:
    created = api.post(
        "/runs",
        json={
            "experiment_id": experiment_id,
            "run_name": "first",
            "tags": {"stage": "dev"},
            "start_time": 1234,
        },
        headers={"X-Mlsteward-User": "ana"},
    )
    assert created.status_code == 201
    run = created.json()
    run_id = run["info"]["run_id"]
    assert run["info"]["user_id"] == "ana"
    assert run["info"]["run_name"] == "first"
    assert run["info"]["start_time"] == 1234
    assert run["data"]["tags"]["stage"] == "dev"
    anonymous = api.post("/runs", json={"experiment_id": experiment_id}).json()
    assert anonymous["info"]["user_id"] == "anonymous"

    child = api.post("/runs", json={"experiment_id": experiment_id, "parent_run_id": run_id})
    assert child.json()["info"]["parent_run_id"] == run_id

    renamed = api.patch(f"/runs/{run_id}", json={"run_name": "renamed"})
    assert renamed.json()["run_name"] == "renamed"
    ended = api.patch(f"/runs/{run_id}", json={"status": "FINISHED"})
    assert ended.json()["status"] == "FINISHED"
    assert ended.json()["end_time"] is not None

    assert api.delete(f"/runs/{run_id}/tags", params={"key": "stage"}).status_code == 204
    assert "stage" not in api.get(f"/runs/{run_id}").json()["data"]["tags"]

    assert api.delete(f"/runs/{run_id}").status_code == 204
    assert api.get(f"/runs/{run_id}").json()["info"]["lifecycle_stage"] == "deleted"
    batch = {"params": [{"key": "p", "value": "1"}]}
    expect_error(api.post(f"/runs/{run_id}/log-batch", json=batch), 404, "NOT_FOUND")
    assert api.post(f"/runs/{run_id}/restore").status_code == 204
    assert api.get(f"/runs/{run_id}").json()["info"]["lifecycle_stage"] == "active"


def test_run_errors(api: httpx.Client, run_id: str, expect_error: ExpectError) -> None:
    unknown = uuid.uuid4().hex
    expect_error(api.get(f"/runs/{unknown}"), 404, "NOT_FOUND")
    expect_error(api.patch(f"/runs/{unknown}", json={"status": "FAILED"}), 404, "NOT_FOUND")
    expect_error(api.delete(f"/runs/{unknown}"), 404, "NOT_FOUND")
    expect_error(api.post(f"/runs/{unknown}/restore"), 404, "NOT_FOUND")
    expect_error(api.get(f"/runs/{unknown}/metrics/keys"), 404, "NOT_FOUND")
    expect_error(api.post("/runs", json={"experiment_id": unknown}), 404, "NOT_FOUND")
    message = expect_error(
        api.patch(f"/runs/{run_id}", json={"status": "SLEEPING"}), 400, "INVALID_ARGUMENT"
    )
    assert "SLEEPING" in message
    message = expect_error(
        api.patch(f"/runs/{run_id}", json={"end_time": "soon"}), 400, "INVALID_ARGUMENT"
    )
    assert "end_time" in message
    expect_error(api.delete(f"/runs/{run_id}/tags"), 400, "INVALID_ARGUMENT")


def test_log_batch_columns_and_points(api: httpx.Client, run_id: str) -> None:
    columns = api.post(
        f"/runs/{run_id}/log-batch",
        json={
            "metrics": _columns("loss", [0.9, 0.5, 0.25]),
            "params": [{"key": "lr", "value": "0.01"}],
            "tags": [{"key": "phase", "value": "train"}],
        },
    )
    assert columns.json() == {"applied": True}
    points = api.post(
        f"/runs/{run_id}/log-batch",
        json={"metrics": [{"key": "acc", "value": 0.5, "timestamp": 1, "step": 3}]},
    )
    assert points.status_code == 200
    run = api.get(f"/runs/{run_id}").json()
    assert run["data"]["params"] == {"lr": "0.01"}
    assert run["data"]["tags"]["phase"] == "train"
    assert run["data"]["metrics"] == {"loss": 0.25, "acc": 0.5}
    assert api.get(f"/runs/{run_id}/metrics/keys").json() == {"keys": ["acc", "loss"]}
    history = _history(api, run_id, "loss")
    assert history["values"] == [0.9, 0.5, 0.25]
    assert history["steps"] == [0, 1, 2]


def test_idempotent_replay_changes_nothing(api: httpx.Client, run_id: str) -> None:
    body = {"metrics": _columns("loss", [1.0, 2.0]), "idempotency_key": uuid.uuid4().hex}
    assert api.post(f"/runs/{run_id}/log-batch", json=body).json() == {"applied": True}
    assert api.post(f"/runs/{run_id}/log-batch", json=body).json() == {"applied": False}
    assert _history(api, run_id, "loss")["values"] == [1.0, 2.0]


def test_non_finite_values_round_trip(api: httpx.Client, run_id: str) -> None:
    # (-0.0 is left out: SQLite stores it as 0.0, which is the store's business, not the wire's)
    values: list[Any] = ["NaN", "Infinity", "-Infinity", 1.5, 5e-324, 1.7976931348623157e308]
    values += [random.uniform(-1e6, 1e6) for _ in range(50)]
    api.post(f"/runs/{run_id}/log-batch", json={"metrics": _columns("v", values)})
    returned = _history(api, run_id, "v")["values"]
    assert returned[:3] == ["NaN", "Infinity", "-Infinity"]
    assert returned[3:] == values[3:]  # every finite float exactly as sent
    latest = api.get(f"/runs/{run_id}").json()["data"]["metrics"]["v"]
    assert latest == values[-1]
    api.post(f"/runs/{run_id}/log-batch", json={"metrics": _columns("n", ["NaN"])})
    assert api.get(f"/runs/{run_id}").json()["data"]["metrics"]["n"] == "NaN"


def test_log_batch_rejects_bad_input_and_changes_nothing(
    api: httpx.Client, run_id: str, expect_error: ExpectError
) -> None:
    path = f"/runs/{run_id}/log-batch"
    api.post(path, json={"params": [{"key": "lr", "value": "0.1"}]})
    conflict = {
        "params": [{"key": "lr", "value": "0.2"}],
        "metrics": _columns("loss", [1.0]),
    }
    message = expect_error(api.post(path, json=conflict), 409, "CONFLICT")
    assert "lr" in message
    bad_inputs: list[Any] = [
        {"metrics": _columns("../escape", [1.0])},
        {"metrics": _columns("loss", ["nan-ish"])},
        {"metrics": _columns("loss", [True])},
        {"metrics": {**_columns("loss", [1.0, 2.0]), "steps": [0]}},
        {"metrics": {**_columns("loss", [1.0]), "steps": [2**63]}},
        {"params": [{"key": "k" * 500, "value": "v"}]},
        {"params": [{"key": "ok", "value": "v" * 10_000}]},
        {"idempotency_key": ""},
        {"unknown_field": 1},
        [],
        "text",
    ]
    for body in bad_inputs:
        expect_error(api.post(path, json=body), 400, "INVALID_ARGUMENT")
    run = api.get(f"/runs/{run_id}").json()
    assert run["data"]["params"] == {"lr": "0.1"}
    assert run["data"]["metrics"] == {}


def test_metric_history_downsampling(
    api: httpx.Client, run_id: str, expect_error: ExpectError
) -> None:
    values = [float(i % 97) for i in range(2000)]
    values[1234] = 1e9  # a spike that downsampling must keep
    api.post(f"/runs/{run_id}/log-batch", json={"metrics": _columns("loss", values)})
    assert len(_history(api, run_id, "loss")["values"]) == 2000
    small = _history(api, run_id, "loss", max_points=100)
    assert 4 <= len(small["values"]) <= 100
    assert 1e9 in small["values"]
    expect_error(
        api.get(f"/runs/{run_id}/metrics/history", params={"key": "loss", "max_points": 2}),
        400,
        "INVALID_ARGUMENT",
    )
    expect_error(
        api.get(f"/runs/{run_id}/metrics/history", params={"key": "loss", "max_points": "x"}),
        400,
        "INVALID_ARGUMENT",
    )
    empty = _history(api, run_id, "never-logged")
    assert empty["values"] == []


def test_search_filter_order_and_pages(
    api: httpx.Client, experiment_id: str, expect_error: ExpectError
) -> None:
    for i in range(5):
        run_id = api.post("/runs", json={"experiment_id": experiment_id}).json()["info"]["run_id"]
        batch = {
            "metrics": _columns("loss", [i / 10]),
            "params": [{"key": "model", "value": "tree" if i % 2 else "linear"}],
        }
        api.post(f"/runs/{run_id}/log-batch", json=batch)
    query = {
        "experiment_ids": [experiment_id],
        "filter": "metrics.loss >= 0.1 AND params.model = 'tree'",
        "order_by": ["metrics.loss DESC"],
    }
    found = api.post("/runs/search", json=query).json()
    assert [r["data"]["metrics"]["loss"] for r in found["runs"]] == [0.3, 0.1]
    assert found["next_page_token"] is None

    seen = []
    token = None
    while True:
        page = api.post(
            "/runs/search",
            json={"experiment_ids": [experiment_id], "max_results": 2, "page_token": token},
        ).json()
        seen += [r["info"]["run_id"] for r in page["runs"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 5

    message = expect_error(
        api.post("/runs/search", json={"filter": "metrics.loss >"}), 400, "INVALID_ARGUMENT"
    )
    assert "position" in message
    for body in (
        {"filter": "metrics.loss ~ 1"},
        {"order_by": ["metrics.loss SIDEWAYS"]},
        {"run_view_type": "sometimes"},
        {"max_results": 0},
        {"page_token": "not-a-token"},
        {"experiment_ids": "one"},
    ):
        expect_error(api.post("/runs/search", json=body), 400, "INVALID_ARGUMENT")
    expect_error(
        api.post("/runs/search", json={"experiment_ids": [uuid.uuid4().hex]}), 404, "NOT_FOUND"
    )
