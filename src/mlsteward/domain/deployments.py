"""Deployments: what the control plane stores about a served model, and the plan a data plane
follows.

A :class:`Deployment` is a record: which model it serves (a ``models:/`` URI that follows an
alias or pins a version), how (runtime, replicas, batching, prediction log), and its
``revision``, which grows with every change. Each change is a :class:`DeploymentEvent`: who,
when, why, and the fields it changed (before and after). A :class:`ServingPlan` is what a data
plane needs and all it needs: the record resolved at one moment (an alias's current version),
so moving the alias changes the plan without changing the record. Each data-plane replica
sends a :class:`ReplicaReport` after its polls; :class:`DeploymentHealth` is the control
plane's verdict on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError

#: How a data plane runs the model: ONNX Runtime when the export held parity (``auto``
#: falls back to the native flavor otherwise), or one of them by name.
RUNTIMES = ("auto", "onnx", "native")
#: What happened to a deployment in one event.
EVENT_ACTIONS = (
    "create",
    "update",
    "delete",
    "rollout",
    "advance",
    "promote",
    "rollback",
    "pause",
    "resume",
)
#: How a rollout brings a candidate version in: a share of traffic growing step by step
#: (``canary``), warmed with no traffic then switched whole with the old version kept loaded
#: (``blue_green``), or a copy of traffic whose answers are logged only (``shadow``).
ROLLOUT_STRATEGIES = ("canary", "blue_green", "shadow")
#: Where a rollout stands: still analysed (``progressing``), held (``paused``), or over.
ROLLOUT_STATES = ("progressing", "paused", "promoted", "rolled_back")
#: The candidate's traffic share at each step, by strategy (canary: 5% -> 25% -> 100%).
DEFAULT_STEPS = {"canary": (0.05, 0.25, 1.0), "blue_green": (0.0, 1.0), "shadow": (0.0,)}
#: A deployment name is a DNS label (RFC 1123): it names folders of the prediction log and,
#: later, Kubernetes objects, so it is safe in both.
NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_NAME_LENGTH = 63


def validate_deployment_name(name: object) -> str:
    """A deployment name: 1-63 lowercase letters, digits or ``-``, starting and ending with a
    letter or digit."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidArgumentError(
            f"Deployment name {name!r} must be 1-63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class Batching:
    """Adaptive batching: up to ``max_batch_size`` rows wait at most ``max_wait_ms`` for
    company; a request reaching an empty queue is not delayed."""

    max_batch_size: int = 32
    max_wait_ms: float = 2.0


@dataclass(frozen=True)
class LogSettings:
    """The prediction log: on or off, the share of requests kept (failures always are), how
    many days files are kept, and the data plane's queue bound (beyond it, drops counted)."""

    enabled: bool = True
    sample_rate: float = 1.0
    retention_days: int = 30
    queue_size: int = 10_000


@dataclass(frozen=True)
class RouteTarget:
    """One model version a plan sends traffic to, under a route name (``stable`` today;
    ``canary`` and ``shadow`` with rollouts) and a weight."""

    route: str
    model_name: str
    version: int
    weight: float


@dataclass(frozen=True)
class ServingPlan:
    """What a data plane serves: the deployment's settings with each route's model version
    resolved. A data plane reloads when ``revision`` or a route's version changes."""

    deployment: str
    revision: int
    runtime: str
    routes: tuple[RouteTarget, ...]
    batching: Batching
    log: LogSettings
    #: Where the control plane keeps the prediction log (a folder or an fsspec URL).
    log_root: str
    #: The request field whose value keeps a caller on one route (rollouts; None: random).
    sticky_key: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "revision": self.revision,
            "runtime": self.runtime,
            "routes": [asdict(route) for route in self.routes],
            "batching": asdict(self.batching),
            "log": asdict(self.log),
            "log_root": self.log_root,
            "sticky_key": self.sticky_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServingPlan:
        return cls(
            deployment=str(data["deployment"]),
            revision=int(data["revision"]),
            runtime=str(data["runtime"]),
            routes=tuple(
                RouteTarget(
                    route=str(r["route"]),
                    model_name=str(r["model_name"]),
                    version=int(r["version"]),
                    weight=float(r["weight"]),
                )
                for r in data["routes"]
            ),
            batching=Batching(
                max_batch_size=int(data["batching"]["max_batch_size"]),
                max_wait_ms=float(data["batching"]["max_wait_ms"]),
            ),
            log=LogSettings(
                enabled=bool(data["log"]["enabled"]),
                sample_rate=float(data["log"]["sample_rate"]),
                retention_days=int(data["log"]["retention_days"]),
                queue_size=int(data["log"]["queue_size"]),
            ),
            log_root=str(data["log_root"]),
            sticky_key=data.get("sticky_key"),
        )


