"""ONNX export of a stored model: fetch it, convert, check parity, record ``onnx/`` in its run.

This is the one implementation behind ``mlsteward.export_onnx`` for a logged model, whichever
door it comes through: the SDK's local backend calls :func:`export_stored_model` in-process,
its HTTP backend calls ``POST /api/v1/models/export-onnx``, whose route calls it too.

The model's own files are fetched from the blob store (a previous export is left behind:
it is about to be replaced, and a damaged one must not block a fresh export) and checked
against both the manifest and the digests the store recorded before any byte is
deserialized. The new ``onnx/`` files are uploaded first and recorded in one store call, so
a reader sees the old export or the new one, never a mix.

Exporting deserializes the model in this process. For pickle-based flavors (scikit-learn,
LightGBM's scikit-learn wrappers) that runs code the model's author chose, so a server
offering this route runs code of whoever can log a model to it.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlsteward.domain.errors import (
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    PermissionDeniedError,
)
from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE
from mlsteward.services.context import ServiceContext
from mlsteward.services.models.input_example import normalize_example
from mlsteward.services.models.manifest import MANIFEST_FILE
from mlsteward.services.models.model_uri import ModelLocation, parse_runs_uri
from mlsteward.services.models.onnx_packaging import export_model_dir
from mlsteward.services.models.onnx_record import EXPORT_DIR, ExportRecord
from mlsteward.services.models.store_check import check_against_store
from mlsteward.services.registry import uris
from mlsteward.services.tracking import artifacts
from mlsteward.services.tracking.runs import require_active_run

#: Errors a model or library raises on input it cannot take (NaN, wrong width, bad dtype).
_INPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError)


def _rows(data: Any) -> int:
    if isinstance(data, dict):
        return len(next(iter(data.values()))) if data else 0
    return len(data)


def _max_opset() -> int | None:
    try:
        from onnx.defs import onnx_opset_version
    except ImportError:  # the converter reports the missing extra itself
        return None
    return int(onnx_opset_version())


@dataclass(frozen=True, eq=False)
class ExportOptions:
    """How to export: the parity sample (and its true targets), int8, tolerance, opset.

    Checked when built, so a bad option fails before anything is fetched or converted.
    ``sample`` is normalized to what parity is measured on (a DataFrame, 2-D array or dict
    of arrays).
    """

    sample: Any = None
    sample_targets: Any = None
    quantize: bool = False
    tolerance: float = DEFAULT_TOLERANCE
    target_opset: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.quantize, bool):
            raise InvalidArgumentError(f"quantize must be true or false, got {self.quantize!r}")
        tolerance = self.tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not math.isfinite(tolerance)
            or tolerance < 0
        ):
            raise InvalidArgumentError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
        self._check_opset()
        if self.sample is None:
            if self.sample_targets is not None:
                raise InvalidArgumentError("sample_targets needs sample (the rows they label)")
            return
        sample = normalize_example(self.sample)
        rows = _rows(sample)
        if rows == 0:
            raise InvalidArgumentError("sample has no rows: pass some representative rows")
        object.__setattr__(self, "sample", sample)
        if self.sample_targets is not None:
            targets = np.asarray(self.sample_targets)
            if targets.ndim != 1 or len(targets) != rows:
                raise InvalidArgumentError(
                    f"sample_targets must be one label per sample row ({rows}), got shape "
                    f"{targets.shape}"
                )
            object.__setattr__(self, "sample_targets", targets)

    def _check_opset(self) -> None:
        opset = self.target_opset
        if opset is None:
            return
        highest = _max_opset()
        if isinstance(opset, bool) or not isinstance(opset, int) or opset < 1:
            raise InvalidArgumentError(f"target_opset must be a positive integer, got {opset!r}")
        if highest is not None and opset > highest:
            raise InvalidArgumentError(
                f"target_opset {opset} is newer than the installed onnx supports ({highest})"
            )


@dataclass(frozen=True)
class StoredExport:
    """An export recorded in the model's run: the record, the model, the paths written."""

    record: ExportRecord
    location: ModelLocation
    paths: list[str]

    @property
    def uri(self) -> str:
        """``runs:/<run_id>/<model path>/onnx``: where the export's files are."""
        return f"{self.location.uri}/{EXPORT_DIR}"


