"""Cutting data into chunks by size, by count or by time period.

Each chunk is tested against the reference on its own, so a report can say when drift began.
Rows are referred to by position: a slice for contiguous chunks (no copy), an index array for
time periods when the data is not sorted by time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlsteward.engines.drift.frames import Frame
from mlsteward.engines.drift.results import ChunkInfo

PERIODS = {"hour": "h", "day": "D", "week": "W", "month": "M"}

Rows = slice | np.ndarray


@dataclass(frozen=True)
class Chunk:
    """A chunk's description and the positions of its rows."""

    info: ChunkInfo
    rows: Rows


@dataclass(frozen=True)
class ChunkPlan:
    """The chunks of one table and anything worth telling about how they were cut."""

    chunks: tuple[Chunk, ...]
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chunker:
    """How to cut a table: exactly one of ``size``, ``count`` or ``period``.

    ``period`` is ``"hour"``, ``"day"``, ``"week"`` or ``"month"`` and needs
    ``timestamp_column``. With ``size`` the last chunk may be smaller and is marked partial;
    ``min_partial`` folds a last chunk smaller than that share of ``size`` into the one before.
    """

    size: int | None = None
    count: int | None = None
    period: str | None = None
    timestamp_column: str | None = None
    min_partial: float = 0.0

    def __post_init__(self) -> None:
        given = [x for x in (self.size, self.count, self.period) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of size, count or period")
        if self.size is not None and self.size <= 0:
            raise ValueError("chunk size must be positive")
        if self.count is not None and self.count <= 0:
            raise ValueError("chunk count must be positive")
        if self.period is not None:
            if self.period not in PERIODS:
                raise ValueError(f"period must be one of {sorted(PERIODS)}, got {self.period!r}")
            if not self.timestamp_column:
                raise ValueError("chunking by period needs timestamp_column")

    def split(self, data: object) -> ChunkPlan:
        """Cut a table (anything :class:`Frame` accepts) into chunks."""
        frame = data if isinstance(data, Frame) else Frame(data)
        if self.size is not None:
            return ChunkPlan(chunk_by_size(frame.n_rows, self.size, self.min_partial))
        if self.count is not None:
            return ChunkPlan(chunk_by_count(frame.n_rows, self.count))
        if self.period is None or self.timestamp_column is None:
            raise RuntimeError("a Chunker with no size, count or period (checked on creation)")
        if not frame.has(self.timestamp_column):
            return ChunkPlan(
                (), (f"timestamp column {self.timestamp_column!r} not found: no time chunks",)
            )
        return chunk_by_period(frame.series(self.timestamp_column), self.period)

    def to_dict(self) -> dict[str, object]:
        return {
            "size": self.size,
            "count": self.count,
            "period": self.period,
            "timestamp_column": self.timestamp_column,
        }


def chunk_by_size(n_rows: int, size: int, min_partial: float = 0.0) -> tuple[Chunk, ...]:
    """Consecutive chunks of ``size`` rows; the remainder forms a last, partial chunk."""
    starts = list(range(0, n_rows, size))
    if (
        len(starts) > 1
        and min_partial > 0
        and n_rows - starts[-1] < size
        and (n_rows - starts[-1]) < min_partial * size
    ):
        starts.pop()
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else n_rows
        info = ChunkInfo(i, f"[{start}:{end}]", end - start, partial=(end - start) < size)
        out.append(Chunk(info, slice(start, end)))
    return tuple(out)


def chunk_by_count(n_rows: int, count: int) -> tuple[Chunk, ...]:
    """``count`` consecutive chunks of near-equal size (sizes differ by at most one row)."""
    count = max(1, min(count, n_rows)) if n_rows else 0
    bounds = [(i * n_rows) // count for i in range(count + 1)]
    return tuple(
        Chunk(
            ChunkInfo(i, f"[{bounds[i]}:{bounds[i + 1]}]", bounds[i + 1] - bounds[i]),
            slice(bounds[i], bounds[i + 1]),
        )
        for i in range(count)
    )


def parse_timestamps(values: pd.Series) -> tuple[pd.Series, int]:
    """Timestamps as UTC-naive datetimes; returns the series and how many failed to parse."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        ts = values
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        return ts, 0
    if pd.api.types.is_numeric_dtype(values.dtype):
        # Numbers are read as seconds since the epoch.
        ts = pd.to_datetime(values, unit="s", errors="coerce")
    else:
        ts = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
        ts = ts.dt.tz_localize(None)
    bad = int((ts.isna() & values.notna()).sum())
    return ts, bad


def chunk_by_period(timestamps: pd.Series, period: str) -> ChunkPlan:
    """One chunk per calendar hour/day/week/month present in the data, in time order.

    Rows whose timestamp is missing or cannot be parsed belong to no chunk; the plan's
    messages say how many there were.
    """
    ts, bad = parse_timestamps(timestamps)
    messages = []
    missing = int(timestamps.isna().sum())
    if bad:
        messages.append(f"{bad} row(s) with unparsable timestamps left out of time chunks")
    if missing:
        messages.append(f"{missing} row(s) without a timestamp left out of time chunks")
    keys = ts.dt.to_period(PERIODS[period])
    codes = np.asarray(keys.array.asi8 if hasattr(keys.array, "asi8") else keys.cat.codes)
    valid = np.asarray(ts.notna())
    positions = np.flatnonzero(valid)
    if positions.size == 0:
        return ChunkPlan((), (*messages, "no valid timestamps: no time chunks"))
    order = positions[np.argsort(codes[positions], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.diff(sorted_codes, prepend=sorted_codes[0] - 1))
    ends = np.append(starts[1:], order.size)
    contiguous = bool(np.all(np.diff(order) == 1))
    chunks = []
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        idx = order[s:e]
        label = keys.iloc[int(idx[0])]
        rows: Rows = slice(int(idx[0]), int(idx[-1]) + 1) if contiguous else idx
        info = ChunkInfo(
            i,
            str(label),
            int(e - s),
            start=label.start_time.isoformat(),
            end=label.end_time.isoformat(),
        )
        chunks.append(Chunk(info, rows))
    return ChunkPlan(tuple(chunks), tuple(messages))
