"""Per-entity features over time that never look into the future.

Rows are ordered by (entity, time, original position). A row's features use only events of
the same entity strictly earlier in time: by default the current row and other rows at the
same instant are excluded, so nothing that happens at or after the prediction time leaks in.
Rows with a missing entity or time get a missing feature (and do not feed others').
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from mlsteward.engines.data.errors import StepError
from mlsteward.engines.data.transforms.cleaning import without_nan
from mlsteward.engines.data.transforms.step import (
    State,
    Transform,
    register_transform,
    replace_column,
)

_AGGREGATES = ("mean", "sum", "count", "min", "max", "std")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "D": 86400.0}


def _events(table: pa.Table, entity: str, time: str, step: str) -> pd.DataFrame:
    """Entity, time (naive UTC datetime64[us]) and original row position, sorted by entity,
    time and position, without rows whose entity or time is missing."""
    times = table.column(time)
    if pa.types.is_date(times.type):
        times = times.cast(pa.timestamp("us"))
    if not pa.types.is_timestamp(times.type):
        raise StepError(f"{step}: time column {time!r} is {times.type}, not a timestamp")
    ticks = times.cast(pa.timestamp(times.type.unit)).cast(pa.timestamp("us")).cast(pa.int64())
    frame = pd.DataFrame(
        {
            "entity": table.column(entity).to_pandas(),
            "ticks": ticks.to_pandas(),
            "position": np.arange(table.num_rows),
        }
    )
    frame = frame.dropna(subset=["entity", "ticks"])
    frame["time"] = pd.to_datetime(frame["ticks"].astype("int64"), unit="us")
    return frame.sort_values(["entity", "time", "position"], kind="stable")


def _scatter(values: pd.Series, positions: pd.Series, rows: int) -> pa.Array:
    """Put per-event values back at their original rows (missing elsewhere)."""
    out = np.full(rows, np.nan)
    out[positions.to_numpy()] = values.to_numpy(dtype=float)
    return pa.array(out, from_pandas=True)


@register_transform
@dataclass
class RollingAggregate(Transform):
    """``agg`` of ``value`` over each entity's earlier events within ``window``.

    ``window``: a duration such as ``"7D"`` or ``"12h"`` (events in [t - window, t)), or a
    number of earlier events. ``include_current`` also counts the row itself (and its
    simultaneous events), for values known at prediction time.
    """

    name = "rolling_aggregate"
    value: str
    entity: str
    time: str
    window: str | int
    agg: str = "mean"
    output: str | None = None
    include_current: bool = False

    def columns_used(self) -> list[str]:
        return [self.value, self.entity, self.time]

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        if self.agg not in _AGGREGATES:
            raise StepError(f"rolling_aggregate: agg must be one of {', '.join(_AGGREGATES)}")
        events = _events(table, self.entity, self.time, self.name)
        values = without_nan(table.column(self.value)).cast(pa.float64()).to_numpy()
        events["value"] = values[events["position"].to_numpy()]
        # Events are sorted by entity, so the groups come back contiguous and in row order:
        # results line up with ``events`` position by position.
        if isinstance(self.window, int) and not isinstance(self.window, bool):
            series = events.groupby("entity", sort=False)["value"]
            shifted = series.shift(0 if self.include_current else 1)
            rolled = shifted.groupby(events["entity"], sort=False).rolling(
                self.window, min_periods=1
            )
        else:
            try:
                pd.Timedelta(self.window)
            except ValueError:
                raise StepError(f"rolling_aggregate: bad window {self.window!r}") from None
            by_time = events.set_index("time")
            rolled = by_time.groupby("entity", sort=False)["value"].rolling(
                self.window, closed="right" if self.include_current else "left", min_periods=1
            )
        result = pd.Series(getattr(rolled, self.agg)().to_numpy(), index=events.index)
        if self.agg == "count":
            result = result.fillna(0.0)
        output = self.output or f"{self.value}_{self.agg}_{self.window}"
        return replace_column(table, output, _scatter(result, events["position"], table.num_rows))


@register_transform
@dataclass
class TimeSinceLast(Transform):
    """Time since the entity's previous event (strictly earlier instant), in ``unit``
    (``s``, ``m``, ``h`` or ``D``); missing for an entity's first event."""

    name = "time_since_last"
    entity: str
    time: str
    output: str | None = None
    unit: str = "s"

    def columns_used(self) -> list[str]:
        return [self.entity, self.time]

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        if self.unit not in _UNIT_SECONDS:
            raise StepError(f"time_since_last: unit must be one of {', '.join(_UNIT_SECONDS)}")
        events = _events(table, self.entity, self.time, self.name)
        entity = events["entity"].to_numpy()
        ticks = events["ticks"].to_numpy(dtype=np.int64)
        n = len(events)
        new_entity = np.ones(n, dtype=bool)
        new_entity[1:] = entity[1:] != entity[:-1]
        new_instant = new_entity.copy()
        new_instant[1:] |= ticks[1:] != ticks[:-1]
        # Simultaneous events share the gap from the entity's last strictly earlier instant:
        # the row just before the first of them, if it is the same entity's.
        first = np.maximum.accumulate(np.where(new_instant, np.arange(n), 0)) if n else ticks
        has_previous = ~new_entity[first] if n else new_entity
        previous = ticks[np.maximum(first - 1, 0)] if n else ticks
        seconds = (ticks - previous) / 1e6 / _UNIT_SECONDS[self.unit]
        gap = pd.Series(np.where(has_previous, seconds, np.nan), index=events.index)
        output = self.output or f"{self.time}_since_last_{self.unit}"
        return replace_column(table, output, _scatter(gap, events["position"], table.num_rows))