def locate_model(ctx: ServiceContext, model_uri: str) -> ModelLocation:
    """The run and artifact path of ``runs:/<id>/<path>`` or a ``models:/`` URI's version."""
    if not isinstance(model_uri, str) or not model_uri.strip():
        raise InvalidArgumentError("model_uri is required (runs:/<run_id>/<path> or models:/...)")
    if model_uri.startswith("runs:"):
        return parse_runs_uri(model_uri)
    if model_uri.startswith("models:"):
        version = uris.resolve_model_uri(ctx, model_uri)
        if not version.source.startswith("runs:"):
            raise InvalidArgumentError(
                f"{model_uri!r} is version {version.version} of {version.name!r}, whose source "
                f"{version.source!r} is not a run's artifact: there is nowhere to store an export"
            )
        return parse_runs_uri(version.source)
    raise InvalidArgumentError(
        f"Cannot export {model_uri!r}: expected runs:/<run_id>/<path>, models:/<name>@<alias> "
        "or models:/<name>/<version>"
    )


def fetch_model(ctx: ServiceContext, location: ModelLocation, destination: Path) -> Path:
    """Copy the model's own files (not a previous ``onnx/``) to ``destination``, verified."""
    prefix = location.artifact_path.rstrip("/") + "/"
    digests: dict[str, str] = {}
    for record in artifacts.artifact_files(ctx, location.run_id, location.artifact_path):
        relative = record.path[len(prefix) :] if record.path.startswith(prefix) else None
        if relative and relative.split("/", 1)[0] != EXPORT_DIR:
            digests[relative] = record.digest
    if MANIFEST_FILE not in digests:
        raise NotFoundError(
            f"No model at {location.uri}: run {location.run_id} has no {MANIFEST_FILE} under "
            f"{location.artifact_path!r} (log one with mlsteward.log_model)"
        )
    for relative, digest in digests.items():
        ctx.blobs.download(digest, destination / relative)
    check_against_store(destination, digests)
    return destination


def export_directory(directory: Path, options: ExportOptions) -> ExportRecord:
    """Export the model in a local ``directory`` (writes ``<directory>/onnx/``).

    Errors a library raises on the caller's sample (NaN a model refuses, a wrong width) are
    reported as invalid arguments: the sample is the caller's input.
    """
    try:
        return export_model_dir(
            directory,
            sample=options.sample,
            sample_targets=options.sample_targets,
            quantize=options.quantize,
            tolerance=options.tolerance,
            target_opset=options.target_opset,
        )
    except MlstewardError:
        raise
    except _INPUT_ERRORS as error:
        if options.sample is None:
            raise
        raise InvalidArgumentError(
            f"ONNX export failed on the sample you passed: {type(error).__name__}: {error}"
        ) from error


def export_stored_model(
    ctx: ServiceContext, model_uri: str, options: ExportOptions | None = None
) -> StoredExport:
    """Export the model ``model_uri`` names and record ``onnx/`` beside it in its run."""
    if not ctx.allow_model_code:
        raise PermissionDeniedError(
            "This server does not load users' models (loading a pickle runs its code). Start "
            "it with --allow-model-code to export on the server, or export with the SDK "
            "against the store directly."
        )
    chosen = options or ExportOptions()
    location = locate_model(ctx, model_uri)
    require_active_run(ctx, location.run_id)
    with tempfile.TemporaryDirectory(prefix="mlsteward-export-") as tmp:
        directory = fetch_model(ctx, location, Path(tmp) / "model")
        record = export_directory(directory, chosen)
        # log_artifact uploads every file before it records any, in one store call.
        paths = artifacts.log_artifact(
            ctx,
            location.run_id,
            directory / EXPORT_DIR,
            f"{location.artifact_path.rstrip('/')}/{EXPORT_DIR}",
        )
    return StoredExport(record, location, paths)


__all__ = [
    "ExportOptions",
    "StoredExport",
    "export_directory",
    "export_stored_model",
    "fetch_model",
    "locate_model",
]
