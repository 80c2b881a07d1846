"""Monitoring in the SDK: drift reports on DataFrames, stored reference profiles, monitors,
alerts and events. See ``docs/monitoring.md``.

Every function here is the SDK's (``mlsteward.interfaces.sdk.monitoring_*``); the rules live
in ``mlsteward.services.monitoring``, the statistics in ``mlsteward.engines.drift``.
"""

from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord
from mlsteward.interfaces.sdk.monitoring_files import (
    LateLabelPerformance,
    late_label_performance,
)
from mlsteward.interfaces.sdk.monitoring_fluent import (
    build_reference_profile,
    create_monitor,
    delete_monitor,
    drift_report,
    get_monitor,
    get_reference_profile,
    list_alerts,
    list_events,
    list_monitor_runs,
    list_monitors,
    list_reference_profiles,
    log_report,
    run_monitor,
)

__all__ = [
    "Alert",
    "LateLabelPerformance",
    "Monitor",
    "MonitorRun",
    "MonitoringEvent",
    "ProfileRecord",
    "build_reference_profile",
    "create_monitor",
    "delete_monitor",
    "drift_report",
    "get_monitor",
    "get_reference_profile",
    "late_label_performance",
    "list_alerts",
    "list_events",
    "list_monitor_runs",
    "list_monitors",
    "list_reference_profiles",
    "log_report",
    "run_monitor",
]
