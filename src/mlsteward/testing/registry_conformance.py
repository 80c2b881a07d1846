"""The registry contract as pytest classes: every backend runs the same suite, unchanged.

Subclass :class:`RegistryConformance` in a test module and provide the ``store_harness``
fixture of :mod:`mlsteward.testing.store_conformance` (a harness whose ``open`` gives the
stores of a migrated database; this suite uses its ``registry``). Every test names its
models uniquely and compares snapshots only around its own calls, so one database may serve
the whole session::

    from mlsteward.testing.registry_conformance import RegistryConformance

    class TestMyRegistry(RegistryConformance):
        pass

:class:`RegistryStoreConformance` checks ``RegistryStore``'s primitives;
:class:`RegistryRulesConformance` runs the service rules on the same backend, and
:class:`RegistryEvaluationConformance` the rules that tie approvals to the evaluation.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlsteward.domain.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.domain.registry import (
    AcceptanceThreshold,
    AliasAction,
    AliasGuard,
    ApprovalDecision,
    ModelStage,
    ModelVersion,
    StageTransition,
)
from mlsteward.domain.registry_filter import parse_registry_filter
from mlsteward.storage.registry_base import RegistryStore
from mlsteward.testing.registry_evaluation_conformance import RegistryEvaluationConformance
from mlsteward.testing.registry_rules_conformance import RegistryRulesConformance
from mlsteward.testing.store_conformance import StoreHarness

#: Concurrent version creation: writers (each with its own store) x versions per writer.
CONCURRENT_WRITERS = 4
VERSIONS_PER_WRITER = 8


def unique(prefix: str = "model") -> str:
    """A name no other test uses, so suites may share one database."""
    return f"{prefix}-{new_id()[:12]}"


def add_version(store: RegistryStore, name: str, by: str = "alice", **tags: str) -> ModelVersion:
    return store.create_model_version(
        name, source=f"s3://bucket/{name}", run_id=None, description=None, tags=tags,
        created_by=by, git_commit=None, environment_digest=None, dataset_version_ids=[],
        now=1_000,
    )  # fmt: skip


class RegistryStoreConformance:
    """The storage half of the contract (see ``mlsteward.storage.registry_base``)."""

    @pytest.fixture
    def registry(self, store_harness: StoreHarness) -> Iterator[RegistryStore]:
        stores = store_harness.open()
        try:
            yield stores.registry
        finally:
            stores.close()

    def test_model_round_trip(self, registry: RegistryStore) -> None:
        name = unique()
        made = registry.create_registered_model(name, "fraud scores", {"team": "risk"}, "ann", 5)
        got = registry.get_registered_model(name)
        assert got == made
        assert (got.description, got.tags, got.created_by) == (
            "fraud scores",
            {"team": "risk"},
            "ann",
        )
        assert (got.creation_timestamp, got.latest_version, got.aliases) == (5, 0, {})

    def test_model_names_are_unique(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        with pytest.raises(AlreadyExistsError, match=name):
            registry.create_registered_model(name, "other", {"x": "y"}, "bob", 2)
        assert registry.get_registered_model(name).description is None

    def test_unknown_model_and_version(self, registry: RegistryStore) -> None:
        with pytest.raises(NotFoundError, match="No registered model"):
            registry.get_registered_model(unique())
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        with pytest.raises(NotFoundError, match="no versions yet"):
            registry.get_model_version(name, 1)
        add_version(registry, name)
        with pytest.raises(NotFoundError, match="latest is version 1"):
            registry.get_model_version(name, 2)

    def test_versions_count_up_from_one(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        numbers = [add_version(registry, name).version for _ in range(3)]
        assert numbers == [1, 2, 3]
        assert registry.get_registered_model(name).latest_version == 3

    def test_version_round_trip(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        made = registry.create_model_version(
            name,
            source="runs:/" + "a" * 32 + "/model",
            run_id="a" * 32,
            description="first",
            tags={"k": "v"},
            created_by="ann",
            git_commit="c" * 40,
            environment_digest="d" * 64,
            dataset_version_ids=["ds-1", "ds-2"],
            now=7,
        )
        assert registry.get_model_version(name, 1) == made
        assert made.current_stage is ModelStage.NONE
        assert made.dataset_version_ids == ("ds-1", "ds-2")
        assert (made.git_commit, made.environment_digest) == ("c" * 40, "d" * 64)

    def test_concurrent_version_creation(
        self, registry: RegistryStore, store_harness: StoreHarness
    ) -> None:
        """Writers on separate connections get unique, consecutive numbers."""
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        start = threading.Barrier(CONCURRENT_WRITERS)

        def writer(index: int) -> list[int]:
            stores = store_harness.open()
            try:
                start.wait()
                return [
                    add_version(stores.registry, name, by=f"w{index}").version
                    for _ in range(VERSIONS_PER_WRITER)
                ]
            finally:
                stores.close()

        with ThreadPoolExecutor(CONCURRENT_WRITERS) as pool:
            results = list(pool.map(writer, range(CONCURRENT_WRITERS)))
        numbers = sorted(n for batch in results for n in batch)
        total = CONCURRENT_WRITERS * VERSIONS_PER_WRITER
        assert numbers == list(range(1, total + 1))
        assert registry.get_registered_model(name).latest_version == total

    def test_alias_moves_are_recorded(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        add_version(registry, name)
        add_version(registry, name)
        first = registry.set_alias(
            name, "champion", 1, action=AliasAction.SET, actor="bob", reason="best", now=10
        )
        second = registry.set_alias(
            name, "champion", 2, action=AliasAction.SET, actor="cat", reason=None, now=11
        )
        assert (first.from_version, first.to_version, first.actor, first.reason) == (
            None, 1, "bob", "best",
        )  # fmt: skip
        assert (second.from_version, second.to_version) == (1, 2)
        assert registry.get_registered_model(name).aliases == {"champion": 2}
        assert registry.get_model_version(name, 2).aliases == ("champion",)
        assert registry.get_model_version(name, 1).aliases == ()
        deleted = registry.delete_alias(name, "champion", actor="dan", reason="retire", now=12)
        assert (deleted.action, deleted.from_version, deleted.to_version) == (
            AliasAction.DELETE, 2, None,
        )  # fmt: skip
        assert registry.list_alias_events(name, "champion") == [first, second, deleted]
        assert registry.get_registered_model(name).aliases == {}

    def test_alias_to_missing_version_changes_nothing(
        self, registry: RegistryStore, store_harness: StoreHarness
    ) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        add_version(registry, name)
        before = store_harness.snapshot()
        with pytest.raises(NotFoundError, match="no version 7"):
            registry.set_alias(
                name, "champion", 7, action=AliasAction.SET, actor="bob", reason=None, now=2
            )
        with pytest.raises(NotFoundError, match="no alias"):
            registry.delete_alias(name, "champion", actor="bob", reason=None, now=2)
        assert store_harness.snapshot() == before

    def test_alias_guard_refuses_stale_moves(
        self, registry: RegistryStore, store_harness: StoreHarness
    ) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        for _ in range(3):
            add_version(registry, name)
        registry.set_alias(name, "prod", 1, action=AliasAction.SET, actor="a", reason=None, now=2)
        registry.add_approval(
            name, 3, actor="bob", decision=ApprovalDecision.APPROVED, comment="ok", now=3
        )
        before = store_harness.snapshot()
        with pytest.raises(ConflictError, match="changed"):
            registry.set_alias(
                name, "prod", 2, action=AliasAction.SET, actor="a", reason=None, now=4,
                guard=AliasGuard(current_version=None),
            )  # fmt: skip
        with pytest.raises(ConflictError, match="approval decision"):
            registry.set_alias(
                name, "prod", 3, action=AliasAction.SET, actor="a", reason=None, now=4,
                guard=AliasGuard(1, latest_decision_id=None, check_decision=True),
            )  # fmt: skip
        assert store_harness.snapshot() == before

    def test_concurrent_alias_moves_keep_a_consistent_history(
        self, registry: RegistryStore, store_harness: StoreHarness
    ) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        for _ in range(4):
            add_version(registry, name)
        start = threading.Barrier(CONCURRENT_WRITERS)

        def mover(index: int) -> None:
            stores = store_harness.open()
            try:
                start.wait()
                for step in range(5):
                    version = (index + step) % 4 + 1
                    stores.registry.set_alias(
                        name, "live", version, action=AliasAction.SET, actor=f"w{index}",
                        reason=None, now=10 + step,
                    )  # fmt: skip
            finally:
                stores.close()

        with ThreadPoolExecutor(CONCURRENT_WRITERS) as pool:
            list(pool.map(mover, range(CONCURRENT_WRITERS)))
        events = registry.list_alias_events(name, "live")
        assert len(events) == CONCURRENT_WRITERS * 5
        assert events[0].from_version is None
        for earlier, later in itertools.pairwise(events):
            assert later.from_version == earlier.to_version
        assert registry.get_registered_model(name).aliases["live"] == events[-1].to_version

    def test_alias_protection_is_recorded_once(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        assert registry.set_alias_protection(name, "production", True, "ann", "policy", 2)
        assert registry.set_alias_protection(name, "production", True, "ann", None, 3) is None
        assert registry.get_registered_model(name).protected_aliases == ("production",)
        event = registry.set_alias_protection(name, "production", False, "bob", None, 4)
        assert event is not None and event.action is AliasAction.UNPROTECT
        actions = [e.action for e in registry.list_alias_events(name, "production")]
        assert actions == [AliasAction.PROTECT, AliasAction.UNPROTECT]

    def test_threshold_changes_are_recorded_and_guarded(
        self, registry: RegistryStore, store_harness: StoreHarness
    ) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        first = (AcceptanceThreshold("auc", ">=", 0.8), AcceptanceThreshold("rmse", "<", math.inf))
        made = registry.set_acceptance_thresholds(
            name, first, expected=(), actor="ann", reason="policy", now=2
        )
        assert made is not None and (made.from_thresholds, made.to_thresholds) == ((), first)
        assert (
            registry.set_acceptance_thresholds(
                name, first, expected=first, actor="ann", reason=None, now=3
            )
            is None
        )  # unchanged: nothing recorded
        before = store_harness.snapshot()
        with pytest.raises(ConflictError, match=r"thresholds of .* changed"):
            registry.set_acceptance_thresholds(
                name, [], expected=(), actor="bob", reason="stale", now=4
            )
        assert store_harness.snapshot() == before
        cleared = registry.set_acceptance_thresholds(
            name, [], expected=first, actor="bob", reason="retired", now=5
        )
        assert cleared is not None and cleared.to_thresholds == ()
        assert registry.list_threshold_changes(name) == [made, cleared]
        recorded = registry.list_threshold_changes(name)
        assert [(c.actor, c.reason, c.timestamp) for c in recorded] == [
            ("ann", "policy", 2), ("bob", "retired", 5),
        ]  # fmt: skip
        assert registry.get_registered_model(name).acceptance_thresholds == ()
        with pytest.raises(NotFoundError):
            registry.list_threshold_changes(unique())

    def test_version_registrants(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        assert registry.version_registrants(name) == []
        for who in ("bob", "Alice", "bob", "alice"):
            add_version(registry, name, by=who)
        assert sorted(registry.version_registrants(name)) == ["Alice", "alice", "bob"]
        with pytest.raises(NotFoundError):
            registry.version_registrants(unique())

    def test_alias_guard_refuses_changed_protection_or_thresholds(
        self, registry: RegistryStore, store_harness: StoreHarness
    ) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        add_version(registry, name)
        registry.set_alias(name, "prod", 1, action=AliasAction.SET, actor="a", reason=None, now=2)
        registry.set_alias_protection(name, "prod", True, "ann", None, 3)
        threshold = (AcceptanceThreshold("auc", ">=", 0.9),)
        registry.set_acceptance_thresholds(
            name, threshold, expected=(), actor="ann", reason=None, now=3
        )
        before = store_harness.snapshot()
        with pytest.raises(ConflictError, match="protection"):
            registry.delete_alias(
                name, "prod", actor="a", reason=None, now=4,
                guard=AliasGuard(1, protected=False),
            )  # fmt: skip
        with pytest.raises(ConflictError, match="protection"):
            registry.set_alias(
                name, "prod", 1, action=AliasAction.ROLLBACK, actor="a", reason=None, now=4,
                guard=AliasGuard(1, protected=False),
            )  # fmt: skip
        with pytest.raises(ConflictError, match="thresholds"):
            registry.set_alias(
                name, "prod", 1, action=AliasAction.ROLLBACK, actor="a", reason=None, now=4,
                guard=AliasGuard(1, protected=True, thresholds=()),
            )  # fmt: skip
        assert store_harness.snapshot() == before
        registry.delete_alias(
            name, "prod", actor="a", reason=None, now=5,
            guard=AliasGuard(1, protected=True, thresholds=threshold),
        )  # fmt: skip
        assert registry.get_registered_model(name).aliases == {}

    def test_stage_transitions(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        for _ in range(3):
            add_version(registry, name)

        def move(version: int, archive: bool = False) -> list[StageTransition]:
            return registry.transition_stage(
                name, version, ModelStage.PRODUCTION, archive_existing=archive, actor="ann",
                reason=None, now=5,
            )  # fmt: skip

        move(1)
        move(2)
        moved = move(3, archive=True)
        assert {(m.version, m.to_stage) for m in moved} == {
            (1, ModelStage.ARCHIVED), (2, ModelStage.ARCHIVED), (3, ModelStage.PRODUCTION),
        }  # fmt: skip
        stages = [registry.get_model_version(name, v).current_stage for v in (1, 2, 3)]
        assert stages == [ModelStage.ARCHIVED, ModelStage.ARCHIVED, ModelStage.PRODUCTION]
        assert move(3) == []
        history = registry.list_stage_transitions(name, 1)
        assert [(h.from_stage, h.to_stage) for h in history] == [
            (ModelStage.NONE, ModelStage.PRODUCTION), (ModelStage.PRODUCTION, ModelStage.ARCHIVED),
        ]  # fmt: skip

    def test_approvals_are_appended_in_order(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        add_version(registry, name)
        add_version(registry, name)
        a = registry.add_approval(
            name, 1, actor="bob", decision=ApprovalDecision.APPROVED, comment="ok", now=2
        )
        b = registry.add_approval(
            name, 1, actor="cat", decision=ApprovalDecision.REJECTED, comment="leak", now=3
        )
        c = registry.add_approval(
            name, 2, actor="bob", decision=ApprovalDecision.APPROVED, comment="ok", now=4
        )
        assert registry.list_approvals(name, 1) == [a, b]
        assert registry.list_approvals(name) == [a, b, c]
        with pytest.raises(NotFoundError):
            registry.add_approval(
                name, 9, actor="bob", decision=ApprovalDecision.APPROVED, comment="x", now=5
            )

    def test_tags_description_card_thresholds(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {"a": "1"}, "ann", 1)
        add_version(registry, name)
        registry.set_registered_model_tag(name, "a", "2", 2)
        registry.set_model_version_tag(name, 1, "k", "v", 2)
        registry.set_model_version_tag(name, 1, "k", "w", 3)
        thresholds = [AcceptanceThreshold("auc", ">=", 0.8)]
        registry.update_registered_model(name, 4, description="d", card={"license": "MIT"})
        registry.set_acceptance_thresholds(
            name, thresholds, expected=[], actor="ann", reason=None, now=4
        )
        registry.update_model_version(name, 1, 5, description="v1")
        model = registry.get_registered_model(name)
        assert (model.tags, model.description, model.card) == ({"a": "2"}, "d", {"license": "MIT"})
        assert model.acceptance_thresholds == tuple(thresholds)
        version = registry.get_model_version(name, 1)
        assert (version.tags, version.description) == ({"k": "w"}, "v1")
        registry.delete_model_version_tag(name, 1, "k", 6)
        registry.delete_registered_model_tag(name, "a", 6)
        with pytest.raises(NotFoundError):
            registry.delete_model_version_tag(name, 1, "k", 7)
        with pytest.raises(NotFoundError):
            registry.delete_registered_model_tag(name, "a", 7)

    def test_evaluation_round_trip(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        add_version(registry, name)
        registry.record_evaluation(name, 1, {"auc": 0.9, "odd": math.nan}, 2, actor="ann")
        version = registry.record_evaluation(
            name, 1, {"auc": 0.91, "rmse": math.inf}, 3, actor="ann"
        )
        assert version.evaluation["auc"] == 0.91 and version.evaluation["rmse"] == math.inf
        assert math.isnan(version.evaluation["odd"])

    def _names(self, registry: RegistryStore, text: str, prefix: str) -> set[str]:
        conditions = parse_registry_filter(f"{text} AND name LIKE '{prefix}%'", "model")
        return {m.name for m in registry.search_registered_models(conditions, 100, 0)[0]}

    def test_search_models(self, registry: RegistryStore) -> None:
        prefix = unique("s")
        for suffix, team in (("a", "risk"), ("b", "risk"), ("c", "growth")):
            registry.create_registered_model(f"{prefix}-{suffix}", None, {"team": team}, "ann", 1)
        add_version(registry, f"{prefix}-a")
        registry.set_alias(
            f"{prefix}-a", "champion", 1, action=AliasAction.SET, actor="a", reason=None, now=2
        )
        assert self._names(registry, "tags.team = 'risk'", prefix) == {f"{prefix}-a", f"{prefix}-b"}
        assert self._names(registry, "alias = 'champion'", prefix) == {f"{prefix}-a"}
        assert self._names(registry, "name IN ('nope')", prefix) == set()
        page, more = registry.search_registered_models(
            parse_registry_filter(f"name LIKE '{prefix}%'", "model"), 2, 0
        )
        assert [m.name for m in page] == [f"{prefix}-a", f"{prefix}-b"] and more

    def test_search_versions(self, registry: RegistryStore) -> None:
        name = unique()
        registry.create_registered_model(name, None, {}, "ann", 1)
        run_id = new_id()
        registry.create_model_version(
            name, source=f"runs:/{run_id}/m", run_id=run_id, description=None, tags={},
            created_by="ann", git_commit=None, environment_digest=None,
            dataset_version_ids=[], now=1,
        )  # fmt: skip
        add_version(registry, name, flavor="sklearn")
        add_version(registry, name)
        registry.transition_stage(
            name, 3, ModelStage.STAGING, archive_existing=False, actor="a", reason=None, now=2
        )

        def found(text: str) -> list[int]:
            conditions = parse_registry_filter(f"name = '{name}' AND {text}", "version")
            return [v.version for v in registry.search_model_versions(conditions, 100, 0)[0]]

        assert found("version >= 1") == [3, 2, 1]
        assert found(f"run_id = '{run_id}'") == [1]
        assert found("tags.flavor = 'sklearn'") == [2]
        assert found("stage = 'Staging'") == [3]
        assert found("version IN (1, 3)") == [3, 1]


class RegistryConformance(
    RegistryStoreConformance, RegistryRulesConformance, RegistryEvaluationConformance
):
    """The whole registry contract: storage primitives and the service rules on top."""
