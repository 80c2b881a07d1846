"""``mlsteward.register_model`` and the ``models:/`` URI resolver used by ``load_model``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.domain.registry import ModelVersion
from mlsteward.interfaces.sdk.registry_backend import RegistryBackend
from mlsteward.interfaces.sdk.tracking_uri import backend_for
from mlsteward.services.models.model_uri import (
    ModelLocation,
    parse_runs_uri,
    register_model_uri_resolver,
)


def _registry_backend() -> RegistryBackend:
    backend = backend_for()
    if not isinstance(backend, RegistryBackend):
        raise MlstewardError(f"The backend at {backend.uri!r} does not serve the model registry")
    return backend


def register_model(
    model_uri: str,
    name: str,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` (e.g. ``runs:/<run_id>/model``) as a new version
    of ``name``, creating the registered model first when it does not exist."""
    clean = {str(k): str(v) for k, v in (tags or {}).items()}
    return _registry_backend().create_model_version(
        name, model_uri, description=description, tags=clean, create_model=True
    )


def _resolve_models_uri(uri: str) -> ModelLocation:
    """Where the version a ``models:/`` URI names keeps its files (for ``load_model``)."""
    version = _registry_backend().resolve_model_uri(uri)
    if not version.source.startswith("runs:"):
        raise InvalidArgumentError(
            f"{uri!r} is version {version.version} of {version.name!r}, whose source "
            f"{version.source!r} is not a run's artifact; load it from there directly"
        )
    return parse_runs_uri(version.source)


register_model_uri_resolver("models", _resolve_models_uri)
