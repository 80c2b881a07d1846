"""Load one registered model version for serving (hashes verified, cached on local disk)."""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.models.loading import load_model_dir
from mlsteward.engines.models.model_uri import parse_runs_uri
from mlsteward.engines.models.store_check import check_against_store
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.models.artifacts import cached_copy, recorded_digests


def load_version(client: Client, model_name: str, version: int, runtime: str) -> LoadedModel:
    """Version ``version`` of ``model_name`` on ``runtime`` (``auto``: ONNX when parity held).

    Files come from the local model cache when their recorded hashes match, else from the
    store; every file is checked against the hash recorded at logging before it is loaded.
    """
    found = client.get_model_version(model_name, version)
    if not found.source.startswith("runs:"):
        raise InvalidArgumentError(
            f"Version {version} of {model_name!r} comes from {found.source!r}, not a run's "
            "artifact: it cannot be served"
        )
    location = parse_runs_uri(found.source)
    digests = recorded_digests(client, location)
    directory = cached_copy(client, location, digests, refresh=False)
    check_against_store(directory, digests)
    model = load_model_dir(directory, runtime)
    model.source_uri = f"models:/{model_name}/{version}"
    return model
