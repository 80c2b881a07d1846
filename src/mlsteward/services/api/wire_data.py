"""The JSON wire format of datasets, shared by the data operations' encoders and decoders.

Free of FastAPI imports, like :mod:`.wire`. Decoding gives values equal to what the local
backend returns, so code behaves the same on ``http://`` and on a local store.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from mlsteward.domain.datasets import DatasetInput, DatasetVersion, Label, LabelQueue
from mlsteward.services.api.wire import decode_float, encode_float

if TYPE_CHECKING:  # loaded on first use: the data engines pull in pyarrow and pandera
    from mlsteward.engines.data import DataSchema, ValidationReport
    from mlsteward.services.data.rebuild import RebuildCheck
    from mlsteward.services.data.register import Registered

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


def encode_versions(parts: dict[str, DatasetVersion]) -> dict[str, Any]:
    """Versions by name (a split's parts)."""
    return {part: encode_version(v) for part, v in parts.items()}


def decode_versions(raw: dict[str, Any]) -> dict[str, DatasetVersion]:
    return {part: decode_version(v) for part, v in raw.items()}


def encode_registered(result: Registered) -> dict[str, Any]:
    """A registration's answer: the version, whether it is new, the rows skipped."""
    return {
        "version": encode_version(result.version),
        "created": result.created,
        "bad_rows": [row.to_dict() for row in result.bad_rows],
    }


def decode_registered(raw: dict[str, Any]) -> Registered:
    """The registration answered (its validation report is not sent: ``validation`` is
    ``None``)."""
    from mlsteward.engines.data import BadRow
    from mlsteward.services.data.register import Registered

    return Registered(
        decode_version(raw["version"]),
        bool(raw["created"]),
        [BadRow(**row) for row in raw.get("bad_rows", [])],
    )


def _record(item: DatasetInput | LabelQueue | Label) -> dict[str, Any]:
    """A flat record's fields by name: the wire form of inputs, queues and labels, whose
    decoders take the same names back."""
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}


def encode_input(item: DatasetInput) -> dict[str, Any]:
    return _record(item)


def decode_input(raw: dict[str, Any]) -> DatasetInput:
    return DatasetInput(**raw)


def encode_queue(queue: LabelQueue) -> dict[str, Any]:
    return {**_record(queue), "choices": list(queue.choices)}


def decode_queue(raw: dict[str, Any]) -> LabelQueue:
    return LabelQueue(**raw)


def encode_label(label: Label) -> dict[str, Any]:
    return _record(label)


def decode_label(raw: dict[str, Any]) -> Label:
    return Label(**raw)


def encode_schema(schema: DataSchema) -> dict[str, Any]:
    return {"schema_yaml": schema.to_yaml()}


def decode_schema(raw: dict[str, Any]) -> DataSchema:
    from mlsteward.engines.data import DataSchema

    return DataSchema.from_yaml(raw["schema_yaml"])


def encode_report(report: ValidationReport) -> dict[str, Any]:
    return dict(finite(report.to_dict()))


def decode_report(raw: dict[str, Any]) -> ValidationReport:
    from mlsteward.engines.data import ValidationReport

    return ValidationReport.from_dict(raw)


def encode_check(check: RebuildCheck) -> dict[str, Any]:
    return check.to_dict()


def decode_check(raw: dict[str, Any]) -> RebuildCheck:
    from mlsteward.services.data.rebuild import RebuildCheck

    return RebuildCheck(
        ref=raw["ref"],
        kind=raw["kind"],
        expected=raw["expected"],
        actual=raw["actual"],
        how=raw["how"],
    )


#: The agreement figures that may be NaN (a kappa over labels that never vary).
_AGREEMENT_FIGURES = ("raw_agreement", "mean_cohen_kappa", "fleiss_kappa")


def decode_agreement(raw: dict[str, Any]) -> dict[str, Any]:
    """Agreement statistics with their figures as floats again (``finite`` sent a NaN kappa
    as a string); names and counts as received."""

    def figure(value: Any) -> Any:
        return decode_float(value) if isinstance(value, str) else value

    decoded = dict(raw)
    for key in _AGREEMENT_FIGURES:
        if key in decoded:
            decoded[key] = figure(decoded[key])
    decoded["pairwise"] = [
        {**pair, "cohen_kappa": figure(pair.get("cohen_kappa"))} for pair in raw.get("pairwise", [])
    ]
    return decoded
