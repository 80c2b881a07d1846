"""Monitors: create, inspect, delete, and run one now.

A run reads the target (new files only, for a glob), compares it with the monitor's stored
reference profile (and, with ``multivariate`` methods, with the profile's row sample),
stores the HTML and JSON reports as blobs, records the run, advances the schedule, raises or
resolves alerts and appends events. A ``deployment:`` target reads its prediction log since
the last run (see ``deployment_target``) and may add the ``operational`` check (latency,
error rate, throughput; its stream consumers' backlog and dead letters, see
``deployment_operational``). The performance check of a glob target judges the
prediction files first read within the monitor's lookback, each read once and then from a
cache (see ``prediction_cache``). Anything wrong with the data is a message in the run
(status ``error`` or ``empty``), so the scheduler keeps going.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.domain.monitoring import (
    CHECKS,
    DEFAULT_CHECKS,
    DEFAULT_LOOKBACK_S,
    MAX_RUNS,
    Alert,
    Monitor,
    MonitorRun,
    ProfileRecord,
    validate_monitoring_name,
)
from mlsteward.engines.drift import default_registry
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import (
    deployment_operational,
    deployment_target,
    multivariate_check,
)
from mlsteward.services.monitoring.alerts import Breach, Delivery, find_breaches, raise_alerts
from mlsteward.services.monitoring.deployment_target import is_deployment_target
from mlsteward.services.monitoring.operational_check import (
    CHECK as OPERATIONAL,
)
from mlsteward.services.monitoring.operational_check import validate_operational
from mlsteward.services.monitoring.performance_check import (
    PerformanceOutcome,
    evaluate_performance,
)
from mlsteward.services.monitoring.performance_config import validate_performance
from mlsteward.services.monitoring.prediction_cache import (
    STATE_KEY,
    PredictionFiles,
    gather_predictions,
    validate_lookback,
)
from mlsteward.services.monitoring.profiles import get_profile_record, load_profile, read_profile
from mlsteward.services.monitoring.report_views import summary_of
from mlsteward.services.monitoring.reports import drift_report, make_chunker
from mlsteward.services.monitoring.targets import (
    DATASET_PREFIX,
    TargetData,
    read_target,
    validate_target,
)
from mlsteward.services.outbound_access import require_webhook

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
    multivariate: Sequence[str] = (),
    identifier_columns: Sequence[str] = (),
    prediction_columns: Sequence[str] = (),
    lookback_s: int | None = DEFAULT_LOOKBACK_S,
    operational: Mapping[str, float] | None = None,
) -> Monitor:
    """Validate and store a monitor; with ``interval_s`` > 0 it is due at once.

    ``learn_thresholds`` learns each test's threshold from the profile's per-chunk summaries
    (see ``_check_learnable``). ``performance`` configures the ``performance`` check (see
    ``performance_config``); giving it adds the check. ``multivariate`` methods run against
    the profile's row sample (the profile must keep one) and add the ``multivariate_drift``
    check. ``identifier_columns`` are not tested; ``prediction_columns`` are tested as the
    model's outputs. ``lookback_s`` (seconds, None for no limit) bounds the prediction files
    of a glob the performance check judges: those first read within it; for a
    ``deployment:`` target, the predictions whose labels are joined. ``operational`` bounds
    (``p50_latency_ms``, ``p99_latency_ms``, ``error_rate``, ``min_throughput_rps``, and
    for its stream consumers ``max_consumer_lag`` and ``max_dead_letter_rate``) of a
    deployment target add the ``operational`` check.
    """
    clean = validate_monitoring_name("Monitor", name)
    record = get_profile_record(ctx, profile)  # NotFoundError when there is no such profile
    checks = list(checks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown or not checks:
        raise InvalidArgumentError(f"Checks must be some of {list(CHECKS)}, got {checks}")
    is_deployment = isinstance(target, str) and is_deployment_target(target.strip())
    deployment = deployment_target.deployment_name(target.strip()) if is_deployment else None
    bounds = validate_operational(operational)
    if bounds and deployment is None:
        raise InvalidArgumentError(
            "Operational bounds judge a deployment's prediction log: target deployment:NAME"
        )
    if bounds and "operational" not in checks:
        checks.append("operational")
    elif "operational" in checks and not bounds:
        raise InvalidArgumentError(
            "The operational check needs bounds, e.g. operational={'p99_latency_ms': 50}"
        )
    clean_performance = None
    if performance is not None:
        clean_performance = validate_performance(ctx, performance, deployment=deployment)
        if "performance" not in checks:
            checks.append("performance")
    elif "performance" in checks:
        raise InvalidArgumentError(
            "The performance check needs a performance configuration (task, id_column, labels, ...)"
        )
    clean_multivariate = multivariate_check.validate_multivariate(ctx, multivariate, record, checks)
    ids = _column_names("identifier_columns", identifier_columns)
    outputs = _column_names("prediction_columns", prediction_columns)
    both = sorted(set(ids) & set(outputs))
    if both:
        raise InvalidArgumentError(f"Columns {both} cannot be identifiers and predictions")
    clean_lookback = validate_lookback(lookback_s)
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
        multivariate=clean_multivariate,
        identifier_columns=ids,
        prediction_columns=outputs,
        lookback_s=clean_lookback,
        operational=bounds,
    )
    return ctx.stores.monitoring.create_monitor(monitor)


def _column_names(what: str, names: object) -> list[str]:
    """A list of distinct, non-empty column names."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidArgumentError(f"{what} is a list of column names")
    clean: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip() or "\x00" in name:
            raise InvalidArgumentError(f"{what}: {name!r} is not a column name")
        if name not in clean:
            clean.append(name)
    return clean


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


