"""Weakening a model's gates over HTTP: the bypasses of the approval gate, refused on the wire.

The exploit this guards against: the registrant lifts the protection of ``production``,
moves it to an unapproved version that misses the thresholds, and protects it again; or an
anonymous caller clears the thresholds. Plain ``httpx`` against a real server, then the
SDK's HTTP backend, so both see the same refusals.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote, unquote

import httpx
import pytest

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server


def user(name: str) -> dict[str, str]:
    return {"X-Mlsteward-User": name}


ALICE, BOB, CAROL = user("alice"), user("bob"), user("carol")
#: alice as she might type herself to pass for someone else (headers are ASCII on the wire).
ALICE_AGAIN = [user("Alice"), user("ALICE"), user("aLiCe")]
#: No user header, or one that names no one.
NOBODY: list[dict[str, str]] = [{}, user(""), user("anonymous"), user("ANONYMOUS")]


@pytest.fixture
def model(api: httpx.Client) -> Iterator[str]:
    """alice's model in production: thresholds ``auc >= 0.9``, ``production`` protected and
    at version 1 (auc 0.95, approved by bob); version 2 (auc 0.5) is unreviewed."""
    name = f"gov {uuid.uuid4().hex[:8]}"
    assert api.post("/registered-models", json={"name": name}, headers=ALICE).status_code == 201
    url = f"/registered-models/{quote(name, safe='')}"
    for auc in (0.95, 0.5):
        made = api.post(f"{url}/versions", json={"source": "s3://b/m"}, headers=ALICE)
        assert made.status_code == 201, made.text
        number = made.json()["version"]
        evaluated = api.post(
            f"{url}/versions/{number}/evaluation", json={"metrics": {"auc": auc}}, headers=ALICE
        )
        assert evaluated.status_code == 200, evaluated.text
    steps = [
        api.put(f"{url}/thresholds", json={"thresholds": ["auc >= 0.9"]}, headers=ALICE),
        api.put(f"{url}/protected-aliases/production", json={"reason": "policy"}, headers=ALICE),
        api.post(f"{url}/versions/1/approvals", json={"comment": "validated"}, headers=BOB),
        api.put(f"{url}/aliases/production", json={"version": 1}, headers=ALICE),
    ]
    assert all(step.is_success for step in steps), [s.text for s in steps]
    yield url


def _refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and "Traceback" not in error["message"]
    return str(error["message"])


def test_the_registrant_cannot_unprotect_move_and_reprotect(api: httpx.Client, model: str) -> None:
    before = api.get(model).json()
    history = api.get(f"{model}/alias-history").json()["events"]
    for alice in (ALICE, *ALICE_AGAIN):
        lifted = api.delete(
            f"{model}/protected-aliases/production", params={"reason": "hotfix"}, headers=alice
        )
        assert "cannot lift the protection" in _refused(lifted, 403, "PERMISSION_DENIED")
        deleted = api.delete(
            f"{model}/aliases/production", params={"reason": "hotfix"}, headers=alice
        )
        assert "cannot delete the protected alias" in _refused(deleted, 403, "PERMISSION_DENIED")
    moved = api.put(f"{model}/aliases/production", json={"version": 2}, headers=ALICE)
    assert moved.status_code == 403 and "no approval" in moved.json()["error"]["message"]
    protected = api.put(f"{model}/protected-aliases/production", json={}, headers=ALICE)
    assert protected.status_code == 200
    assert api.get(model).json() == before  # still protected, still version 1
    assert api.get(f"{model}/alias-history").json()["events"] == history  # nothing recorded


def test_anonymous_callers_cannot_weaken_or_delete(api: httpx.Client, model: str) -> None:
    before = api.get(model).json()
    for nobody in NOBODY:
        cleared = api.put(
            f"{model}/thresholds", json={"thresholds": [], "reason": "x"}, headers=nobody
        )
        assert "named user" in _refused(cleared, 403, "PERMISSION_DENIED")
        lifted = api.delete(
            f"{model}/protected-aliases/production", params={"reason": "x"}, headers=nobody
        )
        assert "named user" in _refused(lifted, 403, "PERMISSION_DENIED")
        deleted = api.delete(f"{model}/aliases/production", params={"reason": "x"}, headers=nobody)
        assert "named user" in _refused(deleted, 403, "PERMISSION_DENIED")
        approved = api.post(f"{model}/versions/2/approvals", json={"comment": "ok"}, headers=nobody)
        assert "named reviewer" in _refused(approved, 403, "PERMISSION_DENIED")
    assert api.get(model).json() == before
    assert api.get(f"{model}/threshold-history").json()["changes"][-1]["actor"] == "alice"


def test_case_variants_of_the_registrant_cannot_approve(api: httpx.Client, model: str) -> None:
    for alice in ALICE_AGAIN:
        approved = api.post(
            f"{model}/versions/2/approvals", json={"comment": "fine by me"}, headers=alice
        )
        assert "registered version 2" in _refused(approved, 403, "PERMISSION_DENIED")
    assert api.get(f"{model}/approvals", params={"version": 2}).json()["approvals"] == []


def test_thresholds_tighten_freely_and_loosen_only_by_another_named_user(
    api: httpx.Client, model: str
) -> None:
    tighter = api.put(
        f"{model}/thresholds", json={"thresholds": ["auc >= 0.92", "rmse <= 3"]}, headers=ALICE
    )
    assert tighter.status_code == 200, tighter.text
    for looser in (["auc >= 0.8", "rmse <= 3"], ["auc >= 0.92", "rmse <= 4"], ["auc >= 0.92"]):
        refused = api.put(
            f"{model}/thresholds", json={"thresholds": looser, "reason": "ship"}, headers=ALICE
        )
        assert "cannot loosen" in _refused(refused, 403, "PERMISSION_DENIED")
    unexplained = api.put(f"{model}/thresholds", json={"thresholds": ["auc >= 0.8"]}, headers=CAROL)
    assert "reason is required" in _refused(unexplained, 400, "INVALID_ARGUMENT")

    lowered = api.put(
        f"{model}/thresholds",
        json={"thresholds": ["auc >= 0.4"], "reason": "recalibrated scorer"},
        headers=CAROL,
    )
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["acceptance_thresholds"] == [{"metric": "auc", "op": ">=", "value": 0.4}]
    changes = api.get(f"{model}/threshold-history").json()["changes"]
    assert [(c["actor"], c["reason"]) for c in changes] == [
        ("alice", None),
        ("alice", None),
        ("carol", "recalibrated scorer"),
    ]
    assert changes[-1]["from_thresholds"] == [
        {"metric": "auc", "op": ">=", "value": 0.92},
        {"metric": "rmse", "op": "<=", "value": 3.0},
    ]
    assert changes[-1]["to_thresholds"] == [{"metric": "auc", "op": ">=", "value": 0.4}]


def test_another_user_lifts_the_protection_with_a_reason(api: httpx.Client, model: str) -> None:
    unexplained = api.delete(f"{model}/protected-aliases/production", headers=CAROL)
    assert "reason is required" in _refused(unexplained, 400, "INVALID_ARGUMENT")
    lifted = api.delete(
        f"{model}/protected-aliases/production", params={"reason": "freeze over"}, headers=CAROL
    )
    assert lifted.status_code == 200 and lifted.json()["protected_aliases"] == []
    last = api.get(f"{model}/alias-history").json()["events"][-1]
    assert (last["action"], last["actor"], last["reason"]) == ("unprotect", "carol", "freeze over")


def test_the_sdk_over_http_sees_the_same_refusals(server_url: ServerURL, model: str) -> None:
    name = unquote(model.rsplit("/", 1)[1])
    backends = {who: HttpBackend(server_url, user=who) for who in ("ALICE", "carol")}
    try:
        alice, carol = (mlsteward.Client.__new__(mlsteward.Client) for _ in range(2))
        alice._backend, carol._backend = backends["ALICE"], backends["carol"]
        with pytest.raises(PermissionDeniedError, match="cannot lift the protection"):
            alice.protect_alias(name, "production", protected=False, reason="hotfix")
        with pytest.raises(PermissionDeniedError, match="cannot delete the protected alias"):
            alice.delete_registered_model_alias(name, "production", reason="hotfix")
        with pytest.raises(PermissionDeniedError, match="cannot loosen"):
            alice.set_acceptance_thresholds(name, [], reason="ship it")
        with pytest.raises(InvalidArgumentError, match="reason is required"):
            carol.set_acceptance_thresholds(name, [])
        carol.set_acceptance_thresholds(name, [], reason="metric retired")
        change = carol.get_threshold_history(name)[-1]
        assert (change.to_thresholds, change.actor, change.reason) == (
            (),
            "carol",
            "metric retired",
        )
        assert [str(t) for t in change.from_thresholds] == ["auc >= 0.9"]
        event = carol.delete_registered_model_alias(name, "production", reason="incident 7")
        assert (event.actor, event.reason, event.from_version) == ("carol", "incident 7", 1)
    finally:
        for backend in backends.values():
            backend.close()
