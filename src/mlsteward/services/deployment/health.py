"""A deployment's health: its replicas' latest reports judged against the record and plan now.

- A replica is ``live`` while its last report is at most three of its own poll intervals
  old (it reports after every poll), ``stale`` after that.
- A live replica is ``lagging`` when it serves another plan revision, or other route
  versions, than the plan resolves to now (an alias moved and its next poll has not come).
- The deployment is ``unknown`` while no replica ever reported; ``down`` when no replica is
  live and ready; ``degraded`` when fewer live, ready replicas run than the record asks
  for, or a live one lags or is not ready, or the live replicas' errors exceed
  :data:`MAX_ERROR_RATE` of their requests (counted once they answered
  :data:`MIN_REQUESTS`); ``healthy`` otherwise. Stale replicas alone change nothing: a
  restarted process reports under a new name and its predecessor fades out.

Stream consumers (``mlsteward stream``, reports of kind ``stream``) are judged beside the
serving replicas, not counted among them (the record's ``replicas`` is the serving
processes wanted): a live consumer that lags behind the plan or is not ready degrades the
deployment; a deployment only consumers report for is judged on them (``down`` when none
is live and ready). Each live consumer's backlog is one of the reasons; whether a backlog
is too long is a monitor's bound (``max_consumer_lag``), not a rule here.

The reasons say which of these held, in words, so a person reading
``mlsteward deployments health`` sees why without the rules.
"""

from __future__ import annotations

from collections.abc import Callable

from mlsteward.domain.deployments import (
    DeploymentHealth,
    ReplicaHealth,
    ReplicaReport,
    RouteTarget,
    validate_deployment_name,
)
from mlsteward.domain.errors import ConflictError
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment.records import _store, resolved_routes

#: A replica is live while its report is at most this many poll intervals old.
LIVE_INTERVALS = 3
#: Errors (status 500 or more) over requests above which a deployment is degraded.
MAX_ERROR_RATE = 0.05
#: Requests the live replicas must have answered before their error rate counts.
MIN_REQUESTS = 20
#: Replicas named one by one in a reason before "and N more".
_NAMED = 3
STREAM = "stream"


def deployment_health(ctx: ServiceContext, name: str) -> DeploymentHealth:
    """The deployment's replicas, each live or stale and lagging or not, and the verdict."""
    store = _store(ctx)
    deployment = store.get_deployment(validate_deployment_name(name))
    now = ctx.clock()
    try:
        routes: frozenset[RouteTarget] | None = frozenset(resolved_routes(ctx, deployment))
    except ConflictError:  # the URI resolves to nothing now: judge by revision alone
        routes = None
    replicas = [
        judge_replica(report, now, deployment.revision, routes)
        for report in store.list_replica_reports(deployment.name)
    ]
    replicas.sort(key=lambda r: (r.state != "live", r.age_ms, r.report.replica))
    return verdict(deployment.name, deployment.replicas, deployment.revision, replicas, now)


def is_live(report: ReplicaReport, now_ms: int) -> bool:
    """Whether ``report`` is at most :data:`LIVE_INTERVALS` of its poll intervals old."""
    return max(0, now_ms - report.received_ms) <= LIVE_INTERVALS * report.interval_s * 1000.0


def judge_replica(
    report: ReplicaReport, now_ms: int, revision: int, routes: frozenset[RouteTarget] | None
) -> ReplicaHealth:
    """``report`` judged at ``now_ms`` against the plan's ``revision`` and ``routes``."""
    age = max(0, now_ms - report.received_ms)
    live = is_live(report, now_ms)
    lagging = report.revision != revision or (
        routes is not None and frozenset(report.routes) != routes
    )
    return ReplicaHealth(report, age, "live" if live else "stale", lagging)


def verdict(
    name: str, desired: int, revision: int, replicas: list[ReplicaHealth], now_ms: int
) -> DeploymentHealth:
    """The status of a deployment with these judged replicas (and stream consumers), and why."""
    serving = [r for r in replicas if r.report.kind != STREAM]
    consumers = [r for r in replicas if r.report.kind == STREAM]
    every_live = [r for r in replicas if r.state == "live"]
    requests = sum(r.report.requests for r in every_live)
    errors = sum(r.report.errors for r in every_live)
    error_rate = errors / requests if requests else None
    if not serving and consumers:
        return _consumers_only(name, desired, revision, replicas, consumers, now_ms, error_rate)
    live = [r for r in serving if r.state == "live"]
    ready = [r for r in live if r.report.ready]
    reasons: list[str] = []
    if not serving:
        status = "unknown"
        reasons.append(
            f"No replica of {name} has reported: data planes serving it report after each plan poll"
        )
    elif not ready:
        status = "down"
        if not live:
            newest = min(r.age_ms for r in serving)
            reasons.append(
                f"No replica reported within {LIVE_INTERVALS} poll intervals; the last "
                f"report came {_ago(newest)} ago"
            )
        else:
            reasons.append(f"None of the {len(live)} live replicas is ready")
            reasons.extend(_unready(live))
    else:
        problems = _problems(desired, revision, live, ready, requests, error_rate)
        problems += _consumer_problems([r for r in consumers if r.state == "live"])
        status = "degraded" if problems else "healthy"
        reasons.extend(
            problems
            or [f"{len(ready)} of {desired} replicas live, ready and on revision {revision}"]
        )
    stale = len(serving) - len(live)
    if stale and live:
        reasons.append(
            f"{stale} stale {'replica' if stale == 1 else 'replicas'} not heard from in "
            f"{LIVE_INTERVALS} poll intervals (forgotten after a day of silence)"
        )
    reasons.extend(_backlogs(consumers))
    return DeploymentHealth(
        deployment=name,
        status=status,
        reasons=tuple(reasons),
        desired=desired,
        live=len(live),
        ready=len(ready),
        revision=revision,
        error_rate=error_rate,
        checked_ms=now_ms,
        replicas=tuple(replicas),
    )


