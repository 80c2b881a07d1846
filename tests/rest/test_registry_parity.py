"""Over HTTP the registry behaves as locally: same entities, same errors, same reasons.

A local door opens the server's own database and artifact folder, so every read can be
asked through both doors (a ``Client`` on each) and compared value for value, and every
refusal raised by both and compared by type, message and gate reasons.
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
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.http_backend import HttpBackend
from mlsteward.interfaces.sdk.local_backend import LocalBackend
from mlsteward.testing.operation_doors import client_over
from mlsteward.testing.server_process import ServerURL

pytestmark = pytest.mark.server

Doors = Callable[[str], tuple[Client, Client]]


@pytest.fixture
def doors(server_url: ServerURL) -> Iterator[Doors]:
    """``doors("bob")``: bob's client over HTTP and bob's local client on the server's store."""
    opened: list[HttpBackend | LocalBackend] = []

    def make(user: str) -> tuple[Client, Client]:
        server = server_url.server
        pair = (
            HttpBackend(server_url, user=user),
            LocalBackend(server.store_uri, server.artifacts_uri, actor=user),
        )
        opened.extend(pair)
        return client_over(pair[0]), client_over(pair[1])

    yield make
    for backend in opened:
        backend.close()


def _scenario(alice: Client, bob: Client) -> str:
    """A model with history of every kind, written over HTTP."""
    name = f"parity {uuid.uuid4().hex[:8]}"
    run_id = alice.create_run(alice.create_experiment(f"exp-{uuid.uuid4().hex[:12]}")).info.run_id
    alice.log_batch(run_id, [Metric("auc", 0.9, 1, 0)], (), [RunTag("mlsteward.git.commit", "c")])
    env = {"python": {"version": "3.11.0"}, "packages": {"numpy": "2.0"}}
    alice.log_text(run_id, json.dumps(env), "_environment.json")
    alice.log_text(run_id, "w", "model/model.pkl")
    alice.create_registered_model(name, {"team": "risk"}, "parity")
    for _ in range(3):
        alice.create_model_version(name, f"runs:/{run_id}/model", run_id, {"k": "v"}, "v", ["d"])
    alice.set_acceptance_thresholds(name, ["auc >= 0.8", "rmse <= 3"])
    alice.protect_alias(name, "production", reason="policy")
    alice.update_model_card(name, {"license": "MIT"})
    bob.attach_evaluation(name, 1, {"rmse": 2.0, "auc": 0.91})
    bob.approve_model_version(name, 1, "ok")
    bob.reject_model_version(name, 2, "no")
    alice.set_registered_model_alias(name, "production", 1, "launch")
    for number in (1, 2, 3):
        alice.set_registered_model_alias(name, "challenger", number)
    alice.rollback_alias(name, "challenger", "bad")
    alice.transition_model_version_stage(name, 3, "Staging", reason="try")
    return name


def _page(page: Any) -> tuple[list[Any], str | None]:
    return list(page), page.token


def test_reads_are_equal_through_both_doors(doors: Doors) -> None:
    (alice, _), (bob, local) = doors("alice"), doors("bob")
    name = _scenario(alice, bob)
    reads: list[Callable[[Client], Any]] = [
        lambda c: c.get_registered_model(name),
        lambda c: c.get_model_version(name, 1),
        lambda c: _page(c.search_registered_models(f"name = '{name}'", 10, None)),
        lambda c: _page(c.search_model_versions(f"name = '{name}'", 2, None)),
        lambda c: c.get_latest_versions(name, None),
        lambda c: c.get_model_version_by_alias(name, "challenger"),
        lambda c: c.get_alias_history(name, None),
        lambda c: c.get_alias_history(name, "production"),
        lambda c: c.get_stage_history(name, None),
        lambda c: c.list_approvals(name, None),
        lambda c: c.list_approvals(name, 2),
        lambda c: c.resolve_model_uri(f"models:/{name}@production"),
        lambda c: c.resolve_model_uri(f"models:/{name}/Staging"),
        lambda c: c.render_model_card(name, 1, "markdown"),
        lambda c: c.render_model_card(name, 1, "html"),
    ]
    for read in reads:
        assert read(bob) == read(local)


def _outcome(call: Callable[[Client], Any], client: Client) -> tuple[Any, ...]:
    with pytest.raises(MlstewardError) as raised:
        call(client)
    error = raised.value
    reasons = error.reasons if isinstance(error, GateError) else None
    return type(error), error.message, reasons


def test_refusals_are_equal_through_both_doors(doors: Doors) -> None:
    (alice, alice_local), (bob, bob_local) = doors("alice"), doors("bob")
    name = _scenario(alice, bob)
    refused: list[tuple[Callable[[Client], Any], Client, Client]] = [
        (lambda c: c.set_registered_model_alias(name, "production", 2), alice, alice_local),
        (lambda c: c.set_registered_model_alias(name, "production", 3), alice, alice_local),
        (lambda c: c.transition_model_version_stage(name, 2, "Production"), alice, alice_local),
        (lambda c: c.approve_model_version(name, 3, "mine"), alice, alice_local),
        (lambda c: c.approve_model_version(name, 1, "again"), bob, bob_local),
        (lambda c: c.reject_model_version(name, 1, " "), bob, bob_local),
        (lambda c: c.set_registered_model_alias(name, "latest", 1), alice, alice_local),
        (lambda c: c.set_registered_model_alias(name, "champion", 9), alice, alice_local),
        (lambda c: c.get_model_version_by_alias(name, "nope"), alice, alice_local),
        (lambda c: c.get_registered_model(name + " missing"), alice, alice_local),
        (lambda c: c.get_registered_model("a/b"), alice, alice_local),
        (lambda c: c.get_registered_model(""), alice, alice_local),
        (lambda c: c.create_registered_model(name), alice, alice_local),
        (lambda c: c.set_acceptance_thresholds(name, ["auc >> 1"]), alice, alice_local),
        (lambda c: c.update_model_card(name, {"purpose": "x"}), alice, alice_local),
        (lambda c: c.search_model_versions("metrics.x > 1", 10, None), alice, alice_local),
        (lambda c: c.resolve_model_uri("runs:/x/model"), alice, alice_local),
        (lambda c: c.render_model_card(name, 1, "pdf"), alice, alice_local),
        (lambda c: c.rollback_alias(name, "production"), alice, alice_local),
        (lambda c: c.delete_registered_model_alias(name, "nope"), alice, alice_local),
        (lambda c: c.create_model_version(name, "runs:/nope/model"), alice, alice_local),
    ]
    for call, over_http, local in refused:
        assert _outcome(call, over_http) == _outcome(call, local)
