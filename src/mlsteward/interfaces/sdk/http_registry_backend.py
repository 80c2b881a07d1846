"""The registry half of ``HttpBackend``: ``RegistryBackend`` over the REST API.

Each method is one request to ``/api/v1/registered-models`` (or ``/model-versions``) and
returns the entity the server's service call returned, decoded to an equal value, so a
``Client`` on ``http://...`` behaves as one on a local store. The actor is the backend's
user, sent as ``X-Mlsteward-User`` on every request. A gate refusal arrives as 403 with
its reasons and is raised as the same :class:`GateError` the local backend raises.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

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
from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.services.api import wire
from mlsteward.services.api.wire_registry import (
    REGISTRY_PREFIX,
    VERSIONS_PREFIX,
    decode_alias_event,
    decode_approval,
    decode_evaluation_change,
    decode_model,
    decode_model_page,
    decode_stage_transition,
    decode_threshold_change,
    decode_version,
    decode_version_page,
)
from mlsteward.services.limits import Limits
from mlsteward.services.registry.validation import validate_alias, validate_model_name


def _segment(value: str) -> str:
    """One path segment: everything percent-encoded, dots too, so no client or proxy
    collapses ``.``/``..`` or splits on ``/`` before the server sees the value."""
    return quote(value, safe="").replace(".", "%2E")


def _model(name: str) -> str:
    """The model's URL. A blank name, or one with ``/``, cannot be a path segment the server
    would read back; the service's own validator refuses it here with its usual message."""
    if not isinstance(name, str) or not name.strip() or "/" in name:
        validate_model_name(name, Limits())
    return f"{REGISTRY_PREFIX}/{_segment(name)}"


def _version(name: str, version: int) -> str:
    return f"{_model(name)}/versions/{int(version)}"


def _alias_segment(alias: str) -> str:
    if not isinstance(alias, str) or not alias or "/" in alias:
        validate_alias(alias, Limits())
    return _segment(alias)


def _alias(name: str, alias: str) -> str:
    return f"{_model(name)}/aliases/{_alias_segment(alias)}"


def _reason(reason: str | None) -> dict[str, str] | None:
    return None if reason is None else {"reason": reason}


