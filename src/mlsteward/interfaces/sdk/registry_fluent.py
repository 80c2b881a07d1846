"""``mlsteward.register_model`` and the ``models:/`` URI resolver used by ``load_model``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.registry import ModelVersion
from mlsteward.engines.models.model_uri import (
    ModelLocation,
    parse_runs_uri,
    register_model_uri_resolver,
)
from mlsteward.interfaces.sdk.registry_client import model_name, string_tags
from mlsteward.interfaces.sdk.tracking_uri import backend_for
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.registry import operations as ops


def register_model(
    model_uri: str,
    name: str,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> ModelVersion:
    """Register the model at ``model_uri`` (e.g. ``runs:/<run_id>/model``) as a new version
    of ``name``, creating the registered model first when it does not exist."""
    return invoke(
        backend_for().transport,
        ops.create_model_version,
        name=model_name(name),
        source=model_uri,
        description=description,
        tags=string_tags(tags),
        create_model=True,
    )


def _resolve_models_uri(uri: str) -> ModelLocation:
    """Where the version a ``models:/`` URI names keeps its files (for ``load_model``)."""
    version = invoke(backend_for().transport, ops.resolve_model_uri, uri=uri)
    if not version.source.startswith("runs:"):
        raise InvalidArgumentError(
            f"{uri!r} is version {version.version} of {version.name!r}, whose source "
            f"{version.source!r} is not a run's artifact; load it from there directly"
        )
    return parse_runs_uri(version.source)


register_model_uri_resolver("models", _resolve_models_uri)
