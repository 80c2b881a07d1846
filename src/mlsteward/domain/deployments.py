"""Deployments: what the control plane stores about a served model, and the plan a data plane
follows.

A :class:`Deployment` is a record: which model it serves (a ``models:/`` URI that follows an
alias or pins a version), how (runtime, replicas, batching, prediction log), and its
``revision``, which grows with every change. Each change is a :class:`DeploymentEvent`: who,
when, why, and the fields it changed (before and after). A :class:`ServingPlan` is what a data
plane needs and all it needs: the record resolved at one moment (an alias's current version),
so moving the alias changes the plan without changing the record.
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
EVENT_ACTIONS = ("create", "update", "delete")
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
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deployment:
        values = dict(data)
        values["batching"] = Batching(**values["batching"])
        values["log"] = LogSettings(**values["log"])
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


def setting_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The settings whose value differs between ``before`` and ``after``, in ``after``'s
    order (a key missing on one side counts as None there)."""
    keys = [*after, *(key for key in before if key not in after)]
    return tuple(
        FieldChange(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    )
