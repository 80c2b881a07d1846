"""``Client``'s model-registry methods, with MLflow's names where MLflow has the feature.

Versions may be passed as ``3`` or ``"3"``. Every rule (gates, approvals, validation) lives
in ``mlsteward.services.registry``; these methods call its declared operations through the
client's transport, so a local store and a server answer alike.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
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
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.api.schemas_registry import ModelCardFields
from mlsteward.services.limits import Limits
from mlsteward.services.operations import Operation
from mlsteward.services.registry import operations as ops
from mlsteward.services.registry.validation import (
    validate_alias,
    validate_model_name,
    validate_version,
)

T = TypeVar("T")
ResultT = TypeVar("ResultT")


class RegistryPagedList(list[T]):
    """A page of registry results; ``token`` fetches the next page (None at the end)."""

    def __init__(self, items: Sequence[T], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def model_name(name: str) -> str:
    """``name`` as a path segment the server reads back whole. A blank name, or one with
    ``/``, could not be: the service's validator refuses it here with its usual message."""
    if not isinstance(name, str) or not name.strip() or "/" in name:
        validate_model_name(name, Limits())
    return name


def alias_name(alias: str) -> str:
    """``alias`` as one path segment; a blank alias, or one with ``/``, refused as the service
    refuses it."""
    if not isinstance(alias, str) or not alias or "/" in alias:
        validate_alias(alias, Limits())
    return alias


def string_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (tags or {}).items()}


def _optional_version(version: int | str | None) -> int | None:
    return None if version is None else validate_version(version)


def _metric_values(metrics: Mapping[str, Any]) -> Any:
    """Numbers (numpy's too) as floats, which travel in the wire encoding; anything else as
    given, for the service to refuse (it names a value that is not a number)."""
    if not isinstance(metrics, Mapping):
        return metrics
    return {
        key: float(value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool)
        else value
        for key, value in metrics.items()
    }


