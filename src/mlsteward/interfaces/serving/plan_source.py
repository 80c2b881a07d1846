"""Where a data plane gets its plan: a deployment record on the control plane, or a one-off
``models:/`` URI resolved locally (one stable route, the default batching and log settings).

Both re-read the registry on every poll, so moving an alias reaches a running data plane
either way.
"""

from __future__ import annotations

from typing import Protocol

from mlsteward.domain.deployments import (
    Batching,
    LogSettings,
    ReplicaReport,
    RouteTarget,
    ServingPlan,
)
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk.client import Client
from mlsteward.interfaces.sdk.tracking_uri import default_artifacts_uri
from mlsteward.interfaces.serving.config import ServeConfig


class PlanSource(Protocol):
    """Gives the current plan (raises when the control plane cannot be reached)."""

    def fetch(self) -> ServingPlan: ...


class DeploymentPlanSource:
    """The plan of deployment ``name``, read through the SDK (reading needs ``read`` on the
    deployment), and where this replica's status reports go (``update`` on it: without it a
    data plane serves all the same, and says once that its reports are refused)."""

    def __init__(self, client: Client, name: str) -> None:
        self.client = client
        self.name = name

    def fetch(self) -> ServingPlan:
        return self.client.deployments.plan(self.name)

    def report(self, report: ReplicaReport) -> None:
        """Send this replica's status to the control plane."""
        self.client.deployments.report(self.name, report)


def one_off_log_root(client: Client, configured: str | None) -> str:
    """``--log-root``, else the local store's prediction log folder."""
    if configured:
        return configured
    uri = client.tracking_uri
    if uri.startswith(("http://", "https://")):
        raise InvalidArgumentError(
            "A one-off data plane against a server needs --log-root (where to write the "
            "prediction log) or --no-log; or serve a deployment by name"
        )
    return default_artifacts_uri(uri).rstrip("/") + "/predictions"


class ModelUriPlanSource:
    """A plan for ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` with no record behind it.

    The deployment is named after the URI (``churn@champion``, ``churn@3``); its revision is
    the resolved version, so an alias move shows as a new plan.
    """

    def __init__(self, client: Client, config: ServeConfig) -> None:
        self.client = client
        self.uri = config.target
        rest = self.uri.removeprefix("models:/").strip("/")
        name, sep, alias = rest.partition("@")
        if not sep:
            name, _, alias = rest.partition("/")
        if not name or not alias:
            raise InvalidArgumentError(
                f"{self.uri!r}: expected models:/NAME@ALIAS or models:/NAME/VERSION"
            )
        self.deployment = f"{name}@{alias}"
        self.runtime = config.runtime
        self.batching = Batching(config.max_batch_size, config.max_wait_ms)
        self.log = LogSettings(enabled=config.log_enabled)
        self.log_root = one_off_log_root(client, config.log_root) if config.log_enabled else ""

    def fetch(self) -> ServingPlan:
        version = self.client.resolve_model_uri(self.uri)
        number = int(version.version)
        return ServingPlan(
            deployment=self.deployment,
            revision=number,
            runtime=self.runtime,
            routes=(RouteTarget("stable", version.name, number, 1.0),),
            batching=self.batching,
            log=self.log,
            log_root=self.log_root,
        )


def plan_source(config: ServeConfig) -> PlanSource:
    """The plan source ``config.target`` names."""
    client = Client(config.tracking_uri)
    if config.one_off:
        return ModelUriPlanSource(client, config)
    return DeploymentPlanSource(client, config.target)
