"""The model registry through ``Client`` on ``http://``: every route, two users, one server.

The registry's rule suites (``mlsteward.testing.registry_*conformance``) act on services and
stores directly, so this module drives the same behaviours through the SDK's HTTP backend:
``alice`` builds and registers, ``bob`` and ``carol`` review. Each user is an
``HttpBackend(url, user=...)``; ``Client(url)`` itself acts as the OS user.
"""

from __future__ import annotations

import html
import json
import math
import uuid
from collections.abc import Callable, Iterator

import pytest

import mlsteward
from mlsteward.domain.entities import Metric, RunTag
from mlsteward.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from mlsteward.domain.registry import AliasAction, GateError, ModelStage
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.context import local_actor
from mlsteward.services.registry import operations as ops
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

COMMIT = "0123456789abcdef0123456789abcdef01234567"
UserClient = Callable[[str], mlsteward.Client]


@pytest.fixture
def as_user(server_url: ServerURL) -> Iterator[UserClient]:
    """``as_user("bob")`` is a Client whose requests carry ``X-Mlsteward-User: bob``."""
    backends: list[HttpBackend] = []

    def make(user: str) -> mlsteward.Client:
        backend = HttpBackend(server_url, user=user)
        backends.append(backend)
        client = mlsteward.Client.__new__(mlsteward.Client)  # Client(url) is the OS user
        client._backend = backend
        client.tracking_uri = backend.uri
        return client

    yield make
    for backend in backends:
        backend.close()


def train(client: mlsteward.Client, metrics: dict[str, float]) -> str:
    """A finished run over HTTP with metrics, a commit tag, an environment and model files."""
    experiment_id = client.create_experiment(f"exp-{uuid.uuid4().hex[:12]}")
    run_id = client.create_run(experiment_id).info.run_id
    points = [Metric(k, v, 1_000, 0) for k, v in metrics.items()]
    client.log_batch(run_id, points, (), [RunTag("mlsteward.git.commit", COMMIT)])
    environment = {"python": {"version": "3.11.0"}, "packages": {"scikit-learn": "1.5.0"}}
    client.log_text(run_id, json.dumps(environment), "_environment.json")
    manifest = {"flavor": {"name": "sklearn"}, "model_class": "LogisticRegression"}
    client.log_text(run_id, json.dumps(manifest), "model/MLmodel.json")
    client.log_text(run_id, "weights", "model/model.pkl")
    client.set_terminated(run_id, "FINISHED")
    return run_id


def registered(alice: mlsteward.Client, *metric_sets: dict[str, float]) -> str:
    """A new model with one version per metric set, all registered by alice."""
    name = f"m-{uuid.uuid4().hex[:12]}"
    alice.create_registered_model(name, description="test model")
    for metrics in metric_sets:
        run_id = train(alice, metrics)
        alice.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
    return name


def test_client_on_http_has_the_registry_as_the_os_user(server_url: ServerURL) -> None:
    client = mlsteward.Client(server_url)
    name = f"m-{uuid.uuid4().hex[:12]}"
    model = client.create_registered_model(name, tags={"team": "risk"}, description="d")
    assert (model.created_by, model.tags, model.description) == (
        local_actor(),
        {"team": "risk"},
        "d",
    )
    assert client.get_registered_model(name) == model
    with pytest.raises(AlreadyExistsError):
        client.create_registered_model(name)
    with pytest.raises(NotFoundError, match="No registered model"):
        client.get_registered_model(name + "-missing")


