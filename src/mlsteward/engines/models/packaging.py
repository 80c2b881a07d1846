"""Write a model directory: the flavor's files, input example, requirements and manifest.

The directory is complete and self-checking on its own (``load_model_dir`` reads it back);
logging it to a run is the SDK's job. The signature comes from, in order: the caller, the
input example (inputs) plus the model's own prediction on it (outputs), or the model itself
when its format records inputs (ONNX). With none of these, saving fails with a clear error
rather than producing a model whose input nobody can check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.input_example import normalize_example, save_example
from mlsteward.engines.models.input_plan import compile_plan
from mlsteward.engines.models.manifest import Manifest, hash_files, write_manifest
from mlsteward.engines.models.requirements import pinned_requirements
from mlsteward.engines.models.signature import Schema, Signature, as_signature, infer_schema
from mlsteward.plugins.flavors import Flavor, FlavorRegistry, default_registry

REQUIREMENTS_FILE = "requirements.txt"


def choose_flavor(model: Any, flavor: str | None, registry: FlavorRegistry) -> Flavor:
    """The named flavor (checked to be usable here), or the first one that claims the model."""
    chosen = registry.get(flavor) if flavor else registry.detect(model)
    if not chosen.available():
        raise InvalidArgumentError(
            f"The {chosen.name} flavor needs {', '.join(chosen.modules)}; install "
            f"mlsteward[{chosen.name}]"
        )
    return chosen


def resolve_signature(flavor: Flavor, model: Any, signature: Any, example: Any | None) -> Signature:
    """The caller's signature, else one inferred from the example and the model's output."""
    given = as_signature(signature)
    if given is not None and example is not None:
        # the example must satisfy the signature it is stored with
        compile_plan(given.inputs, flavor.wrap(model).wants)(example)
    if given is not None and given.outputs is not None:
        return given
    if given is not None:
        inputs = given.inputs
    elif example is not None:
        inputs = infer_schema(example)
    else:
        described = flavor.describe_inputs(model)
        if described is None:
            raise InvalidArgumentError(
                "log_model needs to know the model's inputs: pass input_example= (a few rows "
                "of real input, e.g. X[:5]) or signature=infer_signature(X, model.predict(X)). "
                f"A {flavor.name} model does not record its own input schema."
            )
        inputs = Schema.from_dict(described)
    outputs = None
    if example is not None:
        native = flavor.wrap(model)
        prepared = compile_plan(inputs, native.wants)(example)
        try:
            outputs = infer_schema(native.predict(prepared))
        except Exception as error:
            raise InvalidArgumentError(
                f"The model failed to predict on its input_example: {type(error).__name__}: {error}"
            ) from error
    return Signature(inputs, outputs)


def save_model(
    model: Any,
    directory: str | Path,
    *,
    flavor: str | None = None,
    signature: Signature | Mapping[str, Any] | None = None,
    input_example: Any = None,
    installed: Mapping[str, str] | None = None,
    extra_requirements: list[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
    registry: FlavorRegistry | None = None,
) -> Manifest:
    """Save ``model`` into ``directory`` (created; must be empty) and return its manifest."""
    registry = registry or default_registry()
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise InvalidArgumentError(f"{target} is not empty; save a model into a new directory")
    target.mkdir(parents=True, exist_ok=True)
    chosen = choose_flavor(model, flavor, registry)
    example = normalize_example(input_example) if input_example is not None else None
    resolved = resolve_signature(chosen, model, signature, example)

    saved = chosen.save(model, target)
    files = list(saved.files)
    example_entry = None
    if example is not None:
        example_entry = save_example(example, target)
        files.append(example_entry["file"])
    modules = {*chosen.modules, *chosen.extra_modules(model)}
    requirements = pinned_requirements(sorted(modules), installed or {}) + list(
        extra_requirements or []
    )
    (target / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n")
    files.append(REQUIREMENTS_FILE)
    native = chosen.wrap(model)
    manifest = Manifest(
        flavor=chosen.name,
        flavor_version=_version_of(chosen, installed or {}),
        flavor_options=saved.options,
        serialization=saved.serialization or chosen.serialization,
        executes_code_on_load=(
            saved.executes_code_on_load
            if saved.executes_code_on_load is not None
            else chosen.executes_code_on_load
        ),
        model_class=f"{type(model).__module__}.{type(model).__qualname__}",
        has_predict_proba=native.predict_proba is not None,
        signature=resolved,
        input_example=example_entry,
        requirements=requirements,
        files=hash_files(target, files),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        run_id=run_id,
        artifact_path=artifact_path,
        metadata=dict(metadata or {}),
    )
    write_manifest(target, manifest)
    return manifest


def _version_of(flavor: Flavor, installed: Mapping[str, str]) -> str | None:
    """The version of the flavor's main library, from the pinned requirements."""
    if not flavor.modules:
        return None
    pins = pinned_requirements([flavor.modules[0]], installed)
    main = [p for p in pins if not p.lower().startswith("mlsteward==")]
    return main[0].split("==", 1)[1] if main else None
