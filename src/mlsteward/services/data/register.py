"""Register a table as a dataset version, all or nothing.

Order matters for "nothing half-written": the source is drained into a private staging file
first (a failing source leaves nothing), then validated (``strict`` refuses here), then its
Parquet, profile JSON and HTML report go to the content-addressed blob store (a crash here
leaves only unreferenced blobs, which the same content reuses), and only then one store
transaction records the version. The same content under the same name returns the existing
version; the same bytes are stored once whatever the name.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.domain.datasets import DatasetVersion, validate_dataset_name
from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.engines.data import (
    BadRow,
    DataSchema,
    ValidationReport,
    profile_table,
    render_html_report,
    stage_to_parquet,
    validate_table,
)
from mlsteward.services.api.wire import encode_float
from mlsteward.services.context import ServiceContext
from mlsteward.storage.datasets_base import NewDatasetVersion


class ValidationFailedError(InvalidArgumentError):
    """A strict registration refused because the data breaks its schema; nothing was stored."""

    def __init__(self, report: ValidationReport) -> None:
        lines = [
            f"  {f.column or '<rows>'}: {f.check} failed for {f.failing} row(s), "
            f"e.g. {f.examples[:3]}"
            for f in report.failures
            if not f.tolerated
        ]
        super().__init__(
            f"Validation failed ({len(lines)} check(s)); nothing was registered:\n"
            + "\n".join(lines)
        )
        self.report = report

    def details(self) -> dict[str, Any]:
        # The whole report, examples included: they are values of the table this caller is
        # registering (on a server, the body it uploaded; a rebuild never validates), which
        # the message quotes too, and what validating a stored version answers anyway.
        # Non-finite examples travel as the wire's strings, as in that answer.
        report = self.report.to_dict()
        for failure in report["failures"]:
            failure["examples"] = [
                encode_float(v) if isinstance(v, float) else v for v in failure["examples"]
            ]
        return {"report": report}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        """The error with the server's message and report; a report that does not decode
        raises, so the client falls back to the class for the code."""
        report = details.get("report")
        if not isinstance(report, Mapping):
            raise TypeError("a validation failure without its report")
        error = cls.__new__(cls)
        MlstewardError.__init__(error, message)
        error.report = ValidationReport.from_dict(report)
        return error


@dataclass(frozen=True)
class Registered:
    """What a registration produced: the version, whether it is new, and what was seen."""

    version: DatasetVersion
    created: bool
    bad_rows: list[BadRow] = field(default_factory=list)
    validation: ValidationReport | None = None


def _batches(table: pa.Table) -> Iterable[pa.RecordBatch]:
    batches = table.to_batches()
    return batches or [pa.RecordBatch.from_pylist([], schema=table.schema)]


def register_batches(
    ctx: ServiceContext,
    name: str,
    batches: Iterable[pa.RecordBatch] | pa.Table,
    *,
    kind: str,
    lineage: Mapping[str, Any],
    parents: Sequence[str] = (),
    schema: DataSchema | None = None,
    strict: bool = False,
    description: str | None = None,
    bad_rows: Sequence[BadRow] = (),
) -> Registered:
    """Stage, validate, profile, store blobs, then record the version (see module docstring).

    ``bad_rows`` adds rows a client skipped before uploading to those the source reports.
    """
    validate_dataset_name(name)
    if strict and schema is None:
        raise InvalidArgumentError("strict registration needs a schema to validate against")
    source = _batches(batches) if isinstance(batches, pa.Table) else batches
    with tempfile.TemporaryDirectory(prefix="mlsteward-stage-") as directory:
        staged = stage_to_parquet(source, directory)
        existing = ctx.stores.datasets.find_dataset_version(name, staged.content_hash)
        if existing is not None and schema is None:
            # Same content already registered: skip profiling and uploads entirely.
            return Registered(existing, False, [*bad_rows, *staged.bad_rows])
        table = pq.read_table(staged.path)
        report = validate_table(table, schema) if schema is not None else None
        if strict and report is not None and not report.ok:
            raise ValidationFailedError(report)
        profile = profile_table(table)
        del table
        html = render_html_report(profile, title=f"{name} ({staged.num_rows} rows)")
        blob_digest, size = ctx.blobs.put_file(staged.path)
    profile_digest, _ = ctx.blobs.put_bytes(
        json.dumps(profile, sort_keys=True, default=str, allow_nan=True).encode()
    )
    report_digest, _ = ctx.blobs.put_bytes(html.encode())
    full_lineage = dict(lineage)
    skipped = [*bad_rows, *staged.bad_rows]
    if skipped:
        full_lineage["bad_rows"] = [row.to_dict() for row in skipped[:100]]
        full_lineage["bad_row_count"] = len(skipped)
    if report is not None:
        full_lineage["validation"] = {"ok": report.ok, "failures": len(report.failures)}
    spec = NewDatasetVersion(
        content_hash=staged.content_hash,
        blob_digest=blob_digest,
        num_rows=staged.num_rows,
        num_bytes=size,
        schema=[(f.name, str(f.type)) for f in staged.schema],
        kind=kind,
        lineage=full_lineage,
        parents=list(parents),
        profile_digest=profile_digest,
        report_digest=report_digest,
        description=description,
    )
    datasets = ctx.stores.datasets
    version, created = datasets.create_dataset_version(name, spec, ctx.actor, ctx.clock())
    return Registered(version, created, skipped, report)