def test_lineage_tags_descriptions_and_uris(as_user: UserClient) -> None:
    alice = as_user("alice")
    name = registered(alice, {"auc": 0.9})
    run_id = train(alice, {"auc": 0.8})
    version = alice.create_model_version(
        name, f"runs:/{run_id}/model", tags={"k": 1}, description="v2", dataset_version_ids=["d"]
    )
    assert (version.version, version.run_id, version.git_commit) == (2, run_id, COMMIT)
    assert version.environment_digest and version.tags == {"k": "1"}
    assert (version.created_by, version.dataset_version_ids) == ("alice", ("d",))
    with pytest.raises(NotFoundError, match="no artifacts at 'weights'"):
        alice.create_model_version(name, f"runs:/{run_id}/weights")

    alice.update_registered_model(name, "new description")
    alice.set_registered_model_tag(name, "owner/team", "risk ops")
    alice.update_model_version(name, "2", "second")
    alice.set_model_version_tag(name, 2, "eval/set", "march")
    model = alice.get_registered_model(name)
    assert (model.description, model.tags, model.latest_version) == (
        "new description", {"owner/team": "risk ops"}, 2,
    )  # fmt: skip
    found = alice.get_model_version(name, 2)
    assert (found.description, found.tags) == ("second", {"k": "1", "eval/set": "march"})
    alice.delete_registered_model_tag(name, "owner/team")
    alice.delete_model_version_tag(name, 2, "eval/set")
    assert alice.get_registered_model(name).tags == {}
    assert alice.get_model_version(name, 2).tags == {"k": "1"}

    alice.set_registered_model_alias(name, "champion", 1)
    alice.transition_model_version_stage(name, 2, "staging")
    assert alice.resolve_model_uri(f"models:/{name}@champion").version == 1
    assert alice.resolve_model_uri(f"models:/{name}/2").version == 2
    assert alice.resolve_model_uri(f"models:/{name}/latest").version == 2
    assert alice.resolve_model_uri(f"models:/{name}/Staging").version == 2
    with pytest.raises(NotFoundError, match="no version in Production"):
        alice.resolve_model_uri(f"models:/{name}/Production")
    with pytest.raises(InvalidArgumentError, match="Invalid model URI"):
        alice.resolve_model_uri(f"models:/{name}")


def test_approvals_need_a_second_person(as_user: UserClient) -> None:
    alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
    name = registered(alice, {"auc": 0.9})
    with pytest.raises(PermissionDeniedError, match="'alice' registered version 1") as refused:
        alice.approve_model_version(name, 1, "looks good to me")
    assert not isinstance(refused.value, GateError)
    with pytest.raises(InvalidArgumentError, match="comment is required"):
        bob.approve_model_version(name, 1, "  ")
    assert alice.list_approvals(name) == []
    approval = bob.approve_model_version(name, "1", "validated on holdout")
    assert (approval.actor, approval.decision.value, approval.comment) == (
        "bob", "APPROVED", "validated on holdout",
    )  # fmt: skip
    with pytest.raises(ConflictError, match="already approved"):
        bob.approve_model_version(name, 1, "again")
    carol.reject_model_version(name, 1, "leaks the label")
    with pytest.raises(ConflictError, match="already rejected"):
        carol.reject_model_version(name, 1, "still leaking")
    bob.approve_model_version(name, 1, "label leak fixed upstream")
    trail = [(a.actor, a.decision.value) for a in alice.list_approvals(name, 1)]
    assert trail == [("bob", "APPROVED"), ("carol", "REJECTED"), ("bob", "APPROVED")]
    assert alice.list_approvals(name) == alice.list_approvals(name, "1")


