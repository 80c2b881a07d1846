"""``/api/v1/monitoring`` pages: the HTML reports, served by hand as they are not JSON.

Every other monitoring route is mounted from its declaration
(``mlsteward.services.monitoring.operations``); these two build the declared operation's
request and run it through the same dispatcher.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.services.api.documented_types import MonitoringName
from mlsteward.services.api.wire_monitoring import MONITORING_PREFIX
from mlsteward.services.monitoring import operations_findings as ops
from mlsteward.services.operations import dispatch

router = APIRouter(prefix=MONITORING_PREFIX, tags=["monitoring"])

#: A report is a self-contained page: inline styles and data-URI images, nothing fetched.
_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _page(content: bytes) -> HTMLResponse:
    return HTMLResponse(content, headers={"Content-Security-Policy": _PAGE_POLICY})


@router.get("/monitor-runs/{run_id}/report", response_class=HTMLResponse)
def monitor_run_report(run_id: str, ctx: Ctx) -> Response:
    """The HTML report a monitor run stored."""
    request = ops.MonitorRunReport.model_construct(run_id=run_id)
    return _page(dispatch(ctx, ops.monitor_run_report, request))


@router.get("/runs/{run_id}/reports/{name}", response_class=HTMLResponse)
def run_artifact_report(run_id: str, name: MonitoringName, ctx: Ctx) -> Response:
    """A report logged to a tracking run (``monitoring/<name>.html``), served as a page."""
    request = ops.LoggedReport.model_construct(run_id=run_id, name=name)
    return _page(dispatch(ctx, ops.logged_report, request))
