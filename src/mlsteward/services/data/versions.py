"""Dataset versions: ingest from a source, resolve ``name@version|alias``, load, aliases."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.domain.datasets import (
    DatasetInput,
    DatasetRef,
    DatasetVersion,
    validate_alias,
    validate_dataset_name,
)
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import is_valid_id
from mlsteward.engines.data import (
    BadRow,
    BatchSource,
    DataSchema,
    ProgressCallback,
    read_parquet,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.register import Registered, register_batches
from mlsteward.services.data.sources import open_source


def ingest(
    ctx: ServiceContext,
    name: str,
    source: BatchSource | str | os.PathLike[str],
    *,
    query: str | None = None,
    schema: DataSchema | None = None,
    strict: bool = False,
    description: str | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Registered:
    """Read ``source`` (see :func:`open_source`) into a new version of ``name``.

    Malformed rows fail the ingestion unless ``on_bad_rows="skip"`` is passed, in which case
    they are listed in the result and in the version's lineage. Nothing is recorded unless
    the whole source was read (and, with ``strict``, validated against ``schema``).
    """
    validate_dataset_name(name)
    opened = open_source(source, query=query, progress=progress, **options)
    lineage = {"source": opened.describe()}
    return register_batches(
        ctx,
        name,
        opened,
        kind="ingest",
        lineage=lineage,
        schema=schema,
        strict=strict,
        description=description,
    )


def register_table(
    ctx: ServiceContext,
    name: str,
    table: pa.Table,
    *,
    schema: DataSchema | None = None,
    strict: bool = False,
    description: str | None = None,
) -> Registered:
    """Register an in-memory table (e.g. a pandas frame converted by the SDK)."""
    lineage = {"source": {"kind": "memory", "uri": None}}
    return register_batches(
        ctx,
        name,
        table,
        kind="ingest",
        lineage=lineage,
        schema=schema,
        strict=strict,
        description=description,
    )


def register_upload(
    ctx: ServiceContext,
    name: str,
    parquet_path: str | os.PathLike[str],
    *,
    source: Mapping[str, Any] | None = None,
    bad_rows: Sequence[BadRow] = (),
    schema: DataSchema | None = None,
    strict: bool = False,
    description: str | None = None,
) -> Registered:
    """Register a Parquet file a client staged from its own source (the REST upload path);
    ``source`` is that source's description, recorded as the version's source."""
    validate_dataset_name(name)
    described = dict(source) if source else {"kind": "upload", "uri": None}
    staged = read_parquet(parquet_path)
    staged.name = "the uploaded body"  # messages never show where the server staged it
    return register_batches(
        ctx,
        name,
        staged,
        kind="ingest",
        lineage={"source": described},
        schema=schema,
        strict=strict,
        description=description,
        bad_rows=bad_rows,
    )


def get_version(ctx: ServiceContext, ref: str | DatasetRef) -> DatasetVersion:
    """The version a reference names: ``name@3``, ``name@alias``, ``name`` (the latest),
    or a 32-hex dataset version id."""
    store = ctx.stores.datasets
    if isinstance(ref, str) and is_valid_id(ref):
        return store.get_dataset_version_by_id(ref)
    parsed = ref if isinstance(ref, DatasetRef) else DatasetRef.parse(ref)
    if parsed.version is not None:
        return store.get_dataset_version(parsed.name, parsed.version)
    if parsed.alias is not None:
        if parsed.alias == "latest":
            return store.latest_dataset_version(parsed.name)
        number = store.get_dataset_alias(parsed.name, parsed.alias)
        return store.get_dataset_version(parsed.name, number)
    return store.latest_dataset_version(parsed.name)


def list_versions(ctx: ServiceContext, name: str) -> list[DatasetVersion]:
    return ctx.stores.datasets.list_dataset_versions(validate_dataset_name(name))


def list_datasets(ctx: ServiceContext) -> list[str]:
    return ctx.stores.datasets.list_datasets()


def load_table(
    ctx: ServiceContext, ref: str | DatasetRef, columns: list[str] | None = None
) -> pa.Table:
    """The version's rows as an Arrow table (optionally only some columns)."""
    return version_table(ctx, get_version(ctx, ref), columns)


def version_table(
    ctx: ServiceContext, version: DatasetVersion, columns: list[str] | None = None
) -> pa.Table:
    """The rows of a version already looked up (saves resolving its reference again)."""
    with ctx.blobs.open(version.blob_digest) as handle:
        return pq.read_table(handle, columns=columns)


def set_alias(ctx: ServiceContext, ref: str, alias: str) -> DatasetVersion:
    """Point ``alias`` of the version's dataset at that version (moving it if set)."""
    version = get_version(ctx, ref)
    clean = validate_alias(alias)
    if clean == "latest":
        raise InvalidArgumentError("'latest' always means the newest version; pick another alias")
    ctx.stores.datasets.set_dataset_alias(version.name, clean, version.version)
    return get_version(ctx, DatasetRef(version.name, version=version.version))


def delete_alias(ctx: ServiceContext, name: str, alias: str) -> None:
    ctx.stores.datasets.delete_dataset_alias(validate_dataset_name(name), validate_alias(alias))


def get_profile(ctx: ServiceContext, ref: str) -> dict[str, Any]:
    version = get_version(ctx, ref)
    if version.profile_digest is None:
        raise NotFoundError(f"{version.ref} has no stored profile")
    loaded: dict[str, Any] = json.loads(ctx.blobs.read_bytes(version.profile_digest))
    return loaded


def get_report_html(ctx: ServiceContext, ref: str) -> str:
    version = get_version(ctx, ref)
    if version.report_digest is None:
        raise NotFoundError(f"{version.ref} has no stored report")
    return ctx.blobs.read_bytes(version.report_digest).decode()


def log_input(
    ctx: ServiceContext, run_id: str, ref: str, context: str = "training"
) -> DatasetInput:
    """Record that ``run_id`` used the exact version ``ref`` names, in ``context``."""
    if (
        not isinstance(context, str)
        or not context.strip()
        or len(context) > ctx.limits.max_key_length
    ):
        raise InvalidArgumentError("context must be a short non-empty string, e.g. 'training'")
    ctx.stores.tracking.get_run(run_id)  # NotFoundError for an unknown run, before any write
    version = get_version(ctx, ref)
    item = DatasetInput(run_id, version.dataset_version_id, context.strip(), ctx.clock())
    ctx.stores.datasets.log_dataset_input(item)
    return item


def list_run_inputs(ctx: ServiceContext, run_id: str) -> list[DatasetInput]:
    ctx.stores.tracking.get_run(run_id)
    return ctx.stores.datasets.list_run_inputs(run_id)
