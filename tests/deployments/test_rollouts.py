"""Rollouts through the SDK's in-process door: the plan's routes at each step, the analysis
reading the prediction log (error rate, p99 latency, prediction drift, labels) and acting on
it, manual promote / rollback / pause / resume, and the registry's gates on promotion.

The prediction log is written here with the data plane's own writer, so each verdict rests
on records whose figures the test chose; the data plane itself is exercised in
``tests/serving/test_rollout_*.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from mlsteward.domain.deployments import RouteTarget
from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.domain.predictions import Feedback, PredictionRecord
from mlsteward.domain.registry import GateError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.services.deployment.rollout_loop import RolloutAnalysis
from mlsteward.services.deployment.rollouts import analyze_rollouts
from mlsteward.storage.prediction_log import FeedbackLog, PredictionLogWriter

from .conftest import register_version

NAME = "churn-api"
FAST = {"interval_s": 0.0, "min_requests": 40, "min_labels": 40}


@pytest.fixture
def churn(client: Client) -> Iterator[str]:
    """``churn`` versions 1 (behind ``champion``) and 2, deployed as ``churn-api``."""
    register_version(client, "churn")
    register_version(client, "churn")
    client.set_registered_model_alias("churn", "champion", 1)
    client.deployments.create(NAME, "models:/churn@champion", reason="launch")
    yield "churn"


def _log(
    client: Client,
    route: str,
    version: int,
    n: int,
    *,
    seed: int,
    failures: int = 0,
    latency_ms: float = 5.0,
    positive: float = 0.5,
) -> list[str]:
    """``n`` predictions of ``version`` on ``route`` (``failures`` of them 500s), written
    and flushed; their IDs."""
    rng = np.random.default_rng(seed)
    writer = PredictionLogWriter(client.deployments.plan(NAME).log_root).start()
    ids = []
    for i in range(n):
        prediction_id = new_prediction_id()
        failed = i < failures
        predicted = (rng.random(4) < positive).astype(int).tolist()
        writer.submit(
            PredictionRecord(
                prediction_id=prediction_id,
                deployment=NAME,
                model_name="churn",
                model_version=version,
                route=route,
                time_ms=0,
                latency_ms=latency_ms,
                rows=4,
                inputs={"income": rng.normal(size=4).tolist(), "tenure": [1, 2, 3, 4]},
                outputs={} if failed else {"prediction": predicted},
                status=500 if failed else 200,
                error="boom" if failed else None,
            )
        )
        ids.append(prediction_id)
    writer.close()
    return ids


def test_a_canary_steps_through_its_weights_and_is_promoted(client: Client, churn: str) -> None:
    started = client.deployments.rollout(
        NAME, 2, steps=[0.1, 0.5, 1.0], criteria=FAST, reason="try v2"
    )
    assert started.rollout is not None and started.rollout.state == "progressing"
    assert client.deployments.plan(NAME).routes == (
        RouteTarget("stable", "churn", 1, 0.9),
        RouteTarget("canary", "churn", 2, 0.1),
    )
    _log(client, "stable", 1, 60, seed=1)
    assert client.deployments.analyze(NAME).rollout.state == "progressing"  # type: ignore[union-attr]
    # Too few canary answers: it waits.
    assert client.deployments.get(NAME).revision == started.revision
    for weight, seed in ((0.5, 2), (1.0, 3)):
        _log(client, "canary", 2, 50, seed=seed)
        after = client.deployments.analyze(NAME)
        assert after.rollout is not None and after.rollout.weight == weight
        assert client.deployments.plan(NAME).routes[1].weight == weight
    _log(client, "canary", 2, 50, seed=4)
    done = client.deployments.analyze(NAME)
    assert done.rollout is not None and done.rollout.state == "promoted"
    assert client.get_registered_model("churn").aliases["champion"] == 2
    assert client.deployments.plan(NAME).routes == (RouteTarget("stable", "churn", 2, 1.0),)
    events = client.deployments.history(NAME)
    assert [e.action for e in events[:4]] == ["promote", "advance", "advance", "rollout"]
    promoted = events[0]
    assert promoted.actor == "alice" and promoted.model_version == 2
    evidence = next(c for c in promoted.changes if c.field == "rollout").after["evidence"]
    assert evidence["outcome"] == "pass"
    assert evidence["candidate"]["requests"] == 50
    assert evidence["drift"]["drifted"] is False


def test_errors_roll_the_canary_back_with_the_evidence(client: Client, churn: str) -> None:
    client.deployments.rollout(NAME, 2, criteria=FAST, reason="try v2")
    _log(client, "stable", 1, 60, seed=1)
    _log(client, "canary", 2, 10, seed=2, failures=3)
    after = client.deployments.analyze(NAME)
    assert after.rollout is not None and after.rollout.state == "rolled_back"
    assert "error rate 30.00%" in after.rollout.message
    assert after.rollout.evidence is not None
    assert after.rollout.evidence["candidate"]["errors"] == 3
    assert client.deployments.plan(NAME).routes == (RouteTarget("stable", "churn", 1, 1.0),)
    assert client.get_registered_model("churn").aliases["champion"] == 1
    event = client.deployments.history(NAME)[0]
    assert event.action == "rollback" and event.reason.startswith("automatic rollback")


def test_a_slow_canary_is_rolled_back(client: Client, churn: str) -> None:
    client.deployments.rollout(
        NAME, 2, criteria={**FAST, "max_p99_latency_ms": 100.0}, reason="try v2"
    )
    _log(client, "canary", 2, 5, seed=2, latency_ms=900.0)
    after = client.deployments.analyze(NAME)
    assert after.rollout is not None and after.rollout.state == "rolled_back"
    assert "p99 latency 900.0 ms" in after.rollout.message


def test_drifted_predictions_roll_the_canary_back(client: Client, churn: str) -> None:
    client.deployments.rollout(NAME, 2, criteria=FAST, reason="try v2")
    _log(client, "stable", 1, 100, seed=1, positive=0.5)
    _log(client, "canary", 2, 100, seed=2, positive=0.97)
    after = client.deployments.analyze(NAME)
    assert after.rollout is not None and after.rollout.state == "rolled_back"
    assert "predictions drifted" in after.rollout.message
    assert after.rollout.evidence["drift"]["columns"]["prediction"]["drifted"] is True  # type: ignore[index]


def test_labels_that_show_a_worse_candidate_roll_it_back(client: Client, churn: str) -> None:
    client.deployments.rollout(NAME, 2, criteria={**FAST, "check_drift": False}, reason="v2")
    stable_ids = _log(client, "stable", 1, 60, seed=1)
    canary_ids = _log(client, "canary", 2, 60, seed=1)  # same predictions as the stable ones
    root = client.deployments.plan(NAME).log_root
    from mlsteward.storage.prediction_log import PredictionLogReader

    reader = PredictionLogReader(root)
    items = []
    for ids, right in ((stable_ids, True), (canary_ids, False)):
        for prediction_id in ids:
            record = reader.get(prediction_id, NAME)
            assert record is not None
            predicted = record.outputs["prediction"]
            labels = predicted if right else [1 - p for p in predicted]
            now = int(time.time() * 1000)
            items.append(Feedback(prediction_id, NAME, labels, now, "alice"))
    FeedbackLog(root).append(NAME, items)
    after = client.deployments.analyze(NAME)
    assert after.rollout is not None and after.rollout.state == "rolled_back"
    assert "accuracy 0.000 is 1.000 below" in after.rollout.message
    assert after.rollout.evidence["labels"]["stable"]["accuracy"] == 1.0  # type: ignore[index]


def test_a_protected_alias_keeps_its_gates(client: Client, churn: str) -> None:
    client.protect_alias("churn", "champion", reason="release policy")
    client.deployments.rollout(NAME, 2, steps=[1.0], criteria=FAST, reason="try v2")
    _log(client, "canary", 2, 50, seed=2)
    held = client.deployments.analyze(NAME)  # healthy, but v2 has no approval
    assert held.rollout is not None and held.rollout.state == "paused"
    assert "registry refused" in held.rollout.message
    assert client.get_registered_model("churn").aliases["champion"] == 1
    with pytest.raises(GateError):
        client.deployments.promote(NAME, reason="ship it anyway")
    assert client.deployments.plan(NAME).routes[1] == RouteTarget("canary", "churn", 2, 1.0)
    Client(client.tracking_uri, user="bob").approve_model_version("churn", 2, "reviewed")
    client.deployments.resume(NAME, reason="approved now")
    done = client.deployments.promote(NAME, reason="approved")
    assert done.rollout is not None and done.rollout.state == "promoted"
    assert client.get_registered_model("churn").aliases["champion"] == 2


def test_manual_pause_resume_and_rollback(client: Client, churn: str) -> None:
    client.deployments.rollout(NAME, 2, strategy="blue_green", criteria=FAST, reason="bg")
    plan = client.deployments.plan(NAME)
    assert plan.routes == (
        RouteTarget("stable", "churn", 1, 1.0),
        RouteTarget("canary", "churn", 2, 0.0),
    )
    # The green version only had to warm: the first analysis switches all traffic to it.
    switched = client.deployments.analyze(NAME)
    assert switched.rollout is not None and switched.rollout.weight == 1.0
    assert client.deployments.plan(NAME).routes[0] == RouteTarget("stable", "churn", 1, 0.0)
    paused = client.deployments.pause(NAME, reason="holding for the weekend")
    assert paused.rollout is not None and paused.rollout.state == "paused"
    _log(client, "canary", 2, 5, seed=2, failures=5)
    ctx: Any = client._backend.ctx  # type: ignore[attr-defined]
    assert analyze_rollouts(ctx) == {}  # a paused rollout is left alone
    assert client.deployments.analyze(NAME).rollout.state == "paused"  # type: ignore[union-attr]
    client.deployments.resume(NAME, reason="back")
    back = client.deployments.rollback(NAME, reason="changed my mind")
    assert back.rollout is not None and back.rollout.state == "rolled_back"
    assert client.deployments.plan(NAME).routes == (RouteTarget("stable", "churn", 1, 1.0),)
    with pytest.raises(ConflictError, match="no rollout under way"):
        client.deployments.promote(NAME, reason="too late")


def test_shadow_routes_and_bad_requests(client: Client, churn: str) -> None:
    with pytest.raises(InvalidArgumentError, match="strategy"):
        client.deployments.rollout(NAME, 2, strategy="yolo", reason="x")
    with pytest.raises(InvalidArgumentError, match="steps must grow"):
        client.deployments.rollout(NAME, 2, steps=[0.5, 0.2], reason="x")
    with pytest.raises(InvalidArgumentError, match="sticky_key"):
        client.deployments.rollout(NAME, 2, sticky_key="cookie:x", reason="x")
    with pytest.raises(InvalidArgumentError, match="is the one"):
        client.deployments.rollout(NAME, 1, reason="x")
    assert client.deployments.get(NAME).rollout is None
    client.deployments.rollout(
        NAME, 2, strategy="shadow", sticky_key="header:X-User", reason="shadow v2"
    )
    plan = client.deployments.plan(NAME)
    assert plan.routes == (
        RouteTarget("stable", "churn", 1, 1.0),
        RouteTarget("shadow", "churn", 2, 0.0),
    )
    assert plan.sticky_key == "header:x-user"
    with pytest.raises(ConflictError, match="already has a rollout"):
        client.deployments.rollout(NAME, 2, reason="again")


def test_the_server_loop_rolls_a_failing_canary_back(client: Client, churn: str) -> None:
    client.deployments.rollout(NAME, 2, criteria=FAST, reason="try v2")
    _log(client, "canary", 2, 4, seed=2, failures=4)
    ctx: Any = client._backend.ctx  # type: ignore[attr-defined]
    with RolloutAnalysis(ctx, interval_s=0.05):
        deadline = time.monotonic() + 30
        while client.deployments.get(NAME).rollout.state == "progressing":  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the loop never decided"
            time.sleep(0.05)
    assert client.deployments.get(NAME).rollout.state == "rolled_back"  # type: ignore[union-attr]
    assert analyze_rollouts(ctx) == {}