def test_gates_refuse_with_every_reason(as_user: UserClient) -> None:
    alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
    name = registered(alice, {"roc_auc": 0.9})
    model = alice.set_acceptance_thresholds(name, ["roc_auc >= 0.85", "rmse <= 3.0"])
    assert [str(t) for t in model.acceptance_thresholds] == ["roc_auc >= 0.85", "rmse <= 3"]
    assert alice.protect_alias(name, "production", reason="policy").protected_aliases == (
        "production",
    )
    with pytest.raises(GateError) as refused:
        alice.set_registered_model_alias(name, "production", 1)
    assert len(refused.value.reasons) == 2
    assert "no approval" in refused.value.reasons[0] and "'rmse'" in refused.value.reasons[1]
    assert refused.value.reasons[0] in str(refused.value)
    bob.approve_model_version(name, 1, "ok")
    with pytest.raises(GateError, match=r"rmse <= 3 cannot be checked") as refused:
        alice.set_registered_model_alias(name, "production", 1)
    assert len(refused.value.reasons) == 1
    bob.attach_evaluation(name, 1, {"rmse": 3.5, "roc_auc": 0.8})
    with pytest.raises(GateError, match=r"roc_auc = 0\.8 \(from the attached evaluation\)"):
        alice.set_registered_model_alias(name, "production", 1)
    evaluated = bob.attach_evaluation(name, 1, {"rmse": 2.5, "roc_auc": 0.88})
    assert evaluated.evaluation == {"rmse": 2.5, "roc_auc": 0.88}
    with pytest.raises(GateError, match="on an earlier evaluation; re-approval needed"):
        alice.set_registered_model_alias(name, "production", 1)
    bob.approve_model_version(name, 1, "holdout rmse 2.5")
    event = alice.set_registered_model_alias(name, "production", 1, reason="first release")
    assert event is not None and (event.actor, event.reason) == ("alice", "first release")
    assert bob.get_model_version_by_alias(name, "production").version == 1
    assert alice.get_model_version(name, 1).aliases == ("production",)

    carol.reject_model_version(name, 1, "bias on segment B")
    bob.protect_alias(name, "production", protected=False, reason="freeze over")
    with pytest.raises(InvalidArgumentError):
        alice.set_acceptance_thresholds(name, ["auc >> 0.8"])
    assert alice.get_registered_model(name).protected_aliases == ()


def test_alias_history_and_rollback(as_user: UserClient) -> None:
    alice, bob = as_user("alice"), as_user("bob")
    name = registered(alice, {}, {}, {})
    with pytest.raises(InvalidArgumentError, match="no earlier version"):
        alice.rollback_alias(name, "champion")
    for number in (1, 2, 3):
        alice.set_registered_model_alias(name, "champion", number, reason=f"v{number}")
    assert alice.set_registered_model_alias(name, "champion", 3) is None  # already there
    back = alice.rollback_alias(name, "champion", reason="p99 latency")
    assert (back.action, back.from_version, back.to_version) == (AliasAction.ROLLBACK, 3, 2)
    assert (back.actor, back.reason) == ("alice", "p99 latency")
    assert bob.rollback_alias(name, "champion").to_version == 1
    with pytest.raises(InvalidArgumentError, match="no earlier version"):
        alice.rollback_alias(name, "champion")
    deleted = alice.delete_registered_model_alias(name, "champion", reason="incident")
    assert (deleted.action, deleted.from_version, deleted.to_version) == (
        AliasAction.DELETE, 1, None,
    )  # fmt: skip
    with pytest.raises(NotFoundError, match="no alias 'champion'"):
        alice.get_model_version_by_alias(name, "champion")
    assert alice.rollback_alias(name, "champion").to_version == 1
    alice.set_registered_model_alias(name, "challenger", 2)
    history = alice.get_alias_history(name, "champion")
    assert [(e.action.value, e.from_version, e.to_version, e.actor) for e in history] == [
        ("set", None, 1, "alice"), ("set", 1, 2, "alice"), ("set", 2, 3, "alice"),
        ("rollback", 3, 2, "alice"), ("rollback", 2, 1, "bob"), ("delete", 1, None, "alice"),
        ("rollback", None, 1, "alice"),
    ]  # fmt: skip
    assert [e.reason for e in history[:3]] == ["v1", "v2", "v3"]
    assert len(alice.get_alias_history(name)) == len(history) + 1
    assert alice.get_registered_model(name).aliases == {"champion": 1, "challenger": 2}

    for bad in ("latest", "v2", "two words", "", "a/b", "9lives"):
        with pytest.raises(InvalidArgumentError):
            alice.set_registered_model_alias(name, bad, 1)
    with pytest.raises(NotFoundError, match="no version 4"):
        alice.set_registered_model_alias(name, "challenger", 4)


