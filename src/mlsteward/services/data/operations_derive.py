"""The operations over stored versions: schemas, validation, transforms, splits, rebuilds and
lineage (``/dataset-versions/...``)."""

from __future__ import annotations

from typing import Any

from mlsteward.domain.datasets import DatasetVersion
from mlsteward.engines.data import DataSchema, ValidationReport
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.schemas_data import (
    RebuildOut,
    RebuildRequest,
    SchemaOut,
    SplitOut,
    SplitRequest,
    TransformRequest,
    ValidateRequest,
    VersionRef,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import derive, lineage, quality, rebuild
from mlsteward.services.data.operations_versions import COMMON, DATASET, REGISTERED, TAG
from mlsteward.services.data.rebuild import RebuildCheck
from mlsteward.services.data.register import Registered
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Action, Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import ResourceKind

P = w.VERSIONS_PREFIX


class InferSchema(OperationRequest):
    ref: VersionRef


class ValidateVersion(OperationRequest):
    body: ValidateRequest


class TransformVersion(OperationRequest):
    body: TransformRequest


class SplitVersion(OperationRequest):
    body: SplitRequest


class RebuildVersion(OperationRequest):
    body: RebuildRequest


class VersionLineage(OperationRequest):
    ref: VersionRef


def _graph(raw: dict[str, Any]) -> dict[str, Any]:
    """The lineage graph as received (free-form JSON)."""
    return raw


declare = Declarations("data", DATASET, tag=TAG, responses=COMMON)


@declare.get(
    P + "/schema",
    returns=Codec(w.encode_schema, w.decode_schema, SchemaOut),
    resource_name=lambda r: r.ref,
)
def infer_schema(ctx: ServiceContext, r: InferSchema) -> DataSchema:
    """An inferred schema as YAML text."""
    return quality.infer_version_schema(ctx, r.ref)


@declare.post(
    P + "/validate",
    returns=Codec(w.encode_report, w.decode_report),
    action=Action.READ,
    mutates=False,
    idempotent=True,
    resource_name=lambda r: r.body.ref,
)
def validate_version(ctx: ServiceContext, r: ValidateVersion) -> ValidationReport:
    """Every failure of the version against the YAML schema."""
    schema = DataSchema.from_yaml(r.body.schema_yaml)
    return quality.validate_version(ctx, r.body.ref, schema)


@declare.post(
    P + "/transform",
    returns=REGISTERED,
    status=201,
    idempotent=True,
    resource_name=lambda r: r.body.output_name,
    # The source is read: a grant on the output must not copy out data one may not see.
    reads=lambda r: [(ResourceKind.DATASET, r.body.ref)],
)
def transform_version(ctx: ServiceContext, r: TransformVersion) -> Registered:
    """Apply the steps to the version and register the result as ``output_name``."""
    return derive.transform(ctx, r.body.ref, r.body.steps, r.body.output_name)


@declare.post(
    P + "/split",
    returns=Codec(w.encode_versions, w.decode_versions, SplitOut),
    status=201,
    resource_name=lambda r: r.body.output_prefix or r.body.ref,
    reads=lambda r: [(ResourceKind.DATASET, r.body.ref)],
)
def split_version(ctx: ServiceContext, r: SplitVersion) -> dict[str, DatasetVersion]:
    """Split the version into parts, each registered as ``<prefix>.<part>``."""
    body = r.body
    return derive.split(
        ctx, body.ref, method=body.method, output_prefix=body.output_prefix, **dict(body.options)
    )


@declare.post(
    P + "/rebuild",
    returns=Codec(listed("checks", w.encode_check), unlisted("checks", w.decode_check), RebuildOut),
    # Re-reads the recorded sources (on a server, within its allow-lists) and records nothing.
    action=Action.EXECUTE,
    mutates=False,
    idempotent=True,
    resource_name=lambda r: r.body.ref,
)
def rebuild_version(ctx: ServiceContext, r: RebuildVersion) -> list[RebuildCheck]:
    """Recompute the version from its sources; one hash check per version (nothing is
    written)."""
    return rebuild.rebuild(ctx, r.body.ref, r.body.overrides)


@declare.get(P + "/lineage", returns=Codec(w.finite, _graph), resource_name=lambda r: r.ref)
def version_lineage(ctx: ServiceContext, r: VersionLineage) -> dict[str, Any]:
    """Upstream to the sources and downstream to runs and models."""
    return lineage.lineage(ctx, r.ref)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
