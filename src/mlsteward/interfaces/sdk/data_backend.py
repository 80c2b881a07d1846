"""The data half of the SDK's seam: what ``mlsteward.data`` and the CLI need from a backend.

The local backend implements it over ``mlsteward.services.data``; the HTTP backend over the
REST API, which calls the same services.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue

if TYPE_CHECKING:  # kept out of ``import mlsteward``: pandera and friends load on first use
    import pyarrow as pa

    from mlsteward.engines.data import (
        BatchSource,
        DataSchema,
        ProgressCallback,
        ValidationReport,
    )
    from mlsteward.services.data.register import Registered


@runtime_checkable
class DataBackend(Protocol):
    # versions
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
    ) -> Registered: ...
    def register_dataset_table(
        self,
        name: str,
        table: pa.Table,
        *,
        schema: DataSchema | None = None,
        strict: bool = False,
        description: str | None = None,
    ) -> Registered: ...
    def get_dataset_version(self, ref: str) -> DatasetVersion: ...
    def list_dataset_versions(self, name: str) -> list[DatasetVersion]: ...
    def list_datasets(self) -> list[str]: ...
    def load_dataset_table(self, ref: str, columns: list[str] | None = None) -> pa.Table: ...
    def set_dataset_alias(self, ref: str, alias: str) -> DatasetVersion: ...
    def delete_dataset_alias(self, name: str, alias: str) -> None: ...
    def log_dataset_input(self, run_id: str, ref: str, context: str) -> DatasetInput: ...
    def list_run_inputs(self, run_id: str) -> list[DatasetInput]: ...

    # profiles and validation
    def get_dataset_profile(self, ref: str) -> dict[str, Any]: ...
    def get_dataset_report(self, ref: str) -> str: ...
    def infer_dataset_schema(self, ref: str) -> DataSchema: ...
    def validate_dataset(self, ref: str, schema: DataSchema) -> ValidationReport: ...

    # derived versions and lineage
    def transform_dataset(
        self, ref: str, steps: Sequence[Mapping[str, Any]], output_name: str
    ) -> Registered: ...
    def split_dataset(
        self, ref: str, method: str, output_prefix: str | None, options: Mapping[str, Any]
    ) -> dict[str, DatasetVersion]: ...
    def rebuild_dataset(
        self, ref: str, overrides: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...
    def dataset_lineage(self, ref: str) -> dict[str, Any]: ...

    # labeling
    def create_label_queue(
        self, name: str, ref: str, label_column: str, choices: Sequence[str], reviews: int
    ) -> LabelQueue: ...
    def add_label(self, queue: str, item: int, value: str, role: str = "primary") -> Label: ...
    def label_queue_status(self, queue: str) -> dict[str, Any]: ...
    def label_agreement(self, queue: str) -> dict[str, Any]: ...
    def export_label_queue(self, queue: str, output_name: str) -> Registered: ...
