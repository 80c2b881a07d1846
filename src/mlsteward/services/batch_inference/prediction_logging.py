"""A batch job's rows in the prediction log, one record per row, as the data plane logs.

Why one record per row: the monitors read the log with ``rows_frame`` (one row per request
row, keyed by the record's ``prediction_id`` and the row's position in it) and join labels
by that ID and position. A label sent for one output row's ``prediction_id`` therefore
joins only when that ID is a record's own. One record per chunk with per-row IDs in an
input column would leave those IDs out of the join (and be read as a feature by drift
checks), so each scored row is logged as a one-row request: route ``stable`` (the answer
was used), ``time_ms`` the chunk's ID time, ``latency_ms`` the model's time per row.

The writer is the data plane's :class:`PredictionLogWriter`, but a batch job must lose
nothing: a chunk's rows are written before the chunk counts as done. Numeric columns (the
usual case) go as one table built from the chunk's arrays and published at once; others go
as records in slices no larger than the writer's queue, each slice flushed before the next.
A row not written fails the chunk (a rerun redoes it). A chunk redone
after a crash may have been logged in part already: its IDs are looked up first and only
the missing ones are logged, so no row is logged twice.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pyarrow as pa

from mlsteward.domain.predictions import PredictionRecord
from mlsteward.engines.batch_scoring import OutputWriteError, ScoredChunk
from mlsteward.services.predictions import PredictionLogReader, PredictionLogWriter
from mlsteward.storage.prediction_log import fits_row_table, row_records_table

#: Records per writer flush: bounds the memory the queued records take.
LOG_SLICE = 10_000
_FLUSH_TIMEOUT_S = 300.0


class BatchLog:
    """Logs scored chunks under ``deployment`` in the log at ``root``."""

    def __init__(self, root: str, deployment: str, model_name: str, model_version: int) -> None:
        self.root = root
        self.deployment = deployment
        self.model_name = model_name
        self.model_version = model_version
        self.logged = 0
        self._writer = PredictionLogWriter(
            root, queue_size=LOG_SLICE + 1, flush_rows=LOG_SLICE, flush_interval_s=60.0
        ).start()

    def __call__(self, scored: ScoredChunk) -> None:
        ids: list[str] = scored.ids.to_pylist()
        wanted = np.arange(len(ids))
        if scored.redone:
            present = PredictionLogReader(self.root).find_ids(self.deployment, ids)
            wanted = np.array(
                [i for i, value in enumerate(ids) if value not in present], dtype=np.int64
            )
        if fits_row_table(scored.inputs) and fits_row_table(scored.outputs):
            self._publish_columns(scored, wanted)
        else:
            self._submit_records(scored, ids, wanted)
        self.logged += len(wanted)

    def _publish_columns(self, scored: ScoredChunk, wanted: np.ndarray) -> None:
        """The rows as one table made from the chunk's arrays, written now (numeric
        columns: the usual case, and ~20x faster than a record per row)."""
        every = len(wanted) == len(scored.ids)

        def rows(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return columns if every else {name: v[wanted] for name, v in columns.items()}

        try:
            table = row_records_table(
                scored.ids if every else scored.ids.take(pa.array(wanted)),
                deployment=self.deployment,
                model_name=self.model_name,
                model_version=self.model_version,
                route="stable",
                time_ms=scored.time_ms,
                latency_ms=scored.latency_ms,
                inputs=rows(scored.inputs),
                outputs=rows(scored.outputs),
            )
            self._writer.publish_table(table)
        except Exception as error:
            raise self._failed(scored.index, f"{type(error).__name__}: {error}") from error

    def _submit_records(self, scored: ScoredChunk, ids: list[str], wanted: np.ndarray) -> None:
        """A record per row through the writer's queue (columns the table path does not
        take, such as text)."""
        before = self._writer.stats()
        for start in range(0, len(wanted), LOG_SLICE):
            for row in wanted[start : start + LOG_SLICE]:
                self._writer.submit(self._record(scored, ids[row], int(row)))
            if not self._writer.flush(_FLUSH_TIMEOUT_S):
                raise self._failed(scored.index, "the writer did not finish in time")
        after = self._writer.stats()
        lost = (after["dropped"] - before["dropped"]) + (after["errors"] - before["errors"])
        if lost:
            raise self._failed(scored.index, f"{lost} record(s) were not written")

    def _record(self, scored: ScoredChunk, prediction_id: str, row: int) -> PredictionRecord:
        inputs = {name: values[row : row + 1] for name, values in scored.inputs.items()}
        outputs = {name: values[row : row + 1] for name, values in scored.outputs.items()}
        return PredictionRecord(
            prediction_id=prediction_id,
            deployment=self.deployment,
            model_name=self.model_name,
            model_version=self.model_version,
            route="stable",
            time_ms=scored.time_ms,
            latency_ms=scored.latency_ms,
            rows=1,
            # numpy slices: the log's writer formats numeric arrays in bulk
            inputs=cast(dict[str, list[Any]], inputs),
            outputs=cast(dict[str, list[Any]], outputs),
        )

    def _failed(self, chunk: int, why: str) -> OutputWriteError:
        return OutputWriteError(
            f"Cannot write chunk {chunk} to the prediction log ({self.deployment}): {why}. "
            "The chunks finished before are kept: run the same command again to resume",
            chunk=chunk,
        )

    def close(self) -> None:
        self._writer.close()
