"""``DatasetCalls``: the data operations of one platform as typed methods.

``Client.datasets()`` returns one and the ``mlsteward.data`` functions and the CLI call one;
each method builds a declared operation's request and hands it to the backend's transport,
so a local store and a server answer alike. Names are checked here before they go into a
path, so a bad one is refused with the service's own message through both doors.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlsteward.domain.datasets import (
    DatasetInput,
    DatasetVersion,
    Label,
    LabelQueue,
    validate_alias,
    validate_dataset_name,
)
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.data_upload import upload_dataset
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.api.schemas_data import UploadMeta
from mlsteward.services.data import operations_derive as derive
from mlsteward.services.data import operations_labels as labels
from mlsteward.services.data import operations_versions as versions

if TYPE_CHECKING:  # heavy (pyarrow, pandera): loaded on first use
    import pyarrow as pa

    from mlsteward.engines.data import (
        BatchSource,
        DataSchema,
        ProgressCallback,
        Step,
        ValidationReport,
    )
    from mlsteward.services.data.register import Registered


def _meta(
    source: dict[str, Any], schema: DataSchema | None, strict: bool, description: str | None
) -> UploadMeta:
    return UploadMeta.model_construct(
        source=source,
        schema_yaml=schema.to_yaml() if schema is not None else None,
        strict=strict,
        description=description,
    )


def _plain_steps(steps: Sequence[Step | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(s) if isinstance(s, Mapping) else s.to_dict() for s in steps]


class DatasetCalls(OperationCaller):
    """Dataset versions, profiles, validation, derived versions, lineage and label queues,
    on the platform of one SDK backend."""

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    @property
    def uri(self) -> str:
        return self._backend.uri

    # versions ----------------------------------------------------------------------------
    def ingest_dataset(
        self,
        name: str,
        source: BatchSource | str | os.PathLike[str],
        *,
        query: str | None = None,
        schema: DataSchema | None = None,
        strict: bool = False,
        description: str | None = None,
        progress: ProgressCallback | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Registered:
        """Read ``source`` here (a file, a SQL query, an HTTP API, a source object) and
        register it as a version of ``name``; the same content answers the existing one."""
        from mlsteward.services.data.sources import open_source

        validate_dataset_name(name)
        opened = open_source(source, query=query, progress=progress, **dict(options or {}))
        meta = _meta(opened.describe(), schema, strict, description)
        return upload_dataset(self._backend, name, opened, meta)

    def register_dataset_table(
        self,
        name: str,
        table: pa.Table,
        *,
        schema: DataSchema | None = None,
        strict: bool = False,
        description: str | None = None,
    ) -> Registered:
        """Register an in-memory table as a version of ``name``."""
        validate_dataset_name(name)
        meta = _meta({"kind": "memory", "uri": None}, schema, strict, description)
        return upload_dataset(self._backend, name, table, meta)

    def get_dataset_version(self, ref: str) -> DatasetVersion:
        return self._call(versions.get_version, ref=ref)

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        return self._call(versions.list_versions, name=validate_dataset_name(name))

    def list_datasets(self) -> list[str]:
        return self._call(versions.list_datasets)

    def load_dataset_table(self, ref: str, columns: list[str] | None = None) -> pa.Table:
        """The version's rows (optionally only some columns)."""
        import pyarrow.parquet as pq

        # A server answers the file's bytes (the request retried like any read); in-process
        # the answer is the stored file itself, read where it lies.
        content = self._call(versions.download_version, ref=ref)
        with io.BytesIO(content) if isinstance(content, bytes) else content as source:
            return pq.read_table(source, columns=columns)

    def set_dataset_alias(self, ref: str, alias: str) -> DatasetVersion:
        """Point ``alias`` of the version's dataset at the version ``ref`` names."""
        version = self.get_dataset_version(ref)
        return self._call(
            versions.set_alias,
            name=version.name,
            alias=validate_alias(alias),
            version=version.version,
        )

    def delete_dataset_alias(self, name: str, alias: str) -> None:
        self._call(
            versions.delete_alias, name=validate_dataset_name(name), alias=validate_alias(alias)
        )

    def log_dataset_input(self, run_id: str, ref: str, context: str) -> DatasetInput:
        return self._call(versions.log_input, run_id=run_id, ref=ref, context=context)

    def list_run_inputs(self, run_id: str) -> list[DatasetInput]:
        return self._call(versions.list_inputs, run_id=run_id)

    # profiles and validation ---------------------------------------------------------------
    def get_dataset_profile(self, ref: str) -> dict[str, Any]:
        """The profile stored with the version (``{}`` for a version stored without one)."""
        loaded: dict[str, Any] = json.loads(self._call(versions.version_profile, ref=ref))
        return loaded

    def get_dataset_report(self, ref: str) -> str:
        """The version's HTML profile report, one self-contained page."""
        return self._call(versions.version_report, ref=ref).decode("utf-8")

    def infer_dataset_schema(self, ref: str) -> DataSchema:
        return self._call(derive.infer_schema, ref=ref)

    def validate_dataset(self, ref: str, schema: DataSchema) -> ValidationReport:
        return self._call(derive.validate_version, ref=ref, schema_yaml=schema.to_yaml())

    # derived versions and lineage ----------------------------------------------------------
    def transform_dataset(
        self, ref: str, steps: Sequence[Step | Mapping[str, Any]], output_name: str
    ) -> Registered:
        return self._call(
            derive.transform_version, ref=ref, steps=_plain_steps(steps), output_name=output_name
        )

    def split_dataset(
        self, ref: str, method: str, output_prefix: str | None, options: Mapping[str, Any]
    ) -> dict[str, DatasetVersion]:
        return self._call(
            derive.split_version,
            ref=ref,
            method=method,
            output_prefix=output_prefix,
            options=dict(options),
        )

    def rebuild_dataset(
        self, ref: str, overrides: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One hash check per version recomputed, sources first."""
        plain = dict(overrides) if overrides else None
        checks = self._call(derive.rebuild_version, ref=ref, overrides=plain)
        return [check.to_dict() for check in checks]

    def dataset_lineage(self, ref: str) -> dict[str, Any]:
        return self._call(derive.version_lineage, ref=ref)

    # labeling ------------------------------------------------------------------------------
    def create_label_queue(
        self, name: str, ref: str, label_column: str, choices: Sequence[str], reviews: int
    ) -> LabelQueue:
        return self._call(
            labels.create_label_queue,
            name=name,
            ref=ref,
            label_column=label_column,
            choices=list(choices),
            reviews=reviews,
        )

    def add_label(self, queue: str, item: int, value: str, role: str = "primary") -> Label:
        """Label ``item`` (a row index) as this client's user."""
        return self._call(
            labels.add_label, name=validate_dataset_name(queue), item=item, value=value, role=role
        )

    def label_queue_status(self, queue: str) -> dict[str, Any]:
        return self._call(labels.label_queue_status, name=validate_dataset_name(queue))

    def label_agreement(self, queue: str) -> dict[str, Any]:
        return self._call(labels.label_agreement, name=validate_dataset_name(queue))

    def export_label_queue(self, queue: str, output_name: str) -> Registered:
        return self._call(
            labels.export_label_queue, name=validate_dataset_name(queue), output_name=output_name
        )
