"""The registry's storage contract, checked by ``mlsteward.testing.registry_conformance``.

Contract (each point is tested against every backend):

* Every method is atomic: it applies completely or raises and changes nothing.
* Version numbers are 1, 2, 3, ... per registered model with no gaps or repeats, even with
  many processes creating versions at once (the counter lives on the model row, which each
  creation locks).
* Alias moves, stage transitions, protection changes, threshold changes, evaluation changes
  and approval decisions are appended to history in the order they took effect for that
  model; history is never edited. Thresholds change only through
  ``set_acceptance_thresholds`` and evaluations only through ``record_evaluation``, which
  record every change.
* Each approval decision records the digest of the version's evaluation at that moment
  (``mlsteward.domain.registry_evaluation.evaluation_digest``), read under the model's lock.
* ``set_alias`` and ``delete_alias`` take the model's lock, so an alias's recorded
  ``from_version`` is always the version it really pointed at; with an ``AliasGuard`` they
  refuse (``ConflictError``) when the alias, its protection, the model's thresholds, or the
  version's decisions or evaluation changed since the caller looked. ``transition_stage``
  with a guard checks the thresholds and the version's decisions and evaluation the same way.
* Missing models or versions raise ``NotFoundError``; a taken model name ``AlreadyExistsError``.

Stores hold no business rules (validation, permissions, gates): those live in
``mlsteward.services.registry``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence

from mlsteward.domain.registry import (
    AcceptanceThreshold,
    AliasAction,
    AliasEvent,
    AliasGuard,
    Approval,
    ApprovalDecision,
    ModelStage,
    ModelVersion,
    RegisteredModel,
    StageTransition,
    ThresholdChange,
)
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.domain.registry_filter import RegistryCondition
from mlsteward.storage.capabilities import StoreCapabilities


class RegistryStore(abc.ABC):
    """Abstract persistence for the model registry. See the module docstring."""

    capabilities: StoreCapabilities

    # -- registered models ---------------------------------------------------------------
    @abc.abstractmethod
    def create_registered_model(
        self,
        name: str,
        description: str | None,
        tags: Mapping[str, str],
        created_by: str,
        now: int,
    ) -> RegisteredModel:
        """Raises AlreadyExistsError when the name is taken."""

    @abc.abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel:
        """Raises NotFoundError when absent."""

    @abc.abstractmethod
    def search_registered_models(
        self, conditions: Sequence[RegistryCondition], max_results: int, offset: int
    ) -> tuple[list[RegisteredModel], bool]:
        """One page ordered by name, and whether more follow."""

    @abc.abstractmethod
    def update_registered_model(
        self,
        name: str,
        now: int,
        *,
        description: str | None = None,
        card: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        """Replace the given fields (None leaves one as it is)."""

    @abc.abstractmethod
    def set_acceptance_thresholds(
        self,
        name: str,
        thresholds: Sequence[AcceptanceThreshold],
        *,
        expected: Sequence[AcceptanceThreshold],
        actor: str,
        reason: str | None,
        now: int,
    ) -> ThresholdChange | None:
        """Replace the thresholds and record the change; None (no record) when unchanged.

        ``expected`` is what the caller judged the change against: ConflictError, and
        nothing changed, when the model's thresholds are no longer that.
        """

    @abc.abstractmethod
    def list_threshold_changes(self, name: str) -> list[ThresholdChange]:
        """Every recorded threshold change of the model, oldest first."""

    @abc.abstractmethod
    def version_registrants(self, name: str) -> list[str]:
        """The distinct users who registered a version of the model, as stored."""

    @abc.abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: str, now: int) -> None: ...

    @abc.abstractmethod
    def delete_registered_model_tag(self, name: str, key: str, now: int) -> None:
        """Raises NotFoundError when the model or the tag is absent."""

    @abc.abstractmethod
    def set_alias_protection(
        self, name: str, alias: str, protected: bool, actor: str, reason: str | None, now: int
    ) -> AliasEvent | None:
        """Mark or unmark an alias protected; None (and no record) when already so."""

    # -- versions --------------------------------------------------------------------------
    @abc.abstractmethod
    def create_model_version(
        self,
        name: str,
        *,
        source: str,
        run_id: str | None,
        description: str | None,
        tags: Mapping[str, str],
        created_by: str,
        git_commit: str | None,
        environment_digest: str | None,
        dataset_version_ids: Sequence[str],
        now: int,
    ) -> ModelVersion:
        """Insert the model's next version (latest + 1), atomically."""

    @abc.abstractmethod
    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """Raises NotFoundError when the model or the version is absent."""

    @abc.abstractmethod
    def search_model_versions(
        self, conditions: Sequence[RegistryCondition], max_results: int, offset: int
    ) -> tuple[list[ModelVersion], bool]:
        """One page ordered by name, then version descending; and whether more follow."""

    @abc.abstractmethod
    def update_model_version(
        self, name: str, version: int, now: int, *, description: str | None = None
    ) -> ModelVersion: ...

    @abc.abstractmethod
    def set_model_version_tag(
        self, name: str, version: int, key: str, value: str, now: int
    ) -> None: ...

    @abc.abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str, now: int) -> None:
        """Raises NotFoundError when the version or the tag is absent."""

    @abc.abstractmethod
    def record_evaluation(
        self, name: str, version: int, metrics: Mapping[str, float], now: int, *, actor: str
    ) -> ModelVersion:
        """Attach evaluation results (a key given again is replaced) and record the change
        (the metrics whose value changed, before and after); nothing when none changed."""

    @abc.abstractmethod
    def list_evaluation_changes(
        self, name: str, version: int | None = None
    ) -> list[EvaluationChange]:
        """Every recorded evaluation change of the version (or of all the model's versions),
        oldest first."""

    # -- aliases ---------------------------------------------------------------------------
    @abc.abstractmethod
    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        action: AliasAction,
        actor: str,
        reason: str | None,
        now: int,
        guard: AliasGuard | None = None,
    ) -> AliasEvent:
        """Point ``alias`` at ``version`` and record the move (``action`` set or rollback)."""

    @abc.abstractmethod
    def delete_alias(
        self,
        name: str,
        alias: str,
        *,
        actor: str,
        reason: str | None,
        now: int,
        guard: AliasGuard | None = None,
    ) -> AliasEvent:
        """Remove the alias and record it; NotFoundError when it is not set."""

    @abc.abstractmethod
    def list_alias_events(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """History oldest first; every alias of the model when ``alias`` is None."""

    # -- stages ----------------------------------------------------------------------------
    @abc.abstractmethod
    def transition_stage(
        self,
        name: str,
        version: int,
        stage: ModelStage,
        *,
        archive_existing: bool,
        actor: str,
        reason: str | None,
        now: int,
        guard: AliasGuard | None = None,
    ) -> list[StageTransition]:
        """Move the version (and, with ``archive_existing``, the others in ``stage`` to
        Archived); returns the transitions recorded (none when nothing changed). A ``guard``
        is checked for its thresholds, the version's decisions and its evaluation."""

    @abc.abstractmethod
    def list_stage_transitions(
        self, name: str, version: int | None = None
    ) -> list[StageTransition]: ...

    # -- approvals -------------------------------------------------------------------------
    @abc.abstractmethod
    def add_approval(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        decision: ApprovalDecision,
        comment: str,
        now: int,
    ) -> Approval:
        """Append a decision, with the digest of the version's evaluation as it is now."""

    @abc.abstractmethod
    def list_approvals(self, name: str, version: int | None = None) -> list[Approval]:
        """Decisions oldest first."""

    # -- lifecycle -------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own (one sharing its database with the other
        stores of a bundle holds nothing: the bundle closes the database)."""
