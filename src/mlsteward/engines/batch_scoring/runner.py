"""Score a job's chunks one after another: check rows, run the model, publish the part.

Per chunk, in this order: the rows are checked against the signature; the model runs on
the rows that fit (here, or on the workers of another engine, see :mod:`.scoring`); the
time its IDs carry is recorded (once, the first time the chunk is finished or fails); the
part file (and the rejected rows) are published; the prediction log gets the
chunk's rows; only then does the manifest list the chunk as done. A failure at any step
leaves the chunks before it finished and this one to redo, which writes the same bytes and
the same IDs (see :mod:`.job_ids`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.engines.batch_scoring.chunks import Chunk
from mlsteward.engines.batch_scoring.errors import BadRowError, ChunkFailedError, OutputWriteError
from mlsteward.engines.batch_scoring.features import Conformed, FeaturePlan
from mlsteward.engines.batch_scoring.job_folder import JobFolder, Manifest
from mlsteward.engines.batch_scoring.job_ids import row_ids
from mlsteward.engines.batch_scoring.scoring import (
    LocalScoring,
    Prepared,
    Resumed,
    Scores,
    ScoringEngine,
)
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.serving.model_runner import PREDICT, PREDICT_PROBA

OUTPUTS = (PREDICT, PREDICT_PROBA)
ID_COLUMN = "prediction_id"
REJECTED_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string()),
        pa.field("row", pa.int64()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
    ]
)


@dataclass(frozen=True)
class ScoredChunk:
    """What the prediction log is handed for one chunk: IDs, inputs and outputs of the rows
    scored, the time the IDs carry and the model's time per row."""

    index: int
    ids: pa.Array
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    time_ms: int
    latency_ms: float
    redone: bool


@dataclass
class RunCounts:
    """What one run did (a rerun counts only its own work; resumed chunks apart)."""

    chunks: int = 0
    chunks_resumed: int = 0
    rows_scored: int = 0
    rows_resumed: int = 0
    rejected: int = 0
    model_seconds: float = 0.0
    rejected_sample: list[dict[str, Any]] = field(default_factory=list)


Progress = Callable[[int], None]
LogChunk = Callable[[ScoredChunk], None]
SaveManifest = Callable[[Manifest], None]
REJECTED_SAMPLE = 20


