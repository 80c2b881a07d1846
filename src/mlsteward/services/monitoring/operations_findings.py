"""What monitors found: alerts, the event log, and the HTML reports (downloads)."""

from __future__ import annotations

from mlsteward.domain.monitoring import Alert, MonitoringEvent
from mlsteward.services.api import wire_monitoring as wire
from mlsteward.services.api.documented_types import (
    AlertStatus,
    EventLimit,
    EventSince,
    EventTypes,
    MonitoringName,
)
from mlsteward.services.api.schemas_monitoring import AlertListOut, EventListOut
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import alerts, logged_reports, monitors
from mlsteward.services.monitoring.operations_profiles import TAG
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import WireForm

P = wire.MONITORING_PREFIX


class ListAlerts(OperationRequest):
    monitor: str | None = None
    status: AlertStatus | None = None


class ListEvents(OperationRequest):
    since: EventSince = 0
    limit: EventLimit = 100
    #: Only events of these types (a repeated ``type`` query parameter).
    type: EventTypes | None = None


class MonitorRunReport(OperationRequest):
    run_id: str


class LoggedReport(OperationRequest):
    run_id: str
    name: MonitoringName


declare = Declarations("monitoring", ResourceKind.MONITOR, tag=TAG)
#: An HTML page: its route is written by hand for the media type and calls the dispatcher, so
#: there is no JSON to encode; a client receives the page's bytes.
PAGE: Codec[bytes] = Codec(None, wire.page_bytes)  # a download: its route writes the page


@declare.get(
    f"{P}/alerts",
    returns=Codec(
        listed("alerts", wire.encode), unlisted("alerts", wire.decode_alert), AlertListOut
    ),
    resource_name=lambda r: r.monitor,
)
def list_alerts(ctx: ServiceContext, r: ListAlerts) -> list[Alert]:
    """Alerts, newest first: of one monitor, and open or resolved ones only, if asked."""
    return alerts.list_alerts(ctx, r.monitor, r.status)


@declare.get(
    f"{P}/events",
    returns=Codec(
        listed("events", wire.encode), unlisted("events", wire.decode_event), EventListOut
    ),
)
def list_events(ctx: ServiceContext, r: ListEvents) -> list[MonitoringEvent]:
    """Events after sequence number ``since``, oldest first: poll with the last ``seq`` seen."""
    return alerts.list_events(ctx, r.since, r.limit, r.type)


@declare.get(
    f"{P}/monitor-runs/{{run_id}}/report",
    returns=PAGE,
    wire=WireForm.DOWNLOAD,
    # About the monitor the run belongs to (the policy looks it up), so its grants cover it.
    resource_name=lambda r: f"/monitor-runs/{r.run_id}",
)
def monitor_run_report(ctx: ServiceContext, r: MonitorRunReport) -> bytes:
    """The HTML report a monitor run stored."""
    return monitors.run_report_html(ctx, r.run_id).encode("utf-8")


@declare.get(
    f"{P}/runs/{{run_id}}/reports/{{name}}",
    returns=PAGE,
    resource=ResourceKind.RUN,
    wire=WireForm.DOWNLOAD,
    resource_name=lambda r: r.run_id,
)
def logged_report(ctx: ServiceContext, r: LoggedReport) -> bytes:
    """A report logged to a tracking run (``monitoring/<name>.html``), served as a page."""
    return logged_reports.logged_report_html(ctx, r.run_id, r.name).encode("utf-8")