def _problems(
    desired: int,
    revision: int,
    live: list[ReplicaHealth],
    ready: list[ReplicaHealth],
    requests: int,
    error_rate: float | None,
) -> list[str]:
    """What makes a deployment with some live, ready replica degraded (empty: nothing)."""
    problems = []
    if len(ready) < desired:
        problems.append(f"{len(ready)} of {desired} replicas live and ready")
    lagging = [r for r in live if r.lagging and r.report.ready]
    problems.extend(
        _named(
            lagging,
            lambda r: (
                f"Replica {r.report.replica} lags: it serves revision "
                f"{r.report.revision} ({_versions(r.report)}), the plan is at revision {revision}"
                + (f"; {r.report.message}" if r.report.message else "")
            ),
            "lag",
        )
    )
    problems.extend(_unready(live))
    if error_rate is not None and requests >= MIN_REQUESTS and error_rate > MAX_ERROR_RATE:
        problems.append(
            f"Error rate {error_rate:.1%} over {requests} requests is above {MAX_ERROR_RATE:.0%}"
        )
    return problems


def _consumers_only(
    name: str,
    desired: int,
    revision: int,
    replicas: list[ReplicaHealth],
    consumers: list[ReplicaHealth],
    now_ms: int,
    error_rate: float | None,
) -> DeploymentHealth:
    """The verdict when only stream consumers report: they are what runs the model."""
    live = [r for r in consumers if r.state == "live"]
    ready = [r for r in live if r.report.ready]
    reasons: list[str] = []
    if not ready:
        status = "down"
        if not live:
            newest = min(r.age_ms for r in consumers)
            reasons.append(
                f"No stream consumer of {name} reported within {LIVE_INTERVALS} poll "
                f"intervals, and no serving replica ever did; the last report came "
                f"{_ago(newest)} ago"
            )
        else:
            reasons.append(f"None of the {len(live)} live stream consumers is ready")
            reasons.extend(_consumer_problems(live))
    else:
        problems = _consumer_problems(live)
        status = "degraded" if problems else "healthy"
        reasons.extend(
            problems
            or [
                f"{len(ready)} stream {_consumer_noun(len(ready))} live, ready and on revision "
                f"{revision}; no serving replica reports"
            ]
        )
    reasons.extend(_backlogs(consumers))
    return DeploymentHealth(
        deployment=name,
        status=status,
        reasons=tuple(reasons),
        desired=desired,
        live=0,
        ready=0,
        revision=revision,
        error_rate=error_rate,
        checked_ms=now_ms,
        replicas=tuple(replicas),
    )


def _consumer_noun(count: int) -> str:
    return "consumer" if count == 1 else "consumers"


def _consumer_problems(live: list[ReplicaHealth]) -> list[str]:
    """What makes live stream consumers degrade a deployment: lagging behind the plan or
    not ready (their backlog is a monitor's bound, not a health rule)."""
    lagging = [r for r in live if r.lagging and r.report.ready]
    problems = _named(
        lagging,
        lambda r: (
            f"Stream consumer {r.report.replica} lags: it scores with revision "
            f"{r.report.revision} ({_versions(r.report)})"
            + (f"; {r.report.message}" if r.report.message else "")
        ),
        "lag",
    )
    problems.extend(
        _named(
            [r for r in live if not r.report.ready],
            lambda r: (
                f"Stream consumer {r.report.replica} is not ready"
                + (f": {r.report.message}" if r.report.message else "")
            ),
            "are not ready",
        )
    )
    return problems


def _backlogs(consumers: list[ReplicaHealth]) -> list[str]:
    """A line per live stream consumer: what it reads and how far behind its group is."""
    return _named(
        [r for r in consumers if r.state == "live"],
        lambda r: (
            f"Stream consumer {r.report.replica} on {r.report.subject or '?'}: "
            f"{_backlog(r.report)}, {r.report.scored} scored, "
            f"{r.report.dead_lettered} dead-lettered"
        ),
        "stream consumers live",
    )


def _backlog(report: ReplicaReport) -> str:
    if report.consumer_lag is None:
        return "backlog not known yet"
    unacknowledged = (
        "" if report.unacknowledged is None else f", {report.unacknowledged} unacknowledged"
    )
    return f"{report.consumer_lag} pending{unacknowledged}"


def _unready(live: list[ReplicaHealth]) -> list[str]:
    return _named(
        [r for r in live if not r.report.ready],
        lambda r: (
            f"Replica {r.report.replica} is not ready"
            + (f": {r.report.message}" if r.report.message else " (loading its models)")
        ),
        "are not ready",
    )


def _named(
    replicas: list[ReplicaHealth], say: Callable[[ReplicaHealth], str], more: str
) -> list[str]:
    """A reason for each of the first few replicas, then how many more."""
    reasons = [say(r) for r in replicas[:_NAMED]]
    if len(replicas) > _NAMED:
        reasons.append(f"{len(replicas) - _NAMED} more replicas {more}")
    return reasons


def _versions(report: ReplicaReport) -> str:
    if not report.routes:
        return "no versions"
    return ", ".join(f"{r.route}: {r.model_name} v{r.version}" for r in report.routes)


def _ago(ms: int) -> str:
    seconds = ms / 1000.0
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86_400:.0f}d"