def _performance(
    ctx: ServiceContext, monitor: Monitor, data: TargetData
) -> tuple[PerformanceOutcome, PredictionFiles | None]:
    """The performance check on the predictions (see ``prediction_cache``), and the prediction
    files it read (None when they could not be listed). Never raises."""
    files = None
    try:
        files = gather_predictions(ctx, monitor, data)
        frame = files.frame
    except MlstewardError as error:
        frame, problem = None, error.message
    except (OSError, ValueError, TypeError) as error:
        frame, problem = None, f"{type(error).__name__}: {error}"
    else:
        problem = "no predictions to join labels to"
    notes = files.messages if files is not None else []
    if frame is None or len(frame) == 0:
        message = f"performance check skipped: {problem}"
        return PerformanceOutcome({"error": message}, messages=[*notes, message]), files
    outcome = evaluate_performance(ctx, monitor, frame)
    if not notes:
        return outcome, files
    return dataclasses.replace(outcome, messages=[*outcome.messages, *notes]), files


def _deployment(
    ctx: ServiceContext,
    monitor: Monitor,
    state: dict[str, Any],
    summary: dict[str, Any],
    breaches: list[Breach],
    judged: set[str],
    hold: list[tuple[str, str]],
) -> tuple[TargetData, PerformanceOutcome | None]:
    """A deployment target's window: its rows for drift (``files`` lists the output columns,
    to be marked as predictions), the operational and performance checks' findings added to
    ``summary``, ``breaches``, ``judged`` and ``hold`` (bounds it could not judge), and the
    cursor moved on in ``state``."""
    window = deployment_target.read_window(ctx, monitor)
    state[deployment_target.CURSOR] = window.cursor_ms
    summary["window"] = {
        "deployment": deployment_target.deployment_name(monitor.target),
        "start_ms": window.start_ms,
        "end_ms": window.end_ms,
        "n_requests": window.records.num_rows,
    }
    if monitor.operational and "operational" in monitor.checks:
        outcome = deployment_operational.judge(ctx, monitor, window)
        summary["operational"] = outcome.summary
        breaches += outcome.breaches
        if outcome.judged:
            judged.add("operational")
        hold += [(OPERATIONAL, name) for name in outcome.unjudged]
    perf = None
    if _checks_performance(monitor):
        perf = _deployment_performance(ctx, monitor, window.end_ms)
        summary["performance"] = perf.summary
        breaches += perf.breaches
        judged.update(perf.judged)
    frame = window.frame
    outputs = [] if frame is None else deployment_target.output_columns(window.records)
    return TargetData(frame, outputs, window.messages), perf


def _deployment_performance(
    ctx: ServiceContext, monitor: Monitor, end_ms: int
) -> PerformanceOutcome:
    """The performance check on a deployment's logged predictions and its feedback, joined
    by prediction ID and row. Never raises for data."""
    try:
        predictions, labels, notes = deployment_target.performance_frames(ctx, monitor, end_ms)
    except MlstewardError as error:
        predictions, notes, problem = None, [], error.message
    except (OSError, ValueError, TypeError) as error:
        predictions, notes, problem = None, [], f"{type(error).__name__}: {error}"
    else:
        problem = "no logged predictions within the lookback to join labels to"
    if predictions is None or not len(predictions):
        message = f"performance check skipped: {problem}"
        return PerformanceOutcome({"error": message}, messages=[*notes, message])
    config = {**(monitor.performance or {}), "id_column": deployment_target.KEY_COLUMN}
    keyed = dataclasses.replace(monitor, performance=config)
    outcome = evaluate_performance(ctx, keyed, predictions, labels=labels)
    return dataclasses.replace(outcome, messages=[*outcome.messages, *notes])


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
    state: dict[str, Any] = {}
    status, message, drifted, n_rows = "error", None, False, 0
    summary: dict[str, Any] = {}
    report_digest = json_digest = None
    breaches: list[Breach] = []
    judged: set[str] = set()
    hold: list[tuple[str, str]] = []
    identifiers, outputs = monitor.identifier_columns, monitor.prediction_columns
    try:
        perf = None
        if is_deployment_target(monitor.target):
            data, perf = _deployment(ctx, monitor, state, summary, breaches, judged, hold)
            identifiers = deployment_target.identifier_columns(monitor)
            if data.frame is not None:
                outputs = [*outputs, *data.files]
            data = dataclasses.replace(data, files=[])
        else:
            data = read_target(ctx, monitor.target, seen, keep_parts=_checks_performance(monitor))
            seen += [f for f in data.files if f not in seen and not f.startswith(DATASET_PREFIX)]
        notes = list(data.messages)
        if _checks_performance(monitor) and perf is None:
            perf, files = _performance(ctx, monitor, data)
            summary["performance"] = perf.summary
            if files is not None and files.records:
                state[STATE_KEY] = files.records
                summary["prediction_files"] = files.summary(monitor.lookback_s)
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
                multivariate=monitor.multivariate,
                identifier_columns=identifiers,
                prediction_columns=list(dict.fromkeys(outputs)),
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
            if report.multivariate:
                summary["multivariate"] = multivariate_check.multivariate_summary(
                    report.multivariate
                )
                breaches += multivariate_check.multivariate_breaches(report.multivariate)
                judged.add(multivariate_check.CHECK)
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
    store.record_monitor_run(run, {**monitor.state, "seen": seen, **state}, next_run)
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
    opened, resolved, deliveries = raise_alerts(
        ctx, monitor, run, breaches, resolve=judged, hold=hold
    )
    return MonitorRunResult(run, opened, resolved, deliveries)