@dataclass
class ChunkScorer:
    """Runs one job's chunks (see the module docstring) into ``folder``."""

    model: LoadedModel
    plan: FeaturePlan
    folder: JobFolder
    manifest: Manifest
    chunk_size: int
    outputs: Sequence[str] = (PREDICT,)
    keep_columns: Sequence[str] | None = None
    skip_bad_rows: bool = False
    log: LogChunk | None = None
    progress: Progress | None = None
    clock: Callable[[], int] = field(default=lambda: time.time_ns() // 1_000_000)
    counts: RunCounts = field(default_factory=RunCounts)
    #: Where the model runs (see :mod:`.scoring`); the rest of the job runs here either way.
    scoring: ScoringEngine = field(default_factory=LocalScoring)

    def run(self, chunks: Iterator[Chunk | int]) -> RunCounts:
        published = self.folder.finished_parts()
        entries = (self._entry(item, published) for item in chunks)
        # closed at once on an error, so an engine stops its workers before it is raised
        with contextlib.closing(self.scoring.scored(self.model, self.outputs, entries)) as scored:
            for entry, scores in scored:
                if isinstance(entry, Resumed):
                    self._resumed(entry)
                else:
                    self._finish(entry, scores)
        return self.counts

    def _entry(self, item: Chunk | int, published: set[int]) -> Resumed | Prepared:
        """A chunk finished before (skipped), or one checked against the signature."""
        index = item if isinstance(item, int) else item.index
        done = self.manifest.done.get(index)
        if done is not None and index in published:
            return Resumed(index, done)
        if isinstance(item, int):  # skipped unread, yet its part is gone: cannot happen
            raise OutputWriteError(f"Chunk {index}'s part file is missing", chunk=index)
        return self._prepare(item)

    def _resumed(self, entry: Resumed) -> None:
        done = entry.done
        self.counts.chunks_resumed += 1
        self.counts.rows_resumed += int(done["rows"])
        self.counts.rejected += int(done.get("rejected", 0))
        if self.progress is not None:
            self.progress(int(done["rows"]) + int(done.get("rejected", 0)))

    def _prepare(self, chunk: Chunk) -> Prepared:
        """The chunk's rows checked: the model's input, or the bad-row error to raise in its
        turn (a scoring engine may prepare chunks ahead of the one being finished)."""
        conformed = self.plan.conform(chunk.table)
        rejected = self._rejected(chunk, conformed)
        error: BadRowError | None = None
        if rejected.num_rows and not self.skip_bad_rows:
            first = rejected.slice(0, 1).to_pylist()[0]
            where = f"row {first['row']}" if first["row"] is not None else f"line {first['line']}"
            error = BadRowError(
                f"{first['source']}, {where}: {first['reason']}. {rejected.num_rows} row(s) of "
                f"chunk {chunk.index} do not fit the model's signature; nothing of this chunk "
                "was written (on_bad_rows='skip' skips such rows and lists them)",
                source=str(first["source"]),
                row=first["row"],
            )
        return Prepared(chunk, conformed, rejected, np.flatnonzero(conformed.valid), error)

    def _finish(self, prepared: Prepared, scores: Scores | None) -> None:
        chunk = prepared.chunk
        index = chunk.index
        redone = index in self.manifest.started
        if not redone:
            self.manifest.started[index] = self.clock()
            self._save()
        time_ms = self.manifest.started[index]
        if prepared.error is not None:
            raise prepared.error
        if scores is None:  # an engine scores every chunk it is handed without an error
            raise ChunkFailedError(f"Chunk {index} was not scored", chunk=index)
        if scores.failure is not None:
            raise self._failed(chunk, scores)
        conformed, rejected, positions = prepared.conformed, prepared.rejected, prepared.positions
        answers, seconds = scores.answers, scores.seconds
        ids = row_ids(time_ms, self.manifest.salt, positions + index * self.chunk_size)
        table = self._output_table(chunk.table, conformed.valid, answers, ids)
        try:
            digest = self.folder.write_part(self.folder.part_path(index), table)
            if rejected.num_rows:
                self.folder.write_part(self.folder.rejected_path(index), rejected)
        except OSError as error:
            raise OutputWriteError(
                f"Cannot write chunk {index} to {self.folder.base}: {_os_reason(error)}. The "
                f"{len(self.manifest.done)} chunk(s) finished before are kept: run the same "
                "command again to resume once the output is writable",
                chunk=index,
            ) from None
        if self.log is not None and len(positions):
            inputs = self._log_inputs(chunk.table, conformed, positions)
            latency = seconds * 1000.0 / max(len(positions), 1)
            self.log(ScoredChunk(index, ids, inputs, answers, time_ms, latency, redone))
        self.manifest.done[index] = {
            "rows": len(positions),
            "rejected": rejected.num_rows,
            "digest": digest,
            "source": chunk.source,
            "first_row": chunk.first_row,
        }
        # The next chunk's ID time goes in the same write: one manifest write per chunk.
        self.manifest.started.setdefault(index + 1, self.clock())
        self._save()
        self.counts.chunks += 1
        self.counts.rows_scored += len(positions)
        self.counts.rejected += rejected.num_rows
        self.counts.model_seconds += seconds
        if self.progress is not None:
            self.progress(chunk.table.num_rows + len(chunk.malformed))

    def _failed(self, chunk: Chunk, scores: Scores) -> ChunkFailedError:
        """The model's failure on ``chunk``, said where it happened (whichever engine ran it)."""
        failure = scores.failure
        if failure is not None and failure.kind == "shape":
            error = ChunkFailedError(
                f"The model's {failure.output} returned shape {tuple(failure.shape)} for "
                f"{failure.rows} row(s) on chunk {chunk.index}: expected one value or one row "
                "per input row",
                chunk=chunk.index,
            )
        else:
            error = ChunkFailedError(
                f"The model failed on chunk {chunk.index} ({chunk.source}, rows "
                f"{chunk.first_row} to {chunk.first_row + chunk.table.num_rows - 1}): "
                f"{failure.detail if failure is not None else 'unknown error'}. The chunks "
                "finished before are kept: fix the cause and run the same command again to "
                "resume",
                chunk=chunk.index,
            )
        error.__cause__ = scores.cause
        return error

    def _output_table(
        self, table: pa.Table, valid: np.ndarray, answers: dict[str, np.ndarray], ids: pa.Array
    ) -> pa.Table:
        kept = table.column_names if self.keep_columns is None else list(self.keep_columns)
        source = table.select(kept)
        if not valid.all():
            source = source.filter(pa.array(valid))
        columns: dict[str, pa.Array | pa.ChunkedArray] = {ID_COLUMN: ids}
        for name in source.column_names:
            columns[name] = source.column(name)
        for name, array in output_columns(answers).items():
            columns[name] = pa.array(array)
        return pa.table(columns)

    def _log_inputs(
        self, table: pa.Table, conformed: Conformed, positions: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The model's inputs of the scored rows, by column (as the data plane logs them)."""
        model_input = conformed.model_input
        if hasattr(model_input, "columns"):
            return {str(name): model_input[name].to_numpy() for name in model_input.columns}
        names = self.plan.feature_names(table.column_names)
        matrix = np.asarray(model_input)
        return {name: matrix[:, i] for i, name in enumerate(names)}

    def _rejected(self, chunk: Chunk, conformed: Conformed) -> pa.Table:
        rows: list[dict[str, Any]] = [
            {"source": chunk.source, "row": None, "line": bad.line, "reason": bad.reason}
            for bad in chunk.malformed
        ]
        rows += [
            {"source": chunk.source, "row": chunk.first_row + row, "line": None, "reason": why}
            for row, why in conformed.rejected
        ]
        left = REJECTED_SAMPLE - len(self.counts.rejected_sample)
        if left > 0 and self.skip_bad_rows:
            self.counts.rejected_sample.extend(rows[:left])
        return pa.Table.from_pylist(rows, schema=REJECTED_SCHEMA)

    def _save(self) -> None:
        try:
            self.folder.write_manifest(self.manifest)
        except OSError as error:
            raise OutputWriteError(
                f"Cannot write the job's manifest in {self.folder.base}: {_os_reason(error)}. "
                "Run the same command again to resume once the output is writable"
            ) from None


def output_columns(answers: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Output columns by name: a 2-D answer (``predict_proba``) as ``name_0``, ``name_1``..."""
    columns: dict[str, np.ndarray] = {}
    for name, array in answers.items():
        if array.ndim == 2:
            for i in range(array.shape[1]):
                columns[f"{name}_{i}"] = np.ascontiguousarray(array[:, i])
        else:
            columns[name] = array
    return columns


def _os_reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
