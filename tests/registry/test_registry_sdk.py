"""The registry through the SDK: fluent register_model, Client methods, two users, URIs."""

from __future__ import annotations

from pathlib import Path

import pytest

import mlsteward
from mlsteward import GateError, PermissionDeniedError
from mlsteward.domain.errors import MlstewardError, NotFoundError
from mlsteward.engines.models.model_uri import resolve_model_uri
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.tracking_uri import default_artifacts_uri
from mlsteward.testing.operation_doors import client_over


def _train(auc: float) -> str:
    with mlsteward.start_run() as run:
        mlsteward.log_metric("roc_auc", auc)
        mlsteward.log_param("C", 0.5)
        mlsteward.log_text("weights", "model/model.pkl")
    return run.info.run_id


def test_builder_and_validator_promote_a_model(isolated_home: Path) -> None:
    first, second = _train(0.91), _train(0.80)
    v1 = mlsteward.register_model(f"runs:/{first}/model", "fraud", tags={"flavor": "sklearn"})
    v2 = mlsteward.register_model(f"runs:/{second}/model", "fraud")
    assert (v1.version, v2.version, v1.tags) == (1, 2, {"flavor": "sklearn"})
    assert v1.environment_digest is not None

    client = mlsteward.Client()
    client.set_acceptance_thresholds("fraud", ["roc_auc >= 0.85"])
    client.protect_alias("fraud", "production", reason="release policy")
    with pytest.raises(PermissionDeniedError, match="cannot approve"):
        client.approve_model_version("fraud", "1", "my own work is great")

    uri = mlsteward.get_tracking_uri()
    bob = LocalBackend(uri, default_artifacts_uri(uri), actor="bob")
    try:
        validator = client_over(bob)
        validator.approve_model_version("fraud", 1, "validated on the March holdout")
        validator.approve_model_version("fraud", 2, "validated on the March holdout")
    finally:
        bob.close()
    with pytest.raises(GateError, match=r"roc_auc >= 0\.85 not met: roc_auc = 0\.8"):
        client.set_registered_model_alias("fraud", "production", 2)

    client.set_registered_model_alias("fraud", "production", 1, reason="launch")
    client.set_registered_model_alias("fraud", "challenger", 2)
    assert client.get_model_version_by_alias("fraud", "production").run_id == first
    history = client.get_alias_history("fraud", "production")
    assert [(e.action.value, e.to_version, e.reason) for e in history] == [
        ("protect", None, "release policy"),
        ("set", 1, "launch"),
    ]
    assert [a.actor for a in client.list_approvals("fraud")] == ["bob", "bob"]

    location = resolve_model_uri("models:/fraud@production")
    assert (location.run_id, location.artifact_path) == (first, "model")
    assert resolve_model_uri("models:/fraud/2").run_id == second

    html = client.render_model_card("fraud", 1, format="html")
    assert "validated on the March holdout" in html and "release policy" not in html


def test_client_search_and_pages(isolated_home: Path) -> None:
    client = mlsteward.Client()
    for name in ("churn-a", "churn-b", "fraud"):
        client.create_registered_model(name, tags={"team": "growth"}, description=name)
    page = client.search_registered_models("name LIKE 'churn%'", max_results=1)
    assert [m.name for m in page] == ["churn-a"] and page.token
    rest = client.search_registered_models("name LIKE 'churn%'", 1, page.token)
    assert [m.name for m in rest] == ["churn-b"] and rest.token is None
    run_id = _train(0.9)
    client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id)
    assert [v.version for v in client.search_model_versions(f"run_id = '{run_id}'")] == [1]
    with pytest.raises(NotFoundError, match="no alias"):
        client.get_model_version_by_alias("fraud", "champion")


def test_a_backend_without_registry_says_so() -> None:
    client = mlsteward.Client.__new__(mlsteward.Client)
    client._backend = object()
    with pytest.raises(MlstewardError, match="does not serve the model registry"):
        client.get_registered_model("fraud")


def test_log_model_registers_and_load_model_follows_the_alias(isolated_home: Path) -> None:
    np = pytest.importorskip("numpy")
    linear = pytest.importorskip("sklearn.linear_model")
    from mlsteward.models import load_model, log_model

    model = linear.LogisticRegression().fit(np.eye(3), [0, 1, 1])
    with mlsteward.start_run():
        info = log_model(model, "model", input_example=np.eye(3), registered_model_name="clf")
    assert info.registered_version.version == 1
    client = mlsteward.Client()
    client.set_registered_model_alias("clf", "champion", 1)
    loaded = load_model("models:/clf@champion")
    assert loaded.predict(np.eye(3)).tolist() == model.predict(np.eye(3)).tolist()
    card = client.render_model_card("clf", 1)
    assert "sklearn" in card and "LogisticRegression" in card
