"""The dataset version operations: upload, list, resolve, download, aliases and run inputs.

The upload and the three downloads (the Parquet content, the stored profile as it was saved,
the HTML report) carry content, so their routes are written by hand in
``interfaces/rest/routes_data.py``; like every other door they run through the dispatcher.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

import pyarrow as pa

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, validate_dataset_name
from mlsteward.engines.data import BadRow, BatchSource, DataSchema
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.documented_types import DatasetAlias, DatasetName
from mlsteward.services.api.schemas_data import (
    AliasRequest,
    DatasetInputListOut,
    DatasetInputOut,
    DatasetListOut,
    DatasetVersionListOut,
    DatasetVersionOut,
    InputRequest,
    RegisteredOut,
    UploadMeta,
    VersionRef,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import versions
from mlsteward.services.data.register import Registered, register_batches
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    ResourceKind,
)
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import WireForm

DATASET = ResourceKind.DATASET
TAG = "datasets"
#: What every data route documents (a bad value, a name not found, a conflicting state).
COMMON: dict[int, Any] = {400: None, 404: None, 409: None}


class UploadVersion(OperationRequest):
    """``content``: the Parquet bytes, chunks, a binary file or a callable opening a fresh one
    (sent again on a retry); in-process also the source's batches or an Arrow table, read as
    they are. ``meta`` describes where the data came from (``X-Mlsteward-Dataset-Meta``)."""

    name: DatasetName
    content: Any
    meta: UploadMeta | None = None


class ListDatasets(OperationRequest):
    pass


class DatasetByName(OperationRequest):
    name: DatasetName


class SetAlias(OperationRequest):
    name: DatasetName
    alias: DatasetAlias
    body: AliasRequest


class DeleteAlias(OperationRequest):
    name: DatasetName
    alias: DatasetAlias


class VersionByRef(OperationRequest):
    ref: VersionRef


class LogInput(OperationRequest):
    body: InputRequest


class RunInputs(OperationRequest):
    run_id: str


def _spool(content: Any, out: IO[bytes]) -> None:
    """Write an upload's bytes (bytes, chunks, a binary file, a callable opening one)."""
    if isinstance(content, bytes | bytearray | memoryview):
        out.write(content)
        return
    if callable(content):
        opener: Callable[[], IO[bytes]] = content
        with opener() as handle:
            _spool(handle, out)
        return
    if hasattr(content, "read"):
        while chunk := content.read(1 << 20):
            out.write(chunk)
        return
    chunks: Iterable[bytes] = content
    for chunk in chunks:
        out.write(chunk)


def _content(raw: bytes) -> bytes:
    """Downloaded content as received."""
    return raw


declare = Declarations("data", DATASET, tag=TAG, responses=COMMON)
REGISTERED = Codec(w.encode_registered, w.decode_registered, RegisteredOut)
VERSION = Codec(w.encode_version, w.decode_version, DatasetVersionOut)
VERSIONS = Codec(
    listed("versions", w.encode_version),
    unlisted("versions", w.decode_version),
    DatasetVersionListOut,
)
INPUT = Codec(w.encode_input, w.decode_input, DatasetInputOut)
INPUTS = Codec(
    listed("inputs", w.encode_input), unlisted("inputs", w.decode_input), DatasetInputListOut
)
#: A download answers bytes, not JSON: nothing to encode, the client keeps what it receives.
CONTENT: Codec[bytes] = Codec(None, _content)


