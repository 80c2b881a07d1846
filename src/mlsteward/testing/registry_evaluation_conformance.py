"""Approvals vouch for an evaluation: the registry's rules about attached evaluations.

Part of ``RegistryConformance``, whose ``as_user`` and ``store_harness`` fixtures it uses.
The hostile case throughout: ``alice`` registers a version whose real numbers miss the
threshold, gets it approved by ``bob``, then attaches made-up numbers that meet it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from mlsteward.domain.errors import ConflictError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.domain.registry import (
    AliasAction,
    AliasGuard,
    ApprovalDecision,
    GateError,
    ModelStage,
)
from mlsteward.domain.registry_evaluation import evaluation_digest
from mlsteward.services.registry import aliases, approvals, models, stages, versions
from mlsteward.storage.registry_base import RegistryStore
from mlsteward.testing.registry_rules_conformance import Actor, train
from mlsteward.testing.store_conformance import StoreHarness

STALE = "approved by 'bob' on an earlier evaluation; re-approval needed"


def _bare_model(store: RegistryStore, versions_wanted: int = 1) -> str:
    name = f"ev-{new_id()[:12]}"
    store.create_registered_model(name, None, {}, "ann", 1)
    for _ in range(versions_wanted):
        store.create_model_version(
            name, source=f"s3://bucket/{name}", run_id=None, description=None, tags={},
            created_by="alice", git_commit=None, environment_digest=None,
            dataset_version_ids=[], now=1,
        )  # fmt: skip
    return name


class RegistryEvaluationConformance:
    """Evaluation history, approvals tied to an evaluation, and guards that check it."""

    # -- storage ---------------------------------------------------------------------------
    def test_evaluation_changes_are_recorded(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        store = as_user("alice").stores.registry
        name = _bare_model(store, 2)
        first = store.record_evaluation(name, 1, {"auc": 0.8, "odd": math.nan}, 2, actor="alice")
        before = store_harness.snapshot()
        again = store.record_evaluation(name, 1, {"odd": math.nan, "auc": 0.8}, 3, actor="bob")
        assert again.last_updated_timestamp == first.last_updated_timestamp
        assert store_harness.snapshot() == before  # the same values: nothing recorded
        store.record_evaluation(name, 1, {"auc": 0.99, "f1": 0.5, "odd": math.nan}, 4, actor="al")
        store.record_evaluation(name, 2, {"auc": 0.7}, 5, actor="carol")

        made, swapped = store.list_evaluation_changes(name, 1)
        assert (made.actor, made.timestamp, made.from_metrics) == ("alice", 2, {})
        assert made.to_metrics["auc"] == 0.8 and math.isnan(made.to_metrics["odd"])
        assert (swapped.actor, swapped.timestamp) == ("al", 4)
        assert swapped.from_metrics == {"auc": 0.8}
        assert swapped.to_metrics == {"auc": 0.99, "f1": 0.5}
        evaluation = store.get_model_version(name, 1).evaluation
        assert swapped.evaluation_digest == evaluation_digest(evaluation)
        assert made.evaluation_digest == evaluation_digest({"auc": 0.8, "odd": math.nan})
        every = store.list_evaluation_changes(name)
        assert [(c.version, c.actor) for c in every] == [(1, "alice"), (1, "al"), (2, "carol")]

        before = store_harness.snapshot()
        with pytest.raises(NotFoundError, match="no version 9"):
            store.record_evaluation(name, 9, {"auc": 1.0}, 6, actor="alice")
        with pytest.raises(NotFoundError, match="no version 9"):
            store.list_evaluation_changes(name, 9)
        with pytest.raises(NotFoundError, match="No registered model"):
            store.list_evaluation_changes(f"ev-{new_id()[:12]}")
        assert store_harness.snapshot() == before

    def test_decisions_record_the_evaluation_they_were_given_on(self, as_user: Actor) -> None:
        store = as_user("alice").stores.registry
        name = _bare_model(store)

        def decide(decision: ApprovalDecision, now: int) -> Any:
            return store.add_approval(
                name, 1, actor="bob", decision=decision, comment="seen", now=now
            )

        approved = decide(ApprovalDecision.APPROVED, 2)
        assert approved.evaluation_digest == evaluation_digest({})
        store.record_evaluation(name, 1, {"auc": 0.9}, 3, actor="alice")
        rejected = decide(ApprovalDecision.REJECTED, 4)
        assert rejected.evaluation_digest == evaluation_digest({"auc": 0.9})
        assert store.list_approvals(name, 1) == [approved, rejected]

    def test_guards_refuse_a_swapped_evaluation(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        store = as_user("alice").stores.registry
        name = _bare_model(store)
        store.record_evaluation(name, 1, {"auc": 0.6}, 2, actor="alice")
        judged = evaluation_digest(store.get_model_version(name, 1).evaluation)
        store.record_evaluation(name, 1, {"auc": 0.99}, 3, actor="alice")
        stale = AliasGuard(None, evaluation_digest=judged)
        before = store_harness.snapshot()
        with pytest.raises(ConflictError, match="evaluation attached to version 1"):
            store.set_alias(
                name, "prod", 1, action=AliasAction.SET, actor="a", reason=None, now=4,
                guard=stale,
            )  # fmt: skip
        with pytest.raises(ConflictError, match="evaluation attached to version 1"):
            store.transition_stage(
                name, 1, ModelStage.PRODUCTION, archive_existing=False, actor="a", reason=None,
                now=4, guard=stale,
            )  # fmt: skip
        store.add_approval(
            name, 1, actor="bob", decision=ApprovalDecision.REJECTED, comment="no", now=5
        )
        snapshot = store_harness.snapshot()
        with pytest.raises(ConflictError, match="approval decision"):
            store.transition_stage(
                name, 1, ModelStage.PRODUCTION, archive_existing=False, actor="a", reason=None,
                now=6, guard=AliasGuard(None, latest_decision_id=None, check_decision=True),
            )  # fmt: skip
        assert store_harness.snapshot() == snapshot
        assert snapshot != before  # only the rejection was added

        fresh = AliasGuard(None, evaluation_digest=evaluation_digest({"auc": 0.99}))
        store.set_alias(
            name, "prod", 1, action=AliasAction.SET, actor="a", reason=None, now=7, guard=fresh
        )
        moved = store.transition_stage(
            name, 1, ModelStage.PRODUCTION, archive_existing=False, actor="a", reason=None,
            now=7, guard=fresh,
        )  # fmt: skip
        assert [m.to_stage for m in moved] == [ModelStage.PRODUCTION]

    # -- rules -----------------------------------------------------------------------------
    def _model(self, as_user: Actor, evaluation: dict[str, float]) -> str:
        """alice's model: ``auc >= 0.9`` required, ``production`` protected; version 1 trained
        in a run that logged auc 0.5, with ``evaluation`` attached by alice."""
        alice = as_user("alice")
        name = f"ev-{new_id()[:12]}"
        models.create_registered_model(alice, name)
        run = train(alice, {"auc": 0.5})
        versions.create_model_version(alice, name, f"runs:/{run.info.run_id}/model")
        models.set_acceptance_thresholds(alice, name, ["auc >= 0.9"])
        models.protect_alias(alice, name, "production", reason="release policy")
        versions.attach_evaluation(alice, name, 1, evaluation)
        return name

    def test_the_usual_flow_is_unchanged(self, as_user: Actor) -> None:
        name = self._model(as_user, {"auc": 0.93})
        alice, bob = as_user("alice"), as_user("bob")
        approvals.approve_model_version(bob, name, 1, "holdout auc 0.93")
        versions.attach_evaluation(alice, name, 1, {"auc": 0.93})  # the same numbers again
        assert aliases.set_alias(alice, name, "production", 1) is not None
        assert stages.transition_stage(alice, name, 1, "Production").current_stage.value == (
            "Production"
        )

    def test_numbers_swapped_after_an_approval_need_a_new_one(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._model(as_user, {"auc": 0.6})
        alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
        approvals.approve_model_version(bob, name, 1, "auc 0.6; the threshold decides")
        with pytest.raises(GateError, match=r"auc = 0\.6 \(from the attached evaluation\)"):
            aliases.set_alias(alice, name, "production", 1)
        versions.attach_evaluation(as_user("ALICE"), name, 1, {"auc": 0.99})  # made up
        before = store_harness.snapshot()
        with pytest.raises(GateError, match=STALE) as refused:
            aliases.set_alias(alice, name, "production", 1)
        assert len(refused.value.reasons) == 1
        with pytest.raises(GateError, match=STALE):
            stages.transition_stage(alice, name, 1, "Production")
        assert store_harness.snapshot() == before

        history = versions.evaluation_history(carol, name, 1)
        assert [(c.actor, c.from_metrics, c.to_metrics) for c in history] == [
            ("alice", {}, {"auc": 0.6}), ("ALICE", {"auc": 0.6}, {"auc": 0.99}),
        ]  # fmt: skip
        approved = approvals.list_approvals(carol, name, 1)[-1]
        assert approved.evaluation_digest == history[0].evaluation_digest
        assert approved.evaluation_digest != history[1].evaluation_digest

        # Reviewing the new numbers is a new decision, not a repeat of the stale one.
        approvals.approve_model_version(bob, name, 1, "re-ran the holdout: 0.99")
        assert aliases.set_alias(alice, name, "production", 1) is not None

    def test_a_rejection_outlives_an_evaluation_change(self, as_user: Actor) -> None:
        name = self._model(as_user, {"auc": 0.95})
        alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
        approvals.approve_model_version(bob, name, 1, "ok")
        approvals.reject_model_version(carol, name, 1, "label leak")
        versions.attach_evaluation(alice, name, 1, {"auc": 0.96})
        with pytest.raises(GateError, match="rejected by 'carol'"):
            aliases.set_alias(alice, name, "production", 1)
        with pytest.raises(ConflictError, match="already rejected"):
            approvals.reject_model_version(carol, name, 1, "still leaking")

    def test_an_evaluation_swapped_during_a_move_is_a_conflict(
        self, as_user: Actor, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        name = self._model(as_user, {"auc": 0.95})
        alice, bob = as_user("alice"), as_user("bob")
        real_check = aliases.check_gates
        auc = itertools.count(96)

        def check_then_swap(*args: Any, **kwargs: Any) -> AliasGuard:
            guard = real_check(*args, **kwargs)
            # Between the gate check and the store's write: other numbers arrive.
            versions.attach_evaluation(alice, name, 1, {"auc": next(auc) / 100})
            return guard

        monkeypatch.setattr(aliases, "check_gates", check_then_swap)
        monkeypatch.setattr(stages, "check_gates", check_then_swap)
        approvals.approve_model_version(bob, name, 1, "auc 0.95")
        with pytest.raises(ConflictError, match="evaluation attached to version 1"):
            aliases.set_alias(alice, name, "production", 1)
        approvals.approve_model_version(bob, name, 1, "auc 0.96")
        with pytest.raises(ConflictError, match="evaluation attached to version 1"):
            stages.transition_stage(alice, name, 1, "Production")
        assert "production" not in models.get_registered_model(alice, name).aliases
        assert versions.get_model_version(alice, name, 1).current_stage is ModelStage.NONE
