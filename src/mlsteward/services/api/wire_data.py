"""The JSON wire format of datasets, shared by the REST routes and the SDK's HTTP backend.

Free of FastAPI imports, like :mod:`.wire`. Decoding gives values equal to what the local
backend returns, so code behaves the same on ``http://`` and on a local store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.services.api.wire import encode_float

if TYPE_CHECKING:
    from mlsteward.engines.data import ValidationReport

DATASETS_PREFIX = "/datasets"
VERSIONS_PREFIX = "/dataset-versions"
INPUTS_PREFIX = "/dataset-inputs"
QUEUES_PREFIX = "/label-queues"
#: Header of a dataset upload: JSON with the source description, bad rows, schema, options.
UPLOAD_META_HEADER = "X-Mlsteward-Dataset-Meta"


def finite(value: Any) -> Any:
    """``value`` with non-finite floats (a kappa of NaN, say) as the wire's agreed strings;
    lineage, profiles and statistics are free-form JSON, unlike the typed encoders'."""
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def encode_version(v: DatasetVersion) -> dict[str, Any]:
    return {
        "dataset_version_id": v.dataset_version_id,
        "name": v.name,
        "version": v.version,
        "content_hash": v.content_hash,
        "blob_digest": v.blob_digest,
        "num_rows": v.num_rows,
        "num_bytes": v.num_bytes,
        "schema": [list(pair) for pair in v.schema],
        "kind": v.kind,
        "lineage": finite(v.lineage),
        "parents": list(v.parents),
        "profile_digest": v.profile_digest,
        "report_digest": v.report_digest,
        "created_by": v.created_by,
        "creation_time": v.creation_time,
        "description": v.description,
        "aliases": list(v.aliases),
    }


def decode_version(raw: dict[str, Any]) -> DatasetVersion:
    fields = dict(raw)
    fields["schema"] = [(str(a), str(b)) for a, b in raw["schema"]]
    return DatasetVersion(**fields)


def encode_registered(version: DatasetVersion, created: bool, bad_rows: list[Any]) -> dict:
    return {
        "version": encode_version(version),
        "created": created,
        "bad_rows": [row.to_dict() for row in bad_rows],
    }


def encode_input(item: DatasetInput) -> dict[str, Any]:
    return {
        "run_id": item.run_id,
        "dataset_version_id": item.dataset_version_id,
        "context": item.context,
        "timestamp": item.timestamp,
    }


def decode_input(raw: dict[str, Any]) -> DatasetInput:
    return DatasetInput(**raw)


def encode_queue(queue: LabelQueue) -> dict[str, Any]:
    return {
        "queue_id": queue.queue_id,
        "name": queue.name,
        "dataset_version_id": queue.dataset_version_id,
        "label_column": queue.label_column,
        "choices": list(queue.choices),
        "reviews": queue.reviews,
        "num_items": queue.num_items,
        "created_by": queue.created_by,
        "creation_time": queue.creation_time,
    }


def decode_queue(raw: dict[str, Any]) -> LabelQueue:
    return LabelQueue(**raw)


def encode_label(label: Label) -> dict[str, Any]:
    return {
        "queue_id": label.queue_id,
        "item": label.item,
        "annotator": label.annotator,
        "value": label.value,
        "role": label.role,
        "timestamp": label.timestamp,
    }


def decode_label(raw: dict[str, Any]) -> Label:
    return Label(**raw)


def decode_report(raw: dict[str, Any]) -> ValidationReport:
    from mlsteward.engines.data import CheckFailure, ValidationReport

    return ValidationReport(
        rows=int(raw["rows"]),
        failures=[CheckFailure(**failure) for failure in raw.get("failures", [])],
    )
