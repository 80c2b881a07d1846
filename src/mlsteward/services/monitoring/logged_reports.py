"""Reports kept as run artifacts: ``monitoring/<name>.html`` and ``monitoring/<name>.json``."""

from __future__ import annotations

from mlsteward.domain.monitoring import validate_monitoring_name
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.reports import MonitoringReport
from mlsteward.services.tracking.artifacts import log_artifact_bytes, open_artifact

REPORT_DIR = "monitoring"


def report_paths(name: str) -> tuple[str, str]:
    """The HTML and JSON artifact paths of the report called ``name``."""
    clean = validate_monitoring_name("Report", name)
    return f"{REPORT_DIR}/{clean}.html", f"{REPORT_DIR}/{clean}.json"


def log_report(
    ctx: ServiceContext, run_id: str, report: MonitoringReport, name: str = "drift_report"
) -> list[str]:
    """Store the report's HTML and JSON as artifacts of ``run_id``; returns their paths."""
    html_path, json_path = report_paths(name)
    return [
        log_artifact_bytes(ctx, run_id, html_path, report.to_html().encode("utf-8")),
        log_artifact_bytes(ctx, run_id, json_path, report.to_json().encode("utf-8")),
    ]


def logged_report_html(ctx: ServiceContext, run_id: str, name: str = "drift_report") -> str:
    """The HTML of a report logged to a run (NotFoundError when there is none)."""
    html_path, _ = report_paths(name)
    _, handle = open_artifact(ctx, run_id, html_path)
    with handle:
        return handle.read().decode("utf-8", errors="replace")
