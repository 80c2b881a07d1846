"""The registry's service rules, run on a real backend (part of ``RegistryConformance``).

Two users act through two service contexts on one store: ``alice`` builds and registers,
``bob`` and ``carol`` review. Every refusal is checked to change nothing, by comparing the
harness's snapshot of the whole database before and after. Spellings of ``alice`` that
differ only in case, width or spacing act as her too (the four-eyes rules see one person).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlsteward.domain.entities import Metric, Run, RunTag
from mlsteward.domain.errors import (
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from mlsteward.domain.ids import new_id
from mlsteward.domain.registry import AliasAction, ApprovalDecision, GateError, ModelStage
from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.services.registry import (
    aliases,
    approvals,
    card_render,
    models,
    stages,
    uris,
    versions,
)
from mlsteward.services.tracking import artifacts, experiments, logging, runs
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.store_conformance import StoreHarness

Actor = Callable[[str], ServiceContext]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
#: The registrant ``alice`` as others might type her: case, padding, full width, invisible.
ALICE_SPELLINGS = ("Alice", "ALICE", "alice ", " alice", "ａｌｉｃｅ", "ＡＬＩＣＥ", "ali\u200bce")
#: Callers who name no one.
NOBODY = ("anonymous", "Anonymous", " ANONYMOUS ", "", "  ")


def train(ctx: ServiceContext, metrics: dict[str, float], model_path: str = "model") -> Run:
    """A finished run with metrics, a git commit tag, an environment file and model files."""
    experiment = experiments.create_experiment(ctx, f"exp-{new_id()[:12]}")
    run = runs.create_run(ctx, experiment.experiment_id)
    run_id = run.info.run_id
    points = [Metric(k, v, 1_000, 0) for k, v in metrics.items()]
    logging.log_batch(ctx, run_id, points, [], [RunTag("mlsteward.git.commit", COMMIT)])
    environment = {"python": {"version": "3.11.0"}, "packages": {"scikit-learn": "1.5.0"}}
    artifacts.log_artifact_bytes(ctx, run_id, "_environment.json", json.dumps(environment).encode())
    manifest = {"flavor": {"name": "sklearn"}, "model_class": "LogisticRegression"}
    artifacts.log_artifact_bytes(ctx, run_id, f"{model_path}/model.pkl", b"weights")
    artifacts.log_artifact_bytes(
        ctx, run_id, f"{model_path}/MLmodel.json", json.dumps(manifest).encode()
    )
    runs.end_run(ctx, run_id)
    return runs.get_run(ctx, run_id)


class RegistryRulesConformance:
    """Gates, approvals, aliases, rollback, stages and cards through the services."""

    @pytest.fixture
    def as_user(self, store_harness: StoreHarness, tmp_path: Path) -> Iterator[Actor]:
        stores = store_harness.open()
        blobs = open_blob_store(str(tmp_path / "blobs"))
        try:
            yield lambda actor: ServiceContext(
                actor=actor, stores=stores, blobs=blobs, outbound=OutboundAccess()
            )
        finally:
            stores.close()

    def _registered(self, as_user: Actor, *metric_sets: dict[str, float], by: str = "alice") -> str:
        """A model with one version per metric set, all registered by alice (or ``by``)."""
        alice = as_user(by)
        name = f"m-{new_id()[:12]}"
        models.create_registered_model(alice, name, "test model")
        for metrics in metric_sets:
            run = train(alice, metrics)
            versions.create_model_version(alice, name, f"runs:/{run.info.run_id}/model")
        return name

    def test_version_records_lineage_from_its_run(self, as_user: Actor) -> None:
        alice = as_user("alice")
        name = self._registered(as_user)
        run = train(alice, {"auc": 0.9})
        env = [
            r
            for r in alice.stores.tracking.list_artifact_records(run.info.run_id)
            if "environ" in r.path
        ]
        version = versions.create_model_version(
            alice, name, f"runs:/{run.info.run_id}/model", dataset_version_ids=["ds-1"]
        )
        assert (version.version, version.run_id, version.git_commit) == (1, run.info.run_id, COMMIT)
        assert version.environment_digest == env[0].digest
        assert (version.created_by, version.dataset_version_ids) == ("alice", ("ds-1",))

    def test_bad_sources_change_nothing(self, as_user: Actor, store_harness: StoreHarness) -> None:
        alice = as_user("alice")
        name = self._registered(as_user)
        run_id = train(alice, {}).info.run_id
        before = store_harness.snapshot()
        with pytest.raises(NotFoundError, match="no artifacts at 'weights'"):
            versions.create_model_version(alice, name, f"runs:/{run_id}/weights")
        with pytest.raises(InvalidArgumentError, match="does not match"):
            versions.create_model_version(alice, name, f"runs:/{run_id}/model", run_id=new_id())
        with pytest.raises(NotFoundError, match="No run"):
            versions.create_model_version(alice, name, f"runs:/{new_id()}/model")
        with pytest.raises(NotFoundError, match="No registered model"):
            versions.create_model_version(alice, "nope", f"runs:/{run_id}/model")
        assert store_harness.snapshot() == before

    def test_approvals_need_a_second_person(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._registered(as_user, {"auc": 0.9})
        alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
        before = store_harness.snapshot()
        with pytest.raises(PermissionDeniedError, match="'alice' registered version 1"):
            approvals.approve_model_version(alice, name, 1, "looks good to me")
        with pytest.raises(InvalidArgumentError, match="comment is required"):
            approvals.approve_model_version(bob, name, 1, "  ")
        assert store_harness.snapshot() == before
        approvals.approve_model_version(bob, name, 1, "validated on holdout")
        snapshot = store_harness.snapshot()
        with pytest.raises(ConflictError, match="already approved"):
            approvals.approve_model_version(bob, name, "1", "again")
        assert store_harness.snapshot() == snapshot
        approvals.reject_model_version(carol, name, 1, "leaks the label")
        with pytest.raises(ConflictError, match="already rejected"):
            approvals.reject_model_version(carol, name, 1, "still leaking")
        approvals.approve_model_version(bob, name, 1, "label leak fixed upstream")
        trail = [(a.actor, a.decision.value) for a in approvals.list_approvals(bob, name, 1)]
        assert trail == [("bob", "APPROVED"), ("carol", "REJECTED"), ("bob", "APPROVED")]

    def test_protected_alias_needs_approval_and_thresholds(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._registered(as_user, {"roc_auc": 0.9})
        alice, bob = as_user("alice"), as_user("bob")
        models.set_acceptance_thresholds(alice, name, ["roc_auc >= 0.85", "rmse <= 3.0"])
        models.protect_alias(alice, name, "production", reason="policy")
        before = store_harness.snapshot()
        with pytest.raises(GateError) as refused:
            aliases.set_alias(alice, name, "production", 1)
        assert len(refused.value.reasons) == 2
        assert "no approval" in str(refused.value) and "'rmse'" in str(refused.value)
        assert store_harness.snapshot() == before
        approvals.approve_model_version(bob, name, 1, "ok")
        with pytest.raises(GateError, match=r"rmse <= 3 cannot be checked") as refused:
            aliases.set_alias(alice, name, "production", 1)
        assert len(refused.value.reasons) == 1
        versions.attach_evaluation(alice, name, 1, {"rmse": 3.5, "roc_auc": 0.8})
        with pytest.raises(GateError, match=r"roc_auc = 0\.8 \(from the attached evaluation\)"):
            aliases.set_alias(alice, name, "production", 1)
        versions.attach_evaluation(alice, name, 1, {"rmse": 2.5, "roc_auc": 0.88})
        # bob approved before any evaluation was attached: his approval vouches for nothing now.
        with pytest.raises(GateError, match="re-approval needed") as refused:
            aliases.set_alias(alice, name, "production", 1)
        assert len(refused.value.reasons) == 1
        approvals.approve_model_version(bob, name, 1, "holdout rmse 2.5, roc_auc 0.88")
        event = aliases.set_alias(alice, name, "production", 1, reason="first release")
        assert event is not None and (event.actor, event.reason) == ("alice", "first release")
        assert aliases.get_version_by_alias(bob, name, "production").version == 1

    def test_rejection_after_approval_blocks_promotion(self, as_user: Actor) -> None:
        name = self._registered(as_user, {"auc": 0.9})
        alice, bob, carol = as_user("alice"), as_user("bob"), as_user("carol")
        models.protect_alias(alice, name, "production")
        approvals.approve_model_version(bob, name, 1, "ok")
        approvals.reject_model_version(carol, name, 1, "bias on segment B")
        with pytest.raises(GateError, match="rejected by 'carol'"):
            aliases.set_alias(alice, name, "production", 1)
        approvals.approve_model_version(carol, name, 1, "re-trained, segment B fine")
        assert aliases.set_alias(alice, name, "production", 1) is not None

    def test_unprotected_aliases_move_freely(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._registered(as_user, {}, {})
        alice = as_user("alice")
        aliases.set_alias(alice, name, "challenger", 1)
        assert aliases.set_alias(alice, name, "challenger", 1) is None  # already there
        aliases.set_alias(alice, name, "challenger", "2", reason="retrained")
        before = store_harness.snapshot()
        with pytest.raises(NotFoundError, match="no version 3"):
            aliases.set_alias(alice, name, "challenger", 3)
        for bad in ("latest", "v2", "two words", "", "9lives"):
            with pytest.raises(InvalidArgumentError):
                aliases.set_alias(alice, name, bad, 1)
        with pytest.raises(InvalidArgumentError):
            aliases.set_alias(alice, name, "challenger", 0)
        with pytest.raises(NotFoundError, match="no alias 'nope'"):
            aliases.get_version_by_alias(alice, name, "nope")
        assert store_harness.snapshot() == before
        moves = [(e.from_version, e.to_version) for e in aliases.alias_history(alice, name)]
        assert moves == [(None, 1), (1, 2)]

    def test_rollback_walks_back_and_is_recorded(self, as_user: Actor) -> None:
        name = self._registered(as_user, {}, {}, {})
        alice = as_user("alice")
        with pytest.raises(InvalidArgumentError, match="no earlier version"):
            aliases.rollback_alias(alice, name, "champion")
        for number in (1, 2, 3):
            aliases.set_alias(alice, name, "champion", number)
        back = aliases.rollback_alias(alice, name, "champion", reason="p99 latency")
        assert (back.action, back.from_version, back.to_version) == (AliasAction.ROLLBACK, 3, 2)
        assert back.reason == "p99 latency"
        assert aliases.rollback_alias(alice, name, "champion").to_version == 1
        with pytest.raises(InvalidArgumentError, match="no earlier version"):
            aliases.rollback_alias(alice, name, "champion")
        aliases.delete_alias(alice, name, "champion", reason="incident")
        assert aliases.rollback_alias(alice, name, "champion").to_version == 1

    def test_rollback_onto_a_rejected_version_is_gated(self, as_user: Actor) -> None:
        name = self._registered(as_user, {}, {})
        alice, bob = as_user("alice"), as_user("bob")
        models.protect_alias(alice, name, "production")
        for number in (1, 2):
            approvals.approve_model_version(bob, name, number, "ok")
            aliases.set_alias(alice, name, "production", number)
        approvals.reject_model_version(bob, name, 1, "found a data bug")
        with pytest.raises(GateError, match="rejected by 'bob'"):
            aliases.rollback_alias(alice, name, "production")
        assert aliases.get_version_by_alias(alice, name, "production").version == 2

    def test_stages_and_their_gate(self, as_user: Actor) -> None:
        name = self._registered(as_user, {}, {})
        alice, bob = as_user("alice"), as_user("bob")
        staged = stages.transition_stage(alice, name, 1, "staging")
        assert staged.current_stage is ModelStage.STAGING
        models.protect_alias(alice, name, "production")
        with pytest.raises(GateError, match="gated stage 'Production'"):
            stages.transition_stage(alice, name, 1, "Production")
        with pytest.raises(InvalidArgumentError, match="Unknown stage"):
            stages.transition_stage(alice, name, 1, "Prod")
        with pytest.raises(InvalidArgumentError, match="archive_existing"):
            stages.transition_stage(alice, name, 1, "Archived", archive_existing=True)
        approvals.approve_model_version(bob, name, 1, "ok")
        approvals.approve_model_version(bob, name, 2, "ok")
        stages.transition_stage(alice, name, 1, "Production", reason="go live")
        stages.transition_stage(alice, name, 2, "Production", archive_existing=True)
        latest = versions.get_latest_versions(alice, name)
        assert [(v.version, v.current_stage) for v in latest] == [
            (1, ModelStage.ARCHIVED), (2, ModelStage.PRODUCTION),
        ]  # fmt: skip
        history = stages.stage_history(alice, name, 1)
        assert [h.to_stage for h in history] == [
            ModelStage.STAGING, ModelStage.PRODUCTION, ModelStage.ARCHIVED,
        ]  # fmt: skip
        assert history[1].reason == "go live"

    def test_model_uris(self, as_user: Actor) -> None:
        name = self._registered(as_user, {}, {})
        alice = as_user("alice")
        aliases.set_alias(alice, name, "champion", 1)
        stages.transition_stage(alice, name, 2, "Staging")
        assert uris.resolve_model_uri(alice, f"models:/{name}@champion").version == 1
        assert uris.resolve_model_uri(alice, f"models:/{name}/2").version == 2
        assert uris.resolve_model_uri(alice, f"models:/{name}/latest").version == 2
        assert uris.resolve_model_uri(alice, f"models:/{name}/staging").version == 2
        with pytest.raises(NotFoundError, match="no version in Production"):
            uris.resolve_model_uri(alice, f"models:/{name}/Production")
        with pytest.raises(InvalidArgumentError):
            uris.resolve_model_uri(alice, f"models:/{name}")

    def test_search_pages_and_filters(self, as_user: Actor) -> None:
        name = self._registered(as_user, {}, {}, {})
        alice = as_user("alice")
        page = versions.search_model_versions(alice, f"name = '{name}'", max_results=2)
        assert [v.version for v in page.items] == [3, 2] and page.next_page_token
        rest = versions.search_model_versions(alice, f"name = '{name}'", 2, page.next_page_token)
        assert [v.version for v in rest.items] == [1] and rest.next_page_token is None
        with pytest.raises(InvalidArgumentError, match="different search"):
            versions.search_model_versions(alice, "version > 1", 2, page.next_page_token)
        with pytest.raises(InvalidArgumentError, match="unknown field"):
            models.search_registered_models(alice, "metrics.auc > 1")
        found = models.search_registered_models(alice, f"name LIKE '{name[:8]}%'")
        assert name in [m.name for m in found.items]

    def test_model_card(self, as_user: Actor) -> None:
        name = self._registered(as_user, {"roc_auc": 0.91})
        alice, bob = as_user("alice"), as_user("bob")
        models.set_acceptance_thresholds(alice, name, ["roc_auc >= 0.85"])
        approvals.approve_model_version(bob, name, 1, "checked calibration")
        aliases.set_alias(alice, name, "champion", 1, reason="best auc")
        markdown = card_render.render_model_card(alice, name, 1)
        for section in (
            "Model details", "Intended use", "Factors", "Metrics", "Evaluation data",
            "Training data", "Quantitative analyses", "Ethical considerations",
            "Caveats and recommendations",
        ):  # fmt: skip
            assert f"## {section}" in markdown
        for recorded in (COMMIT, "sklearn (LogisticRegression)", "checked calibration", "best auc"):
            assert recorded in markdown
        assert "| roc_auc | 0.91 | run | roc_auc >= 0.85 | met |" in markdown
        assert "`primary_uses`: Primary intended uses" in markdown
        with pytest.raises(InvalidArgumentError, match="Unknown model-card field"):
            models.update_model_card(alice, name, {"purpose": "x"})
        models.update_model_card(alice, name, {"primary_uses": "Score card payments"})
        versions.set_model_version_tag(alice, name, 1, "card.ethical_considerations", "None known")
        filled = card_render.render_model_card(alice, name, 1)
        assert "Score card payments" in filled and "None known" in filled
        assert "`primary_uses`" not in filled.split("## Model details")[0]
        html = card_render.render_model_card(alice, name, "1", format="html")
        assert html.startswith("<!DOCTYPE html>") and "Score card payments" in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "<script" not in html and "<link" not in html
        with pytest.raises(InvalidArgumentError, match="format"):
            card_render.render_model_card(alice, name, 1, format="pdf")

    def test_bad_thresholds_and_names(self, as_user: Actor, store_harness: StoreHarness) -> None:
        name = self._registered(as_user)
        alice = as_user("alice")
        before = store_harness.snapshot()
        for bad in (["auc >> 0.8"], ["auc >= high"], ["auc >= 0.8", "auc >= 0.9"], "auc > 1"):
            with pytest.raises(InvalidArgumentError):
                models.set_acceptance_thresholds(alice, name, bad)
        for bad_name in ("", " padded", "a/b", "a@b"):
            with pytest.raises(InvalidArgumentError):
                models.create_registered_model(alice, bad_name)
        with pytest.raises(InvalidArgumentError):
            versions.attach_evaluation(alice, name, 1, {"auc": "high"})
        assert store_harness.snapshot() == before

    # -- four eyes: one person, however the name is typed ------------------------------------
    def test_no_spelling_of_the_registrant_may_approve(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._registered(as_user, {"auc": 0.9})
        before = store_harness.snapshot()
        for spelling in ALICE_SPELLINGS:
            with pytest.raises(PermissionDeniedError, match="registered version 1"):
                approvals.approve_model_version(as_user(spelling), name, 1, "looks fine to me")
        for nobody in NOBODY:
            with pytest.raises(PermissionDeniedError, match="named reviewer"):
                approvals.approve_model_version(as_user(nobody), name, 1, "looks fine")
        assert store_harness.snapshot() == before
        approvals.approve_model_version(as_user("Bob"), name, 1, "validated")
        with pytest.raises(ConflictError, match="already approved"):
            approvals.approve_model_version(as_user("ＢＯＢ "), name, 1, "again, as someone else")

    def test_gate_ignores_self_approvals_already_stored(self, as_user: Actor) -> None:
        name = self._registered(as_user, {"auc": 0.9})
        alice = as_user("alice")
        models.protect_alias(alice, name, "production")
        store = alice.stores.registry
        for actor in ("ALICE", "anonymous"):  # written before names were compared as people
            store.add_approval(
                name, 1, actor=actor, decision=ApprovalDecision.APPROVED, comment="ok", now=1
            )
        with pytest.raises(GateError, match="not counted: the approval by 'ALICE', 'anonymous'"):
            aliases.set_alias(alice, name, "production", 1)
        approvals.approve_model_version(as_user("bob"), name, 1, "validated")
        assert aliases.set_alias(alice, name, "production", 1) is not None

    # -- governance: weakening a gate needs someone who did not build the model -------------
    def _in_production(self, as_user: Actor) -> str:
        """alice's model: v1 approved by bob and in protected ``production``; v2 unreviewed."""
        name = self._registered(as_user, {"auc": 0.9}, {"auc": 0.5})
        alice = as_user("alice")
        models.set_acceptance_thresholds(alice, name, ["auc >= 0.8"])
        models.protect_alias(alice, name, "production", reason="release policy")
        approvals.approve_model_version(as_user("bob"), name, 1, "validated")
        aliases.set_alias(alice, name, "production", 1, reason="launch")
        return name

    def test_the_registrant_cannot_unprotect_move_and_reprotect(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._in_production(as_user)
        alice = as_user("alice")
        before = store_harness.snapshot()
        for spelling in ("alice", *ALICE_SPELLINGS):
            with pytest.raises(PermissionDeniedError, match="cannot lift the protection"):
                models.protect_alias(as_user(spelling), name, "production", False, "hotfix")
        with pytest.raises(GateError, match="no approval"):
            aliases.set_alias(alice, name, "production", 2, reason="hotfix")
        for nobody in NOBODY:
            with pytest.raises(PermissionDeniedError, match="named user"):
                models.protect_alias(as_user(nobody), name, "production", False, "hotfix")
        for blank in (None, "", "   "):
            with pytest.raises(InvalidArgumentError, match="reason is required"):
                models.protect_alias(as_user("carol"), name, "production", False, blank)
        assert store_harness.snapshot() == before
        assert aliases.get_version_by_alias(alice, name, "production").version == 1

        lifted = models.protect_alias(as_user("carol"), name, "production", False, "freeze over")
        assert lifted.protected_aliases == ()
        last = aliases.alias_history(alice, name, "production")[-1]
        assert (last.action, last.actor, last.reason) == (
            AliasAction.UNPROTECT, "carol", "freeze over",
        )  # fmt: skip
        recorded = len(aliases.alias_history(alice, name))
        # Lifting a protection that is not there changes and records nothing, for anyone.
        assert models.protect_alias(as_user(""), name, "production", False).protected_aliases == ()
        assert len(aliases.alias_history(alice, name)) == recorded

    def test_deleting_a_protected_alias_is_a_governance_action(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._in_production(as_user)
        alice = as_user("alice")
        aliases.set_alias(alice, name, "challenger", 2)
        before = store_harness.snapshot()
        for spelling in ("alice", *ALICE_SPELLINGS):
            with pytest.raises(PermissionDeniedError, match="cannot delete the protected alias"):
                aliases.delete_alias(as_user(spelling), name, "production", "rollback")
        for nobody in NOBODY:
            with pytest.raises(PermissionDeniedError, match="named user"):
                aliases.delete_alias(as_user(nobody), name, "production", "rollback")
        with pytest.raises(InvalidArgumentError, match="reason is required"):
            aliases.delete_alias(as_user("carol"), name, "production")
        assert store_harness.snapshot() == before

        event = aliases.delete_alias(as_user("carol"), name, "production", "incident 7")
        assert (event.action, event.from_version, event.actor) == (AliasAction.DELETE, 1, "carol")
        assert event.reason == "incident 7"
        # An alias that is not protected is the builder's to remove, as before.
        assert aliases.delete_alias(alice, name, "challenger").actor == "alice"

    def test_loosening_thresholds_is_a_governance_action(
        self, as_user: Actor, store_harness: StoreHarness
    ) -> None:
        name = self._registered(as_user, {"auc": 0.9})
        alice, carol = as_user("alice"), as_user("carol")
        models.set_acceptance_thresholds(alice, name, ["auc >= 0.9", "rmse <= 3"])
        tighter = ["auc >= 0.95", "rmse < 3", "f1 > 0.5"]  # raised, tightened and added
        assert [str(t) for t in models.set_acceptance_thresholds(alice, name, tighter)
                .acceptance_thresholds] == tighter  # fmt: skip
        before = store_harness.snapshot()
        for looser in (
            ["auc >= 0.8", "rmse < 3", "f1 > 0.5"],  # lowered
            ["auc >= 0.95", "rmse <= 4", "f1 > 0.5"],  # raised an upper bound
            ["auc >= 0.95", "rmse <= 3", "f1 > 0.5"],  # '<' relaxed to '<='
            ["auc >= 0.95", "rmse < 3", "f1 >= 0.5"],  # '>' relaxed to '>='
            ["auc >= 0.95", "rmse < 3"],  # removed one
            ["auc <= 0.8", "rmse < 3", "f1 > 0.5"],  # swapped for a looser one
            [],  # cleared
        ):
            for spelling in ("alice", *ALICE_SPELLINGS):
                with pytest.raises(PermissionDeniedError, match="cannot loosen"):
                    models.set_acceptance_thresholds(as_user(spelling), name, looser, "why not")
            for nobody in NOBODY:
                with pytest.raises(PermissionDeniedError, match="named user"):
                    models.set_acceptance_thresholds(as_user(nobody), name, looser, "why not")
            with pytest.raises(InvalidArgumentError, match="reason is required"):
                models.set_acceptance_thresholds(carol, name, looser)
        assert store_harness.snapshot() == before

        lowered = models.set_acceptance_thresholds(
            carol, name, ["auc >= 0.9", "rmse < 3", "f1 > 0.5"], reason="auc target revised"
        )
        assert str(lowered.acceptance_thresholds[0]) == "auc >= 0.9"
        models.set_acceptance_thresholds(carol, name, [], reason="metrics retired")
        history = models.threshold_history(alice, name)
        assert [([str(t) for t in c.to_thresholds], c.actor, c.reason) for c in history] == [
            (["auc >= 0.9", "rmse <= 3"], "alice", None),
            (tighter, "alice", None),
            (["auc >= 0.9", "rmse < 3", "f1 > 0.5"], "carol", "auc target revised"),
            ([], "carol", "metrics retired"),
        ]
        assert [str(t) for t in history[-1].from_thresholds] == [
            "auc >= 0.9", "rmse < 3", "f1 > 0.5",
        ]  # fmt: skip
        # Giving the current thresholds again changes and records nothing.
        models.set_acceptance_thresholds(as_user("anonymous"), name, [])
        assert len(models.threshold_history(alice, name)) == len(history)

    def test_someone_who_built_only_another_model_may_weaken_this_one(self, as_user: Actor) -> None:
        name = self._registered(as_user, {"auc": 0.9})
        self._registered(as_user, {"auc": 0.9}, by="dave")  # dave builds elsewhere
        alice, dave = as_user("alice"), as_user("Dave")
        models.set_acceptance_thresholds(alice, name, ["auc >= 0.9"])
        models.protect_alias(alice, name, "production")
        models.set_acceptance_thresholds(dave, name, ["auc >= 0.5"], reason="recalibrated")
        lifted = models.protect_alias(dave, name, "production", False, "retired")
        assert lifted.protected_aliases == ()
        # Once dave registers a version of this model, he is one of its builders too.
        run = train(dave, {"auc": 0.7})
        versions.create_model_version(dave, name, f"runs:/{run.info.run_id}/model")
        with pytest.raises(PermissionDeniedError, match="registered a version"):
            models.set_acceptance_thresholds(as_user("DAVE"), name, [], reason="faster")