@dataclass(frozen=True)
class RolloutCriteria:
    """What a healthy candidate is, judged over each analysis window: its error rate and p99
    latency under the bounds, its predictions not drifted from the stable version's (drift
    tests with p-values judged at ``drift_p_value``), and
    (when labels arrived for both) its accuracy at most ``max_accuracy_drop`` below the
    stable version's. ``min_requests`` is how many answers a window needs before a step
    may advance (failures roll back at once)."""

    interval_s: float = 60.0
    max_error_rate: float = 0.01
    max_p99_latency_ms: float = 500.0
    check_drift: bool = True
    #: The p-value under which a drift test counts the candidate's predictions as drifted:
    #: stricter than a monitor's 0.05, since each analysis is one more test that could
    #: roll a healthy candidate back by chance.
    drift_p_value: float = 0.001
    min_requests: int = 50
    min_labels: int = 30
    max_accuracy_drop: float = 0.05


@dataclass(frozen=True)
class Rollout:
    """A candidate version brought in beside the stable one, and how far it got.

    ``steps`` are the candidate's traffic shares (shadow: a copy, never answering); each
    step lasts at least one analysis interval. The last analysis, with its evidence, is kept
    in ``evidence``; ``message`` says why the rollout is paused, rolled back or promoted.
    """

    strategy: str
    model_name: str
    stable_version: int
    candidate_version: int
    steps: tuple[float, ...]
    criteria: RolloutCriteria = field(default_factory=RolloutCriteria)
    step: int = 0
    state: str = "progressing"
    started_ms: int = 0
    step_started_ms: int = 0
    #: The request field that keeps a caller on one route: ``header:NAME`` or ``input:NAME``.
    sticky_key: str | None = None
    message: str = ""
    evidence: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        """Whether the candidate still gets traffic (progressing or paused)."""
        return self.state in ("progressing", "paused")

    @property
    def weight(self) -> float:
        """The candidate's traffic share at the current step."""
        return self.steps[min(self.step, len(self.steps) - 1)]

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["steps"] = list(self.steps)
        return values

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rollout:
        values = dict(data)
        values["steps"] = tuple(float(step) for step in values["steps"])
        values["criteria"] = RolloutCriteria(**values.get("criteria", {}))
        return cls(**values)


@dataclass(frozen=True)
class Deployment:
    """A deployment record: the model it serves and how, as last changed."""

    name: str
    #: ``models:/NAME@ALIAS`` (follows the alias) or ``models:/NAME/VERSION`` (pinned).
    model_uri: str
    runtime: str = "auto"
    replicas: int = 1
    batching: Batching = field(default_factory=Batching)
    log: LogSettings = field(default_factory=LogSettings)
    revision: int = 1
    created_by: str = ""
    creation_time: int = 0
    last_updated_by: str = ""
    last_update_time: int = 0
    #: The rollout under way or the last one (None: never rolled out).
    rollout: Rollout | None = None

    def settings(self) -> dict[str, Any]:
        """The changeable settings, flat, as events record them (``model``, ``runtime``,
        ``replicas``, ``max_batch_size``, ...)."""
        return {
            "model": self.model_uri,
            "runtime": self.runtime,
            "replicas": self.replicas,
            "max_batch_size": self.batching.max_batch_size,
            "max_wait_ms": self.batching.max_wait_ms,
            "log_enabled": self.log.enabled,
            "log_sample_rate": self.log.sample_rate,
            "log_retention_days": self.log.retention_days,
            **({"rollout": self.rollout.to_dict()} if self.rollout is not None else {}),
        }

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["rollout"] = None if self.rollout is None else self.rollout.to_dict()
        return values

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deployment:
        values = dict(data)
        values["batching"] = Batching(**values["batching"])
        values["log"] = LogSettings(**values["log"])
        rollout = values.get("rollout")
        values["rollout"] = None if rollout is None else Rollout.from_dict(rollout)
        return cls(**values)


