"""``Client.monitoring()`` and ``Client.monitor_scheduler()``: monitoring from a client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.services.context import ServiceContext

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.monitoring_calls import MonitoringCalls
    from mlsteward.services.monitoring import MonitorScheduler


class MonitoringClientMixin:
    """Adds ``monitoring()`` and ``monitor_scheduler()`` to ``Client``; the host class
    provides ``_backend``."""

    _backend: TrackingBackend

    def monitoring(self) -> MonitoringCalls:
        """This client's monitoring operations (profiles, monitors, alerts, events, reports).

        Imported on first use: the monitoring services load numpy and pandas.
        """
        from mlsteward.interfaces.sdk.monitoring_calls import MonitoringCalls

        return MonitoringCalls(self._backend)

    def monitor_scheduler(self, poll_s: float = 5.0) -> MonitorScheduler:
        """A scheduler over this client's store; it runs beside the database, not a server."""
        from mlsteward.services.monitoring import MonitorScheduler

        ctx = getattr(self._backend, "ctx", None)
        if not isinstance(ctx, ServiceContext):
            raise MlstewardError(
                "The scheduler runs beside the store: give a database tracking URI, not a server"
            )
        return MonitorScheduler(ctx, poll_s)
