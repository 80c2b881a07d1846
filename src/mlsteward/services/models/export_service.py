"""ONNX export of a stored model: fetch it, convert, check parity, record ``onnx/`` in its run.

This is the one implementation behind ``mlsteward.export_onnx`` for a logged model, whichever
door it comes through: the ``models.export_onnx`` operation runs :func:`export_stored_model`,
in the SDK's process for a local store and behind ``POST /api/v1/models/export-onnx`` on a
server.

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

import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError, PermissionDeniedError
from mlsteward.engines.models.export_options import ExportOptions, export_directory
from mlsteward.engines.models.manifest import MANIFEST_FILE
from mlsteward.engines.models.model_uri import ModelLocation, parse_runs_uri
from mlsteward.engines.models.onnx_record import EXPORT_DIR, ExportRecord
from mlsteward.engines.models.store_check import check_against_store
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry import uris
from mlsteward.services.tracking import artifacts
from mlsteward.services.tracking.runs import require_active_run


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


@dataclass(frozen=True)
class ExportOutcome:
    """What an export answers its caller: the record and where its files are stored
    (``runs:/<run_id>/<model path>/onnx``)."""

    record: ExportRecord
    stored_at: str


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
    "ExportOutcome",
    "StoredExport",
    "export_stored_model",
    "fetch_model",
    "locate_model",
]
