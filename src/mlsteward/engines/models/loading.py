"""Read a model directory back: verify every hash, then deserialize with its flavor.

Verification comes first, before any byte reaches a deserializer, because several formats
(pickle) run code while loading. ``runtime`` picks the native library or the ONNX export
stored beside the model; ``auto`` takes ONNX only when its recorded parity held.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.manifest import Manifest, read_manifest, verify_files
from mlsteward.engines.models.onnx_record import EXPORT_DIR, ExportRecord, read_export
from mlsteward.plugins.flavors import FlavorRegistry, NativeModel, default_registry
from mlsteward.plugins.flavors.onnx_flavor import new_session, onnx_native

Runtime = Literal["native", "onnx", "onnx-int8", "auto"]
RUNTIMES = ("native", "onnx", "onnx-int8", "auto")


def load_native(
    directory: Path, manifest: Manifest, registry: FlavorRegistry | None = None
) -> NativeModel:
    """Deserialize the model's own files with its flavor (hashes already verified)."""
    flavor = (registry or default_registry()).get(manifest.flavor)
    if not flavor.available():
        raise InvalidArgumentError(
            f"This model needs the {flavor.name} flavor's libraries ({', '.join(flavor.modules)})"
            f"; install mlsteward[{flavor.name}] (it was saved with {manifest.requirements})"
        )
    return flavor.wrap(flavor.load(directory, manifest.flavor_options))


def load_onnx(directory: Path, record: ExportRecord, quantized: bool) -> NativeModel:
    """The exported graph on ONNX Runtime (its own hashes verified first)."""
    if importlib.util.find_spec("onnxruntime") is None:
        raise InvalidArgumentError("The ONNX runtime needs onnxruntime: install mlsteward[onnx]")
    export_dir = directory / EXPORT_DIR
    verify_files(export_dir, record.files, what="ONNX export")
    name = record.quantized_file if quantized else record.model_file
    if name is None:
        raise NotFoundError(
            "This model's ONNX export has no int8 version; export again with quantize=True"
        )
    session = new_session(export_dir / name)
    return onnx_native(
        session, columns=record.columns, squeeze=record.squeeze, classes=record.classes
    )


def choose_runtime(directory: Path, runtime: str) -> tuple[str, ExportRecord | None]:
    """Resolve ``auto`` and check that an ONNX runtime asked for exists."""
    if runtime not in RUNTIMES:
        raise InvalidArgumentError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    if runtime == "native":
        return runtime, None
    record = read_export(directory)
    if runtime == "auto":
        usable = (
            record is not None
            and record.parity_ok
            and importlib.util.find_spec("onnxruntime") is not None
        )
        return ("onnx", record) if usable else ("native", None)
    if record is None:
        raise NotFoundError(
            f"runtime={runtime!r} needs an ONNX export of this model; run "
            "mlsteward.export_onnx(model_uri) first"
        )
    return runtime, record


def load_model_dir(
    directory: str | Path,
    runtime: Runtime | str = "native",
    registry: FlavorRegistry | None = None,
) -> LoadedModel:
    """Load a model directory written by ``save_model`` (hashes verified first)."""
    path = Path(directory)
    if not path.is_dir():
        raise NotFoundError(f"No model directory at {path}")
    manifest = read_manifest(path)
    verify_files(path, manifest.files)
    chosen, record = choose_runtime(path, runtime)
    if record is not None:
        native = load_onnx(path, record, quantized=chosen == "onnx-int8")
    else:
        native = load_native(path, manifest, registry)
    return LoadedModel(manifest, native, path, chosen)
