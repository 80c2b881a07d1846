"""The data half of ``LocalBackend``: each method calls one data service."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.engines.data import BatchSource, DataSchema, ProgressCallback, ValidationReport
from mlsteward.services.context import ServiceContext
from mlsteward.services.data import derive, labeling, lineage, quality, rebuild, versions
from mlsteward.services.data.register import Registered


class LocalDataBackendMixin:
    """Implements ``DataBackend`` in-process; the host class provides ``ctx``."""

    ctx: ServiceContext

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
        return versions.ingest(
            self.ctx,
            name,
            source,
            query=query,
            schema=schema,
            strict=strict,
            description=description,
            progress=progress,
            **dict(options or {}),
        )

    def register_dataset_table(
        self,
        name: str,
        table: pa.Table,
        *,
        schema: DataSchema | None = None,
        strict: bool = False,
        description: str | None = None,
    ) -> Registered:
        return versions.register_table(
            self.ctx, name, table, schema=schema, strict=strict, description=description
        )

    def get_dataset_version(self, ref: str) -> DatasetVersion:
        return versions.get_version(self.ctx, ref)

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        return versions.list_versions(self.ctx, name)

    def list_datasets(self) -> list[str]:
        return versions.list_datasets(self.ctx)

    def load_dataset_table(self, ref: str, columns: list[str] | None = None) -> pa.Table:
        return versions.load_table(self.ctx, ref, columns)

    def set_dataset_alias(self, ref: str, alias: str) -> DatasetVersion:
        return versions.set_alias(self.ctx, ref, alias)

    def delete_dataset_alias(self, name: str, alias: str) -> None:
        versions.delete_alias(self.ctx, name, alias)

    def log_dataset_input(self, run_id: str, ref: str, context: str) -> DatasetInput:
        return versions.log_input(self.ctx, run_id, ref, context)

    def list_run_inputs(self, run_id: str) -> list[DatasetInput]:
        return versions.list_run_inputs(self.ctx, run_id)

    def get_dataset_profile(self, ref: str) -> dict[str, Any]:
        return versions.get_profile(self.ctx, ref)

    def get_dataset_report(self, ref: str) -> str:
        return versions.get_report_html(self.ctx, ref)

    def infer_dataset_schema(self, ref: str) -> DataSchema:
        return quality.infer_version_schema(self.ctx, ref)

    def validate_dataset(self, ref: str, schema: DataSchema) -> ValidationReport:
        return quality.validate_version(self.ctx, ref, schema)

    def transform_dataset(
        self, ref: str, steps: Sequence[Mapping[str, Any]], output_name: str
    ) -> Registered:
        return derive.transform(self.ctx, ref, steps, output_name)

    def split_dataset(
        self, ref: str, method: str, output_prefix: str | None, options: Mapping[str, Any]
    ) -> dict[str, DatasetVersion]:
        return derive.split(
            self.ctx, ref, method=method, output_prefix=output_prefix, **dict(options)
        )

    def rebuild_dataset(
        self, ref: str, overrides: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [check.to_dict() for check in rebuild.rebuild(self.ctx, ref, overrides)]

    def dataset_lineage(self, ref: str) -> dict[str, Any]:
        return lineage.lineage(self.ctx, ref)

    def create_label_queue(
        self, name: str, ref: str, label_column: str, choices: Sequence[str], reviews: int
    ) -> LabelQueue:
        return labeling.create_queue(self.ctx, name, ref, label_column, choices, reviews)

    def add_label(self, queue: str, item: int, value: str, role: str = "primary") -> Label:
        return labeling.add_label(self.ctx, queue, item, value, role)

    def label_queue_status(self, queue: str) -> dict[str, Any]:
        return labeling.queue_status(self.ctx, queue)

    def label_agreement(self, queue: str) -> dict[str, Any]:
        return labeling.agreement(self.ctx, queue)

    def export_label_queue(self, queue: str, output_name: str) -> Registered:
        return labeling.export(self.ctx, queue, output_name)
