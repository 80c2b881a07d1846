"""Datasets in the SDK: ``mlsteward.data.ingest``, ``load``, transforms, splits, lineage, labels.

Versions are content-addressed and immutable, addressed as ``name@version`` or
``name@alias``; see ``docs/data.md``. The rules live in ``mlsteward.services.data``, the
computation in ``mlsteward.engines.data``.
"""

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.engines.data import DataSchema, Step, ValidationReport
from mlsteward.interfaces.sdk.data_errors import ValidationFailedError
from mlsteward.interfaces.sdk.data_fluent import (
    add_label,
    agreement,
    create_label_queue,
    export_labels,
    get,
    infer_schema,
    ingest,
    lineage,
    list_datasets,
    load,
    log_input,
    profile,
    queue_status,
    rebuild,
    set_alias,
    split,
    transform,
    validate,
    versions,
)

__all__ = [
    "DataSchema",
    "DatasetInput",
    "DatasetVersion",
    "Label",
    "LabelQueue",
    "Step",
    "ValidationFailedError",
    "ValidationReport",
    "add_label",
    "agreement",
    "create_label_queue",
    "export_labels",
    "get",
    "infer_schema",
    "ingest",
    "lineage",
    "list_datasets",
    "load",
    "log_input",
    "profile",
    "queue_status",
    "rebuild",
    "set_alias",
    "split",
    "transform",
    "validate",
    "versions",
]
