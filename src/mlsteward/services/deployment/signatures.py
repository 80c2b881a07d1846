"""The signature of a registered model version, read from the manifest of the model it was
registered from (``runs:/<run>/<path>/MLmodel.json``), and the check that a new version can
answer the callers of the current one."""

from __future__ import annotations

import json

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.domain.registry import ModelVersion
from mlsteward.engines.models.manifest import MANIFEST_FILE
from mlsteward.engines.models.model_uri import parse_runs_uri
from mlsteward.engines.models.signature import Signature
from mlsteward.engines.models.signature_compat import signature_differences, unchecked_outputs
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking.artifacts import open_artifact

#: The manifest is a few kilobytes; a larger file is not one.
_MAX_MANIFEST_BYTES = 16 << 20


def version_signature(ctx: ServiceContext, version: ModelVersion) -> Signature | None:
    """The version's signature; None when it has none to read (its source is not a logged
    model of a run, or the manifest is missing or unreadable)."""
    if not version.source.startswith("runs:"):
        return None
    try:
        location = parse_runs_uri(version.source)
        _, stream = open_artifact(ctx, location.run_id, f"{location.artifact_path}/{MANIFEST_FILE}")
        with stream:
            raw = stream.read(_MAX_MANIFEST_BYTES + 1)
        if len(raw) > _MAX_MANIFEST_BYTES:
            return None
        return Signature.from_dict(json.loads(raw)["signature"])
    except (MlstewardError, ValueError, KeyError, TypeError):
        return None


def check_replacement(
    ctx: ServiceContext, current: ModelVersion | None, candidate: ModelVersion
) -> list[str]:
    """Refuse ``candidate`` when its signature would break callers of ``current``, listing
    every difference; otherwise the warnings about what could not be checked."""
    if current is None or (current.name, current.version) == (candidate.name, candidate.version):
        return []
    old = version_signature(ctx, current)
    new = version_signature(ctx, candidate)
    if old is None or new is None:
        missing = [v for v, s in ((current, old), (candidate, new)) if s is None]
        return [
            f"{v.name} version {v.version} has no signature: compatibility not checked"
            for v in missing
        ]
    differences = signature_differences(old, new)
    if differences:
        raise InvalidArgumentError(
            f"{candidate.name} version {candidate.version}'s signature is incompatible with "
            f"the deployed {current.name} version {current.version}:\n"
            + "\n".join(f"- {difference}" for difference in differences)
        )
    if unchecked_outputs(old, new):
        return [
            f"{candidate.name} version {candidate.version} records no outputs: its outputs "
            "were not compared"
        ]
    return []
