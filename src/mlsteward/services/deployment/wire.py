"""Deployments on the wire: plain JSON objects, decoded back into the same dataclasses, so the
in-process and HTTP doors return equal values."""

from __future__ import annotations

from typing import Any

from mlsteward.domain.deployments import (
    Deployment,
    DeploymentEvent,
    DeploymentHealth,
    ReplicaReport,
    ServingPlan,
)

DEPLOYMENTS_PATH = "/deployments"


def encode_deployment(deployment: Deployment) -> dict[str, Any]:
    return deployment.to_dict()


def decode_deployment(raw: dict[str, Any]) -> Deployment:
    return Deployment.from_dict(raw)


def encode_event(event: DeploymentEvent) -> dict[str, Any]:
    return event.to_dict()


def decode_event(raw: dict[str, Any]) -> DeploymentEvent:
    return DeploymentEvent.from_dict(raw)


def encode_plan(plan: ServingPlan) -> dict[str, Any]:
    return plan.to_dict()


def decode_plan(raw: dict[str, Any]) -> ServingPlan:
    return ServingPlan.from_dict(raw)


def encode_report(report: ReplicaReport) -> dict[str, Any]:
    return report.to_dict()


def decode_report(raw: dict[str, Any]) -> ReplicaReport:
    return ReplicaReport.from_dict(raw)


def encode_health(health: DeploymentHealth) -> dict[str, Any]:
    return health.to_dict()


def decode_health(raw: dict[str, Any]) -> DeploymentHealth:
    return DeploymentHealth.from_dict(raw)
