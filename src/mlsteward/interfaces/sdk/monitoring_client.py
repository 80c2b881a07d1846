"""``Client.monitoring()``: the monitoring backend behind a client (used by the CLI)."""

from __future__ import annotations

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.monitoring_backend import MonitoringBackend


class MonitoringClientMixin:
    """Adds ``monitoring()`` to ``Client``; the host class provides ``_backend``."""

    _backend: TrackingBackend

    def monitoring(self) -> MonitoringBackend:
        """This client's ``MonitoringBackend`` (profiles, monitors, alerts, events)."""
        if not isinstance(self._backend, MonitoringBackend):
            raise MlstewardError(f"The backend at {self._backend.uri!r} does not do monitoring")
        return self._backend