class HttpRegistryBackendMixin:
    """Implements ``RegistryBackend`` over HTTP; the host class provides ``_api``."""

    _api: ApiClient

    # registered models
    def create_registered_model(
        self, name: str, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> RegisteredModel:
        body = {"name": name, "description": description, "tags": _dict(tags)}
        raw = self._api.json("POST", REGISTRY_PREFIX, json=body, idempotent=False)
        return decode_model(raw)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return decode_model(self._api.json("GET", _model(name)))

    def search_registered_models(
        self, filter_string: str | None, max_results: int, page_token: str | None
    ) -> RegistryPage[RegisteredModel]:
        body = {"filter": filter_string, "max_results": max_results, "page_token": page_token}
        return decode_model_page(self._api.json("POST", f"{REGISTRY_PREFIX}/search", json=body))

    def update_registered_model(self, name: str, description: str) -> RegisteredModel:
        raw = self._api.json("PATCH", _model(name), json={"description": description})
        return decode_model(raw)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._api.request("PUT", f"{_model(name)}/tags/{_segment(key)}", json={"value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._api.request("DELETE", f"{_model(name)}/tags/{_segment(key)}")

    def set_acceptance_thresholds(
        self, name: str, thresholds: Sequence[str], reason: str | None = None
    ) -> RegisteredModel:
        body = {
            "thresholds": thresholds if isinstance(thresholds, str) else list(thresholds),
            "reason": reason,
        }
        return decode_model(self._api.json("PUT", f"{_model(name)}/thresholds", json=body))

    def threshold_history(self, name: str) -> list[ThresholdChange]:
        raw = self._api.json("GET", f"{_model(name)}/threshold-history")
        return [decode_threshold_change(c) for c in raw["changes"]]

    def protect_alias(
        self, name: str, alias: str, protected: bool = True, reason: str | None = None
    ) -> RegisteredModel:
        url = f"{_model(name)}/protected-aliases/{_alias_segment(alias)}"
        if protected:
            raw = self._api.json("PUT", url, json=_reason(reason) or {}, idempotent=False)
        else:
            raw = self._api.json("DELETE", url, params=_reason(reason), idempotent=False)
        return decode_model(raw)

    def update_model_card(self, name: str, fields: Mapping[str, str | None]) -> RegisteredModel:
        return decode_model(self._api.json("PATCH", f"{_model(name)}/card", json=dict(fields)))

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
        body = {
            "source": source,
            "run_id": run_id,
            "description": description,
            "tags": _dict(tags),
            "dataset_version_ids": None
            if dataset_version_ids is None
            else list(dataset_version_ids),
            "create_model": create_model,
        }
        raw = self._api.json("POST", f"{_model(name)}/versions", json=body, idempotent=False)
        return decode_version(raw)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return decode_version(self._api.json("GET", _version(name, version)))

    def search_model_versions(
        self, filter_string: str | None, max_results: int, page_token: str | None
    ) -> RegistryPage[ModelVersion]:
        body = {"filter": filter_string, "max_results": max_results, "page_token": page_token}
        raw = self._api.json("POST", f"{VERSIONS_PREFIX}/search", json=body)
        return decode_version_page(raw)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        params = {"stage": list(stages)} if stages else None
        raw = self._api.json("GET", f"{_model(name)}/latest-versions", params=params)
        return [decode_version(v) for v in raw["model_versions"]]

    def update_model_version(self, name: str, version: int, description: str) -> ModelVersion:
        raw = self._api.json("PATCH", _version(name, version), json={"description": description})
        return decode_version(raw)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        url = f"{_version(name, version)}/tags/{_segment(key)}"
        self._api.request("PUT", url, json={"value": value})

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        self._api.request("DELETE", f"{_version(name, version)}/tags/{_segment(key)}")

    def attach_evaluation(
        self, name: str, version: int, metrics: Mapping[str, float]
    ) -> ModelVersion:
        body = {"metrics": _metric_values(metrics)}
        raw = self._api.json("POST", f"{_version(name, version)}/evaluation", json=body)
        return decode_version(raw)

    def evaluation_history(self, name: str, version: int | None = None) -> list[EvaluationChange]:
        params = None if version is None else {"version": version}
        raw = self._api.json("GET", f"{_model(name)}/evaluation-history", params=params)
        return [decode_evaluation_change(c) for c in raw["changes"]]

    def resolve_model_uri(self, uri: str) -> ModelVersion:
        raw = self._api.json("GET", f"{VERSIONS_PREFIX}/resolve", params={"uri": uri})
        return decode_version(raw)

    # aliases and stages
    def set_alias(
        self, name: str, alias: str, version: int, reason: str | None = None
    ) -> AliasEvent | None:
        body = {"version": version, "reason": reason}
        raw = self._api.json("PUT", _alias(name, alias), json=body)
        return None if raw is None else decode_alias_event(raw)  # 204: already pointed there

    def delete_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        raw = self._api.json(
            "DELETE", _alias(name, alias), params=_reason(reason), idempotent=False
        )
        return decode_alias_event(raw)

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return decode_version(self._api.json("GET", _alias(name, alias)))

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        params = None if alias is None else {"alias": alias}
        raw = self._api.json("GET", f"{_model(name)}/alias-history", params=params)
        return [decode_alias_event(e) for e in raw["events"]]

    def rollback_alias(self, name: str, alias: str, reason: str | None = None) -> AliasEvent:
        url = f"{_alias(name, alias)}/rollback"
        raw = self._api.json("POST", url, json=_reason(reason) or {}, idempotent=False)
        return decode_alias_event(raw)

    def transition_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing: bool = False,
        reason: str | None = None,
    ) -> ModelVersion:
        body = {"stage": stage, "archive_existing_versions": archive_existing, "reason": reason}
        url = f"{_version(name, version)}/stage"
        return decode_version(self._api.json("POST", url, json=body, idempotent=False))

    def stage_history(self, name: str, version: int | None = None) -> list[StageTransition]:
        params = None if version is None else {"version": version}
        raw = self._api.json("GET", f"{_model(name)}/stage-history", params=params)
        return [decode_stage_transition(t) for t in raw["transitions"]]

    # approvals and cards
    def approve_model_version(self, name: str, version: int, comment: str) -> Approval:
        return self._decide(name, version, "approvals", comment)

    def reject_model_version(self, name: str, version: int, comment: str) -> Approval:
        return self._decide(name, version, "rejections", comment)

    def _decide(self, name: str, version: int, kind: str, comment: str) -> Approval:
        url = f"{_version(name, version)}/{kind}"
        raw = self._api.json("POST", url, json={"comment": comment}, idempotent=False)
        return decode_approval(raw)

    def list_approvals(self, name: str, version: int | None = None) -> list[Approval]:
        params = None if version is None else {"version": version}
        raw = self._api.json("GET", f"{_model(name)}/approvals", params=params)
        return [decode_approval(a) for a in raw["approvals"]]

    def render_model_card(self, name: str, version: int, format: str = "markdown") -> str:
        url = f"{_version(name, version)}/card"
        return self._api.request("GET", url, params={"format": format}).text


def _dict(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if mapping is None else dict(mapping)


def _metric_values(metrics: Mapping[str, Any]) -> Any:
    """Floats in the wire encoding; anything else is sent as given for the server to refuse
    (a dict is required; the service names a value that is not a number)."""
    if not isinstance(metrics, Mapping):
        return metrics
    return {
        key: wire.encode_float(float(value))
        if isinstance(value, numbers.Real) and not isinstance(value, bool)
        else value
        for key, value in metrics.items()
    }
