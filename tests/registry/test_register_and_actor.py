"""Registering creates the model only once the source checks out; who acts is selectable."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlsteward
from mlsteward.domain.errors import NotFoundError, PermissionDeniedError


def _run_with_model_file(tmp_path: Path) -> str:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "weights.bin").write_bytes(b"\x00\x01")
    with mlsteward.start_run(log_environment=False) as run:
        mlsteward.log_artifacts(model_dir, "model")
    return run.info.run_id


def test_refused_source_leaves_no_registered_model(tmp_path: Path) -> None:
    mlsteward.set_tracking_uri(tmp_path / "store")
    client = mlsteward.Client()
    with pytest.raises(NotFoundError):
        client.register_model("runs:/" + "0" * 32 + "/model", "ghost")
    with pytest.raises(NotFoundError):
        client.get_registered_model("ghost")
    with pytest.raises(NotFoundError):
        mlsteward.register_model("runs:/" + "1" * 32 + "/model", "ghost")
    with pytest.raises(NotFoundError):
        client.get_registered_model("ghost")


def test_register_creates_model_then_adds_versions(tmp_path: Path) -> None:
    mlsteward.set_tracking_uri(tmp_path / "store")
    run_id = _run_with_model_file(tmp_path)
    client = mlsteward.Client()
    first = client.register_model(f"runs:/{run_id}/model", "churn")
    second = client.register_model(f"runs:/{run_id}/model", "churn")
    assert (first.version, second.version) == (1, 2)
    assert client.get_registered_model("churn").name == "churn"


def test_users_chosen_by_client_argument_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    mlsteward.set_tracking_uri(store)
    monkeypatch.setenv("MLSTEWARD_USER", "alice")
    run_id = _run_with_model_file(tmp_path)
    alice = mlsteward.Client(store)
    version = alice.register_model(f"runs:/{run_id}/model", "fraud")
    assert version.created_by == "alice"
    with pytest.raises(PermissionDeniedError):
        alice.approve_model_version("fraud", version.version, "my own work")
    bob = mlsteward.Client(store, user="bob")
    approval = bob.approve_model_version("fraud", version.version, "validated")
    assert approval.actor == "bob"
