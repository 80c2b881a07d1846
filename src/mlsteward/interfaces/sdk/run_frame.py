"""Runs as a pandas DataFrame: one row per run, ``params.*``/``metrics.*``/``tags.*`` columns."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mlsteward.domain.entities import Run


def runs_to_frame(runs: Sequence[Run]) -> pd.DataFrame:
    rows = []
    for run in runs:
        info = run.info
        row: dict[str, object] = {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "status": info.status.value,
            "user_id": info.user_id,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
            "end_time": (
                pd.to_datetime(info.end_time, unit="ms", utc=True) if info.end_time else pd.NaT
            ),
            "parent_run_id": info.parent_run_id,
        }
        row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
        row.update({f"params.{k}": v for k, v in run.data.params.items()})
        row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(
            columns=["run_id", "experiment_id", "run_name", "status", "user_id", "start_time"]
        )
    return frame
