"""The operational check of a ``deployment:`` monitor: which figures apply, and from where.

Two sources feed it:

- **The prediction log** of the run's window: latency, error rate and throughput (see
  ``operational_check``). These describe live traffic: a batch job's log (``mlsteward
  predict --log-as NAME``) comes in bursts, each row carrying the model's time per row and
  its chunk's time, so a monitor of a batch log judges drift and performance and sets no
  operational bounds (nothing here can tell a batch log from a live one that a test or an
  import wrote by hand, so it is the monitor's configuration that says it).
- **The stream consumers' reports** (``mlsteward stream``, kind ``stream``) of the
  deployment, the latest of each consumer that is still live (heard from within three of
  its poll intervals, as ``deployments health`` judges): ``consumer_lag`` is the largest
  backlog any of them reported (consumers of one group report the same backlog, so it is
  not summed), ``dead_letter_rate`` their dead-lettered messages over the messages they
  finished since they started. Without a live consumer these are unknown: their open
  alerts stay open.
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.monitoring import Monitor
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment.health import is_live
from mlsteward.services.monitoring.deployment_target import DeploymentWindow, deployment_name
from mlsteward.services.monitoring.operational_check import (
    STREAM_BOUNDS,
    STREAM_EVIDENCE,
    OperationalOutcome,
    evaluate_operational,
    operational_figures,
)

STREAM = "stream"


def stream_figures(ctx: ServiceContext, name: str) -> dict[str, Any]:
    """``consumer_lag``, ``dead_letter_rate`` (None when unknown) and the live consumers
    they come from (``consumers``, the evidence of a stream bound's alert)."""
    store = ctx.stores.deployments
    reports = [] if store is None else store.list_replica_reports(name)
    now = ctx.clock()
    live = [r for r in reports if r.kind == STREAM and is_live(r, now)]
    lags = [r.consumer_lag for r in live if r.consumer_lag is not None]
    finished = sum(r.scored + r.dead_lettered for r in live)
    dead = sum(r.dead_lettered for r in live)
    return {
        "consumer_lag": max(lags) if lags else None,
        "dead_letter_rate": dead / finished if finished else None,
        "n_consumers": len(live),
        STREAM_EVIDENCE: [
            {
                "replica": r.replica,
                "subject": r.subject,
                "group": r.group,
                "consumer_lag": r.consumer_lag,
                "unacknowledged": r.unacknowledged,
                "scored": r.scored,
                "dead_lettered": r.dead_lettered,
                "redelivered": r.redelivered,
                "ready": r.ready,
                "age_ms": max(0, now - r.received_ms),
            }
            for r in live
        ],
    }


def judge(ctx: ServiceContext, monitor: Monitor, window: DeploymentWindow) -> OperationalOutcome:
    """The ``operational`` check of ``monitor`` on this run's ``window``: the log's figures,
    and the stream consumers' when a stream bound is set."""
    name = deployment_name(monitor.target)
    bounds = monitor.operational
    figures = operational_figures(window.records, window.throughput_start, window.end_ms)
    if any(bound in STREAM_BOUNDS for bound in bounds):
        figures.update(stream_figures(ctx, name))
    return evaluate_operational(bounds, figures)
