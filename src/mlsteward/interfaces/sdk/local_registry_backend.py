"""The registry half of ``LocalBackend``: each method calls one registry service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlsteward.domain.registry import (
    AliasEvent,
    Approval,
    ModelVersion,
    RegisteredModel,
    RegistryPage,
    StageTransition,
    ThresholdChange,
)
from mlsteward.domain.registry_evaluation import EvaluationChange
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry import (
    aliases,
    approvals,
    card_render,
    models,
    stages,
    uris,
    versions,
)


class LocalRegistryBackendMixin:
    """Implements ``RegistryBackend`` in-process; the host class provides ``ctx``."""

    ctx: ServiceContext

    # registered models
    def create_registered_model(
        self, name: str, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> RegisteredModel:
        return models.create_registered_model(self.ctx, name, description, tags)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return models.get_registered_model(self.ctx, name)

    def search_registered_models(
        self, filter_string: str | None, max_results: int, page_token: str | None
    ) -> RegistryPage[RegisteredModel]:
        return models.search_registered_models(self.ctx, filter_string, max_results, page_token)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        return models.update_registered_model(self.ctx, name, description)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        models.set_registered_model_tag(self.ctx, name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        models.delete_registered_model_tag(self.ctx, name, key)

    def set_acceptance_thresholds(
        self, name: str, thresholds: Sequence[str], reason: str | None = None
    ) -> RegisteredModel:
        return models.set_acceptance_thresholds(self.ctx, name, thresholds, reason)

    def threshold_history(self, name: str) -> list[ThresholdChange]:
        return models.threshold_history(self.ctx, name)

    def protect_alias(
        self, name: str, alias: str, protected: bool = True, reason: str | None = None
    ) -> RegisteredModel:
        return models.protect_alias(self.ctx, name, alias, protected, reason)

    def update_model_card(self, name: str, fields: Mapping[str, str | None]) -> RegisteredModel:
        return models.update_model_card(self.ctx, name, fields)

    # versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        dataset_version_ids: Sequence[str] | None = None,
        create_model: bool = False,
    ) -> ModelVersion:
        return versions.create_model_version(
            self.ctx, name, source, run_id, description, tags, dataset_version_ids, create_model
        )

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return versions.get_model_version(self.ctx, name, version)

    def search_model_versions(
        self, filter_string: str | None, max_results: int, page_token: str | None
    ) -> RegistryPage[ModelVersion]:
        return versions.search_model_versions(self.ctx, filter_string, max_results, page_token)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        return versions.get_latest_versions(self.ctx, name, stages)

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        return versions.update_model_version(self.ctx, name, version, description)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        versions.set_model_version_tag(self.ctx, name, version, key, value)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        versions.delete_model_version_tag(self.ctx, name, version, key)

    def attach_evaluation(
        self, name: str, version: int, metrics: Mapping[str, float]
    ) -> ModelVersion:
        return versions.attach_evaluation(self.ctx, name, version, metrics)

    def evaluation_history(self, name: str, version: int | None = None) -> list[EvaluationChange]:
        return versions.evaluation_history(self.ctx, name, version)

    def resolve_model_uri(self, uri: str) -> ModelVersion:
        return uris.resolve_model_uri(self.ctx, uri)

    # aliases and stages
    def set_alias(
        self, name: str, alias: str, version: int, reason: str | None = None
    ) -> AliasEvent | None:
        return aliases.set_alias(self.ctx, name, alias, version, reason)

    def delete_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        return aliases.delete_alias(self.ctx, name, alias, reason)

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return aliases.get_version_by_alias(self.ctx, name, alias)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        return aliases.alias_history(self.ctx, name, alias)

    def rollback_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        return aliases.rollback_alias(self.ctx, name, alias, reason)

    def transition_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing: bool = False,
        reason: str | None = None,
    ) -> ModelVersion:
        return stages.transition_stage(self.ctx, name, version, stage, archive_existing, reason)

    def stage_history(self, name: str, version: int | None = None) -> list[StageTransition]:
        return stages.stage_history(self.ctx, name, version)

    # approvals and cards
    def approve_model_version(self, name: str, version: int, comment: str) -> Approval:
        return approvals.approve_model_version(self.ctx, name, version, comment)

    def reject_model_version(self, name: str, version: int, comment: str) -> Approval:
        return approvals.reject_model_version(self.ctx, name, version, comment)

    def list_approvals(self, name: str, version: int | None = None) -> list[Approval]:
        return approvals.list_approvals(self.ctx, name, version)

    def render_model_card(self, name: str, version: int, format: str = "markdown") -> str:
        return card_render.render_model_card(self.ctx, name, version, format)