def test_rollback_onto_a_rejected_version_is_gated(as_user: UserClient) -> None:
    alice, bob = as_user("alice"), as_user("bob")
    name = registered(alice, {}, {})
    alice.protect_alias(name, "production")
    for number in (1, 2):
        bob.approve_model_version(name, number, "ok")
        alice.set_registered_model_alias(name, "production", number)
    bob.reject_model_version(name, 1, "found a data bug")
    with pytest.raises(GateError, match="rejected by 'bob'") as refused:
        alice.rollback_alias(name, "production", reason="incident")
    assert refused.value.reasons and "rejected by 'bob'" in refused.value.reasons[0]
    assert alice.get_model_version_by_alias(name, "production").version == 2


def test_stages_and_their_gate(as_user: UserClient) -> None:
    alice, bob = as_user("alice"), as_user("bob")
    name = registered(alice, {}, {})
    staged = alice.transition_model_version_stage(name, 1, "staging")
    assert staged.current_stage is ModelStage.STAGING
    alice.protect_alias(name, "production")
    with pytest.raises(GateError, match="gated stage 'Production'") as refused:
        alice.transition_model_version_stage(name, 1, "Production")
    assert len(refused.value.reasons) == 1
    with pytest.raises(InvalidArgumentError, match="Unknown stage"):
        alice.transition_model_version_stage(name, 1, "Prod")
    with pytest.raises(InvalidArgumentError, match="archive_existing"):
        alice.transition_model_version_stage(name, 1, "Archived", archive_existing_versions=True)
    bob.approve_model_version(name, 1, "ok")
    bob.approve_model_version(name, 2, "ok")
    alice.transition_model_version_stage(name, 1, "Production", reason="go live")
    alice.transition_model_version_stage(name, 2, "Production", archive_existing_versions=True)
    latest = alice.get_latest_versions(name)
    assert [(v.version, v.current_stage) for v in latest] == [
        (1, ModelStage.ARCHIVED), (2, ModelStage.PRODUCTION),
    ]  # fmt: skip
    assert [v.version for v in alice.get_latest_versions(name, ["production"])] == [2]
    assert alice.get_latest_versions(name, ["Staging", "None"]) == []
    history = alice.get_stage_history(name, 1)
    assert [h.to_stage for h in history] == [
        ModelStage.STAGING, ModelStage.PRODUCTION, ModelStage.ARCHIVED,
    ]  # fmt: skip
    assert (history[1].reason, history[1].actor) == ("go live", "alice")
    assert len(alice.get_stage_history(name)) == 4


def test_search_pages_and_filters(as_user: UserClient) -> None:
    alice = as_user("alice")
    name = registered(alice, {}, {}, {})
    alice.set_registered_model_tag(name, "team", "risk")
    page = alice.search_model_versions(f"name = '{name}'", max_results=2)
    assert [v.version for v in page] == [3, 2] and page.token
    rest = alice.search_model_versions(f"name = '{name}'", 2, page.token)
    assert [v.version for v in rest] == [1] and rest.token is None
    with pytest.raises(InvalidArgumentError, match="different search"):
        alice.search_model_versions("version > 1", 2, page.token)
    with pytest.raises(InvalidArgumentError, match="unknown field"):
        alice.search_registered_models("metrics.auc > 1")
    with pytest.raises(InvalidArgumentError, match="max_results"):
        alice.search_registered_models(max_results=0)
    found = alice.search_registered_models(f"name = '{name}' AND tags.team = 'risk'")
    assert [m.name for m in found] == [name] and found.token is None
    newer = alice.search_model_versions(f"name = '{name}' AND version >= 2")
    assert [v.version for v in newer] == [3, 2]


