"""Monitoring on data in hand, computed in this process: tables read from files, reference
profiles built from tables, performance with late labels, and what a performance check's
bounds mean. No store is involved; the ``mlsteward.monitoring`` functions and the CLI use
these (the CLI reaches the monitoring services only through the SDK)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlsteward.services.monitoring import MonitoringReport
from mlsteward.services.monitoring.late_labels import LateLabelPerformance, late_label_performance
from mlsteward.services.monitoring.targets import DATASET_PREFIX

if TYPE_CHECKING:
    import pandas as pd

    from mlsteward.engines.drift import ReferenceProfile

__all__ = [
    "DATASET_PREFIX",
    "LateLabelPerformance",
    "MonitoringReport",
    "describe_bounds",
    "late_label_performance",
    "profile_table",
    "read_table",
]


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A .csv or .parquet file as a table (``InvalidArgumentError`` for other kinds)."""
    from mlsteward.services.monitoring.targets import read_file

    return read_file(os.fspath(path))


def profile_table(
    data: object, chunk_size: int | None = None, sample_size: int | None = None
) -> ReferenceProfile:
    """A reference profile of a table; with ``chunk_size`` its per-chunk summaries too, and
    a reservoir sample of ``sample_size`` rows (None: the default, 0: none)."""
    from mlsteward.engines.drift.profile import DEFAULT_SAMPLE_SIZE
    from mlsteward.services.monitoring import profile_from

    size = DEFAULT_SAMPLE_SIZE if sample_size is None else sample_size
    return profile_from(data, chunk_size, size)


def describe_bounds(config: Mapping[str, Any]) -> list[str]:
    """A performance check's bounds in words (``accuracy >= 0.8``), one per metric."""
    from mlsteward.services.monitoring.performance_config import describe_bounds as described

    return described(config)
