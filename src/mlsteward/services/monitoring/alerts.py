"""Breaches become alerts (deduplicated while open), events and webhook deliveries.

A breach that is already open is only counted on its alert, so a webhook hears about it once;
a breach that goes away resolves its alert. Every change is also an event in the log a
retraining pipeline polls with ``list_events(since=...)``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.domain.ids import new_id
from mlsteward.domain.monitoring import (
    ALL_COLUMNS,
    EVENT_TYPES,
    MAX_EVENTS,
    Alert,
    Monitor,
    MonitoringEvent,
    MonitorRun,
)
from mlsteward.engines.drift import ColumnDriftResult, DriftReport
from mlsteward.services.context import ServiceContext
from mlsteward.services.web_hosts import WebHosts

logger = logging.getLogger("mlsteward.monitoring")
WEBHOOK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Breach:
    """One check that failed on one column, with the numbers that show it."""

    check: str
    column: str
    severity: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    """The outcome of one webhook POST (``error`` set when it failed)."""

    url: str
    event: str
    status: int | None
    error: str | None = None


def find_breaches(
    monitor: Monitor, report: DriftReport, *, current_columns: Collection[str] | None = None
) -> list[Breach]:
    """The monitor's checks applied to a report's whole-window result.

    Every column is judged whatever its status: a column the tests could not run on may
    still have drifted (all values missing now) or be gone. ``current_columns`` are the
    columns the current data has; without it a column counts as absent when the report
    tested it as an error with no current summary (how the engine marks it).
    """
    whole = report.whole
    found: list[Breach] = []
    if "dataset_drift" in monitor.checks and whole.drifted:
        drifted = [c.column for c in whole.columns if c.drifted]
        began = report.column_drift_began
        found.append(
            Breach(
                "dataset_drift",
                ALL_COLUMNS,
                "critical",
                {
                    "share_drifted": whole.share_drifted,
                    "threshold": whole.drift_share_threshold,
                    "drifted_columns": drifted,
                    # the report's onsets: the dataset's, and each drifted column's own
                    "drift_began": report.drift_began,
                    "column_drift_began": {c: began[c] for c in drifted if c in began},
                },
            )
        )
    for col in whole.columns:
        absent = _absent(col, current_columns)
        if "column_missing" in monitor.checks and absent:
            found.append(
                Breach(
                    "column_missing",
                    col.column,
                    "critical",
                    {"reason": "column in the reference profile but not in the current data"},
                )
            )
        drift = None if absent else _column_drift(col, report)
        if "column_drift" in monitor.checks and drift is not None:
            found.append(Breach("column_drift", col.column, "warning", drift))
        if "missing_share" in monitor.checks and col.missing and col.missing.drifted:
            found.append(Breach("missing_share", col.column, "warning", col.missing.to_dict()))
    return found


def _absent(col: ColumnDriftResult, current_columns: Collection[str] | None) -> bool:
    if current_columns is not None:
        return col.column not in current_columns
    return col.status == "error" and col.current is None


def _column_drift(col: ColumnDriftResult, report: DriftReport) -> dict[str, Any] | None:
    """Evidence of column drift: the headline test when it breached; the column's reason when
    it could not be tested yet was flagged drifted (e.g. every current value missing).

    ``drift_began`` is the column's onset in the report; chunks where it crossed its
    threshold before that are listed as ``isolated_crossings`` (not when drift began)."""
    began = report.column_drift_began.get(col.column)
    isolated = list(report.isolated_crossings.get(col.column, ()))
    if col.status == "ok" and col.main_test:
        try:
            test = col.test(col.main_test)
        except KeyError:
            test = None
        if test is not None and test.drifted:
            return {
                "test": test.test,
                "statistic": test.statistic,
                "p_value": test.p_value,
                "threshold": test.threshold,
                "threshold_kind": test.threshold_kind,
                "threshold_source": test.threshold_source,
                "drift_began": began,
                "isolated_crossings": isolated,
            }
        return None  # drifted on missing share alone: that is the missing_share check's
    if col.status == "error" and col.drifted:
        evidence: dict[str, Any] = {"status": col.status, "reason": col.message}
        if col.missing is not None:
            evidence["missing"] = col.missing.to_dict()
        return {**evidence, "drift_began": began, "isolated_crossings": isolated}
    return None


def alert_payload(event: str, alert: Alert) -> dict[str, Any]:
    return {"event": event, "alert": dataclasses.asdict(alert)}


def deliver(urls: Sequence[str], payload: dict[str, Any], *, hosts: WebHosts) -> list[Delivery]:
    """POST ``payload`` to each webhook; failures are logged and reported, never raised.

    Only to ``hosts`` (the context's webhook rule: a server's ``--webhook-host``), checked
    again here since the operator may have changed them since the monitor was made.
    Redirects are not followed (a redirect is a failed delivery) and the answer's body is
    never read.
    """
    if not urls:
        return []
    out = []
    with hosts.client(WEBHOOK_TIMEOUT_S) as client:
        for url in urls:
            out.append(_deliver_one(client, url, payload, hosts))
    return out


def _deliver_one(
    client: httpx.Client, url: str, payload: dict[str, Any], hosts: WebHosts
) -> Delivery:
    event = payload["event"]
    if not hosts.allows(url):
        logger.warning("webhook %s not called: its host is not in %s", url, hosts.option)
        return Delivery(url, event, None, f"host not allowed ({hosts.option})")
    try:
        with client.stream("POST", url, json=payload) as response:
            status = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL, MlstewardError) as error:
        logger.warning("webhook %s failed: %s", url, error)
        return Delivery(url, event, None, str(error))
    if 200 <= status < 300:
        return Delivery(url, event, status)
    logger.warning("webhook %s answered %s", url, status)
    return Delivery(url, event, status, "redirect not followed" if status < 400 else "refused")


def raise_alerts(
    ctx: ServiceContext,
    monitor: Monitor,
    run: MonitorRun,
    breaches: Sequence[Breach],
    *,
    resolve: bool | Collection[str],
    hold: Collection[tuple[str, str]] = (),
) -> tuple[list[Alert], list[Alert], list[Delivery]]:
    """Open or count alerts for ``breaches``; with ``resolve`` close the ones that went away.

    ``resolve`` is True (every check was judged), False (none was), or the names of the checks
    judged this run: open alerts of other checks stay open, since "could not tell" is not "fine".
    ``hold`` names (check, column) pairs of a judged check that could not be told this run
    (a deployment window without requests has a throughput but no latency): they stay open.
    Returns the alerts opened, the alerts resolved and the webhook deliveries made.
    """
    store = ctx.stores.monitoring
    now = ctx.clock()
    hosts = ctx.outbound.webhooks
    opened, deliveries = [], []
    for breach in breaches:
        alert, created = store.open_alert(
            new_id(),
            monitor.name,
            breach.check,
            breach.column,
            breach.severity,
            breach.evidence,
            run.run_id,
            now,
        )
        if created:
            opened.append(alert)
            logger.warning(
                "monitor %s: %s alert on %s (%s)",
                monitor.name,
                breach.severity,
                breach.column,
                breach.check,
            )
            store.append_event("alert.opened", monitor.name, dataclasses.asdict(alert), now)
            payload = alert_payload("alert.opened", alert)
            deliveries += deliver(monitor.webhooks, payload, hosts=hosts)
    resolved: list[Alert] = []
    if resolve:
        keep = [(b.check, b.column) for b in breaches] + list(hold)
        if not isinstance(resolve, bool):
            held = store.list_alerts(monitor.name, "open")
            keep += [(a.check, a.column) for a in held if a.check not in resolve]
        resolved = store.resolve_alerts(monitor.name, keep, now)
        for alert in resolved:
            logger.info("monitor %s: alert on %s resolved", monitor.name, alert.column)
            store.append_event("alert.resolved", monitor.name, dataclasses.asdict(alert), now)
            payload = alert_payload("alert.resolved", alert)
            deliveries += deliver(monitor.webhooks, payload, hosts=hosts)
    return opened, resolved, deliveries


def list_alerts(
    ctx: ServiceContext, monitor: str | None = None, status: str | None = None
) -> list[Alert]:
    if status is not None and status not in ("open", "resolved"):
        raise InvalidArgumentError("status must be 'open' or 'resolved'")
    return ctx.stores.monitoring.list_alerts(monitor, status)


def list_events(
    ctx: ServiceContext,
    since: int = 0,
    limit: int = 100,
    event_types: Sequence[str] | None = None,
) -> list[MonitoringEvent]:
    """Events after sequence number ``since``, oldest first: poll with the last ``seq`` seen."""
    if since < 0:
        raise InvalidArgumentError("since must be zero or a sequence number")
    if not 1 <= limit <= MAX_EVENTS:
        raise InvalidArgumentError(f"limit must be between 1 and {MAX_EVENTS}")
    unknown = sorted(set(event_types or ()) - set(EVENT_TYPES))
    if unknown:
        raise InvalidArgumentError(f"Unknown event types {unknown}; known: {list(EVENT_TYPES)}")
    return ctx.stores.monitoring.list_events(since, limit, event_types)
