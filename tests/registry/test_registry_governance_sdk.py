"""Weakening a model's gates through the local SDK, acting as ``MLSTEWARD_USER``.

Locally the actor is ``MLSTEWARD_USER`` (else the OS user). Whatever spelling of the
registrant's name it holds, she cannot approve her own version, lift the protection of
``production``, delete it, or loosen the thresholds; another named user can, with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mlsteward
from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.domain.registry import GateError
from mlsteward.interfaces.sdk.tracking_uri import close_backends

ALICE_SPELLINGS = ["alice", "Alice", "ALICE", " alice ", "ａｌｉｃｅ", "ＡＬＩＣＥ"]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


def acting_as(monkeypatch: pytest.MonkeyPatch, store: Path, name: str) -> mlsteward.Client:
    """A Client on ``store`` acting as ``MLSTEWARD_USER=name`` (a fresh backend per user)."""
    close_backends()
    monkeypatch.setenv("MLSTEWARD_USER", name)
    return mlsteward.Client(store)


@pytest.fixture
def fraud(monkeypatch: pytest.MonkeyPatch, store: Path, tmp_path: Path) -> str:
    """alice's ``fraud``: v1 (auc 0.95, approved by bob) in protected ``production`` under
    ``auc >= 0.9``; v2 (auc 0.5) unreviewed."""
    alice = acting_as(monkeypatch, store, "alice")
    mlsteward.set_tracking_uri(store)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "weights.bin").write_bytes(b"\x00")
    with mlsteward.start_run(log_environment=False) as run:
        mlsteward.log_artifacts(model_dir, "model")
    for _ in range(2):
        alice.register_model(f"runs:/{run.info.run_id}/model", "fraud")
    alice.attach_evaluation("fraud", 1, {"auc": 0.95})
    alice.attach_evaluation("fraud", 2, {"auc": 0.5})
    alice.set_acceptance_thresholds("fraud", ["auc >= 0.9"])
    alice.protect_alias("fraud", "production", reason="release policy")
    mlsteward.Client(store, user="bob").approve_model_version("fraud", 1, "validated")
    alice.set_registered_model_alias("fraud", "production", 1, reason="launch")
    return "fraud"


def test_no_spelling_of_the_registrant_weakens_the_gates(
    monkeypatch: pytest.MonkeyPatch, store: Path, fraud: str
) -> None:
    for spelling in ALICE_SPELLINGS:
        alice = acting_as(monkeypatch, store, spelling)
        with pytest.raises(PermissionDeniedError, match="registered version 2"):
            alice.approve_model_version(fraud, 2, "looks good to me")
        with pytest.raises(PermissionDeniedError, match="cannot lift the protection"):
            alice.protect_alias(fraud, "production", protected=False, reason="hotfix")
        with pytest.raises(PermissionDeniedError, match="cannot delete the protected alias"):
            alice.delete_registered_model_alias(fraud, "production", reason="hotfix")
        with pytest.raises(PermissionDeniedError, match="cannot loosen"):
            alice.set_acceptance_thresholds(fraud, ["auc >= 0.4"], reason="ship it")
        with pytest.raises(PermissionDeniedError, match="cannot loosen"):
            alice.set_acceptance_thresholds(fraud, [], reason="ship it")
        with pytest.raises(GateError, match="no approval"):
            alice.set_registered_model_alias(fraud, "production", 2)
    carol = acting_as(monkeypatch, store, "carol")
    model = carol.get_registered_model(fraud)
    assert (model.aliases, model.protected_aliases) == ({"production": 1}, ("production",))
    assert [str(t) for t in model.acceptance_thresholds] == ["auc >= 0.9"]
    assert carol.list_approvals(fraud, 2) == []


def test_tightening_is_free_and_loosening_is_recorded(
    monkeypatch: pytest.MonkeyPatch, store: Path, fraud: str
) -> None:
    alice = acting_as(monkeypatch, store, "Alice")
    alice.set_acceptance_thresholds(fraud, ["auc >= 0.93", "rmse <= 3"])
    carol = acting_as(monkeypatch, store, "carol")
    with pytest.raises(InvalidArgumentError, match="reason is required"):
        carol.set_acceptance_thresholds(fraud, ["auc >= 0.4"])
    carol.set_acceptance_thresholds(fraud, ["auc >= 0.4"], reason="recalibrated scorer")
    history = carol.get_threshold_history(fraud)
    assert [(c.actor, c.reason) for c in history] == [
        ("alice", None),
        ("Alice", None),
        ("carol", "recalibrated scorer"),
    ]
    assert [str(t) for t in history[-1].from_thresholds] == ["auc >= 0.93", "rmse <= 3"]
    carol.protect_alias(fraud, "production", protected=False, reason="freeze over")
    last = carol.get_alias_history(fraud, "production")[-1]
    assert (last.action.value, last.actor, last.reason) == ("unprotect", "carol", "freeze over")
