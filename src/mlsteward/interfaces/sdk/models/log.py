"""``log_model``: save a model directory into a run's artifacts (the active run by default)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.manifest import Manifest
from mlsteward.engines.models.model_uri import ModelLocation
from mlsteward.engines.models.packaging import save_model
from mlsteward.engines.models.signature import Signature
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.environment import installed_packages
from mlsteward.interfaces.sdk.registry_fluent import register_model

#: Run tag listing the models logged in a run (JSON list of {"path", "flavor"}).
MODELS_TAG = "mlsteward.models"


@dataclass(frozen=True)
class ModelInfo:
    """What ``log_model`` stored: where, in which flavor, with which signature."""

    run_id: str
    artifact_path: str
    model_uri: str
    flavor: str
    signature: Signature
    manifest: Manifest
    registered_version: Any = None


def _target(run_id: str | None) -> tuple[str, str | None]:
    """The run to log into, and how the fluent API is told: by its id when the caller named
    one, by ``None`` for the active run (started when there is none)."""
    if run_id is not None:
        return run_id, run_id
    run = fluent.active_run() or fluent.start_run()
    return run.info.run_id, None


def _check_name(name: str) -> str:
    clean = name.strip("/")
    if not clean or ".." in clean.split("/") or clean != name.strip():
        raise InvalidArgumentError(f"Invalid model name {name!r}: use a relative artifact path")
    return clean


def log_model(
    model: Any,
    name: str = "model",
    signature: Signature | Mapping[str, Any] | None = None,
    input_example: Any = None,
    *,
    flavor: str | None = None,
    registered_model_name: str | None = None,
    extra_requirements: list[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> ModelInfo:
    """Save ``model`` under ``<name>/`` in the active run (one is started if none is).

    The directory holds the serialized model, ``MLmodel.json`` (flavor, signature, pinned
    requirements, SHA-256 of every file), ``requirements.txt`` and the input example. The
    signature is inferred from ``input_example`` when not given; with neither, only models
    that record their own inputs (ONNX) can be logged. The flavor is detected from the
    model's type unless ``flavor`` names one.
    """
    path = _check_name(name)
    rid, named = _target(run_id)
    with tempfile.TemporaryDirectory(prefix="mlsteward-model-") as tmp:
        directory = Path(tmp) / "model"
        manifest = save_model(
            model,
            directory,
            flavor=flavor,
            signature=signature,
            input_example=input_example,
            installed=installed_packages(),
            extra_requirements=extra_requirements,
            metadata=metadata,
            run_id=rid,
            artifact_path=path,
        )
        fluent.log_artifacts(directory, path, run_id=named)
    _record_in_run(named, rid, path, manifest.flavor)
    location = ModelLocation(rid, path)
    registered = None
    if registered_model_name is not None:
        registered = register_model(location.uri, registered_model_name)
    return ModelInfo(
        run_id=rid,
        artifact_path=path,
        model_uri=location.uri,
        flavor=manifest.flavor,
        signature=manifest.signature,
        manifest=manifest,
        registered_version=registered,
    )


def _record_in_run(named: str | None, run_id: str, path: str, flavor: str) -> None:
    """Keep the run's list of logged models (searchable, shown by UIs) up to date."""
    active = fluent.active_run() if named is None else None
    current = active.data.tags if active is not None else fluent.get_run(run_id).data.tags
    try:
        models = json.loads(current.get(MODELS_TAG, "[]"))
    except ValueError:
        models = []
    models = [m for m in models if m.get("path") != path] + [{"path": path, "flavor": flavor}]
    fluent.set_tag(MODELS_TAG, json.dumps(models), run_id=named)
