"""Made-up evaluation numbers over HTTP: an approval vouches only for the evaluation it saw.

The exploit this guards against: the registrant gets a version approved on honest numbers
that miss the threshold, then attaches ``auc: 0.99`` and promotes it. Plain ``httpx``
against a real server, then the SDK's HTTP backend; the race (numbers swapped between the
gate check and the write) through the app in-process, where the swap can be placed exactly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from fastapi import FastAPI

import mlsteward
from mlsteward.domain.registry import GateError
from mlsteward.domain.registry_evaluation import evaluation_digest
from mlsteward.interfaces.rest.app import create_app
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.services.registry import aliases, versions
from mlsteward.testing.server_process import ServerURL

from .conftest import ExpectError

ALICE, BOB = {"X-Mlsteward-User": "alice"}, {"X-Mlsteward-User": "bob"}
STALE = "approved by 'bob' on an earlier evaluation; re-approval needed"


def _setup(call: Any, evaluation: dict[str, Any]) -> str:
    """alice's model: ``auc >= 0.9`` required and ``production`` protected; version 1 with
    ``evaluation`` attached by alice and approved by bob. Returns the model's URL."""
    name = f"eval {uuid.uuid4().hex[:8]}"
    url = f"/registered-models/{quote(name, safe='')}"
    steps = [
        call("POST", "/registered-models", json={"name": name}, headers=ALICE),
        call("POST", f"{url}/versions", json={"source": "s3://b/m"}, headers=ALICE),
        call("POST", f"{url}/versions/1/evaluation", json={"metrics": evaluation}, headers=ALICE),
        call("PUT", f"{url}/thresholds", json={"thresholds": ["auc >= 0.9"]}, headers=ALICE),
        call("PUT", f"{url}/protected-aliases/production", json={}, headers=ALICE),
        call("POST", f"{url}/versions/1/approvals", json={"comment": "seen"}, headers=BOB),
    ]
    assert all(step.is_success for step in steps), [s.text for s in steps]
    return url


@pytest.fixture
def model(api: httpx.Client) -> str:
    return _setup(api.request, {"auc": 0.6})


@pytest.mark.server
def test_numbers_swapped_after_the_approval_need_a_new_one(api: httpx.Client, model: str) -> None:
    swapped = api.post(
        f"{model}/versions/1/evaluation", json={"metrics": {"auc": 0.99}}, headers=ALICE
    )
    assert swapped.status_code == 200 and swapped.json()["evaluation"] == {"auc": 0.99}
    before = api.get(model).json()
    for move in (
        api.put(f"{model}/aliases/production", json={"version": 1}, headers=ALICE),
        api.post(f"{model}/versions/1/stage", json={"stage": "Production"}, headers=ALICE),
    ):
        assert move.status_code == 403, move.text
        error = move.json()["error"]
        assert error["code"] == "PERMISSION_DENIED"
        assert len(error["reasons"]) == 1 and error["reasons"][0].startswith(STALE)
    assert api.get(model).json() == before

    history = api.get(f"{model}/evaluation-history", params={"version": 1}).json()["changes"]
    assert [(c["actor"], c["from_metrics"], c["to_metrics"]) for c in history] == [
        ("alice", {}, {"auc": 0.6}),
        ("alice", {"auc": 0.6}, {"auc": 0.99}),
    ]
    assert history[1]["evaluation_digest"] == evaluation_digest({"auc": 0.99})
    decisions = api.get(f"{model}/approvals", params={"version": 1}).json()["approvals"]
    assert decisions[-1]["evaluation_digest"] == history[0]["evaluation_digest"]

    again = api.post(f"{model}/versions/1/approvals", json={"comment": "re-ran"}, headers=BOB)
    assert again.status_code == 201, again.text
    assert again.json()["evaluation_digest"] == history[1]["evaluation_digest"]
    moved = api.put(f"{model}/aliases/production", json={"version": 1}, headers=ALICE)
    assert moved.status_code == 200, moved.text


