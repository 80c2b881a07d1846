"""Monitoring entities on the wire: plain JSON objects, decoded back into the same dataclasses.

Shared by the REST routes and the SDK's HTTP backend so both sides agree on one shape.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord

MONITORING_PREFIX = "/monitoring"


def encode(entity: Any) -> dict[str, Any]:
    """Any monitoring dataclass as a JSON object."""
    return dataclasses.asdict(entity)


def decode_profile(raw: dict[str, Any]) -> ProfileRecord:
    return ProfileRecord(**raw)


def decode_monitor(raw: dict[str, Any]) -> Monitor:
    return Monitor(**raw)


def decode_run(raw: dict[str, Any]) -> MonitorRun:
    return MonitorRun(**raw)


def decode_alert(raw: dict[str, Any]) -> Alert:
    return Alert(**raw)


def decode_event(raw: dict[str, Any]) -> MonitoringEvent:
    return MonitoringEvent(**raw)
