"""The monitoring storage contract, checked by ``tests/monitoring/test_monitoring_store.py``.

* Every method is atomic: it applies completely or raises and changes nothing.
* Monitor and profile names are unique; creating a taken one raises ``AlreadyExistsError``;
  a missing one raises ``NotFoundError``.
* ``open_alert`` keeps at most one open alert per (monitor, check, column): a breach that is
  already open is counted on that alert (``created`` False), under a lock on the monitor row.
* Events are append-only with increasing ``seq``; ``list_events(since)`` returns those after it.

Stores hold no business rules; those live in ``mlsteward.services.monitoring``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord
from mlsteward.storage.capabilities import StoreCapabilities


class MonitoringStore(abc.ABC):
    """Abstract persistence for profiles, monitors, monitor runs, alerts and events."""

    capabilities: StoreCapabilities

    # -- reference profiles ----------------------------------------------------------------
    @abc.abstractmethod
    def put_profile(self, record: ProfileRecord, replace: bool) -> ProfileRecord:
        """Store a profile record; with ``replace`` an existing name is overwritten."""

    @abc.abstractmethod
    def get_profile(self, name: str) -> ProfileRecord: ...

    @abc.abstractmethod
    def list_profiles(self) -> list[ProfileRecord]: ...

    # -- monitors --------------------------------------------------------------------------
    @abc.abstractmethod
    def create_monitor(self, monitor: Monitor) -> Monitor: ...

    @abc.abstractmethod
    def get_monitor(self, name: str) -> Monitor: ...

    @abc.abstractmethod
    def list_monitors(self) -> list[Monitor]:
        """Every monitor, by name."""

    @abc.abstractmethod
    def delete_monitor(self, name: str) -> None:
        """Delete a monitor with its runs and alerts (events stay: they are a log)."""

    @abc.abstractmethod
    def due_monitors(self, now: int) -> list[Monitor]:
        """Enabled monitors with an interval whose ``next_run_time`` is at or before ``now``."""

    @abc.abstractmethod
    def claim_monitor(self, name: str, due_at: int, lease_until: int) -> bool:
        """Take a due monitor for one scheduled run: move its ``next_run_time`` from
        ``due_at`` to ``lease_until`` if nobody has yet. True for exactly one claimant, so
        several servers on one database run each due monitor once; if the claimant dies,
        the monitor is due again when the lease ends."""

    @abc.abstractmethod
    def record_monitor_run(
        self, run: MonitorRun, state: Mapping[str, Any], next_run_time: int | None
    ) -> MonitorRun:
        """Store a run and advance the monitor's schedule and state in one transaction."""

    @abc.abstractmethod
    def list_monitor_runs(self, monitor: str, limit: int) -> list[MonitorRun]:
        """The monitor's newest runs first."""

    @abc.abstractmethod
    def get_monitor_run(self, run_id: str) -> MonitorRun: ...

    # -- alerts ----------------------------------------------------------------------------
    @abc.abstractmethod
    def open_alert(
        self,
        alert_id: str,
        monitor: str,
        check: str,
        column: str,
        severity: str,
        evidence: Mapping[str, Any],
        run_id: str | None,
        now: int,
    ) -> tuple[Alert, bool]:
        """Open an alert, or count the breach on the open one with the same key."""

    @abc.abstractmethod
    def resolve_alerts(
        self, monitor: str, keep: Sequence[tuple[str, str]], now: int
    ) -> list[Alert]:
        """Resolve the monitor's open alerts whose (check, column) is not in ``keep``."""

    @abc.abstractmethod
    def list_alerts(self, monitor: str | None, status: str | None) -> list[Alert]:
        """Alerts, newest first, optionally of one monitor and one status."""

    # -- events ----------------------------------------------------------------------------
    @abc.abstractmethod
    def append_event(
        self, event_type: str, monitor: str, payload: Mapping[str, Any], now: int
    ) -> MonitoringEvent: ...

    @abc.abstractmethod
    def list_events(
        self, since: int, limit: int, event_types: Sequence[str] | None = None
    ) -> list[MonitoringEvent]:
        """Events with ``seq`` greater than ``since``, oldest first."""

    # -- lifecycle -------------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own (one sharing its database with the other
        stores of a bundle holds nothing: the bundle closes the database)."""
