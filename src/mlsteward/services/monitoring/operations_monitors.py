"""The monitor operations: create, list, read, delete, run now, and the runs of a monitor."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from mlsteward.domain.monitoring import Monitor, MonitorRun
from mlsteward.services.api import wire_monitoring as wire
from mlsteward.services.api.documented_types import MonitoringName, MonitorRunLimit
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.schemas_monitoring import (
    MonitorListOut,
    MonitorOut,
    MonitorRequest,
    MonitorRunListOut,
    MonitorRunResultOut,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring import monitors
from mlsteward.services.monitoring.operations_profiles import NAMED_IN_BODY, TAG
from mlsteward.services.monitoring.targets import DATASET_PREFIX
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import Action, OperationRequest, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations

P = wire.MONITORING_PREFIX
#: Reading a target, label or reference file outside the server's ``--monitor-data-root``
#: folders, or a webhook host the server does not allow.
OUTSIDE_ALLOWED = {
    403: {
        "model": ErrorResponse,
        "description": "PERMISSION_DENIED: a file or host this server may not reach",
    }
}


#: The body fields passed to the service as options (the rest name the monitor).
_NAMING = ("name", "target", "profile", "performance")
OPTIONS = tuple(name for name in MonitorRequest.model_fields if name not in _NAMING)


class CreateMonitor(OperationRequest):
    body: MonitorRequest


class ListMonitors(OperationRequest):
    pass


class MonitorName(OperationRequest):
    name: MonitoringName


class ListMonitorRuns(OperationRequest):
    name: MonitoringName
    limit: MonitorRunLimit = 20


def _performance(value: object) -> Mapping[str, Any] | None:
    """The performance settings as the service takes them: validated ones (HTTP) in full,
    with their defaults; a mapping from the SDK as it was given (the service checks it)."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value  # type: ignore[return-value]  # the service refuses what is not a mapping


declare = Declarations("monitoring", ResourceKind.MONITOR, tag=TAG)
ONE = Codec(wire.encode, wire.decode_monitor, MonitorOut)


@declare.post(
    f"{P}/monitors",
    returns=ONE,
    status=201,
    responses={**NAMED_IN_BODY, **OUTSIDE_ALLOWED},
    resource_name=lambda r: r.body.name,
    reads=lambda r: _dataset_read(r.body.target),
)
def create_monitor(ctx: ServiceContext, r: CreateMonitor) -> Monitor:
    """Create a monitor of a target (a file, a glob of new files, or ``dataset:REF``) against
    a stored reference profile; with ``interval_s`` above 0 it is due at once."""
    body = r.body
    options = {name: getattr(body, name) for name in OPTIONS}
    return monitors.create_monitor(
        ctx,
        body.name,
        body.target,
        body.profile,
        **options,
        performance=_performance(body.performance),
    )


@declare.get(
    f"{P}/monitors",
    returns=Codec(
        listed("monitors", wire.encode),
        unlisted("monitors", wire.decode_monitor),
        MonitorListOut,
    ),
)
def list_monitors(ctx: ServiceContext, r: ListMonitors) -> list[Monitor]:
    """Every monitor."""
    return monitors.list_monitors(ctx)


@declare.get(f"{P}/monitors/{{name}}", returns=ONE)
def get_monitor(ctx: ServiceContext, r: MonitorName) -> Monitor:
    """A monitor's settings and schedule."""
    return monitors.get_monitor(ctx, r.name)


@declare.delete(f"{P}/monitors/{{name}}", status=204)
def delete_monitor(ctx: ServiceContext, r: MonitorName) -> None:
    """Delete a monitor with its runs and alerts."""
    monitors.delete_monitor(ctx, r.name)


@declare.post(
    f"{P}/monitors/{{name}}/run",
    returns=Codec(wire.encode_run_result, wire.decode_run_result, MonitorRunResultOut),
    action=Action.EXECUTE,
    responses=OUTSIDE_ALLOWED,
)
def run_monitor(ctx: ServiceContext, r: MonitorName) -> dict[str, Any]:
    """Run a monitor now: check its data, store the report, raise or resolve alerts and call
    its webhooks. A run that could not read its data is recorded with status ``error``."""
    result = monitors.run_monitor(ctx, r.name)
    return {
        "run": result.run,
        "opened": result.opened,
        "resolved": result.resolved,
        "deliveries": [dataclasses.asdict(d) for d in result.deliveries],
    }


@declare.get(
    f"{P}/monitors/{{name}}/runs",
    returns=Codec(
        listed("runs", wire.encode), unlisted("runs", wire.decode_run), MonitorRunListOut
    ),
)
def list_monitor_runs(ctx: ServiceContext, r: ListMonitorRuns) -> list[MonitorRun]:
    """A monitor's runs, newest first."""
    return monitors.list_runs(ctx, r.name, r.limit)


def _dataset_read(target: str) -> list[tuple[ResourceKind, str | None]]:
    """The dataset a ``dataset:REF`` target reads (files are the server's allow-lists')."""
    if target.startswith(DATASET_PREFIX):
        return [(ResourceKind.DATASET, target[len(DATASET_PREFIX) :])]
    return []
