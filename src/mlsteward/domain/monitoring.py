"""Monitoring entities: reference profiles, monitors, their runs, alerts and events.

Plain frozen dataclasses with JSON-able fields; no I/O. The rules (validation, dedup,
delivery) live in ``mlsteward.services.monitoring``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError

#: Names of monitors, profiles and logged reports.
MAX_NAME_LENGTH = 200
NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}$")

#: Checks a monitor can run; each breach raises an alert keyed by (monitor, check, column).
#: ``column_missing`` is a reference column absent from the current data (a schema change);
#: ``performance`` needs the monitor's ``performance`` configuration (labels joined by id);
#: ``multivariate_drift`` needs ``multivariate`` methods (its alert's column is the method);
#: ``operational`` needs ``operational`` bounds and a ``deployment:`` target (its alert's
#: column is the bound's name, e.g. ``p99_latency_ms``).
CHECKS = (
    "column_drift",
    "dataset_drift",
    "missing_share",
    "column_missing",
    "performance",
    "multivariate_drift",
    "operational",
)
#: Checks of a monitor created without naming any. Monitors stored before ``column_missing``
#: existed keep the checks they were created with.
DEFAULT_CHECKS = ("column_drift", "dataset_drift", "column_missing")
#: Alert severities, least to most severe.
SEVERITIES = ("info", "warning", "critical")
#: Event types a retraining pipeline can subscribe to.
EVENT_TYPES = ("monitor.run", "alert.opened", "alert.resolved")
ALL_COLUMNS = "*"
#: How long a prediction file of a glob target stays in the performance check after its
#: first read, unless a monitor says otherwise (``lookback_s``; None: no limit).
DEFAULT_LOOKBACK_S = 30 * 24 * 3600
#: Bounds of the ``operational`` check of a deployment: latency percentiles (milliseconds)
#: and the error rate (a share of requests) are upper bounds, throughput a lower one; the
#: backlog of its stream consumers' groups (messages) and their dead-letter rate (a share
#: of messages) are upper bounds too.
OPERATIONAL_BOUNDS = (
    "p50_latency_ms",
    "p99_latency_ms",
    "error_rate",
    "min_throughput_rps",
    "max_consumer_lag",
    "max_dead_letter_rate",
)


def validate_monitoring_name(kind: str, name: str) -> str:
    """Names of monitors and profiles: letters, digits and ``._-``, up to 200 characters."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidArgumentError(
            f"{kind} name {name!r} must be 1-200 letters, digits, '.', '_' or '-' "
            "and start with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class ProfileRecord:
    """A stored reference profile: its JSON lives in the blob store under ``blob_digest``.

    It may be tied to a tracking run, a model version and/or a dataset version (the data it
    was built from, or the one it describes).
    """

    name: str
    blob_digest: str
    n_rows: int
    columns: list[str]
    run_id: str | None
    model_name: str | None
    model_version: int | None
    created_by: str
    creation_time: int
    dataset_name: str | None = None
    dataset_version: int | None = None


@dataclass(frozen=True)
class Monitor:
    """A target checked against a reference profile on a schedule.

    ``target`` is a CSV/Parquet path, a glob of files, a ``dataset:`` reference, or a
    ``deployment:`` name (its prediction log, read since the last run: ``state["cursor_ms"]``);
    with a glob only files not seen by an earlier run are read (``state["seen"]``). ``chunking``
    holds ``size``/``count``/``period`` and ``timestamp_column``; ``tests`` maps a column to
    its drift tests (the first is the headline one); ``thresholds`` maps a test name to its
    threshold; ``learn_thresholds`` learns each test's threshold from the reference
    profile's per-chunk summaries (so the monitor needs ``chunking`` and a profile built with
    a chunk size); ``interval_s`` 0 means manual runs only. ``performance`` is the validated
    configuration of the ``performance`` check (task, columns, where labels come from, bounds
    per metric), a JSON-able dict, or None when the monitor does not check performance.

    ``multivariate`` names joint-distribution methods run against the profile's row sample
    (alerts of the ``multivariate_drift`` check); ``identifier_columns`` are never tested and
    ``prediction_columns`` are tested and marked as the model's outputs. ``lookback_s``
    bounds which prediction files of a glob the performance check reads: those first read
    within that many seconds (None: all of them); each file is read once and its needed
    columns cached, see ``state["predictions"]``. ``operational`` maps names of
    :data:`OPERATIONAL_BOUNDS` to their bound (a deployment target's latency, error rate and
    throughput; empty when the monitor has no ``operational`` check).
    """

    name: str
    target: str
    profile: str
    checks: list[str]
    columns: list[str] | None = None
    tests: dict[str, list[str]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    drift_share: float = 0.5
    chunking: dict[str, Any] = field(default_factory=dict)
    learn_thresholds: bool = False
    interval_s: int = 0
    webhooks: list[str] = field(default_factory=list)
    enabled: bool = True
    state: dict[str, Any] = field(default_factory=dict)
    performance: dict[str, Any] | None = None
    created_by: str = ""
    creation_time: int = 0
    last_run_time: int | None = None
    next_run_time: int | None = None
    multivariate: list[str] = field(default_factory=list)
    identifier_columns: list[str] = field(default_factory=list)
    prediction_columns: list[str] = field(default_factory=list)
    lookback_s: int | None = DEFAULT_LOOKBACK_S
    operational: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitorRun:
    """One evaluation of a monitor: verdict, summary and the stored report blobs."""

    run_id: str
    monitor: str
    status: str  # "ok" | "empty" | "error"
    drifted: bool
    n_rows: int
    message: str | None
    summary: dict[str, Any]
    report_digest: str | None
    json_digest: str | None
    start_time: int
    end_time: int


@dataclass(frozen=True)
class Alert:
    """A breach, deduplicated per (monitor, check, column) while it stays open."""

    alert_id: str
    monitor: str
    check: str
    column: str
    severity: str
    status: str  # "open" | "resolved"
    evidence: dict[str, Any]
    count: int
    first_seen: int
    last_seen: int
    run_id: str | None
    resolved_time: int | None = None


@dataclass(frozen=True)
class MonitoringEvent:
    """An entry of the append-only event log; ``seq`` increases, so ``since=seq`` pages."""

    seq: int
    event_type: str
    monitor: str
    payload: dict[str, Any]
    timestamp: int


#: The most events, and the most runs, one listing returns.
MAX_EVENTS = 1000
MAX_RUNS = 1000
