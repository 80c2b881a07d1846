"""``Client.monitoring()``: the monitoring backend behind a client (used by the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.monitoring_backend import MonitoringBackend
from mlsteward.services.context import ServiceContext

if TYPE_CHECKING:
    from mlsteward.services.monitoring import MonitorScheduler


class MonitoringClientMixin:
    """Adds ``monitoring()`` and ``monitor_scheduler()`` to ``Client``; the host class
    provides ``_backend``."""

    _backend: TrackingBackend

    def monitoring(self) -> MonitoringBackend:
        """This client's ``MonitoringBackend`` (profiles, monitors, alerts, events)."""
        if not isinstance(self._backend, MonitoringBackend):
            raise MlstewardError(f"The backend at {self._backend.uri!r} does not do monitoring")
        return self._backend

    def monitor_scheduler(self, poll_s: float = 5.0) -> MonitorScheduler:
        """A scheduler over this client's store; it runs beside the database, not a server."""
        from mlsteward.services.monitoring import MonitorScheduler

        ctx = getattr(self._backend, "ctx", None)
        if not isinstance(ctx, ServiceContext):
            raise MlstewardError(
                "The scheduler runs beside the store: give a database tracking URI, not a server"
            )
        return MonitorScheduler(ctx, poll_s)
