"""The deployment service's rules, through the SDK's in-process door (the dispatcher runs
the service with its policy and audit): resolution, signature compatibility, history,
revisions, and the serving plan following an alias."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.domain.deployments import Batching, FieldChange, LogSettings, RouteTarget
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from mlsteward.interfaces.sdk.client import Client

from .conftest import CHURN_INPUTS, CHURN_OUTPUTS, columns, register_version


@pytest.fixture
def churn(client: Client) -> str:
    """``churn`` version 1 behind the alias ``champion``."""
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    return "churn"


def test_create_records_who_when_why_and_every_setting(client: Client, churn: str) -> None:
    made = client.deployments.create(
        "churn-api",
        "models:/churn@champion",
        runtime="onnx",
        replicas=2,
        max_batch_size=64,
        max_wait_ms=1.5,
        log_sample_rate=0.5,
        log_retention_days=7,
        reason="first release",
    )
    assert made.revision == 1
    assert made.batching == Batching(64, 1.5)
    assert made.log == LogSettings(sample_rate=0.5, retention_days=7)
    assert client.deployments.get("churn-api") == made
    assert client.deployments.list() == [made]
    (event,) = client.deployments.history("churn-api")
    assert (event.action, event.actor, event.reason, event.model_version) == (
        "create",
        "alice",
        "first release",
        1,
    )
    assert event.time_ms == made.creation_time
    assert FieldChange("model", None, "models:/churn@champion") in event.changes
    assert FieldChange("replicas", None, 2) in event.changes


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("models:/nothing@champion", "does not resolve"),
        ("models:/churn@nobody", "does not resolve"),
        ("models:/churn/9", "does not resolve"),
        ("models:/churn/latest", "models:/NAME@ALIAS"),
        ("runs:/abc/model", "models:/NAME@ALIAS"),
    ],
)
def test_a_model_uri_that_does_not_resolve_is_refused(
    client: Client, churn: str, uri: str, words: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=words):
        client.deployments.create("churn-api", uri)
    assert client.deployments.list() == []


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"runtime": "tensorrt"}, "runtime must be one of auto, onnx, native"),
        ({"replicas": 0}, "replicas must be a whole number"),
        ({"max_batch_size": 5000}, "max_batch_size must be a whole number from 1 to 4096"),
        ({"max_wait_ms": -1}, "max_wait_ms must be a number from 0 to 1000"),
        ({"max_wait_ms": float("nan")}, "max_wait_ms must be a number"),
        ({"log_sample_rate": 1.5}, "log_sample_rate must be a number from 0 to 1"),
        ({"log_retention_days": 0}, "log_retention_days must be a whole number"),
    ],
)
def test_bad_settings_are_refused(
    client: Client, churn: str, settings: dict[str, object], words: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=words):
        client.deployments.create("churn-api", "models:/churn@champion", **settings)  # type: ignore[arg-type]
    assert client.deployments.list() == []


@pytest.mark.parametrize("name", ["Churn", "-churn", "churn_api", "a" * 64, "", "churn/api"])
def test_a_name_that_is_not_a_dns_label_is_refused(client: Client, churn: str, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="lowercase letters, digits or '-'"):
        client.deployments.create(name, "models:/churn@champion")


def test_a_taken_name_is_refused(client: Client, churn: str) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    with pytest.raises(AlreadyExistsError):
        client.deployments.create("churn-api", "models:/churn/1")


def test_update_records_before_and_after_and_the_revision_grows(client: Client, churn: str) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    register_version(client, "churn", columns(income="float64", tenure="int64"))
    updated = client.deployments.update(
        "churn-api", reason="pin the retrained model", model_uri="models:/churn/2", replicas=3
    )
    assert (updated.revision, updated.model_uri, updated.replicas) == (2, "models:/churn/2", 3)
    newest, _ = client.deployments.history("churn-api")
    assert (newest.action, newest.revision, newest.reason) == (
        "update",
        2,
        "pin the retrained model",
    )
    assert newest.changes == (
        FieldChange("model", "models:/churn@champion", "models:/churn/2"),
        FieldChange("replicas", 1, 3),
    )
    assert newest.model_version == 2 and newest.warnings == ()


def test_update_needs_a_reason(client: Client, churn: str) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    with pytest.raises(InvalidArgumentError, match="A reason is required"):
        client.deployments.update("churn-api", reason="  ", replicas=2)
    assert client.deployments.get("churn-api").revision == 1


def test_an_update_that_changes_nothing_records_nothing(client: Client, churn: str) -> None:
    made = client.deployments.create("churn-api", "models:/churn@champion")
    assert client.deployments.update("churn-api", reason="again", replicas=1) == made
    assert len(client.deployments.history("churn-api")) == 1


def test_an_incompatible_signature_is_refused_with_every_difference(
    client: Client, churn: str
) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    register_version(
        client,
        "churn",
        columns(income="float32", tenure="int64", age="float64"),
        columns(prediction="float64"),
    )
    with pytest.raises(InvalidArgumentError) as refused:
        client.deployments.update("churn-api", reason="try v2", model_uri="models:/churn/2")
    message = refused.value.message
    assert "churn version 2's signature is incompatible with the deployed churn version 1" in (
        message
    )
    assert "- missing input 'age'" in message
    assert "- input 'income' changes dtype float64 -> float32" in message
    assert "- changed output: 'prediction' changes dtype int64 -> float64" in message
    assert client.deployments.get("churn-api").model_uri == "models:/churn@champion"
    assert len(client.deployments.history("churn-api")) == 1


def test_a_version_without_a_signature_is_deployed_with_a_warning(
    client: Client, churn: str
) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    register_version(client, "churn", inputs=None)
    client.deployments.update("churn-api", reason="opaque model", model_uri="models:/churn/2")
    newest = client.deployments.history("churn-api")[0]
    assert newest.warnings == ("churn version 2 has no signature: compatibility not checked",)


def test_the_plan_follows_the_alias_without_a_new_revision(
    client: Client, churn: str, tmp_path: Path
) -> None:
    client.deployments.create(
        "churn-api", "models:/churn@champion", max_batch_size=16, log_sample_rate=0.1
    )
    plan = client.deployments.plan("churn-api")
    assert plan.routes == (RouteTarget("stable", "churn", 1, 1.0),)
    assert (plan.revision, plan.runtime, plan.batching) == (1, "auto", Batching(16, 2.0))
    assert plan.log.sample_rate == 0.1
    assert plan.log_root.endswith("/predictions")

    register_version(client, "churn", CHURN_INPUTS, CHURN_OUTPUTS)
    client.set_registered_model_alias("churn", "champion", 2)
    moved = client.deployments.plan("churn-api")
    assert moved.routes == (RouteTarget("stable", "churn", 2, 1.0),)
    assert moved.revision == 1

    client.deployments.update("churn-api", reason="more room", max_batch_size=32)
    assert client.deployments.plan("churn-api").revision == 2


def test_a_plan_whose_alias_is_gone_is_a_conflict(client: Client, churn: str) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    client.delete_registered_model_alias("churn", "champion")
    with pytest.raises(ConflictError, match="does not resolve now"):
        client.deployments.plan("churn-api")


def test_delete_keeps_the_history_and_a_new_deployment_continues_it(
    client: Client, churn: str
) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    with pytest.raises(InvalidArgumentError, match="A reason is required"):
        client.deployments.delete("churn-api", reason="")
    client.deployments.delete("churn-api", reason="retired")
    with pytest.raises(NotFoundError):
        client.deployments.get("churn-api")
    with pytest.raises(NotFoundError):
        client.deployments.plan("churn-api")
    deleted, _ = client.deployments.history("churn-api")
    assert (deleted.action, deleted.revision, deleted.reason) == ("delete", 2, "retired")
    again = client.deployments.create("churn-api", "models:/churn/1")
    assert again.revision == 3
    with pytest.raises(NotFoundError):
        client.deployments.history("never-made")


def test_every_change_is_audited_and_reads_are_not(client: Client, churn: str) -> None:
    client.deployments.create("churn-api", "models:/churn@champion")
    client.deployments.update("churn-api", reason="scale", replicas=2)
    client.deployments.plan("churn-api")
    client.deployments.history("churn-api")
    client.deployments.delete("churn-api", reason="done")
    records = list(client.audit().records(resource_kind="deployment"))
    assert [(r.operation, r.actor, r.resource_name) for r in records] == [
        ("deployments.create", "alice", "churn-api"),
        ("deployments.update", "alice", "churn-api"),
        ("deployments.delete", "alice", "churn-api"),
    ]


def test_a_real_logged_model_s_signature_is_read(client: Client, tmp_path: Path) -> None:
    """The manifest ``log_model`` writes is where the check reads the signature."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from mlsteward.engines.models.packaging import save_model

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(size=40), "tenure": rng.normal(size=40)})
    model = LogisticRegression().fit(frame, (frame["income"] > 0).astype(np.int64))
    for version, data in enumerate((frame, frame[["income"]]), start=1):
        fitted = LogisticRegression().fit(data, (data["income"] > 0).astype(np.int64))
        run_id = client.create_run(client.create_experiment(f"real-{version}")).info.run_id
        save_model(fitted if version == 2 else model, tmp_path / str(version), input_example=data)
        client.log_artifacts(run_id, tmp_path / str(version), "model")
        if version == 1:
            client.create_registered_model("real")
        client.create_model_version("real", f"runs:/{run_id}/model")
    client.deployments.create("real-api", "models:/real/1")
    with pytest.raises(InvalidArgumentError, match="input 'tenure' is dropped"):
        client.deployments.update("real-api", reason="fewer features", model_uri="models:/real/2")
