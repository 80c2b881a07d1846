"""The monitoring half of the SDK's seam: what ``mlsteward.monitoring`` and the CLI need.

The local backend implements it over ``mlsteward.services.monitoring``; the HTTP backend over
the REST API, which calls the same services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord

if TYPE_CHECKING:  # numpy/pandas load on first use, not by ``import mlsteward``
    from mlsteward.engines.drift import ReferenceProfile


@runtime_checkable
class MonitoringBackend(Protocol):
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
    ) -> ProfileRecord: ...
    def profile_dataset(
        self,
        ref: str,
        name: str | None = None,
        *,
        chunk_size: int | None = None,
        run_id: str | None = None,
        model_name: str | None = None,
        model_version: int | None = None,
        replace: bool = True,
    ) -> ProfileRecord:
        """Profile a stored dataset version where the data is, tied to that version."""
        ...

    def load_profile(self, name: str) -> ReferenceProfile: ...
    def list_profiles(self) -> list[ProfileRecord]: ...
    def create_monitor(
        self, name: str, target: str, profile: str, options: Mapping[str, Any]
    ) -> Monitor: ...
    def get_monitor(self, name: str) -> Monitor: ...
    def list_monitors(self) -> list[Monitor]: ...
    def delete_monitor(self, name: str) -> None: ...
    def run_monitor(self, name: str) -> dict[str, Any]:
        """``{"run": MonitorRun, "opened": [Alert], "resolved": [Alert], "deliveries": [...]}``"""
        ...

    def list_monitor_runs(self, name: str, limit: int = 20) -> list[MonitorRun]: ...
    def monitor_report_html(self, run_id: str) -> str: ...
    def logged_report_html(self, run_id: str, name: str = "drift_report") -> str: ...
    def list_alerts(self, monitor: str | None = None, status: str | None = None) -> list[Alert]: ...
    def list_events(
        self, since: int = 0, limit: int = 100, event_types: Sequence[str] | None = None
    ) -> list[MonitoringEvent]: ...
