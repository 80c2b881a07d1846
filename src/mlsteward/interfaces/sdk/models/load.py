"""``load_model``: a logged model (or a local model directory) as one uniform object."""

from __future__ import annotations

import os
from pathlib import Path

from mlsteward.engines.models.errors import ModelIntegrityError
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.loading import Runtime, load_model_dir
from mlsteward.engines.models.model_uri import resolve_model_uri
from mlsteward.engines.models.store_check import check_against_store
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.models.artifacts import cached_copy, download, recorded_digests


def local_model_dir(model_uri: str) -> Path | None:
    """The directory a ``file://`` URI or plain path names, None for other URIs."""
    if model_uri.startswith("file://"):
        return Path(model_uri.removeprefix("file://"))
    return Path(model_uri) if os.path.isdir(model_uri) else None


def load_model(
    model_uri: str | os.PathLike[str],
    runtime: Runtime | str = "native",
    dst_path: str | os.PathLike[str] | None = None,
) -> LoadedModel:
    """Load ``runs:/<run_id>/<path>``, a registry URI (once the registry exists) or a local
    model directory; returns a :class:`LoadedModel` with ``predict`` / ``predict_proba``.

    Every file is checked against the SHA-256 recorded when the model was logged before it
    is deserialized; a mismatch raises ``ModelIntegrityError``. ``runtime="onnx"`` (or
    ``"onnx-int8"``) runs the ONNX export stored beside the model; ``"auto"`` takes ONNX only
    when its recorded parity held. Pickle-based flavors (scikit-learn, LightGBM wrappers,
    PyTorch, custom Python) run code while loading: load only models you trust.
    """
    uri = os.fspath(model_uri)
    local = local_model_dir(uri)
    if local is not None:
        return load_model_dir(local, runtime)
    loaded = _load_stored(uri, runtime, dst_path)
    loaded.source_uri = uri
    return loaded


def _load_stored(
    uri: str, runtime: Runtime | str, dst_path: str | os.PathLike[str] | None
) -> LoadedModel:
    location = resolve_model_uri(uri)
    client = Client()
    digests = recorded_digests(client, location)
    if dst_path is not None:
        directory = download(client, location, Path(dst_path) / Path(location.artifact_path).name)
        check_against_store(directory, digests)
        return load_model_dir(directory, runtime)
    directory = cached_copy(client, location, digests, refresh=False)
    try:
        check_against_store(directory, digests)
        return load_model_dir(directory, runtime)
    except ModelIntegrityError:
        # The cached copy may have been damaged locally: fetch it once more from the store;
        # if the store's own bytes are wrong the second check refuses them.
        directory = cached_copy(client, location, digests, refresh=True)
        check_against_store(directory, digests)
        return load_model_dir(directory, runtime)
