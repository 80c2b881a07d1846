"""Monitors: create, inspect, delete, and run one now.

A run reads the target (new files only, for a glob), compares it with the monitor's stored
reference profile, stores the HTML and JSON reports as blobs, records the run, advances the
schedule, raises or resolves alerts and appends events. Anything wrong with the data is a
message in the run (status ``error`` or ``empty``), so the scheduler keeps going.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.domain.monitoring import (
    CHECKS,
    DEFAULT_CHECKS,
    MAX_RUNS,
    Alert,
    Monitor,
    MonitorRun,
    ProfileRecord,
    validate_monitoring_name,
)
from mlsteward.engines.drift import default_registry
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.alerts import Breach, Delivery, find_breaches, raise_alerts
from mlsteward.services.monitoring.performance_check import (
    PerformanceOutcome,
    evaluate_performance,
)
from mlsteward.services.monitoring.performance_config import validate_performance
from mlsteward.services.monitoring.profiles import get_profile_record, load_profile, read_profile
from mlsteward.services.monitoring.report_views import summary_of
from mlsteward.services.monitoring.reports import drift_report, make_chunker
from mlsteward.services.monitoring.targets import (
    DATASET_PREFIX,
    TargetData,
    concat_frames,
    is_glob,
    read_target,
    validate_target,
)
from mlsteward.services.outbound_access import require_webhook

if TYPE_CHECKING:
    import pandas as pd

#: Checks judged from the drift report (resolvable when a run read data and made a report).
DRIFT_CHECKS = ("column_drift", "dataset_drift", "missing_share", "column_missing")


@dataclass(frozen=True)
class MonitorRunResult:
    """What one run found and did."""

    run: MonitorRun
    opened: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


def _validate_webhook(ctx: ServiceContext, url: str) -> str:
    """An http(s) URL with a host (400) the context may call (403: a server's
    ``--webhook-host``)."""
    require_webhook(ctx.outbound, url)
    return url


def create_monitor(
    ctx: ServiceContext,
    name: str,
    target: str,
    profile: str,
    *,
    checks: Sequence[str] = DEFAULT_CHECKS,
    columns: Sequence[str] | None = None,
    tests: Mapping[str, Sequence[str]] | None = None,
    thresholds: Mapping[str, float] | None = None,
    drift_share: float = 0.5,
    chunking: Mapping[str, Any] | None = None,
    learn_thresholds: bool = False,
    interval_s: int = 0,
    webhooks: Sequence[str] = (),
    enabled: bool = True,
    performance: Mapping[str, Any] | None = None,
) -> Monitor:
    """Validate and store a monitor; with ``interval_s`` > 0 it is due at once.

    ``learn_thresholds`` learns each test's threshold from the profile's per-chunk summaries
    (see ``_check_learnable``). ``performance`` configures the ``performance`` check (see
    ``performance_config``); giving it adds the check.
    """
    clean = validate_monitoring_name("Monitor", name)
    record = get_profile_record(ctx, profile)  # NotFoundError when there is no such profile
    checks = list(checks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown or not checks:
        raise InvalidArgumentError(f"Checks must be some of {list(CHECKS)}, got {checks}")
    clean_performance = None
    if performance is not None:
        clean_performance = validate_performance(ctx, performance)
        if "performance" not in checks:
            checks.append("performance")
    elif "performance" in checks:
        raise InvalidArgumentError(
            "The performance check needs a performance configuration (task, id_column, labels, ...)"
        )
    registry = default_registry()
    clean_tests: dict[str, list[str]] = {}
    for column, names in (tests or {}).items():
        listed = [names] if isinstance(names, str) else list(names)
        for test in listed:
            try:
                registry.get(test)
            except KeyError:
                raise InvalidArgumentError(f"Unknown drift test {test!r}") from None
        clean_tests[str(column)] = listed
    clean_thresholds: dict[str, float] = {}
    for test, value in (thresholds or {}).items():
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidArgumentError(f"Threshold for {test!r} must be a finite number")
        clean_thresholds[str(test)] = float(value)
    if not 0 < drift_share <= 1:
        raise InvalidArgumentError("drift_share must be in (0, 1]")
    if isinstance(interval_s, bool) or not isinstance(interval_s, int) or interval_s < 0:
        raise InvalidArgumentError("interval_s must be a whole number of seconds, 0 for manual")
    chunk_spec = {k: v for k, v in dict(chunking or {}).items() if v is not None}
    make_chunker(chunk_spec or None)  # InvalidArgumentError when it cannot work
    if not isinstance(learn_thresholds, bool):
        raise InvalidArgumentError("learn_thresholds must be true or false")
    if learn_thresholds:
        _check_learnable(ctx, record, chunk_spec)
    now = ctx.clock()
    monitor = Monitor(
        name=clean,
        target=validate_target(ctx, target),
        profile=profile,
        checks=checks,
        columns=list(columns) if columns is not None else None,
        tests=clean_tests,
        thresholds=clean_thresholds,
        drift_share=float(drift_share),
        chunking=chunk_spec,
        learn_thresholds=learn_thresholds,
        interval_s=interval_s,
        webhooks=[_validate_webhook(ctx, u) for u in webhooks],
        enabled=enabled,
        state={"seen": []},
        performance=clean_performance,
        created_by=ctx.actor,
        creation_time=now,
        next_run_time=now if interval_s > 0 and enabled else None,
    )
    return ctx.stores.monitoring.create_monitor(monitor)


def _check_learnable(
    ctx: ServiceContext, profile: ProfileRecord, chunking: Mapping[str, Any]
) -> None:
    """Learned thresholds need chunks on both sides: the monitor cuts the current data, and
    the stored profile must have kept per-chunk summaries of the reference to learn from.

    The bounds hold for windows about the size of the profile's chunks, so a chunk size
    close to the profile's keeps them in use.
    """
    if not chunking:
        raise InvalidArgumentError(
            "learn_thresholds needs chunking (a chunk size or a period) to cut the current data"
        )
    if not read_profile(ctx, profile).chunks:
        raise InvalidArgumentError(
            f"learn_thresholds needs a profile with per-chunk summaries, and {profile.name!r} kept "
            "none: rebuild it with a chunk size (mlsteward monitor profile --chunk-size N, or "
            "build_reference_profile(..., chunk_size=N))"
        )


def get_monitor(ctx: ServiceContext, name: str) -> Monitor:
    return ctx.stores.monitoring.get_monitor(validate_monitoring_name("Monitor", name))


def list_monitors(ctx: ServiceContext) -> list[Monitor]:
    return ctx.stores.monitoring.list_monitors()


def delete_monitor(ctx: ServiceContext, name: str) -> None:
    ctx.stores.monitoring.delete_monitor(validate_monitoring_name("Monitor", name))


def list_runs(ctx: ServiceContext, name: str, limit: int = 20) -> list[MonitorRun]:
    if not 1 <= limit <= MAX_RUNS:
        raise InvalidArgumentError(f"limit must be between 1 and {MAX_RUNS}")
    get_monitor(ctx, name)
    return ctx.stores.monitoring.list_monitor_runs(name, limit)


def get_run(ctx: ServiceContext, run_id: str) -> MonitorRun:
    return ctx.stores.monitoring.get_monitor_run(run_id)


def run_report_html(ctx: ServiceContext, run_id: str) -> str:
    """The HTML report a run stored (NotFoundError when the run made none)."""
    run = get_run(ctx, run_id)
    if run.report_digest is None:
        raise NotFoundError(f"Monitor run {run_id!r} has no report ({run.status})")
    return ctx.blobs.read_bytes(run.report_digest).decode("utf-8")


def _checks_performance(monitor: Monitor) -> bool:
    return monitor.performance is not None and "performance" in monitor.checks


def _all_predictions(
    ctx: ServiceContext, monitor: Monitor, data: TargetData
) -> pd.DataFrame | None:
    """Every file of a glob, in path order (labels arrive late for predictions earlier runs
    already checked for drift): the files this run read come from ``data.parts``, so only
    the older ones are read again."""
    if not is_glob(monitor.target):
        return data.frame
    older = read_target(ctx, monitor.target, data.files, keep_parts=True)
    parts = {**older.parts, **data.parts}
    return concat_frames([parts[path] for path in sorted(parts)])


def _performance(ctx: ServiceContext, monitor: Monitor, data: TargetData) -> PerformanceOutcome:
    """The performance check on the predictions (see ``_all_predictions``). Never raises."""
    try:
        frame = _all_predictions(ctx, monitor, data)
    except MlstewardError as error:
        frame, problem = None, error.message
    except (OSError, ValueError, TypeError) as error:
        frame, problem = None, f"{type(error).__name__}: {error}"
    else:
        problem = "no predictions to join labels to"
    if frame is None or len(frame) == 0:
        message = f"performance check skipped: {problem}"
        return PerformanceOutcome({"error": message}, messages=[message])
    return evaluate_performance(ctx, monitor, frame)


def _without_windows(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary for the event log: per-chunk performance rows stay in the run only."""
    perf = summary.get("performance")
    if not isinstance(perf, dict) or "windows" not in perf:
        return summary
    return {**summary, "performance": {k: v for k, v in perf.items() if k != "windows"}}