@pytest.mark.server
def test_odd_values_and_queries_get_4xx(
    api: httpx.Client, model: str, expect_error: ExpectError
) -> None:
    odd = api.post(
        f"{model}/versions/1/evaluation",
        json={"metrics": {"auc": "NaN", "loss": "-Infinity"}},
        headers=ALICE,
    )
    assert odd.status_code == 200, odd.text
    last = api.get(f"{model}/evaluation-history").json()["changes"][-1]
    assert (last["from_metrics"], last["to_metrics"]) == (
        {"auc": 0.6},
        {"auc": "NaN", "loss": "-Infinity"},
    )
    moved = api.put(f"{model}/aliases/production", json={"version": 1}, headers=ALICE)
    assert moved.status_code == 403 and len(moved.json()["error"]["reasons"]) == 2

    history = f"{model}/evaluation-history"
    for bad in ("0", "-1", "one", "1.5", "99999999999"):
        expect_error(api.get(history, params={"version": bad}), 400, "INVALID_ARGUMENT")
    assert "no version 7" in expect_error(api.get(history, params={"version": 7}), 404, "NOT_FOUND")
    expect_error(api.get("/registered-models/nobody%20here/evaluation-history"), 404, "NOT_FOUND")
    expect_error(
        api.post(f"{model}/versions/1/evaluation", json={"metrics": {"auc": "high"}}), 400,
        "INVALID_ARGUMENT",
    )  # fmt: skip


@pytest.mark.server
def test_the_sdk_over_http_sees_the_same(server_url: ServerURL, model: str) -> None:
    name = unquote(model.rsplit("/", 1)[1])
    backends = {who: HttpBackend(server_url, user=who) for who in ("alice", "bob")}
    try:
        alice, bob = (mlsteward.Client.__new__(mlsteward.Client) for _ in range(2))
        alice._backend, bob._backend = backends["alice"], backends["bob"]
        alice.attach_evaluation(name, 1, {"auc": 0.99})
        with pytest.raises(GateError, match=STALE):
            alice.set_registered_model_alias(name, "production", 1)
        changes = bob.get_evaluation_history(name, "1")
        assert [(c.actor, c.from_metrics, c.to_metrics) for c in changes] == [
            ("alice", {}, {"auc": 0.6}),
            ("alice", {"auc": 0.6}, {"auc": 0.99}),
        ]
        assert bob.get_evaluation_history(name) == changes
        assert bob.list_approvals(name, 1)[-1].evaluation_digest == changes[0].evaluation_digest
        approval = bob.approve_model_version(name, 1, "re-ran")
        assert approval.evaluation_digest == changes[-1].evaluation_digest
        assert alice.set_registered_model_alias(name, "production", 1) is not None
    finally:
        for backend in backends.values():
            backend.close()


# -- the race, in-process ----------------------------------------------------------------
@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(str(tmp_path / "mlsteward.db"), str(tmp_path / "artifacts"), upgrade=True)
    yield app
    app.state.ctx.stores.close()


def _caller(app: FastAPI) -> Any:
    def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                return await http.request(method, f"/api/v1{path}", **kwargs)

        return asyncio.run(send())

    return call


def test_numbers_swapped_between_check_and_move_are_a_409(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, expect_error: ExpectError
) -> None:
    call = _caller(app)
    model = _setup(call, {"auc": 0.95})
    name = unquote(model.rsplit("/", 1)[1])
    real_check = aliases.check_gates

    def check_then_swap(*args: Any, **kwargs: Any) -> Any:
        guard = real_check(*args, **kwargs)
        alice = dataclasses.replace(app.state.ctx, actor="alice")
        versions.attach_evaluation(alice, name, 1, {"auc": 0.99})  # lands before the write
        return guard

    monkeypatch.setattr(aliases, "check_gates", check_then_swap)
    moved = call("PUT", f"{model}/aliases/production", json={"version": 1}, headers=ALICE)
    message = expect_error(moved, 409, "CONFLICT")
    assert "evaluation attached to version 1" in message
    assert "production" not in call("GET", model).json()["aliases"]
    assert call("GET", f"{model}/alias-history").json()["events"][-1]["action"] == "protect"
