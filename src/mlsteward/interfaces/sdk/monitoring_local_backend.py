"""The monitoring half of ``LocalBackend``: each method calls one monitoring service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord
from mlsteward.services.context import ServiceContext

if TYPE_CHECKING:
    from mlsteward.engines.drift import ReferenceProfile


class LocalMonitoringBackendMixin:
    """Implements ``MonitoringBackend`` in-process; the host class provides ``ctx``."""

    ctx: ServiceContext

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
        from mlsteward.services.monitoring import save_profile

        return save_profile(
            self.ctx,
            profile,
            name,
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
        run_id: str | None = None,
        model_name: str | None = None,
        model_version: int | None = None,
        replace: bool = True,
    ) -> ProfileRecord:
        from mlsteward.services.monitoring import profile_dataset

        return profile_dataset(
            self.ctx,
            ref,
            name,
            chunk_size=chunk_size,
            run_id=run_id,
            model_name=model_name,
            model_version=model_version,
            replace=replace,
        )

    def load_profile(self, name: str) -> ReferenceProfile:
        from mlsteward.services.monitoring import load_profile

        return load_profile(self.ctx, name)

    def list_profiles(self) -> list[ProfileRecord]:
        from mlsteward.services.monitoring import list_profiles

        return list_profiles(self.ctx)

    def create_monitor(
        self, name: str, target: str, profile: str, options: Mapping[str, Any]
    ) -> Monitor:
        from mlsteward.services.monitoring import create_monitor

        return create_monitor(self.ctx, name, target, profile, **dict(options))

    def get_monitor(self, name: str) -> Monitor:
        from mlsteward.services.monitoring import get_monitor

        return get_monitor(self.ctx, name)

    def list_monitors(self) -> list[Monitor]:
        from mlsteward.services.monitoring import list_monitors

        return list_monitors(self.ctx)

    def delete_monitor(self, name: str) -> None:
        from mlsteward.services.monitoring import delete_monitor

        delete_monitor(self.ctx, name)

    def run_monitor(self, name: str) -> dict[str, Any]:
        from mlsteward.services.monitoring import run_monitor

        result = run_monitor(self.ctx, name)
        return {
            "run": result.run,
            "opened": result.opened,
            "resolved": result.resolved,
            "deliveries": [d.__dict__ for d in result.deliveries],
        }

    def list_monitor_runs(self, name: str, limit: int = 20) -> list[MonitorRun]:
        from mlsteward.services.monitoring import list_runs

        return list_runs(self.ctx, name, limit)

    def monitor_report_html(self, run_id: str) -> str:
        from mlsteward.services.monitoring import run_report_html

        return run_report_html(self.ctx, run_id)

    def logged_report_html(self, run_id: str, name: str = "drift_report") -> str:
        from mlsteward.services.monitoring import logged_report_html

        return logged_report_html(self.ctx, run_id, name)

    def list_alerts(self, monitor: str | None = None, status: str | None = None) -> list[Alert]:
        from mlsteward.services.monitoring import list_alerts

        return list_alerts(self.ctx, monitor, status)

    def list_events(
        self, since: int = 0, limit: int = 100, event_types: Sequence[str] | None = None
    ) -> list[MonitoringEvent]:
        from mlsteward.services.monitoring import list_events

        return list_events(self.ctx, since, limit, event_types)
