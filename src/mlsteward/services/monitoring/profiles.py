"""Reference profiles stored once and reused: production windows are compared against the
stored profile, never against reloaded training data.

The profile's JSON is a content-addressed blob; a row names it and ties it to a run, a
model version and/or a dataset version. With a run it is also logged as the run artifact
``monitoring/<name>.json``. ``profile_dataset`` builds one from a stored dataset version.
Profiles keep a seeded reservoir sample of ``sample_size`` reference rows (0: none) so
monitors can run multivariate checks against them.
"""

from __future__ import annotations

import json

from mlsteward.domain.datasets import DatasetRef
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import ProfileRecord, validate_monitoring_name
from mlsteward.engines.drift import ReferenceProfile, build_profile
from mlsteward.engines.drift.profile import DEFAULT_SAMPLE_SIZE
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.targets import DATASET_PREFIX
from mlsteward.services.registry.versions import get_model_version
from mlsteward.services.tracking.artifacts import log_artifact_bytes

PROFILE_ARTIFACT_DIR = "monitoring"
#: The most reference rows a profile may keep as its sample (it is stored inside the profile).
MAX_SAMPLE_SIZE = 1_000_000


def validate_sample_size(sample_size: object) -> int:
    """A whole number of rows from 0 (no sample) to :data:`MAX_SAMPLE_SIZE`."""
    if (
        isinstance(sample_size, bool)
        or not isinstance(sample_size, int)
        or not 0 <= sample_size <= MAX_SAMPLE_SIZE
    ):
        raise InvalidArgumentError(
            f"sample_size must be a whole number of rows from 0 (no sample) to "
            f"{MAX_SAMPLE_SIZE:,}, got {sample_size!r}"
        )
    return sample_size


def profile_from(
    data: object, chunk_size: int | None = None, sample_size: int = DEFAULT_SAMPLE_SIZE
) -> ReferenceProfile:
    """A profile of a table; with ``chunk_size`` per-chunk summaries are kept too, so
    thresholds can later be learned from the profile alone, and a reservoir sample of
    ``sample_size`` rows (seed 0) for multivariate checks."""
    if isinstance(data, ReferenceProfile):
        return data
    if chunk_size is not None and chunk_size <= 0:
        raise InvalidArgumentError("chunk_size must be positive")
    size = validate_sample_size(sample_size)
    try:
        return build_profile(data, chunk_size=chunk_size, sample_size=size)
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Cannot profile this data: {error}") from error


def default_profile_name(
    run_id: str | None,
    model_name: str | None,
    model_version: int | None,
    dataset_name: str | None = None,
    dataset_version: int | None = None,
) -> str:
    """The name a profile gets when none is given: from its model version, dataset version
    or run, in that order."""
    if model_name is not None and model_version is not None:
        return f"{model_name}-v{model_version}"
    if dataset_name is not None and dataset_version is not None:
        return f"dataset-{dataset_name}-v{dataset_version}"
    if run_id is not None:
        return f"run-{run_id}"
    raise InvalidArgumentError("Give a profile name, a run, a model version or a dataset version")


def save_profile(
    ctx: ServiceContext,
    profile: ReferenceProfile,
    name: str | None = None,
    *,
    run_id: str | None = None,
    model_name: str | None = None,
    model_version: int | None = None,
    dataset_name: str | None = None,
    dataset_version: int | None = None,
    replace: bool = True,
) -> ProfileRecord:
    """Store ``profile`` under ``name`` (default from the model version, dataset version or
    run it is tied to). Ties are checked: the model or dataset version must exist."""
    if (model_name is None) != (model_version is None):
        raise InvalidArgumentError("model_name and model_version go together")
    if model_name is not None and model_version is not None:
        get_model_version(ctx, model_name, model_version)  # NotFoundError when absent
    if (dataset_name is None) != (dataset_version is None):
        raise InvalidArgumentError("dataset_name and dataset_version go together")
    if dataset_name is not None and dataset_version is not None:
        if isinstance(dataset_version, bool) or not isinstance(dataset_version, int):
            raise InvalidArgumentError("dataset_version must be a version number")
        from mlsteward.services.data.versions import get_version  # pyarrow on first use

        get_version(ctx, DatasetRef.parse(f"{dataset_name}@{dataset_version}"))  # NotFound
    clean = validate_monitoring_name(
        "Profile",
        name
        or default_profile_name(run_id, model_name, model_version, dataset_name, dataset_version),
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
        dataset_name,
        dataset_version,
    )
    return ctx.stores.monitoring.put_profile(record, replace)


def profile_dataset(
    ctx: ServiceContext,
    ref: str,
    name: str | None = None,
    *,
    chunk_size: int | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    run_id: str | None = None,
    model_name: str | None = None,
    model_version: int | None = None,
    replace: bool = True,
) -> ProfileRecord:
    """Profile a stored dataset version (``customers@3``, ``customers@prod``, ``customers``
    for the latest, or ``dataset:customers@3`` as monitor targets spell it) and store it tied
    to the version it resolved to; the default name is ``dataset-<name>-v<version>``."""
    from mlsteward.services.data.versions import get_version, load_table

    if not isinstance(ref, str):
        raise InvalidArgumentError("A dataset reference is 'name', 'name@3' or 'name@alias'")
    validate_sample_size(sample_size)  # before the dataset is read
    text = ref[len(DATASET_PREFIX) :] if ref.startswith(DATASET_PREFIX) else ref
    version = get_version(ctx, text)  # pins an alias or "latest" to its number now
    table = load_table(ctx, version.dataset_version_id).to_pandas()
    profile = profile_from(table, chunk_size, sample_size)
    return save_profile(
        ctx,
        profile,
        name,
        run_id=run_id,
        model_name=model_name,
        model_version=model_version,
        dataset_name=version.name,
        dataset_version=version.version,
        replace=replace,
    )


def _json_default(value: object) -> object:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__}")


def get_profile_record(ctx: ServiceContext, name: str) -> ProfileRecord:
    return ctx.stores.monitoring.get_profile(validate_monitoring_name("Profile", name))


def read_profile(ctx: ServiceContext, record: ProfileRecord) -> ReferenceProfile:
    """The profile a record already in hand names (its blob; no second store read)."""
    return ReferenceProfile.from_dict(json.loads(ctx.blobs.read_bytes(record.blob_digest)))


def load_profile(ctx: ServiceContext, name: str) -> ReferenceProfile:
    """The stored profile, ready for ``drift_report`` or a monitor run."""
    return read_profile(ctx, get_profile_record(ctx, name))


def list_profiles(ctx: ServiceContext) -> list[ProfileRecord]:
    return ctx.stores.monitoring.list_profiles()