def run_monitor(ctx: ServiceContext, name: str) -> MonitorRunResult:
    """Evaluate the monitor now and act on what it finds."""
    store = ctx.stores.monitoring
    monitor = get_monitor(ctx, name)
    start = ctx.clock()
    run_id = new_id()
    seen = list(monitor.state.get("seen", []))
    status, message, drifted, n_rows = "error", None, False, 0
    summary: dict[str, Any] = {}
    report_digest = json_digest = None
    breaches: list[Breach] = []
    judged: set[str] = set()
    try:
        data = read_target(ctx, monitor.target, seen, keep_parts=_checks_performance(monitor))
        seen += [f for f in data.files if f not in seen and not f.startswith(DATASET_PREFIX)]
        notes = list(data.messages)
        perf = None
        if _checks_performance(monitor):
            perf = _performance(ctx, monitor, data)
            summary["performance"] = perf.summary
            breaches += perf.breaches
            judged.update(perf.judged)
        perf_notes = perf.messages if perf is not None else []
        if data.frame is None or len(data.frame) == 0:
            status = "empty"
            message = "; ".join([*notes, *perf_notes]) or "empty window: no rows to check"
        else:
            report = drift_report(
                load_profile(ctx, monitor.profile),
                data.frame,
                chunk_by=monitor.chunking or None,
                columns=monitor.columns,
                tests=monitor.tests,
                thresholds=monitor.thresholds,
                learn_thresholds=monitor.learn_thresholds,
                drift_share=monitor.drift_share,
                performance=perf.report if perf is not None else None,
                title=f"Monitor {monitor.name}",
            )
            if perf is not None:
                report = dataclasses.replace(report, performance_check=perf.summary)
            report_digest, _ = ctx.blobs.put_bytes(report.to_html().encode("utf-8"))
            json_digest, _ = ctx.blobs.put_bytes(report.to_json().encode("utf-8"))
            summary = {**summary_of(report.drift), "files": data.files, **summary}
            present = [str(c) for c in data.frame.columns]
            breaches += find_breaches(monitor, report.drift, current_columns=present)
            judged.update(DRIFT_CHECKS)
            status, drifted, n_rows = "ok", report.drifted, report.drift.whole.n_rows
            message = "; ".join([*notes, *report.drift.messages, *perf_notes]) or None
    except MlstewardError as error:
        message = error.message
    except (OSError, ValueError, TypeError) as error:  # unreadable data: recorded, not raised
        message = f"{type(error).__name__}: {error}"
    end = ctx.clock()
    next_run = end + monitor.interval_s * 1000 if monitor.interval_s > 0 else None
    run = MonitorRun(
        run_id,
        monitor.name,
        status,
        drifted,
        n_rows,
        message,
        summary,
        report_digest,
        json_digest,
        start,
        end,
    )
    store.record_monitor_run(run, {**monitor.state, "seen": seen}, next_run)
    store.append_event(
        "monitor.run",
        monitor.name,
        {
            "run_id": run_id,
            "status": status,
            "drifted": drifted,
            "message": message,
            **_without_windows(summary),
        },
        end,
    )
    opened, resolved, deliveries = raise_alerts(ctx, monitor, run, breaches, resolve=judged)
    return MonitorRunResult(run, opened, resolved, deliveries)
