"""``mlsteward.data``'s functions and ``mlsteward.log_input``: the data SDK on the current URI.

Each function finds the backend for the current tracking URI (or the active run's, for
``log_input``) and calls the data operations through its transport (:class:`DatasetCalls`);
the rules live in ``mlsteward.services.data``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.tracking_uri import backend_for

# Raised by a strict ingest; ``mlsteward.data`` re-exports it from here.

if TYPE_CHECKING:
    import pyarrow as pa

    from mlsteward.engines.data import (
        BatchSource,
        DataSchema,
        ProgressCallback,
        Step,
        ValidationReport,
    )
    from mlsteward.interfaces.sdk.data_calls import (
        DatasetCalls,  # heavy (pandera, pandas): loaded on first use, not by ``import mlsteward``
    )

DatasetLike = DatasetVersion | str


def _schema(schema: DataSchema | str | None) -> DataSchema | None:
    from mlsteward.engines.data import DataSchema

    return DataSchema.from_yaml(schema) if isinstance(schema, str) else schema


def data_calls(backend: TrackingBackend | None = None) -> DatasetCalls:
    """The data operations of ``backend``, by default the current tracking URI's."""
    from mlsteward.interfaces.sdk.data_calls import DatasetCalls  # heavy: on first use

    return DatasetCalls(backend or backend_for())


def _ref(dataset: DatasetLike) -> str:
    if isinstance(dataset, DatasetVersion):
        return dataset.dataset_version_id
    if isinstance(dataset, str):
        return dataset
    raise InvalidArgumentError(f"Expected a DatasetVersion or 'name@version', got {dataset!r}")


def _to_arrow(data: Any) -> pa.Table:
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise InvalidArgumentError(f"Cannot register {type(data).__name__} as a dataset")


def ingest(
    name: str,
    source: BatchSource | str | os.PathLike[str] | Any,
    *,
    query: str | None = None,
    schema: DataSchema | str | None = None,
    strict: bool = False,
    description: str | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> DatasetVersion:
    """Read a file, SQL query (``source`` = URL, ``query=...``), HTTP API, source object,
    pandas frame or Arrow table into a version of ``name``; the same content returns the
    existing version. ``schema`` (a :class:`DataSchema` or YAML text) with ``strict``
    refuses data that fails it. Reader options (``on_bad_rows="skip"``, ``delimiter``...)
    pass through."""
    from mlsteward.engines.data.sources.base import BatchSource

    parsed = _schema(schema)
    calls = data_calls()
    if isinstance(source, BatchSource | str | os.PathLike):
        return calls.ingest_dataset(
            name,
            source,
            query=query,
            schema=parsed,
            strict=strict,
            description=description,
            progress=progress,
            options=options,
        ).version
    table = _to_arrow(source)
    return calls.register_dataset_table(
        name, table, schema=parsed, strict=strict, description=description
    ).version


def get(dataset: DatasetLike) -> DatasetVersion:
    """The version ``"name@3"``, ``"name@alias"`` or ``"name"`` (latest) names."""
    return data_calls().get_dataset_version(_ref(dataset))


def load(dataset: DatasetLike, as_: Literal["pandas", "arrow"] = "pandas") -> Any:
    """The version's rows as a pandas DataFrame (default) or an Arrow table."""
    if as_ not in ("pandas", "arrow"):
        raise InvalidArgumentError("as_ must be 'pandas' or 'arrow'")
    table = data_calls().load_dataset_table(_ref(dataset))
    return table if as_ == "arrow" else table.to_pandas()


def versions(name: str) -> list[DatasetVersion]:
    return data_calls().list_dataset_versions(name)


def list_datasets() -> list[str]:
    return data_calls().list_datasets()


def set_alias(dataset: DatasetLike, alias: str) -> DatasetVersion:
    return data_calls().set_dataset_alias(_ref(dataset), alias)


def profile(dataset: DatasetLike) -> dict[str, Any]:
    """The profile stored with the version (per-column statistics and correlations)."""
    return data_calls().get_dataset_profile(_ref(dataset))


def infer_schema(dataset: DatasetLike) -> DataSchema:
    return data_calls().infer_dataset_schema(_ref(dataset))


def validate(dataset: DatasetLike, schema: DataSchema | str) -> ValidationReport:
    parsed = _schema(schema)
    if parsed is None:
        raise InvalidArgumentError("validate needs a schema: a DataSchema or its YAML text")
    return data_calls().validate_dataset(_ref(dataset), parsed)


def transform(
    dataset: DatasetLike, steps: Sequence[Step | Mapping[str, Any]], output_name: str
) -> DatasetVersion:
    """Apply recorded steps and register the result (lineage: parent, steps, code version)."""
    plain = [dict(s) if isinstance(s, Mapping) else s.to_dict() for s in steps]
    return data_calls().transform_dataset(_ref(dataset), plain, output_name).version


def split(
    dataset: DatasetLike,
    *,
    method: str = "holdout",
    output_prefix: str | None = None,
    **options: Any,
) -> dict[str, DatasetVersion]:
    """Split into versions ``<prefix>.<part>`` linked to the parent (see the services)."""
    return data_calls().split_dataset(_ref(dataset), method, output_prefix, options)


def rebuild(dataset: DatasetLike, **overrides: Any) -> list[dict[str, Any]]:
    """Recompute from sources through recorded steps; one hash check per version."""
    return data_calls().rebuild_dataset(_ref(dataset), overrides or None)


def lineage(dataset: DatasetLike) -> dict[str, Any]:
    return data_calls().dataset_lineage(_ref(dataset))


def create_label_queue(
    name: str,
    dataset: DatasetLike,
    *,
    label_column: str = "label",
    choices: Sequence[str] = (),
    reviews: int = 0,
) -> LabelQueue:
    return data_calls().create_label_queue(
        name, _ref(dataset), label_column, list(choices), reviews
    )


def add_label(queue: str, item: int, value: str, *, role: str = "primary") -> Label:
    """Label ``item`` (a row index) as the current user (``MLSTEWARD_USER``)."""
    return data_calls().add_label(queue, item, value, role)


def queue_status(queue: str) -> dict[str, Any]:
    return data_calls().label_queue_status(queue)


def agreement(queue: str) -> dict[str, Any]:
    return data_calls().label_agreement(queue)


def export_labels(queue: str, output_name: str) -> DatasetVersion:
    return data_calls().export_label_queue(queue, output_name).version


def log_input(
    dataset: DatasetLike, context: str = "training", run_id: str | None = None
) -> DatasetInput:
    """Link the active run (or ``run_id``) to the exact dataset version it used."""
    resolved, backend, _ = fluent._resolve_run(run_id)
    return data_calls(backend).log_dataset_input(resolved, _ref(dataset), context)