class RegistryClientMixin(OperationCaller):
    """Registry methods of ``Client``; the host class provides ``_backend``."""

    def _registry_call(self, operation: Operation[Any, ResultT], **values: Any) -> ResultT:
        """``operation`` through the backend's transport; a backend without one is refused
        with a message saying it has no registry (rather than an ``AttributeError``)."""
        backend = self._backend
        if getattr(backend, "transport", None) is None:
            raise MlstewardError(
                f"The backend at {getattr(backend, 'uri', '?')!r} does not serve the model registry"
            )
        return self._call(operation, **values)

    # registered models ---------------------------------------------------------------------
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        return self._registry_call(
            ops.create_registered_model,
            name=name,
            description=description,
            tags=string_tags(tags),
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._registry_call(ops.get_registered_model, name=model_name(name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> RegistryPagedList[RegisteredModel]:
        """Filter with ``name LIKE 'fraud%'``, ``tags.team = 'risk'``, ``alias = 'champion'``."""
        page = self._registry_call(
            ops.search_registered_models,
            filter=filter_string,
            max_results=max_results,
            page_token=page_token,
        )
        return RegistryPagedList(page.items, page.next_page_token)

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        return self._registry_call(
            ops.update_registered_model, name=model_name(name), description=description
        )

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._registry_call(
            ops.set_registered_model_tag, name=model_name(name), key=key, value=str(value)
        )

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._registry_call(ops.delete_registered_model_tag, name=model_name(name), key=key)

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
        return self._registry_call(
            ops.set_acceptance_thresholds, name=model_name(name), thresholds=listed, reason=reason
        )

    def get_threshold_history(self, name: str) -> list[ThresholdChange]:
        """Every change of the model's thresholds (who, when, why, before, after), oldest first."""
        return self._registry_call(ops.get_threshold_history, name=model_name(name))

    def protect_alias(
        self, name: str, alias: str, protected: bool = True, reason: str | None = None
    ) -> RegisteredModel:
        """Require an approval and met thresholds before ``alias`` may point at a version.

        ``protected=False`` lifts the protection: a governance action (a named user who
        registered no version of the model, with a ``reason``).
        """
        if not isinstance(protected, bool):
            raise InvalidArgumentError(f"protected must be true or false, got {protected!r}")
        operation = ops.protect_alias if protected else ops.unprotect_alias
        return self._registry_call(
            operation, name=model_name(name), alias=alias_name(alias), reason=reason
        )

    def update_model_card(self, name: str, fields: Mapping[str, str | None]) -> RegisteredModel:
        """Fill the card fields only a person can write (None clears one)."""
        card = ModelCardFields.model_construct(
            dict(fields) if isinstance(fields, Mapping) else fields
        )
        return self._registry_call(ops.update_model_card, name=model_name(name), body=card)

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
        ids = dataset_version_ids
        return self._registry_call(
            ops.create_model_version,
            name=model_name(name),
            source=source,
            run_id=run_id,
            description=description,
            tags=string_tags(tags),
            dataset_version_ids=ids if ids is None or isinstance(ids, str) else list(ids),
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
        return self._registry_call(
            ops.create_model_version,
            name=model_name(name),
            source=model_uri,
            description=description,
            tags=string_tags(tags),
            create_model=True,
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._registry_call(
            ops.get_model_version, name=model_name(name), version=validate_version(version)
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> RegistryPagedList[ModelVersion]:
        """Filter with ``name = 'm'``, ``run_id = '...'``, ``version >= 3``, ``stage = ...``."""
        page = self._registry_call(
            ops.search_model_versions,
            filter=filter_string,
            max_results=max_results,
            page_token=page_token,
        )
        return RegistryPagedList(page.items, page.next_page_token)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        wanted = list(stages) if stages else None
        return self._registry_call(ops.get_latest_versions, name=model_name(name), stage=wanted)

    def update_model_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        return self._registry_call(
            ops.update_model_version,
            name=model_name(name),
            version=validate_version(version),
            description=description,
        )

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        self._registry_call(
            ops.set_model_version_tag,
            name=model_name(name),
            version=validate_version(version),
            key=key,
            value=str(value),
        )

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        self._registry_call(
            ops.delete_model_version_tag,
            name=model_name(name),
            version=validate_version(version),
            key=key,
        )

    def attach_evaluation(
        self, name: str, version: int | str, metrics: Mapping[str, float]
    ) -> ModelVersion:
        """Attach evaluation results; gates prefer them over the run's metrics.

        Every change is recorded (see ``get_evaluation_history``), and an approval given
        before it no longer counts at the gates: the version needs approving again.
        """
        return self._registry_call(
            ops.attach_evaluation,
            name=model_name(name),
            version=validate_version(version),
            metrics=_metric_values(metrics),
        )

    def get_evaluation_history(
        self, name: str, version: int | str | None = None
    ) -> list[EvaluationChange]:
        """Every change of a version's (or every version's) evaluation: who, when, the
        metrics before and after; oldest first."""
        return self._registry_call(
            ops.get_evaluation_history, name=model_name(name), version=_optional_version(version)
        )

    def resolve_model_uri(self, model_uri: str) -> ModelVersion:
        """The version ``models:/name@alias``, ``models:/name/3`` (or ``/latest``) names."""
        return self._registry_call(ops.resolve_model_uri, uri=model_uri)

    # aliases and stages ----------------------------------------------------------------------
    def set_registered_model_alias(
        self, name: str, alias: str, version: int | str, reason: str | None = None
    ) -> AliasEvent | None:
        """Point ``alias`` at ``version`` (recorded); None when it already pointed there."""
        return self._registry_call(
            ops.set_alias,
            name=model_name(name),
            alias=alias_name(alias),
            version=validate_version(version),
            reason=reason,
        )

    def delete_registered_model_alias(
        self, name: str, alias: str, reason: str | None = None
    ) -> AliasEvent:
        """Remove ``alias`` (recorded); a protected one is a governance action to delete."""
        return self._registry_call(
            ops.delete_alias, name=model_name(name), alias=alias_name(alias), reason=reason
        )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._registry_call(
            ops.get_version_by_alias, name=model_name(name), alias=alias_name(alias)
        )

    def get_alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every recorded move (who, when, why, from -> to), oldest first."""
        return self._registry_call(ops.get_alias_history, name=model_name(name), alias=alias)

    def rollback_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        """Move ``alias`` back to the version it held before (gates still apply)."""
        return self._registry_call(
            ops.rollback_alias, name=model_name(name), alias=alias_name(alias), reason=reason
        )

    def transition_model_version_stage(
        self,
        name: str,
        version: int | str,
        stage: str,
        archive_existing_versions: bool = False,
        reason: str | None = None,
    ) -> ModelVersion:
        return self._registry_call(
            ops.transition_stage,
            name=model_name(name),
            version=validate_version(version),
            stage=stage,
            archive_existing_versions=archive_existing_versions,
            reason=reason,
        )

    def get_stage_history(
        self, name: str, version: int | str | None = None
    ) -> list[StageTransition]:
        return self._registry_call(
            ops.get_stage_history, name=model_name(name), version=_optional_version(version)
        )

    # approvals and cards -----------------------------------------------------------------------
    def approve_model_version(self, name: str, version: int | str, comment: str) -> Approval:
        """Approve as the current user, who must not be the one who registered the version."""
        return self._registry_call(
            ops.approve_model_version,
            name=model_name(name),
            version=validate_version(version),
            comment=comment,
        )

    def reject_model_version(self, name: str, version: int | str, comment: str) -> Approval:
        return self._registry_call(
            ops.reject_model_version,
            name=model_name(name),
            version=validate_version(version),
            comment=comment,
        )

    def list_approvals(self, name: str, version: int | str | None = None) -> list[Approval]:
        return self._registry_call(
            ops.list_approvals, name=model_name(name), version=_optional_version(version)
        )

    def render_model_card(self, name: str, version: int | str, format: str = "markdown") -> str:
        """The version's model card as Markdown or self-contained HTML (``format="html"``)."""
        return self._registry_call(
            ops.render_model_card,
            name=model_name(name),
            version=validate_version(version),
            format=format,
        )
