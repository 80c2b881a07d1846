"""``DeploymentCalls``: the deployment operations of one platform as typed methods.

``Client(...).deployments`` returns one; each method builds a declared operation's request
and hands it to the backend's transport, so a local store and a server answer alike and
return the same domain objects.
"""

from __future__ import annotations

import builtins
from typing import Any

from mlsteward.domain.deployments import (
    Deployment,
    DeploymentEvent,
    DeploymentHealth,
    ReplicaReport,
    ServingPlan,
    validate_deployment_name,
)
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.deployment_packaging import DeploymentPackaging
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.deployment import operations as ops
from mlsteward.services.deployment import operations_rollouts as rollout_ops


class DeploymentCalls(DeploymentPackaging, OperationCaller):
    """Deployment records, their history and serving plans, on one SDK backend's platform.

    A name that goes into a URL is checked here first, so both doors refuse a bad one with
    the service's own words.
    """

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    def create(
        self,
        name: str,
        model_uri: str,
        *,
        runtime: str = "auto",
        replicas: int = 1,
        max_batch_size: int = 32,
        max_wait_ms: float = 2.0,
        log_enabled: bool = True,
        log_sample_rate: float = 1.0,
        log_retention_days: int = 30,
        reason: str | None = None,
    ) -> Deployment:
        """Deploy ``models:/NAME@ALIAS`` (follows the alias) or ``models:/NAME/VERSION``."""
        return self._call(
            ops.create,
            name=name,
            model_uri=model_uri,
            runtime=runtime,
            replicas=replicas,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            log_enabled=log_enabled,
            log_sample_rate=log_sample_rate,
            log_retention_days=log_retention_days,
            reason=reason,
        )

    def list(self) -> builtins.list[Deployment]:
        return self._call(ops.list_all)

    def get(self, name: str) -> Deployment:
        return self._call(ops.get, name=validate_deployment_name(name))

    def update(self, name: str, *, reason: str, **settings: Any) -> Deployment:
        """Change the settings given (``model_uri``, ``runtime``, ``replicas``,
        ``max_batch_size``, ``max_wait_ms``, ``log_enabled``, ``log_sample_rate``,
        ``log_retention_days``), saying why."""
        return self._call(
            ops.update, name=validate_deployment_name(name), reason=reason, **settings
        )

    def delete(self, name: str, *, reason: str) -> None:
        self._call(ops.delete, name=validate_deployment_name(name), reason=reason)

    def history(self, name: str, limit: int = 100) -> builtins.list[DeploymentEvent]:
        """The deployment's changes, newest first."""
        return self._call(ops.history, name=validate_deployment_name(name), limit=limit)

    def plan(self, name: str) -> ServingPlan:
        """What a data plane serves for ``name`` now (aliases resolved)."""
        return self._call(ops.plan, name=validate_deployment_name(name))

    def report(self, name: str, report: ReplicaReport) -> ReplicaReport:
        """Send a data-plane replica's status (``report.replica`` names it; its
        ``deployment`` and ``received_ms`` are the call's and the control plane's); the
        report as stored. Data planes call this after each plan poll."""
        fields = report.to_dict()
        for taken in ("deployment", "replica", "received_ms"):
            del fields[taken]
        return self._call(
            ops.report, name=validate_deployment_name(name), replica=report.replica, **fields
        )

    def health(self, name: str) -> DeploymentHealth:
        """The deployment's replicas (live or stale, lagging or not) and its status:
        ``healthy``, ``degraded``, ``down`` or ``unknown``, with the reasons."""
        return self._call(ops.health, name=validate_deployment_name(name))

    # -- rollouts ----------------------------------------------------------------------------
    def rollout(
        self,
        name: str,
        version: int,
        *,
        reason: str,
        strategy: str = "canary",
        steps: builtins.list[float] | None = None,
        criteria: dict[str, Any] | None = None,
        sticky_key: str | None = None,
    ) -> Deployment:
        """Start a rollout of ``version`` of the deployment's model (``canary``,
        ``blue_green`` or ``shadow``); ``criteria`` sets the analysis's bounds
        (``interval_s``, ``max_error_rate``, ``max_p99_latency_ms``, ``check_drift``,
        ``min_requests``, ``min_labels``, ``max_accuracy_drop``)."""
        return self._call(
            rollout_ops.rollout,
            name=validate_deployment_name(name),
            version=version,
            strategy=strategy,
            steps=steps,
            criteria=criteria,
            sticky_key=sticky_key,
            reason=reason,
        )

    def promote(self, name: str, *, reason: str) -> Deployment:
        """Make the rollout's candidate the deployment's model now."""
        return self._call(rollout_ops.promote, name=validate_deployment_name(name), reason=reason)

    def rollback(self, name: str, *, reason: str) -> Deployment:
        """Send all traffic back to the stable version now."""
        return self._call(rollout_ops.rollback, name=validate_deployment_name(name), reason=reason)

    def pause(self, name: str, *, reason: str) -> Deployment:
        """Hold the rollout where it is."""
        return self._call(rollout_ops.pause, name=validate_deployment_name(name), reason=reason)

    def resume(self, name: str, *, reason: str) -> Deployment:
        """Let the rollout's analysis decide again."""
        return self._call(rollout_ops.resume, name=validate_deployment_name(name), reason=reason)

    def analyze(self, name: str) -> Deployment:
        """Analyse the rollout's current step now and act on the verdict."""
        return self._call(rollout_ops.analyze, name=validate_deployment_name(name))
