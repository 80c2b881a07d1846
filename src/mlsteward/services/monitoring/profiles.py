"""Reference profiles stored once and reused: production windows are compared against the
stored profile, never against reloaded training data.

The profile's JSON is a content-addressed blob; a row names it and ties it to a run or a
model version. With a run it is also logged as the run artifact ``monitoring/<name>.json``.
"""

from __future__ import annotations

import json

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import ProfileRecord, validate_monitoring_name
from mlsteward.engines.drift import ReferenceProfile, build_profile
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.store_access import monitoring_store
from mlsteward.services.registry.versions import get_model_version
from mlsteward.services.tracking.artifacts import log_artifact_bytes

PROFILE_ARTIFACT_DIR = "monitoring"


def profile_from(data: object, chunk_size: int | None = None) -> ReferenceProfile:
    """A profile of a table; with ``chunk_size`` per-chunk summaries are kept too, so
    thresholds can later be learned from the profile alone."""
    if isinstance(data, ReferenceProfile):
        return data
    if chunk_size is not None and chunk_size <= 0:
        raise InvalidArgumentError("chunk_size must be positive")
    try:
        return build_profile(data, chunk_size=chunk_size)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Cannot profile this data: {error}") from error


def default_profile_name(
    run_id: str | None, model_name: str | None, model_version: int | None
) -> str:
    if model_name is not None and model_version is not None:
        return f"{model_name}-v{model_version}"
    if run_id is not None:
        return f"run-{run_id}"
    raise InvalidArgumentError("Give a profile name, a run or a model version")


def save_profile(
    ctx: ServiceContext,
    profile: ReferenceProfile,
    name: str | None = None,
    *,
    run_id: str | None = None,
    model_name: str | None = None,
    model_version: int | None = None,
    replace: bool = True,
) -> ProfileRecord:
    """Store ``profile`` under ``name`` (default from the run or model version)."""
    if (model_name is None) != (model_version is None):
        raise InvalidArgumentError("model_name and model_version go together")
    if model_name is not None and model_version is not None:
        get_model_version(ctx, model_name, model_version)  # NotFoundError when absent
    clean = validate_monitoring_name(
        "Profile", name or default_profile_name(run_id, model_name, model_version)
    )
    data = json.dumps(profile.to_dict(), allow_nan=False, default=_json_default).encode()
    digest, _ = ctx.blobs.put_bytes(data)
    if run_id is not None:
        log_artifact_bytes(ctx, run_id, f"{PROFILE_ARTIFACT_DIR}/{clean}.json", data)
    record = ProfileRecord(
        clean,
        digest,
        profile.n_rows,
        list(profile.columns),
        run_id,
        model_name,
        model_version,
        ctx.actor,
        ctx.clock(),
    )
    return monitoring_store(ctx).put_profile(record, replace)


def _json_default(value: object) -> object:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def get_profile_record(ctx: ServiceContext, name: str) -> ProfileRecord:
    return monitoring_store(ctx).get_profile(validate_monitoring_name("Profile", name))


def load_profile(ctx: ServiceContext, name: str) -> ReferenceProfile:
    """The stored profile, ready for ``drift_report`` or a monitor run."""
    record = get_profile_record(ctx, name)
    return ReferenceProfile.from_dict(json.loads(ctx.blobs.read_bytes(record.blob_digest)))


def list_profiles(ctx: ServiceContext) -> list[ProfileRecord]:
    return monitoring_store(ctx).list_profiles()