def test_model_card_markdown_and_html(as_user: UserClient) -> None:
    alice, bob = as_user("alice"), as_user("bob")
    name = registered(alice, {"roc_auc": 0.91})
    alice.set_acceptance_thresholds(name, ["roc_auc >= 0.85"])
    bob.approve_model_version(name, 1, "checked calibration")
    alice.set_registered_model_alias(name, "champion", 1, reason="best auc")
    markdown = alice.render_model_card(name, 1)
    for section in ("Model details", "Intended use", "Metrics", "Caveats and recommendations"):
        assert f"## {section}" in markdown
    for recorded in (COMMIT, "sklearn (LogisticRegression)", "checked calibration", "best auc"):
        assert recorded in markdown
    assert "| roc_auc | 0.91 | run | roc_auc >= 0.85 | met |" in markdown
    assert "`primary_uses`: Primary intended uses" in markdown
    with pytest.raises(InvalidArgumentError, match="Unknown model-card field"):
        alice.update_model_card(name, {"purpose": "x"})
    model = alice.update_model_card(name, {"primary_uses": "Score card payments", "license": "MIT"})
    assert model.card == {"primary_uses": "Score card payments", "license": "MIT"}
    assert alice.update_model_card(name, {"license": None}).card == {
        "primary_uses": "Score card payments"
    }
    alice.set_model_version_tag(name, 1, "card.ethical_considerations", "None known")
    filled = alice.render_model_card(name, "1", format="md")
    assert "Score card payments" in filled and "None known" in filled
    page = bob.render_model_card(name, 1, format="html")
    assert page.startswith("<!DOCTYPE html>") and "Score card payments" in page
    assert "<script" not in page and "<link" not in page
    with pytest.raises(InvalidArgumentError, match="format"):
        alice.render_model_card(name, 1, format="pdf")


@pytest.mark.parametrize("name", ["fraud model ?#%&+ü.. v2", "..", "a%2Fb", "search", "resolve"])
def test_names_that_need_encoding_reach_every_route(as_user: UserClient, name: str) -> None:
    alice, bob = as_user("alice"), as_user("bob")
    assert alice.create_registered_model(name).name == name
    run_id = train(alice, {"auc": 0.9})
    alice.create_model_version(name, f"runs:/{run_id}/model")
    alice.set_registered_model_tag(name, "team/owner.name: x", "v")
    assert alice.get_registered_model(name).tags == {"team/owner.name: x": "v"}
    alice.protect_alias(name, "prod")
    bob.approve_model_version(name, 1, "ok")
    alice.set_registered_model_alias(name, "prod", 1)
    assert alice.get_model_version_by_alias(name, "prod").name == name
    assert alice.resolve_model_uri(f"models:/{name}@prod").run_id == run_id
    assert [e.action for e in alice.get_alias_history(name, "prod")] == [
        AliasAction.PROTECT, AliasAction.SET,
    ]  # fmt: skip
    assert html.escape(name) in alice.render_model_card(name, 1, format="html")
    assert [m.name for m in alice.search_registered_models(f"name = '{name}'")] == [name]


def test_names_the_registry_refuses(as_user: UserClient) -> None:
    alice = as_user("alice")
    for bad in ("a/b", "a@b", "", " padded", "tab\there"):
        with pytest.raises(InvalidArgumentError, match="model name"):
            alice.create_registered_model(bad)
        with pytest.raises(InvalidArgumentError, match="model name"):
            alice.get_registered_model(bad)
    with pytest.raises(InvalidArgumentError, match="positive whole number"):
        invoke(alice._backend.transport, ops.get_model_version, name="m", version=0)


def test_non_finite_evaluation_values_round_trip(as_user: UserClient) -> None:
    alice = as_user("alice")
    name = registered(alice, {})
    version = alice.attach_evaluation(name, 1, {"a": math.nan, "b": math.inf, "c": 1})
    assert math.isnan(version.evaluation["a"])
    assert (version.evaluation["b"], version.evaluation["c"]) == (math.inf, 1.0)
    with pytest.raises(InvalidArgumentError):
        alice.attach_evaluation(name, 1, {"auc": "high"})  # type: ignore[dict-item]
    with pytest.raises(InvalidArgumentError):
        alice.attach_evaluation(name, 1, {})
