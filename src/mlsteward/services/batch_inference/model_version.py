"""The registered model version a batch job runs, loaded as the data plane loads it.

``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` is resolved once, at the start, so a job
that runs while an alias moves keeps scoring with one version (recorded in its manifest).
The files come from the blob store, every one checked against the digest the tracking store
recorded before anything is deserialized, and the runtime is chosen by the same rule as
serving's (``auto``: the ONNX export when its parity check held). Loading a pickle runs its
code, so a server loads a native model only when its operator allowed model code; an ONNX
graph runs no user code.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlsteward.domain.errors import InvalidArgumentError, PermissionDeniedError
from mlsteward.domain.registry import ModelVersion
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.loading import RUNTIMES, choose_runtime, load_model_dir
from mlsteward.engines.models.model_uri import parse_runs_uri
from mlsteward.engines.models.store_check import check_against_store
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry import uris
from mlsteward.services.tracking import artifacts


@dataclass(frozen=True)
class ResolvedModel:
    """The version a job scores with, and the runtime chosen for it."""

    version: ModelVersion
    runtime: str

    @property
    def uri(self) -> str:
        return f"models:/{self.version.name}/{self.version.version}"


def resolve_version(ctx: ServiceContext, model_uri: str) -> ModelVersion:
    """The registered version ``model_uri`` names (400 for anything but ``models:/``)."""
    if not isinstance(model_uri, str) or not model_uri.startswith("models:/"):
        raise InvalidArgumentError(
            f"Batch scoring runs registered models: expected models:/NAME@ALIAS or "
            f"models:/NAME/VERSION, got {str(model_uri)[:200]!r}"
        )
    version = uris.resolve_model_uri(ctx, model_uri)
    if not version.source.startswith("runs:"):
        raise InvalidArgumentError(
            f"Version {version.version} of {version.name!r} comes from {version.source!r}, "
            "not a run's artifact: it cannot be loaded"
        )
    return version


@contextlib.contextmanager
def loaded_model(
    ctx: ServiceContext, version: ModelVersion, runtime: str
) -> Iterator[tuple[LoadedModel, str]]:
    """The model ready to predict (and the runtime chosen), its files in a temporary folder
    removed afterwards."""
    if runtime not in RUNTIMES:
        raise InvalidArgumentError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    location = parse_runs_uri(version.source)
    prefix = location.artifact_path.rstrip("/") + "/"
    with tempfile.TemporaryDirectory(prefix="mlsteward-batch-model-") as tmp:
        directory = Path(tmp) / "model"
        digests: dict[str, str] = {}
        for record in artifacts.artifact_files(ctx, location.run_id, location.artifact_path):
            if record.path.startswith(prefix):
                relative = record.path[len(prefix) :]
                digests[relative] = record.digest
                ctx.blobs.download(record.digest, directory / relative)
        check_against_store(directory, digests)
        chosen, _ = choose_runtime(directory, runtime)
        if chosen == "native" and not ctx.allow_model_code:
            raise PermissionDeniedError(
                "This server does not load users' models natively (loading a pickle runs its "
                "code): export the model to ONNX (runtime 'onnx' or 'auto' then uses it), or "
                "start the server with --allow-model-code"
            )
        model = load_model_dir(directory, chosen)
        model.source_uri = f"models:/{version.name}/{version.version}"
        yield model, chosen
