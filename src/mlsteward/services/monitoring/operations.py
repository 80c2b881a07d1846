"""The monitoring operations a client can call (see ``mlsteward.services.operations``):
reference profiles, monitors and their runs, alerts, events and reports."""

from __future__ import annotations

from typing import Any

from mlsteward.services.monitoring import (
    operations_findings,
    operations_monitors,
    operations_profiles,
)
from mlsteward.services.operations.declaration import Operation

OPERATIONS: tuple[Operation[Any, Any], ...] = (
    *operations_profiles.declare.operations,
    *operations_monitors.declare.operations,
    *operations_findings.declare.operations,
)
