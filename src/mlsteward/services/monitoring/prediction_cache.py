"""The prediction files a performance check over a glob target judges, read incrementally.

Labels arrive late, so the check joins them to predictions earlier runs already read for
drift. Rather than reading every prediction file again on every run, each file is read once:
the columns the check needs (the id, the prediction and probability columns, the chunking's
timestamp column) are cached as Parquet in the blob store, and later runs read the cache. A
record per file in ``monitor.state["predictions"]`` keeps its size and modification time
(a file changed since it was cached is read again), when it was first read, its row count
and its cache's digest.

A monitor's ``lookback_s`` bounds the work: files first read longer ago than that are left
out of the check (neither the file nor its cache is read). The rule is by first read, for
every file alike, so the check judges one well-defined population, the predictions that
arrived within the lookback, and its metrics are those of a full re-read of those files.
Keeping only the old files that happen to be fully labelled would judge a population chosen
by how quickly labels came, and keeping every old file would make each run's work grow
without end; a monitor that must judge everything gives ``lookback_s=None``.

A cache blob that is gone (``mlsteward gc`` removes blobs no record lists, and these are
listed only in the monitor's state) means the file is read again, so the result never
depends on the cache.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.domain.monitoring import Monitor
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import targets
from mlsteward.services.monitoring.targets import TargetData, concat_frames, is_glob

STATE_KEY = "predictions"


@dataclass
class PredictionFiles:
    """The predictions to judge (None for none), the files' new records and what was read."""

    frame: pd.DataFrame | None
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    fresh: int = 0
    cached: int = 0
    outside_lookback: int = 0
    messages: list[str] = field(default_factory=list)

    def summary(self, lookback_s: int | None) -> dict[str, Any]:
        """How the run got its prediction files, for the run's summary."""
        return {
            "read": self.fresh,
            "from_cache": self.cached,
            "outside_lookback": self.outside_lookback,
            "lookback_s": lookback_s,
        }


def needed_columns(monitor: Monitor) -> list[str]:
    """The prediction columns the performance check reads."""
    config = monitor.performance or {}
    names = [config.get("id_column"), config.get("prediction")]
    scores = config.get("scores")
    if isinstance(scores, str):
        names.append(scores)
    elif isinstance(scores, Mapping):
        names += list(scores.values())
    names.append(monitor.chunking.get("timestamp_column"))
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))


def gather_predictions(ctx: ServiceContext, monitor: Monitor, data: TargetData) -> PredictionFiles:
    """The predictions of every file of a glob target first read within the lookback, in
    path order (the files this run read for drift come from ``data.parts``); other targets
    are the rows this run read."""
    if not is_glob(monitor.target):
        return PredictionFiles(data.frame)
    now = ctx.clock()
    horizon = None if monitor.lookback_s is None else now - monitor.lookback_s * 1000
    known: Mapping[str, dict[str, Any]] = monitor.state.get(STATE_KEY) or {}
    columns = needed_columns(monitor)
    out = PredictionFiles(None)
    frames = []
    for path in targets.glob_files(ctx, monitor.target):
        record = known.get(path)
        if record is not None and horizon is not None and record["first_read"] < horizon:
            out.outside_lookback += 1
            out.records[path] = {"first_read": record["first_read"], "rows": record.get("rows")}
            continue
        frame = _read_one(ctx, path, record, data, columns, now, out)
        if frame is not None:
            frames.append(frame)
    out.frame = concat_frames(frames)
    if out.outside_lookback:
        days = f"{monitor.lookback_s / 86400:g} day(s)" if monitor.lookback_s else ""
        out.messages.append(
            f"performance: {out.outside_lookback} prediction file(s) first read more than "
            f"{days} ago left out (lookback); labels for their ids count as without a prediction"
        )
    return out


def _read_one(
    ctx: ServiceContext,
    path: str,
    record: Mapping[str, Any] | None,
    data: TargetData,
    columns: list[str],
    now: int,
    out: PredictionFiles,
) -> pd.DataFrame | None:
    """One file's needed columns: from this run's read, the cache, or the file itself."""
    try:
        stat = os.stat(path)
    except OSError as error:
        out.messages.append(f"performance: could not read {path!r}: {type(error).__name__}")
        return None
    size, mtime = int(stat.st_size), int(stat.st_mtime_ns)
    unchanged = record is not None and record.get("size") == size and record.get("mtime") == mtime
    if path not in data.parts and unchanged and record is not None and record.get("cache"):
        cached = _read_cache(ctx, str(record["cache"]))
        if cached is not None:
            out.cached += 1
            out.records[path] = dict(record)
            return cached
    if path in data.parts:
        full = data.parts[path]
    else:
        try:
            full = targets.read_file(path)
        except (MlstewardError, OSError, ValueError) as error:
            detail = error.message if isinstance(error, MlstewardError) else type(error).__name__
            out.messages.append(f"performance: could not read {path!r}: {detail}")
            return None
    out.fresh += 1
    frame = full[[c for c in full.columns if c in columns]]
    first = record["first_read"] if record is not None and "first_read" in record else now
    out.records[path] = {
        "size": size,
        "mtime": mtime,
        "first_read": first,
        "read": now,
        "rows": len(frame),
        "cache": _write_cache(ctx, frame),
    }
    return frame


def _write_cache(ctx: ServiceContext, frame: pd.DataFrame) -> str | None:
    """The digest of ``frame`` as Parquet; None when Parquet would not give it back as it is
    (say, mixed types in a column): that file is then read again on each run."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        payload = sink.getvalue()
        if not _same(frame, pq.read_table(io.BytesIO(payload)).to_pandas()):
            return None
    except (pa.ArrowException, ValueError, TypeError):
        return None
    digest, _ = ctx.blobs.put_bytes(payload)
    return digest


def _read_cache(ctx: ServiceContext, digest: str) -> pd.DataFrame | None:
    """A cached file's columns; None when the blob is gone or unreadable."""
    try:
        return pq.read_table(io.BytesIO(ctx.blobs.read_bytes(digest))).to_pandas()
    except (MlstewardError, OSError, pa.ArrowException, ValueError):
        return None


def _same(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """The same columns, dtypes, values and kinds of missing value (None is not NaN)."""
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return False
    for name in left.columns:
        a, b = left[name].reset_index(drop=True), right[name]
        if a.dtype != b.dtype or not a.equals(b):
            return False
        if a.dtype == object:
            kinds_a = {type(v) for v in a[a.isna()]}
            kinds_b = {type(v) for v in b[b.isna()]}
            if kinds_a != kinds_b or not (a.map(type) == b.map(type)).all():
                return False
    return True


def validate_lookback(lookback_s: object) -> int | None:
    """Seconds (a whole positive number) or None for no limit."""
    if lookback_s is None:
        return None
    if isinstance(lookback_s, bool) or not isinstance(lookback_s, int) or lookback_s <= 0:
        raise InvalidArgumentError(
            f"lookback_s must be a whole number of seconds above 0, or null for no limit; "
            f"got {lookback_s!r}"
        )
    return lookback_s
