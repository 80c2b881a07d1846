"""The reference-profile operations: store a profile (given, or built from a stored dataset
version), list them, read one back."""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import ProfileRecord
from mlsteward.engines.drift import ReferenceProfile
from mlsteward.engines.drift.profile import DEFAULT_SAMPLE_SIZE
from mlsteward.services.api import wire_monitoring as wire
from mlsteward.services.api.documented_types import MonitoringName
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.schemas_monitoring import (
    ProfileListOut,
    ProfileRecordOut,
    ProfileRequest,
    StoredProfileOut,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import profiles
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations

TAG = "monitoring"
P = wire.MONITORING_PREFIX
#: A dataset version, model version or run the body names may not exist.
NAMED_IN_BODY = {
    404: {"model": ErrorResponse, "description": "NOT_FOUND: a profile or dataset it names"}
}


class SaveProfile(OperationRequest):
    body: ProfileRequest


class ListProfiles(OperationRequest):
    pass


class ProfileName(OperationRequest):
    name: MonitoringName


declare = Declarations("monitoring", ResourceKind.PROFILE, tag=TAG)


@declare.post(
    f"{P}/profiles",
    returns=Codec(wire.encode, wire.decode_profile, ProfileRecordOut),
    status=201,
    responses=NAMED_IN_BODY,
    # A profile replaces the one of its name unless told not to, so a retry is harmless.
    idempotent=True,
    resource_name=lambda r: r.body.name,
)
def save_profile(ctx: ServiceContext, r: SaveProfile) -> ProfileRecord:
    """Store a reference profile: one computed by the caller (``profile``), or one built here
    from a stored dataset version (``from_dataset``, with ``chunk_size`` and
    ``sample_size``), tied to it."""
    body = r.body
    if (body.profile is None) == (body.from_dataset is None):
        raise InvalidArgumentError("Give either 'profile' or 'from_dataset'")
    if body.from_dataset is not None:
        if body.dataset_name is not None or body.dataset_version is not None:
            raise InvalidArgumentError("A profile built from a dataset is tied to that dataset")
        sample_size = DEFAULT_SAMPLE_SIZE if body.sample_size is None else body.sample_size
        return profiles.profile_dataset(
            ctx,
            body.from_dataset,
            body.name,
            chunk_size=body.chunk_size,
            sample_size=sample_size,
            run_id=body.run_id,
            model_name=body.model_name,
            model_version=body.model_version,
            replace=body.replace,
        )
    for option in ("chunk_size", "sample_size"):
        if getattr(body, option) is not None:
            raise InvalidArgumentError(
                f"{option} goes with from_dataset: a given profile is built already"
            )
    try:
        profile = ReferenceProfile.from_dict(body.profile or {})
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Not a reference profile: {error}") from error
    return profiles.save_profile(
        ctx,
        profile,
        body.name,
        run_id=body.run_id,
        model_name=body.model_name,
        model_version=body.model_version,
        dataset_name=body.dataset_name,
        dataset_version=body.dataset_version,
        replace=body.replace,
    )


@declare.get(
    f"{P}/profiles",
    returns=Codec(
        listed("profiles", wire.encode), unlisted("profiles", wire.decode_profile), ProfileListOut
    ),
)
def list_profiles(ctx: ServiceContext, r: ListProfiles) -> list[ProfileRecord]:
    """Every stored reference profile's record."""
    return profiles.list_profiles(ctx)


@declare.get(
    f"{P}/profiles/{{name}}",
    returns=Codec(wire.encode_stored_profile, wire.decode_stored_profile, StoredProfileOut),
)
def get_profile(ctx: ServiceContext, r: ProfileName) -> wire.StoredProfile:
    """A stored reference profile: its record and its summaries."""
    record = profiles.get_profile_record(ctx, r.name)
    return wire.StoredProfile(record, profiles.read_profile(ctx, record))
