"""Metric points stored as packed chunks: one row per (batch, key) holding three arrays.

A row per point made a 100,000-point history cost 100,000 database rows to write and read.
Here each batch writes one row per metric key with its steps and timestamps (int64) and
values (float64) as little-endian byte strings, so writing and reading cost a handful of
rows, NaN, ±inf and -0.0 are kept bit-for-bit on every backend, and a history is decoded
with ``numpy.frombuffer``. Order is restored on read: by step, then timestamp, then the
order points were logged in (a stable sort over chunks read in insertion order).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, insert, select

from mlsteward.domain.entities import Metric
from mlsteward.domain.metric_arrays import FLOAT64, INT64, MetricArrays
from mlsteward.storage.sql.tables import metric_chunks


def insert_chunks(conn: Connection, run_id: str, points: Sequence[Metric]) -> None:
    """Write ``points`` as one chunk per key, keys in first-seen order."""
    by_key: dict[str, list[Metric]] = {}
    for point in points:
        by_key.setdefault(point.key, []).append(point)
    rows = []
    for key, group in by_key.items():
        steps = np.fromiter((p.step for p in group), dtype=INT64, count=len(group))
        stamps = np.fromiter((p.timestamp for p in group), dtype=INT64, count=len(group))
        values = np.fromiter((p.value for p in group), dtype=FLOAT64, count=len(group))
        rows.append(
            {
                "run_id": run_id,
                "key": key,
                "n_points": len(group),
                "min_step": int(steps.min()),
                "max_step": int(steps.max()),
                "steps": steps.tobytes(),
                "timestamps": stamps.tobytes(),
                "metric_values": values.tobytes(),
            }
        )
    conn.execute(insert(metric_chunks), rows)


def read_arrays(conn: Connection, run_id: str, key: str) -> MetricArrays:
    c = metric_chunks.c
    rows = conn.execute(
        select(c.steps, c.timestamps, c.metric_values)
        .where(c.run_id == run_id, c.key == key)
        .order_by(c.id)
    ).all()
    if not rows:
        return MetricArrays.empty()
    steps = np.concatenate([np.frombuffer(r[0], dtype=INT64) for r in rows])
    stamps = np.concatenate([np.frombuffer(r[1], dtype=INT64) for r in rows])
    values = np.concatenate([np.frombuffer(r[2], dtype=FLOAT64) for r in rows])
    if steps.size > 1:
        step_gaps, stamp_gaps = np.diff(steps), np.diff(stamps)
        if not np.all((step_gaps > 0) | ((step_gaps == 0) & (stamp_gaps >= 0))):
            order = np.lexsort((stamps, steps))  # stable: ties keep logging order
            steps, stamps, values = steps[order], stamps[order], values[order]
    return MetricArrays(steps, stamps, values)
