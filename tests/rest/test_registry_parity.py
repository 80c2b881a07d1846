"""Over HTTP the registry behaves as locally: same entities, same errors, same reasons.

A ``LocalBackend`` opens the server's own database and artifact folder, so every read can be
asked through both doors and compared value for value, and every refusal raised by both and
compared by type, message and gate reasons.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mlsteward.domain.entities import Metric, RunTag
from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.registry import GateError
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.interfaces.sdk.registry_backend import RegistryBackend
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

Doors = Callable[[str], tuple[HttpBackend, LocalBackend]]


@pytest.fixture
def doors(server_url: ServerURL) -> Iterator[Doors]:
    """``doors("bob")``: bob's HTTP backend and bob's local backend on the server's store."""
    opened: list[HttpBackend | LocalBackend] = []

    def make(user: str) -> tuple[HttpBackend, LocalBackend]:
        server = server_url.server
        pair = (
            HttpBackend(server_url, user=user),
            LocalBackend(server.store_uri, server.artifacts_uri, actor=user),
        )
        opened.extend(pair)
        return pair

    yield make
    for backend in opened:
        backend.close()


def _scenario(alice: HttpBackend, bob: HttpBackend) -> str:
    """A model with history of every kind, written over HTTP."""
    name = f"parity {uuid.uuid4().hex[:8]}"
    experiment = alice.create_experiment(f"exp-{uuid.uuid4().hex[:12]}")
    run_id = alice.create_run(experiment.experiment_id).info.run_id
    alice.log_batch(run_id, [Metric("auc", 0.9, 1, 0)], (), [RunTag("mlsteward.git.commit", "c")])
    env = {"python": {"version": "3.11.0"}, "packages": {"numpy": "2.0"}}
    alice.log_artifact_bytes(run_id, "_environment.json", json.dumps(env).encode())
    alice.log_artifact_bytes(run_id, "model/model.pkl", b"w")
    alice.create_registered_model(name, "parity", {"team": "risk"})
    for _ in range(3):
        alice.create_model_version(name, f"runs:/{run_id}/model", run_id, "v", {"k": "v"}, ["d"])
    alice.set_acceptance_thresholds(name, ["auc >= 0.8", "rmse <= 3"])
    alice.protect_alias(name, "production", reason="policy")
    alice.update_model_card(name, {"license": "MIT"})
    bob.attach_evaluation(name, 1, {"rmse": 2.0, "auc": 0.91})
    bob.approve_model_version(name, 1, "ok")
    bob.reject_model_version(name, 2, "no")
    alice.set_alias(name, "production", 1, "launch")
    for number in (1, 2, 3):
        alice.set_alias(name, "challenger", number)
    alice.rollback_alias(name, "challenger", "bad")
    alice.transition_stage(name, 3, "Staging", reason="try")
    return name


def test_reads_are_equal_through_both_doors(doors: Doors) -> None:
    (alice, _), (bob, local) = doors("alice"), doors("bob")
    name = _scenario(alice, bob)
    reads: list[Callable[[RegistryBackend], Any]] = [
        lambda b: b.get_registered_model(name),
        lambda b: b.get_model_version(name, 1),
        lambda b: b.search_registered_models(f"name = '{name}'", 10, None),
        lambda b: b.search_model_versions(f"name = '{name}'", 2, None),
        lambda b: b.get_latest_versions(name, None),
        lambda b: b.get_version_by_alias(name, "challenger"),
        lambda b: b.alias_history(name, None),
        lambda b: b.alias_history(name, "production"),
        lambda b: b.stage_history(name, None),
        lambda b: b.list_approvals(name, None),
        lambda b: b.list_approvals(name, 2),
        lambda b: b.resolve_model_uri(f"models:/{name}@production"),
        lambda b: b.resolve_model_uri(f"models:/{name}/Staging"),
        lambda b: b.render_model_card(name, 1, "markdown"),
        lambda b: b.render_model_card(name, 1, "html"),
    ]
    for read in reads:
        assert read(bob) == read(local)


def _outcome(call: Callable[[RegistryBackend], Any], backend: RegistryBackend) -> tuple[Any, ...]:
    with pytest.raises(MlstewardError) as raised:
        call(backend)
    error = raised.value
    reasons = error.reasons if isinstance(error, GateError) else None
    return type(error), error.message, reasons


def test_refusals_are_equal_through_both_doors(doors: Doors) -> None:
    (alice, alice_local), (bob, bob_local) = doors("alice"), doors("bob")
    name = _scenario(alice, bob)
    refused: list[tuple[Callable[[RegistryBackend], Any], RegistryBackend, RegistryBackend]] = [
        (lambda b: b.set_alias(name, "production", 2), alice, alice_local),
        (lambda b: b.set_alias(name, "production", 3), alice, alice_local),
        (lambda b: b.transition_stage(name, 2, "Production"), alice, alice_local),
        (lambda b: b.approve_model_version(name, 3, "mine"), alice, alice_local),
        (lambda b: b.approve_model_version(name, 1, "again"), bob, bob_local),
        (lambda b: b.reject_model_version(name, 1, " "), bob, bob_local),
        (lambda b: b.set_alias(name, "latest", 1), alice, alice_local),
        (lambda b: b.set_alias(name, "champion", 9), alice, alice_local),
        (lambda b: b.get_version_by_alias(name, "nope"), alice, alice_local),
        (lambda b: b.get_registered_model(name + " missing"), alice, alice_local),
        (lambda b: b.get_registered_model("a/b"), alice, alice_local),
        (lambda b: b.get_registered_model(""), alice, alice_local),
        (lambda b: b.create_registered_model(name), alice, alice_local),
        (lambda b: b.set_acceptance_thresholds(name, ["auc >> 1"]), alice, alice_local),
        (lambda b: b.update_model_card(name, {"purpose": "x"}), alice, alice_local),
        (lambda b: b.search_model_versions("metrics.x > 1", 10, None), alice, alice_local),
        (lambda b: b.resolve_model_uri("runs:/x/model"), alice, alice_local),
        (lambda b: b.render_model_card(name, 1, "pdf"), alice, alice_local),
        (lambda b: b.rollback_alias(name, "production"), alice, alice_local),
        (lambda b: b.delete_alias(name, "nope"), alice, alice_local),
        (lambda b: b.create_model_version(name, "runs:/nope/model"), alice, alice_local),
    ]
    for call, over_http, local in refused:
        assert _outcome(call, over_http) == _outcome(call, local)
