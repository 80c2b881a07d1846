"""``PredictionLogReader``: one prediction by ID, a time range, and retention.

Finding one ID among millions reads little: the ID's time names the hour folder, the file
names in that folder (first and last ID) say which files can hold it, and each candidate's
row-group statistics (files are sorted by ID) say which row group to read. A time range is
read with ``pyarrow.dataset`` over the hour folders it covers, filtered on the prediction ID,
whose text order is its time order. Files written before a column existed (the tensor
columns, ``shadow_of``) read it as null, so old and new files share a folder.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from mlsteward.domain.prediction_ids import is_prediction_id, prediction_id_time
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import _layout
from mlsteward.storage.prediction_log._schema import PREDICTION_SCHEMA, TENSOR_COLUMNS, record_of


def id_floor(time_ms: int) -> str:
    """The smallest text an ID made at ``time_ms`` or later can compare above."""
    digits = f"{max(time_ms, 0):012x}"
    return f"{digits[:8]}-{digits[8:12]}-0000-0000-000000000000"


def check_id(prediction_id: object) -> str:
    if not is_prediction_id(prediction_id):
        raise ValueError(f"not a prediction ID (a UUIDv7): {str(prediction_id)[:64]!r}")
    return str(prediction_id)


class PredictionLogReader:
    """Reads the log under ``root`` (a folder or ``s3://`` prefix)."""

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root
        self._fs, self._base = _layout.open_filesystem(root, storage_options)
        self._arrow_fs: pafs.FileSystem = (
            pafs.LocalFileSystem()
            if _layout.is_local(self._fs)
            else pafs.PyFileSystem(pafs.FSSpecHandler(self._fs))
        )

    def deployments(self) -> list[str]:
        """The deployments with a folder in the log."""
        return _layout.deployments_in(self._fs, self._base)

    # one prediction ------------------------------------------------------------------------
    def get(self, prediction_id: str, deployment: str | None = None) -> PredictionRecord | None:
        """The record of ``prediction_id`` (of any deployment when None), or None.

        ``ValueError`` for a malformed ID or deployment name: nothing outside the log is read.
        """
        check_id(prediction_id)
        names = (
            [_layout.check_deployment(deployment)] if deployment is not None else self.deployments()
        )
        for name in names:
            for table in self._matching(name, [prediction_id], columns=None):
                if table.num_rows:
                    return record_of(table.slice(0, 1).to_pylist()[0])
        return None

    def find_ids(self, deployment: str, prediction_ids: Iterable[str]) -> set[str]:
        """Which of ``prediction_ids`` are in the deployment's log (reading only ID columns)."""
        _layout.check_deployment(deployment)
        wanted = sorted({check_id(value) for value in prediction_ids})
        by_hour: dict[tuple[str, int], list[str]] = defaultdict(list)
        for value in wanted:
            by_hour[_layout.partition_of(prediction_id_time(value))].append(value)
        found: set[str] = set()
        for ids in by_hour.values():
            for table in self._matching(deployment, ids, columns=["prediction_id"]):
                found.update(table.column("prediction_id").to_pylist())
        return found

    def _matching(
        self, deployment: str, ids: Sequence[str], columns: list[str] | None
    ) -> Iterator[pa.Table]:
        """Rows whose ID is one of ``ids`` (sorted, all in one hour), file by file."""
        date, hour = _layout.partition_of(prediction_id_time(ids[0]))
        folder = _layout.hour_folder(self._base, deployment, date, hour)
        for path in _layout.files_in(self._fs, folder):
            span = _layout.part_range(path)
            if span is None or not _any_between(ids, *span):
                continue
            yield from self._rows_in(path, ids, columns)

    def _rows_in(
        self, path: str, ids: Sequence[str], columns: list[str] | None
    ) -> Iterator[pa.Table]:
        with self._arrow_fs.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            metadata = parquet.metadata
            groups = []
            for index in range(metadata.num_row_groups):
                stats = metadata.row_group(index).column(0).statistics
                known = stats is not None and stats.has_min_max
                if not known or _any_between(ids, stats.min, stats.max):
                    groups.append(index)
            if not groups:
                return
            table = parquet.read_row_groups(groups, columns=columns)
        mask = pc.is_in(table.column("prediction_id"), value_set=pa.array(ids, pa.string()))
        yield table.filter(mask)

    # a time range ----------------------------------------------------------------------------
    def query(
        self,
        deployment: str,
        start_ms: int,
        end_ms: int,
        *,
        columns: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> pa.Table:
        """The predictions made in ``[start_ms, end_ms)`` (their ID's time), oldest first; at
        most ``limit`` rows. ``columns`` picks columns of :data:`PREDICTION_SCHEMA`; asking
        for ``inputs`` or ``outputs`` brings their tensor column too (where newer files keep
        the values: read both with ``rows_frame``, ``column_values`` or ``record_of``)."""
        _layout.check_deployment(deployment)
        wanted = list(columns) if columns else list(PREDICTION_SCHEMA.names)
        unknown = [name for name in wanted if name not in PREDICTION_SCHEMA.names]
        if unknown:
            raise ValueError(f"no such prediction log column: {unknown}")
        companions = [TENSOR_COLUMNS[name] for name in wanted if name in TENSOR_COLUMNS]
        wanted += [name for name in companions if name not in wanted]
        read = wanted if "prediction_id" in wanted else ["prediction_id", *wanted]
        low, high = id_floor(start_ms), id_floor(end_ms)
        where = (ds.field("prediction_id") >= low) & (ds.field("prediction_id") < high)
        tables: list[pa.Table] = []
        count = 0
        for files in self._hour_files(deployment, start_ms, end_ms, low, high):
            dataset = ds.dataset(
                files, schema=PREDICTION_SCHEMA, format="parquet", filesystem=self._arrow_fs
            )
            table = dataset.to_table(columns=read, filter=where).sort_by("prediction_id")
            tables.append(table)
            count += table.num_rows
            if limit is not None and count >= limit:
                break  # hours are read in order: the rows so far are the oldest
        empty = PREDICTION_SCHEMA.empty_table().select(read)
        result = pa.concat_tables([empty, *tables]) if tables else empty
        if limit is not None:
            result = result.slice(0, max(limit, 0))
        return result.select(wanted)

    def _hour_files(
        self, deployment: str, start_ms: int, end_ms: int, low: str, high: str
    ) -> Iterator[list[str]]:
        """The published files of each hour folder overlapping the range, hour by hour."""
        folder = f"{self._base}/{deployment}"
        for date in _layout.dates_in(self._fs, folder):
            day = _layout.date_start_ms(date)
            if day + _layout.DAY_MS <= start_ms or day >= end_ms:
                continue
            for hour in _layout.hours_in(self._fs, f"{folder}/date={date}"):
                begins = day + hour * _layout.HOUR_MS
                if begins + _layout.HOUR_MS <= start_ms or begins >= end_ms:
                    continue
                hour_folder = _layout.hour_folder(self._base, deployment, date, hour)
                files = [
                    path
                    for path in _layout.files_in(self._fs, hour_folder)
                    if (span := _layout.part_range(path)) is not None
                    and span[1] >= low
                    and span[0] < high
                ]
                if files:
                    yield files

    # retention -------------------------------------------------------------------------------
    def prune(self, deployment: str, older_than_ms: int) -> int:
        """Remove the hours that ended at or before ``older_than_ms``; the number of files
        removed. Whole hours go at once, so a range is never half kept."""
        _layout.check_deployment(deployment)
        folder = f"{self._base}/{deployment}"
        removed = 0
        for date in _layout.dates_in(self._fs, folder):
            day = _layout.date_start_ms(date)
            if day + _layout.DAY_MS <= older_than_ms:
                removed += self._remove(f"{folder}/date={date}")
                continue
            for hour in _layout.hours_in(self._fs, f"{folder}/date={date}"):
                if day + (hour + 1) * _layout.HOUR_MS <= older_than_ms:
                    removed += self._remove(_layout.hour_folder(self._base, deployment, date, hour))
        return removed

    def _remove(self, folder: str) -> int:
        count = len(self._fs.find(folder))
        self._fs.rm(folder, recursive=True)
        return count


def _any_between(ids: Sequence[str], low: Any, high: Any) -> bool:
    """Whether a sorted ``ids`` has a value in ``[low, high]``."""
    low_text = low.decode() if isinstance(low, bytes) else str(low)
    high_text = high.decode() if isinstance(high, bytes) else str(high)
    at = bisect.bisect_left(ids, low_text)
    return at < len(ids) and ids[at] <= high_text