@declare.post(
    w.DATASETS_PREFIX + "/{name}/versions",
    returns=REGISTERED,
    status=201,
    # Content-addressed: sending the same bytes again answers the version already made.
    idempotent=True,
    wire=WireForm.UPLOAD,
    responses={
        200: {"model": RegisteredOut, "description": "The same content exists: that version"},
        413: None,
    },
)
def upload_version(ctx: ServiceContext, r: UploadVersion) -> Registered:
    """Register the Parquet body as a version of ``name`` (200 when the content exists)."""
    meta = r.meta or UploadMeta()
    validate_dataset_name(r.name)
    schema = DataSchema.from_yaml(meta.schema_yaml) if meta.schema_yaml else None
    bad_rows = [BadRow(row.line, row.reason, row.text) for row in meta.bad_rows]
    if isinstance(r.content, BatchSource | pa.Table):
        described = dict(meta.source) if meta.source else {"kind": "upload", "uri": None}
        return register_batches(
            ctx,
            r.name,
            r.content,
            kind="ingest",
            lineage={"source": described},
            schema=schema,
            strict=meta.strict,
            description=meta.description,
            bad_rows=bad_rows,
        )
    handle, path = tempfile.mkstemp(suffix=".parquet", prefix="mlsteward-upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            _spool(r.content, out)
        return versions.register_upload(
            ctx,
            r.name,
            path,
            source=meta.source,
            bad_rows=bad_rows,
            schema=schema,
            strict=meta.strict,
            description=meta.description,
        )
    finally:
        os.unlink(path)


@declare.get(
    w.DATASETS_PREFIX,
    returns=Codec(listed("datasets", str), unlisted("datasets", str), DatasetListOut),
)
def list_datasets(ctx: ServiceContext, r: ListDatasets) -> list[str]:
    return versions.list_datasets(ctx)


@declare.get(w.DATASETS_PREFIX + "/{name}/versions", returns=VERSIONS)
def list_versions(ctx: ServiceContext, r: DatasetByName) -> list[DatasetVersion]:
    return versions.list_versions(ctx, r.name)


@declare.put(w.DATASETS_PREFIX + "/{name}/aliases/{alias}", returns=VERSION)
def set_alias(ctx: ServiceContext, r: SetAlias) -> DatasetVersion:
    """Point ``alias`` at ``version`` of the dataset (moving it if set)."""
    return versions.set_alias(ctx, f"{r.name}@{r.body.version}", r.alias)


@declare.delete(w.DATASETS_PREFIX + "/{name}/aliases/{alias}", status=204)
def delete_alias(ctx: ServiceContext, r: DeleteAlias) -> None:
    versions.delete_alias(ctx, r.name, r.alias)


@declare.get(w.VERSIONS_PREFIX, returns=VERSION, resource_name=lambda r: r.ref)
def get_version(ctx: ServiceContext, r: VersionByRef) -> DatasetVersion:
    """The version ``ref`` names."""
    return versions.get_version(ctx, r.ref)


# In-process the stored file itself; a client of a server receives its bytes.
@declare.get(
    w.VERSIONS_PREFIX + "/content",
    returns=CONTENT,
    wire=WireForm.DOWNLOAD,
    resource_name=lambda r: r.ref,
)
def download_version(ctx: ServiceContext, r: VersionByRef) -> IO[bytes]:
    """The version's Parquet file, streamed."""
    version = versions.get_version(ctx, r.ref)
    return ctx.blobs.open(version.blob_digest)


@declare.get(
    w.VERSIONS_PREFIX + "/profile",
    returns=CONTENT,
    wire=WireForm.DOWNLOAD,
    resource_name=lambda r: r.ref,
)
def version_profile(ctx: ServiceContext, r: VersionByRef) -> bytes:
    """The profile stored with the version, as JSON exactly as it was saved (it may hold
    NaN); ``{}`` when the version has none."""
    version = versions.get_version(ctx, r.ref)
    if version.profile_digest is None:
        return b"{}"
    return ctx.blobs.read_bytes(version.profile_digest)


@declare.get(
    w.VERSIONS_PREFIX + "/report",
    returns=CONTENT,
    wire=WireForm.DOWNLOAD,
    resource_name=lambda r: r.ref,
)
def version_report(ctx: ServiceContext, r: VersionByRef) -> bytes:
    """The HTML page profiling the version, self-contained."""
    return versions.get_report_html(ctx, r.ref).encode("utf-8")


@declare.post(
    w.INPUTS_PREFIX,
    returns=INPUT,
    action=Action.UPDATE,
    resource=ResourceKind.RUN,
    status=201,
    idempotent=True,
    resource_name=lambda r: r.body.run_id,
    reads=lambda r: [(ResourceKind.DATASET, r.body.ref)],
)
def log_input(ctx: ServiceContext, r: LogInput) -> DatasetInput:
    """Record that the run used the exact version ``ref`` names, in ``context``."""
    return versions.log_input(ctx, r.body.run_id, r.body.ref, r.body.context)


@declare.get(
    w.INPUTS_PREFIX, returns=INPUTS, resource=ResourceKind.RUN, resource_name=lambda r: r.run_id
)
def list_inputs(ctx: ServiceContext, r: RunInputs) -> list[DatasetInput]:
    """The dataset versions the run used."""
    return versions.list_run_inputs(ctx, r.run_id)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
