"""``Client``'s model-registry methods, with MLflow's names where MLflow has the feature.

Versions may be passed as ``3`` or ``"3"``. Every rule (gates, approvals, validation) lives
in ``mlsteward.services.registry``; these methods only forward to the backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.registry import (
    AcceptanceThreshold,
    AliasEvent,
    Approval,
    ModelVersion,
    RegisteredModel,
    StageTransition,
    ThresholdChange,
)
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.interfaces.sdk.registry_backend import RegistryBackend
from mlsteward.services.registry.validation import validate_version

T = TypeVar("T")


class RegistryPagedList(list[T]):
    """A page of registry results; ``token`` fetches the next page (None at the end)."""

    def __init__(self, items: Sequence[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token


class RegistryClientMixin:
    """Registry methods of ``Client``; the host class provides ``_backend``."""

    _backend: Any

    def _registry(self) -> RegistryBackend:
        backend = self._backend
        if isinstance(backend, RegistryBackend):
            return backend
        raise MlstewardError(
            f"The backend at {getattr(backend, 'uri', '?')!r} does not serve the model registry yet"
        )

    # registered models ---------------------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        clean = {str(k): str(v) for k, v in (tags or {}).items()}
        return self._registry().create_registered_model(name, description, clean)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._registry().get_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> RegistryPagedList[RegisteredModel]:
        """Filter with ``name LIKE 'fraud%'``, ``tags.team = 'risk'``, ``alias = 'champion'``."""
        page = self._registry().search_registered_models(filter_string, max_results, page_token)
        return RegistryPagedList(page.items, page.next_page_token)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        return self._registry().update_registered_model(name, description)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._registry().set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._registry().delete_registered_model_tag(name, key)

    def set_acceptance_thresholds(
        self,
        name: str,
        thresholds: Sequence[str | AcceptanceThreshold],
        reason: str | None = None,
    ) -> RegisteredModel:
        """Replace the thresholds protected aliases require, e.g. ``["roc_auc >= 0.85"]``.

        Removing or loosening one is a governance action: a named user who registered no
        version of the model, with a ``reason``.
        """
        listed = thresholds if isinstance(thresholds, str) else [str(t) for t in thresholds]
        return self._registry().set_acceptance_thresholds(name, listed, reason)

    def get_threshold_history(self, name: str) -> list[ThresholdChange]:
        """Every change of the model's thresholds (who, when, why, before, after), oldest first."""
        return self._registry().threshold_history(name)

    def protect_alias(
        self, name: str, alias: str, protected: bool = True, reason: str | None = None
    ) -> RegisteredModel:
        """Require an approval and met thresholds before ``alias`` may point at a version.

        ``protected=False`` lifts the protection: a governance action (a named user who
        registered no version of the model, with a ``reason``).
        """
        return self._registry().protect_alias(name, alias, protected, reason)

    def update_model_card(self, name: str, fields: Mapping[str, str | None]) -> RegisteredModel:
        """Fill the card fields only a person can write (None clears one)."""
        return self._registry().update_model_card(name, fields)

    # versions ------------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
        dataset_version_ids: Sequence[str] | None = None,
    ) -> ModelVersion:
        clean = {str(k): str(v) for k, v in (tags or {}).items()}
        return self._registry().create_model_version(
            name, source, run_id, description, clean, dataset_version_ids
        )

    def register_model(
        self,
        model_uri: str,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> ModelVersion:
        """The model at ``model_uri`` as the next version of ``name`` (created when missing).
        A refused source leaves no empty registered model behind."""
        clean = {str(k): str(v) for k, v in (tags or {}).items()}
        return self._registry().create_model_version(
            name, model_uri, description=description, tags=clean, create_model=True
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._registry().get_model_version(name, validate_version(version))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> RegistryPagedList[ModelVersion]:
        """Filter with ``name = 'm'``, ``run_id = '...'``, ``version >= 3``, ``stage = ...``."""
        page = self._registry().search_model_versions(filter_string, max_results, page_token)
        return RegistryPagedList(page.items, page.next_page_token)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        return self._registry().get_latest_versions(name, stages)

    def update_model_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        return self._registry().update_model_version(name, validate_version(version), description)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        self._registry().set_model_version_tag(name, validate_version(version), key, str(value))

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        self._registry().delete_model_version_tag(name, validate_version(version), key)

    def attach_evaluation(
        self, name: str, version: int | str, metrics: Mapping[str, float]
    ) -> ModelVersion:
        """Attach evaluation results; gates prefer them over the run's metrics.

        Every change is recorded (see ``get_evaluation_history``), and an approval given
        before it no longer counts at the gates: the version needs approving again.
        """
        return self._registry().attach_evaluation(name, validate_version(version), metrics)

    def get_evaluation_history(
        self, name: str, version: int | str | None = None
    ) -> list[EvaluationChange]:
        """Every change of a version's (or every version's) evaluation: who, when, the
        metrics before and after; oldest first."""
        number = None if version is None else validate_version(version)
        return self._registry().evaluation_history(name, number)

    def resolve_model_uri(self, model_uri: str) -> ModelVersion:
        """The version ``models:/name@alias``, ``models:/name/3`` (or ``/latest``) names."""
        return self._registry().resolve_model_uri(model_uri)

    # aliases and stages ----------------------------------------------------------------------
    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str, reason: str | None = None
    ) -> AliasEvent | None:
        """Point ``alias`` at ``version`` (recorded); None when it already pointed there."""
        return self._registry().set_alias(name, alias, validate_version(version), reason)

    def delete_registered_model_alias(
        self, name: str, alias: str, reason: str | None = None
    ) -> AliasEvent:
        """Remove ``alias`` (recorded); a protected one is a governance action to delete."""
        return self._registry().delete_alias(name, alias, reason)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._registry().get_version_by_alias(name, alias)

    def get_alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every recorded move (who, when, why, from -> to), oldest first."""
        return self._registry().alias_history(name, alias)

    def rollback_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        """Move ``alias`` back to the version it held before (gates still apply)."""
        return self._registry().rollback_alias(name, alias, reason)

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        reason: str | None = None,
    ) -> ModelVersion:
        return self._registry().transition_stage(
            name, validate_version(version), stage, archive_existing_versions, reason
        )

    def get_stage_history(
        self, name: str, version: int | str | None = None
    ) -> list[StageTransition]:
        number = None if version is None else validate_version(version)
        return self._registry().stage_history(name, number)

    # approvals and cards -----------------------------------------------------------------------
    def approve_model_version(self, name: str, version: int | str, comment: str) -> Approval:
        """Approve as the current user, who must not be the one who registered the version."""
        return self._registry().approve_model_version(name, validate_version(version), comment)

    def reject_model_version(self, name: str, version: int | str, comment: str) -> Approval:
        return self._registry().reject_model_version(name, validate_version(version), comment)

    def list_approvals(self, name: str, version: int | str | None = None) -> list[Approval]:
        number = None if version is None else validate_version(version)
        return self._registry().list_approvals(name, number)

    def render_model_card(self, name: str, version: int | str, format: str = "markdown") -> str:
        """The version's model card as Markdown or self-contained HTML (``format="html"``)."""
        return self._registry().render_model_card(name, validate_version(version), format)
