"""Moving model directories between a run's artifacts and the local disk.

Downloads land in a local cache keyed by the store's digests of every file, so loading the
same model again (a warm load) reads local files. The cache is a convenience, never trusted:
every load checks each file against the manifest and the store's digests, and a cached copy
that fails is fetched again once before the load is refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from mlsteward.domain.errors import ConflictError, NotFoundError
from mlsteward.engines.models.errors import ModelIntegrityError
from mlsteward.engines.models.manifest import MANIFEST_FILE
from mlsteward.engines.models.model_uri import ModelLocation
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.home import home_dir
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.tracking import operations_artifacts as artifact_ops


def cache_root() -> Path:
    """``MLSTEWARD_MODEL_CACHE``, else ``<MLSTEWARD_HOME>/model-cache``."""
    env = os.environ.get("MLSTEWARD_MODEL_CACHE")
    return Path(env).expanduser() if env else home_dir() / "model-cache"


def recorded_digests(client: Client, location: ModelLocation) -> dict[str, str]:
    """Every file under the model's artifact path -> the SHA-256 the store recorded."""
    found: dict[str, str] = {}
    prefix = location.artifact_path.rstrip("/") + "/"
    # One recursive listing: every file under the model's folder, at any depth.
    try:
        entries = invoke(
            client._backend.transport,
            artifact_ops.list_artifacts,
            run_id=location.run_id,
            path=location.artifact_path,
            recursive=True,
        )
    except NotFoundError:
        # No such folder (reported below as no model), or no such run: the plain listing
        # tells them apart, raising for a missing run.
        entries = client.list_artifacts(location.run_id, location.artifact_path)
    for entry in entries:
        if not entry.is_dir and entry.digest and entry.path.startswith(prefix):
            found[entry.path[len(prefix) :]] = entry.digest
    if MANIFEST_FILE not in found:
        raise NotFoundError(
            f"No model at {location.uri}: run {location.run_id} has no {MANIFEST_FILE} under "
            f"{location.artifact_path!r} (log one with mlsteward.log_model)"
        )
    return found


def _cache_key(location: ModelLocation, digests: dict[str, str]) -> str:
    sha = hashlib.sha256()
    for name in sorted(digests):
        sha.update(f"{name}\0{digests[name]}\n".encode())
    return sha.hexdigest()[:40]


def download(client: Client, location: ModelLocation, destination: Path) -> Path:
    """Copy the model directory into ``destination`` (which must not exist yet)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=destination.parent))
    try:
        fetched = client.download_artifacts(location.run_id, location.artifact_path, staging)
        os.replace(fetched, destination)
    except ConflictError as error:
        # A file arrived with other bytes than the store recorded: the same refusal as a
        # file that fails the check after download.
        raise ModelIntegrityError(
            f"Refusing to load the model at {location.uri}: {error}"
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


def cached_copy(
    client: Client, location: ModelLocation, digests: dict[str, str], refresh: bool
) -> Path:
    """The local cached directory of the model, downloaded when absent (or ``refresh``)."""
    target = cache_root() / _cache_key(location, digests)
    if refresh and target.exists():
        shutil.rmtree(target, ignore_errors=True)
    if not target.is_dir():
        try:
            download(client, location, target)
        except OSError:
            if not target.is_dir():  # another process won the race: use its copy
                raise
    return target
