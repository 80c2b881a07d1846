"""``FeedbackLog``: labels that arrive after their predictions, kept beside the log.

Each append publishes one Parquet file per UTC day of the labels' arrival under
``{root}/{deployment}/feedback/date=YYYY-MM-DD/``; labels are JSON text (one value per row
of the request), joined to predictions by ``prediction_id``. A prediction labelled twice
keeps both rows: the later ``time_ms`` is the one to believe.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from mlsteward.domain.predictions import Feedback
from mlsteward.storage.prediction_log import _layout
from mlsteward.storage.prediction_log._schema import FEEDBACK_SCHEMA, feedback_table


class FeedbackLog:
    """Appends and reads the labels of the deployments logged under ``root``."""

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root
        self._fs, self._base = _layout.open_filesystem(root, storage_options)
        self._arrow_fs: pafs.FileSystem = (
            pafs.LocalFileSystem()
            if _layout.is_local(self._fs)
            else pafs.PyFileSystem(pafs.FSSpecHandler(self._fs))
        )

    def _folder(self, deployment: str) -> str:
        return f"{self._base}/{_layout.check_deployment(deployment)}/{_layout.FEEDBACK}"

    def append(self, deployment: str, items: Sequence[Feedback]) -> int:
        """Store ``items`` (all of ``deployment``); the number stored."""
        folder = self._folder(deployment)
        if any(item.deployment != deployment for item in items):
            raise ValueError("every feedback item must belong to the deployment it is stored for")
        by_date: dict[str, list[Feedback]] = defaultdict(list)
        for item in items:
            by_date[_layout.partition_of(item.time_ms)[0]].append(item)
        for date, chunk in by_date.items():
            table = feedback_table(chunk)
            sink = io.BytesIO()
            pq.write_table(table, sink, compression="zstd")
            name = _layout.feedback_name(table.column("prediction_id")[0].as_py())
            _layout.publish(self._fs, f"{folder}/date={date}/{name}", sink.getvalue())
        return len(items)

    def read(
        self, deployment: str, start_ms: int | None = None, end_ms: int | None = None
    ) -> pa.Table:
        """Labels received in ``[start_ms, end_ms)`` (all when None), oldest first."""
        folder = self._folder(deployment)
        files: list[str] = []
        for date in _layout.dates_in(self._fs, folder):
            day = _layout.date_start_ms(date)
            if start_ms is not None and day + _layout.DAY_MS <= start_ms:
                continue
            if end_ms is not None and day >= end_ms:
                continue
            files.extend(_layout.files_in(self._fs, f"{folder}/date={date}"))
        if not files:
            return FEEDBACK_SCHEMA.empty_table()
        where = ds.scalar(True)
        if start_ms is not None:
            where = where & (ds.field("time_ms") >= start_ms)
        if end_ms is not None:
            where = where & (ds.field("time_ms") < end_ms)
        dataset = ds.dataset(
            files, schema=FEEDBACK_SCHEMA, format="parquet", filesystem=self._arrow_fs
        )
        return dataset.to_table(filter=where).sort_by([("time_ms", "ascending")])

    def prune(self, deployment: str, older_than_ms: int) -> int:
        """Remove the days of labels that ended at or before ``older_than_ms``; files removed."""
        folder = self._folder(deployment)
        removed = 0
        for date in _layout.dates_in(self._fs, folder):
            if _layout.date_start_ms(date) + _layout.DAY_MS <= older_than_ms:
                path = f"{folder}/date={date}"
                removed += len(self._fs.find(path))
                self._fs.rm(path, recursive=True)
        return removed
