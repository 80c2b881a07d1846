"""Monitoring entities on the wire: plain JSON objects, decoded back into the same dataclasses.

The REST routes write these and the SDK's HTTP transport reads them, so both doors agree on
one shape and return equal values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord

if TYPE_CHECKING:  # numpy/pandas load when a profile is read, not with this module
    from mlsteward.engines.drift import ReferenceProfile

MONITORING_PREFIX = "/monitoring"


@dataclass(frozen=True)
class StoredProfile:
    """A stored reference profile: its record and the profile itself."""

    record: ProfileRecord
    profile: ReferenceProfile


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


def encode_stored_profile(stored: StoredProfile) -> dict[str, Any]:
    return {"record": encode(stored.record), "profile": stored.profile.to_dict()}


def decode_stored_profile(raw: dict[str, Any]) -> StoredProfile:
    from mlsteward.engines.drift import ReferenceProfile

    return StoredProfile(decode_profile(raw["record"]), ReferenceProfile.from_dict(raw["profile"]))


def encode_run_result(result: dict[str, Any]) -> dict[str, Any]:
    """A monitor run's outcome, ``{"run", "opened", "resolved", "deliveries"}``: entities as
    JSON objects, each delivery already a plain dict."""
    return {
        "run": encode(result["run"]),
        "opened": [encode(a) for a in result["opened"]],
        "resolved": [encode(a) for a in result["resolved"]],
        "deliveries": [dict(d) for d in result["deliveries"]],
    }


def decode_run_result(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "run": decode_run(raw["run"]),
        "opened": [decode_alert(a) for a in raw["opened"]],
        "resolved": [decode_alert(a) for a in raw["resolved"]],
        "deliveries": list(raw["deliveries"]),
    }


def page_bytes(content: bytes) -> bytes:
    """A downloaded page as received: both doors answer its UTF-8 bytes."""
    return content


def page_text(content: bytes) -> str:
    """A downloaded page as text."""
    return content.decode("utf-8", errors="replace")
