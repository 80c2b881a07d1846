"""The deployment SDK behaves the same in-process and over HTTP: one scenario through both
doors gives equal results (times aside) and the same errors, class and message; the policy
sees the same questions and the auditor the same changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.operations import Action, ResourceKind
from mlsteward.testing.operation_doors import RecordingAuditor, SwitchPolicy, open_door

from .conftest import columns, register_version

_TIMES = ("creation_time", "last_update_time", "time_ms", "log_root")


def _view(value: Any) -> Any:
    """``value`` with its times (and the store-specific log folder) left out."""
    if isinstance(value, list | tuple):
        return [_view(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            key: _view(item) for key, item in dataclasses.asdict(value).items() if key not in _TIMES
        }
    return value


def _scenario(client: Client) -> list[Any]:
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    register_version(client, "churn", columns(income="float64"))
    steps = [
        lambda: client.deployments.create("churn-api", "models:/churn@champion", reason="go"),
        lambda: client.deployments.create("churn-api", "models:/churn@champion"),
        lambda: client.deployments.create("other", "models:/churn/7"),
        lambda: client.deployments.update("churn-api", reason="v2", model_uri="models:/churn/2"),
        lambda: client.deployments.update("churn-api", reason="scale", replicas=2),
        lambda: client.deployments.update("churn-api", reason="", replicas=3),
        lambda: client.deployments.get("churn-api"),
        lambda: client.deployments.list(),
        lambda: client.deployments.plan("churn-api"),
        lambda: client.deployments.history("churn-api"),
        lambda: client.deployments.delete("churn-api", reason="retired"),
        lambda: client.deployments.get("churn-api"),
        lambda: client.deployments.plan("Not-A-Name"),
        lambda: client.deployments.history("churn-api", limit=1),
    ]
    transcript = []
    for step in steps:
        try:
            transcript.append(_view(step()))
        except MlstewardError as error:
            transcript.append(("raised", type(error).__name__, error.message))
    return transcript


def test_both_doors_agree(tmp_path: Path) -> None:
    transcripts, asked, audited = [], [], []
    for door in ("local", "http"):
        root = tmp_path / door
        root.mkdir()
        policy, auditor = SwitchPolicy(), RecordingAuditor()
        store = f"sqlite:///{root / 'store.db'}"
        with open_door(door, store, str(root / "artifacts"), policy, auditor, user="alice") as c:
            transcripts.append(_scenario(c))
        asked.append(
            [
                (operation, action, resource.name)
                for operation, _, action, resource in policy.asked
                if resource.kind is ResourceKind.DEPLOYMENT
            ]
        )
        audited.append(
            [(e.operation, e.resource.name) for e in auditor.events if "deploy" in e.operation]
        )
    local, http = transcripts
    assert local == http
    assert local[0]["revision"] == 1 and local[4]["revision"] == 2
    assert local[1][:2] == ("raised", "AlreadyExistsError")
    assert local[3][:2] == ("raised", "InvalidArgumentError")
    assert "input 'tenure' is dropped" in local[3][2]
    assert asked[0] == asked[1]
    assert ("deployments.plan", Action.READ, "churn-api") in asked[0]
    assert (
        audited[0]
        == audited[1]
        == [
            ("deployments.create", "churn-api"),
            ("deployments.update", "churn-api"),
            ("deployments.delete", "churn-api"),
        ]
    )