@dataclass(frozen=True)
class FieldChange:
    """One setting an event changed: its value before (None on create) and after (None on
    delete)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class DeploymentEvent:
    """One change of a deployment: who made it, when, why, and what it changed.

    ``model_version`` is the version the model URI resolved to when the change was made (an
    alias may move later); ``warnings`` says what could not be checked (a version without a
    signature, for instance).
    """

    deployment: str
    revision: int
    action: str
    actor: str
    time_ms: int
    reason: str
    changes: tuple[FieldChange, ...] = ()
    model_version: int | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["changes"] = [asdict(change) for change in self.changes]
        values["warnings"] = list(self.warnings)
        return values

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeploymentEvent:
        values = dict(data)
        values["changes"] = tuple(FieldChange(**change) for change in values.get("changes", ()))
        values["warnings"] = tuple(values.get("warnings", ()))
        return cls(**values)


#: How a replica stands in a deployment's health: heard from within three poll intervals
#: (``live``) or not (``stale``).
REPLICA_STATES = ("live", "stale")
#: A deployment's health as a whole (see ``services.deployment.health``).
HEALTH_STATUSES = ("healthy", "degraded", "down", "unknown")
#: What reports: a ``mlsteward serve`` data plane (``serve``) or a ``mlsteward stream``
#: consumer (``stream``), which scores with the same plan and adds its consumer's figures.
REPLICA_KINDS = ("serve", "stream")


@dataclass(frozen=True)
class ReplicaReport:
    """What one data-plane replica (a ``mlsteward serve`` worker process, or a
    ``mlsteward stream`` consumer: ``kind``) last said about itself: since when it runs, how
    often it polls, the plan revision and versions it serves, whether it is ready, and its
    counters since it started. The control plane keeps the latest report per replica and
    stamps ``received_ms`` with its own clock, so ages never depend on a replica's clock.

    A stream consumer adds where it reads (``source`` without credentials, ``subject``,
    ``group``), its messages since it started and the group's backlog as the broker last
    told it; a ``serve`` replica leaves those at their defaults."""

    deployment: str
    #: Stable for the life of the process: host, port, pid and, with several workers, the
    #: worker's index (``host:8080:4242:w1``).
    replica: str
    started_ms: int
    #: Seconds between the replica's plan polls (and so between its reports).
    interval_s: float
    #: The plan revision it serves (0: nothing loaded yet).
    revision: int
    ready: bool
    routes: tuple[RouteTarget, ...] = ()
    requests: int = 0
    #: Requests answered with a status of 500 or more.
    errors: int = 0
    predictions_logged: int = 0
    log_dropped: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    #: Why the last plan was not applied, when it was not (empty otherwise).
    message: str = ""
    received_ms: int = 0
    #: ``serve`` or ``stream`` (see :data:`REPLICA_KINDS`); the fields below are a stream's.
    kind: str = "serve"
    source: str = ""
    subject: str = ""
    group: str = ""
    #: Messages scored, and dead-lettered, and acknowledged; deliveries seen more than once.
    scored: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    #: Failures that left a batch unacknowledged, to be delivered again (broker or log).
    stream_errors: int = 0
    #: The group's backlog: messages not yet delivered to it, and delivered but not yet
    #: acknowledged (None: not read yet, or the broker does not say).
    consumer_lag: int | None = None
    unacknowledged: int | None = None

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["routes"] = [asdict(route) for route in self.routes]
        return values

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReplicaReport:
        values = dict(data)
        values["routes"] = tuple(RouteTarget(**route) for route in values.get("routes", ()))
        return cls(**values)


@dataclass(frozen=True)
class ReplicaHealth:
    """One replica's latest report as the control plane judges it now."""

    report: ReplicaReport
    #: Milliseconds since the report arrived.
    age_ms: int
    #: ``live`` (heard within three poll intervals) or ``stale``.
    state: str
    #: Serves another revision, or other versions, than the deployment's plan now.
    lagging: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": self.report.to_dict(),
            "age_ms": self.age_ms,
            "state": self.state,
            "lagging": self.lagging,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReplicaHealth:
        return cls(
            report=ReplicaReport.from_dict(data["report"]),
            age_ms=int(data["age_ms"]),
            state=str(data["state"]),
            lagging=bool(data["lagging"]),
        )


@dataclass(frozen=True)
class DeploymentHealth:
    """A deployment's replicas and the verdict on them: ``healthy``, ``degraded``, ``down``
    or ``unknown`` (no replica ever reported), with the reasons in words."""

    deployment: str
    status: str
    reasons: tuple[str, ...]
    #: The replicas the record asks for, and how many are live, and live and ready.
    desired: int
    live: int
    ready: int
    #: The plan revision replicas should serve now.
    revision: int
    #: Errors over requests summed over the live replicas' counters (None: no requests).
    error_rate: float | None
    checked_ms: int
    #: Live replicas first, then by how recently each was heard from.
    replicas: tuple[ReplicaHealth, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["reasons"] = list(self.reasons)
        values["replicas"] = [replica.to_dict() for replica in self.replicas]
        return values

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeploymentHealth:
        values = dict(data)
        values["reasons"] = tuple(values.get("reasons", ()))
        values["replicas"] = tuple(ReplicaHealth.from_dict(r) for r in values.get("replicas", ()))
        return cls(**values)


def setting_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The settings whose value differs between ``before`` and ``after``, in ``after``'s
    order (a key missing on one side counts as None there)."""
    keys = [*after, *(key for key in before if key not in after)]
    return tuple(
        FieldChange(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    )
