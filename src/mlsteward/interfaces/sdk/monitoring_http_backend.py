"""The monitoring half of ``HttpBackend``: each method is one call to ``/api/v1/monitoring``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord
from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.services.api import wire_monitoring as w

if TYPE_CHECKING:
    from mlsteward.engines.drift import ReferenceProfile

P = w.MONITORING_PREFIX


def _seg(value: str) -> str:
    return quote(value, safe="")


class HttpMonitoringBackendMixin:
    """Implements ``MonitoringBackend`` over HTTP; the host class provides ``_api``."""

    _api: ApiClient

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
        body = {
            "name": name,
            "profile": profile.to_dict(),
            "run_id": run_id,
            "model_name": model_name,
            "model_version": model_version,
            "dataset_name": dataset_name,
            "dataset_version": dataset_version,
            "replace": replace,
        }
        raw = self._api.json("POST", f"{P}/profiles", json=body, idempotent=replace)
        return w.decode_profile(raw)

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
        body = {
            "name": name,
            "from_dataset": ref,
            "chunk_size": chunk_size,
            "run_id": run_id,
            "model_name": model_name,
            "model_version": model_version,
            "replace": replace,
        }
        raw = self._api.json("POST", f"{P}/profiles", json=body, idempotent=replace)
        return w.decode_profile(raw)

    def load_profile(self, name: str) -> ReferenceProfile:
        from mlsteward.engines.drift import ReferenceProfile

        raw = self._api.json("GET", f"{P}/profiles/{_seg(name)}")
        return ReferenceProfile.from_dict(raw["profile"])

    def list_profiles(self) -> list[ProfileRecord]:
        raw = self._api.json("GET", f"{P}/profiles")
        return [w.decode_profile(p) for p in raw["profiles"]]

    def create_monitor(
        self, name: str, target: str, profile: str, options: Mapping[str, Any]
    ) -> Monitor:
        body = {"name": name, "target": target, "profile": profile, **dict(options)}
        raw = self._api.json("POST", f"{P}/monitors", json=body, idempotent=False)
        return w.decode_monitor(raw)

    def get_monitor(self, name: str) -> Monitor:
        return w.decode_monitor(self._api.json("GET", f"{P}/monitors/{_seg(name)}"))

    def list_monitors(self) -> list[Monitor]:
        raw = self._api.json("GET", f"{P}/monitors")
        return [w.decode_monitor(x) for x in raw["monitors"]]

    def delete_monitor(self, name: str) -> None:
        self._api.request("DELETE", f"{P}/monitors/{_seg(name)}")

    def run_monitor(self, name: str) -> dict[str, Any]:
        raw = self._api.json("POST", f"{P}/monitors/{_seg(name)}/run", idempotent=False)
        return {
            "run": w.decode_run(raw["run"]),
            "opened": [w.decode_alert(a) for a in raw["opened"]],
            "resolved": [w.decode_alert(a) for a in raw["resolved"]],
            "deliveries": raw["deliveries"],
        }

    def list_monitor_runs(self, name: str, limit: int = 20) -> list[MonitorRun]:
        raw = self._api.json("GET", f"{P}/monitors/{_seg(name)}/runs", params={"limit": limit})
        return [w.decode_run(r) for r in raw["runs"]]

    def monitor_report_html(self, run_id: str) -> str:
        return self._api.request("GET", f"{P}/monitor-runs/{_seg(run_id)}/report").text

    def logged_report_html(self, run_id: str, name: str = "drift_report") -> str:
        path = f"{P}/runs/{_seg(run_id)}/reports/{_seg(name)}"
        return self._api.request("GET", path).text

    def list_alerts(self, monitor: str | None = None, status: str | None = None) -> list[Alert]:
        params = {k: v for k, v in {"monitor": monitor, "status": status}.items() if v}
        raw = self._api.json("GET", f"{P}/alerts", params=params)
        return [w.decode_alert(a) for a in raw["alerts"]]

    def list_events(
        self, since: int = 0, limit: int = 100, event_types: Sequence[str] | None = None
    ) -> list[MonitoringEvent]:
        params: dict[str, Any] = {"since": since, "limit": limit}
        if event_types:
            params["type"] = list(event_types)
        raw = self._api.json("GET", f"{P}/events", params=params)
        return [w.decode_event(e) for e in raw["events"]]
