"""Monitoring services: drift reports, stored reference profiles, monitors, alerts, events.

Every rule lives here once; the SDK's local backend, the REST API and the CLI call these
functions. The statistics come from ``mlsteward.engines.drift``.
"""

from mlsteward.services.monitoring.alerts import (
    Breach,
    Delivery,
    find_breaches,
    list_alerts,
    list_events,
)
from mlsteward.services.monitoring.logged_reports import log_report, logged_report_html
from mlsteward.services.monitoring.monitors import (
    MonitorRunResult,
    create_monitor,
    delete_monitor,
    get_monitor,
    get_run,
    list_monitors,
    list_runs,
    run_monitor,
    run_report_html,
)
from mlsteward.services.monitoring.profiles import (
    get_profile_record,
    list_profiles,
    load_profile,
    profile_dataset,
    profile_from,
    save_profile,
)
from mlsteward.services.monitoring.reports import MonitoringReport, drift_report, make_chunker
from mlsteward.services.monitoring.scheduler import MonitorScheduler

__all__ = [
    "Breach",
    "Delivery",
    "MonitorRunResult",
    "MonitorScheduler",
    "MonitoringReport",
    "create_monitor",
    "delete_monitor",
    "drift_report",
    "find_breaches",
    "get_monitor",
    "get_profile_record",
    "get_run",
    "list_alerts",
    "list_events",
    "list_monitors",
    "list_profiles",
    "list_runs",
    "load_profile",
    "log_report",
    "logged_report_html",
    "make_chunker",
    "profile_dataset",
    "profile_from",
    "run_monitor",
    "run_report_html",
    "save_profile",
]
