"""The last step of a job whose output is not the folder of parts itself.

A ``.csv`` output is written from the parts in chunk order, published whole (a hidden name
renamed, or one upload), with the rejected rows beside it in ``<name>.rejected.csv``. A
``dataset:NAME`` output is registered through the data services like any other version:
staged, profiled, content-addressed; its lineage names the model version and the input
(and the input dataset version is its parent), so the lineage graph shows
``input version + model version -> output version``. A ``sql:`` output's parts are loaded
into its table chunk by chunk, each chunk once (see ``sql_output``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from fsspec import AbstractFileSystem

from mlsteward.domain.datasets import DatasetVersion
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.batch_scoring import JobFolder, Manifest, OutputWriteError
from mlsteward.engines.data.errors import BadRow
from mlsteward.services.batch_inference import sql_output
from mlsteward.services.batch_inference.sql_output import SqlOutput
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.code_version import code_version
from mlsteward.services.data.register import register_batches

#: Rejected rows named in a dataset version's lineage (the count is always complete).
LINEAGE_REJECTED = 100


def part_batches(
    folder: JobFolder, indices: list[int], rejected: bool = False
) -> Iterator[pa.RecordBatch]:
    """The rows of the parts ``indices``, in order, batch by batch."""
    for index in indices:
        path = folder.rejected_path(index) if rejected else folder.part_path(index)
        yield from folder.read_part(path).to_batches()


def write_csv(fs: AbstractFileSystem, location: str, batches: Iterator[pa.RecordBatch]) -> None:
    """Batches as one CSV file at ``location``, published whole."""
    local = "file" in (fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,))
    target = location
    if local:
        folder, name = os.path.split(location)
        os.makedirs(folder or ".", exist_ok=True)
        target = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with fs.open(target, "wb") as handle:
            writer: pacsv.CSVWriter | None = None
            for batch in batches:
                if writer is None:
                    writer = pacsv.CSVWriter(handle, batch.schema)
                writer.write_batch(batch)
            if writer is not None:
                writer.close()
        if local:
            os.replace(target, location)
    except OSError as error:
        if local and os.path.exists(target):
            os.unlink(target)
        raise OutputWriteError(
            f"Cannot write {location}: {error.strerror or type(error).__name__}. The scored "
            "chunks are kept: run the same command again to finish"
        ) from None


def write_sql(sql: SqlOutput | None, folder: JobFolder, manifest: Manifest) -> int:
    """Load the job's parts into the SQL table the output names; the rows loaded now."""
    if sql is None:
        raise InvalidArgumentError("A SQL output needs its parsed URL and table")
    return sql_output.load_parts(sql, folder, manifest)


def rejected_csv_location(location: str) -> str:
    stem = location[:-4] if location.lower().endswith(".csv") else location
    return f"{stem}.rejected.csv"


def register_output(
    ctx: ServiceContext,
    name: str,
    folder: JobFolder,
    manifest: Manifest,
    lineage: dict[str, Any],
    parent: DatasetVersion | None,
) -> DatasetVersion:
    """The job's scored rows as a new version of dataset ``name`` (see module docstring)."""
    indices = sorted(manifest.done)
    if not any(manifest.done[i]["rows"] for i in indices):
        raise InvalidArgumentError(
            f"No row was scored: there is nothing to register as a version of {name!r}"
        )
    with_rows = [i for i in indices if manifest.done[i]["rows"]]
    bad: list[BadRow] = []
    for row in _first_rejected(folder, manifest):
        where = f"row {row['row']}" if row["row"] is not None else f"line {row['line']}"
        position = row["row"] if row["row"] is not None else row["line"]
        bad.append(BadRow(int(position), f"{row['source']}, {where}: {row['reason']}", ""))
    registered = register_batches(
        ctx,
        name,
        part_batches(folder, with_rows),
        kind="predictions",
        lineage={**lineage, "code": code_version()},
        parents=[parent.dataset_version_id] if parent is not None else [],
        description=(
            f"Predictions of {lineage['model']['uri']} on {lineage['input']['description']}"
        ),
        bad_rows=bad,
    )
    return registered.version


def _first_rejected(folder: JobFolder, manifest: Manifest) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for index in sorted(manifest.done):
        if manifest.done[index].get("rejected") and len(found) < LINEAGE_REJECTED:
            table = folder.read_part(folder.rejected_path(index))
            found.extend(table.slice(0, LINEAGE_REJECTED - len(found)).to_pylist())
    return found
