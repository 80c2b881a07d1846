"""``MonitoringCalls``: the monitoring operations of one platform as typed methods.

``Client.monitoring()`` returns one and the ``mlsteward.monitoring`` functions call one; each
method builds a declared operation's request and hands it to the backend's transport, so a
local store and a server answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import (
    Alert,
    Monitor,
    MonitoringEvent,
    MonitorRun,
    ProfileRecord,
    validate_monitoring_name,
)
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.api import wire_monitoring as wire
from mlsteward.services.monitoring import operations_findings as findings
from mlsteward.services.monitoring import operations_monitors as monitors
from mlsteward.services.monitoring import operations_profiles as profiles

if TYPE_CHECKING:
    from mlsteward.engines.drift import ReferenceProfile


def _as_list(value: object) -> object:
    """A tuple or other sequence given for a list setting, as a list (what the wire holds)."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | list):
        return list(value)
    return value


def _monitor_name(name: str) -> str:
    return validate_monitoring_name("Monitor", name)


class MonitoringCalls(OperationCaller):
    """Reference profiles, monitors and their runs, alerts, events and reports, on the
    platform of one SDK backend.

    A name that goes into a URL is checked here first, so both doors refuse a bad one with
    the service's own words.
    """

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    @property
    def uri(self) -> str:
        return self._backend.uri

    # profiles ----------------------------------------------------------------------------
    def save_profile(
        self,
        profile: ReferenceProfile,
        name: str | None = None,
        *,
        run_id: str | None = None,
        model_name: str | None = None,
        model_version: int | None = None,
        dataset_name: str | None = None,
        dataset_version: int | None = None,
        replace: bool = True,
    ) -> ProfileRecord:
        """Store a profile computed here, tied to a run, a model version and/or the dataset
        version it describes."""
        return self._call(
            profiles.save_profile,
            name=name,
            profile=profile.to_dict(),
            run_id=run_id,
            model_name=model_name,
            model_version=model_version,
            dataset_name=dataset_name,
            dataset_version=dataset_version,
            replace=replace,
        )

    def profile_dataset(
        self,
        ref: str,
        name: str | None = None,
        *,
        chunk_size: int | None = None,
        sample_size: int | None = None,
        run_id: str | None = None,
        model_name: str | None = None,
        model_version: int | None = None,
        replace: bool = True,
    ) -> ProfileRecord:
        """Profile a stored dataset version where the data is, tied to that version;
        ``sample_size`` reference rows are kept for multivariate checks (None: the default,
        0: none)."""
        return self._call(
            profiles.save_profile,
            name=name,
            from_dataset=ref,
            chunk_size=chunk_size,
            sample_size=sample_size,
            run_id=run_id,
            model_name=model_name,
            model_version=model_version,
            replace=replace,
        )

    def load_profile(self, name: str) -> ReferenceProfile:
        name = validate_monitoring_name("Profile", name)
        return self._call(profiles.get_profile, name=name).profile

    def list_profiles(self) -> list[ProfileRecord]:
        return self._call(profiles.list_profiles)

    # monitors ------------------------------------------------------------------------------
    def create_monitor(
        self, name: str, target: str, profile: str, options: Mapping[str, Any]
    ) -> Monitor:
        """A monitor of ``target`` against the stored profile ``profile``; ``options`` are
        the settings ``mlsteward.monitoring.create_monitor`` lists."""
        unknown = sorted(set(options) - set(monitors.OPTIONS) - {"performance"})
        if unknown:
            raise InvalidArgumentError(
                f"Unknown monitor settings {unknown}; known: {[*monitors.OPTIONS, 'performance']}"
            )
        given = {key: _as_list(value) for key, value in options.items()}
        return self._call(
            monitors.create_monitor, name=name, target=target, profile=profile, **given
        )

    def get_monitor(self, name: str) -> Monitor:
        return self._call(monitors.get_monitor, name=_monitor_name(name))

    def list_monitors(self) -> list[Monitor]:
        return self._call(monitors.list_monitors)

    def delete_monitor(self, name: str) -> None:
        self._call(monitors.delete_monitor, name=_monitor_name(name))

    def run_monitor(self, name: str) -> dict[str, Any]:
        """``{"run": MonitorRun, "opened": [Alert], "resolved": [Alert], "deliveries": [...]}``"""
        return self._call(monitors.run_monitor, name=_monitor_name(name))

    def list_monitor_runs(self, name: str, limit: int = 20) -> list[MonitorRun]:
        return self._call(monitors.list_monitor_runs, name=_monitor_name(name), limit=limit)

    # findings ------------------------------------------------------------------------------
    def monitor_report_html(self, run_id: str) -> str:
        return wire.page_text(self._call(findings.monitor_run_report, run_id=run_id))

    def logged_report_html(self, run_id: str, name: str = "drift_report") -> str:
        name = validate_monitoring_name("Report", name)
        return wire.page_text(self._call(findings.logged_report, run_id=run_id, name=name))

    def list_alerts(self, monitor: str | None = None, status: str | None = None) -> list[Alert]:
        return self._call(findings.list_alerts, monitor=monitor or None, status=status or None)

    def list_events(
        self, since: int = 0, limit: int = 100, event_types: Sequence[str] | None = None
    ) -> list[MonitoringEvent]:
        types = list(event_types) if event_types else None
        return self._call(findings.list_events, since=since, limit=limit, type=types)
