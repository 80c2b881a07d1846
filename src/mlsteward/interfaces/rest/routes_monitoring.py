"""``/api/v1/monitoring``: reference profiles, monitors and their runs, alerts, events, reports.

Reports come back as ``text/html`` (self-contained pages); everything else is JSON.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Strict, StrictBool, StrictFloat, StrictInt, StrictStr

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import DEFAULT_CHECKS
from mlsteward.engines.drift import ReferenceProfile
from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.services import monitoring as m
from mlsteward.services.api.documented_types import (
    AlertStatus,
    CheckNames,
    DriftShare,
    EventLimit,
    EventSince,
    EventTypes,
    IntervalSeconds,
    MonitoringName,
    MonitorRunLimit,
    Webhooks,
)
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.wire_monitoring import MONITORING_PREFIX, encode
from mlsteward.services.monitoring.profiles import read_profile

router = APIRouter(prefix=MONITORING_PREFIX, tags=["monitoring"])

_NAMED_IN_BODY: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "NOT_FOUND: a profile or dataset it names"}
}
#: Reading a target, label or reference file outside the server's ``--monitor-data-root``
#: folders, or a webhook host the server does not allow.
_OUTSIDE_ALLOWED: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorResponse,
        "description": "PERMISSION_DENIED: a file or host this server may not reach",
    }
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileRequest(_Request):
    """A computed ``profile``, or ``from_dataset`` (``dataset:NAME@VERSION``) to profile a
    stored dataset version on the server (with ``chunk_size``), tied to that version."""

    name: MonitoringName | None = None
    profile: dict[str, Any] | None = None
    from_dataset: StrictStr | None = None
    chunk_size: StrictInt | None = None
    run_id: str | None = None
    model_name: str | None = None
    model_version: StrictInt | None = None
    dataset_name: StrictStr | None = None
    dataset_version: StrictInt | None = None
    replace: bool = True


class PerformanceRequest(_Request):
    """The performance check's settings; the service validates their meaning."""

    task: Literal["binary", "multiclass", "regression"]
    id_column: StrictStr
    labels: StrictStr
    label_column: StrictStr = "label"
    prediction: StrictStr | None = None
    scores: StrictStr | dict[str, StrictStr] | None = None
    classes: list[StrictStr | StrictInt] | None = None
    reference: StrictStr | None = None
    reference_label: StrictStr | None = None
    bounds: dict[str, StrictFloat | StrictInt] = {}
    min_labels: StrictInt = 50


class MonitorRequest(_Request):
    name: MonitoringName
    target: str
    profile: MonitoringName
    checks: CheckNames = list(DEFAULT_CHECKS)
    columns: list[str] | None = None
    tests: dict[str, list[str]] = {}
    thresholds: dict[str, float] = {}
    drift_share: DriftShare = 0.5
    chunking: dict[str, Any] = {}
    learn_thresholds: StrictBool = False
    interval_s: Annotated[IntervalSeconds, Strict()] = 0
    webhooks: Webhooks = []
    enabled: bool = True
    performance: PerformanceRequest | None = None


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(
        text,
        headers={
            "Content-Security-Policy": "default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:"
        },
    )


@router.post("/profiles", status_code=201, responses=_NAMED_IN_BODY)
def save_profile(body: ProfileRequest, ctx: Ctx) -> Response:
    if (body.profile is None) == (body.from_dataset is None):
        raise InvalidArgumentError("Give either 'profile' or 'from_dataset'")
    if body.from_dataset is not None:
        if body.dataset_name is not None or body.dataset_version is not None:
            raise InvalidArgumentError("A profile built from a dataset is tied to that dataset")
        record = m.profile_dataset(
            ctx,
            body.from_dataset,
            body.name,
            chunk_size=body.chunk_size,
            run_id=body.run_id,
            model_name=body.model_name,
            model_version=body.model_version,
            replace=body.replace,
        )
        return json_response(encode(record), 201)
    if body.chunk_size is not None:
        raise InvalidArgumentError(
            "chunk_size goes with from_dataset: a given profile is built already"
        )
    try:
        profile = ReferenceProfile.from_dict(body.profile or {})
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidArgumentError(f"Not a reference profile: {error}") from error
    record = m.save_profile(
        ctx,
        profile,
        body.name,
        run_id=body.run_id,
        model_name=body.model_name,
        model_version=body.model_version,
        dataset_name=body.dataset_name,
        dataset_version=body.dataset_version,
        replace=body.replace,
    )
    return json_response(encode(record), 201)


@router.get("/profiles")
def list_profiles(ctx: Ctx) -> Response:
    return json_response({"profiles": [encode(p) for p in m.list_profiles(ctx)]})


@router.get("/profiles/{name}")
def get_profile(name: MonitoringName, ctx: Ctx) -> Response:
    record = m.get_profile_record(ctx, name)
    profile = read_profile(ctx, record)
    return json_response({"record": encode(record), "profile": profile.to_dict()})


@router.post("/monitors", status_code=201, responses={**_NAMED_IN_BODY, **_OUTSIDE_ALLOWED})
def create_monitor(body: MonitorRequest, ctx: Ctx) -> Response:
    options = body.model_dump(exclude={"name", "target", "profile", "performance"})
    if body.performance is not None:
        options["performance"] = body.performance.model_dump()
    monitor = m.create_monitor(ctx, body.name, body.target, body.profile, **options)
    return json_response(encode(monitor), 201)


@router.get("/monitors")
def list_monitors(ctx: Ctx) -> Response:
    return json_response({"monitors": [encode(x) for x in m.list_monitors(ctx)]})


@router.get("/monitors/{name}")
def get_monitor(name: MonitoringName, ctx: Ctx) -> Response:
    return json_response(encode(m.get_monitor(ctx, name)))


@router.delete("/monitors/{name}", status_code=204)
def delete_monitor(name: MonitoringName, ctx: Ctx) -> Response:
    m.delete_monitor(ctx, name)
    return no_content()


@router.post("/monitors/{name}/run", responses=_OUTSIDE_ALLOWED)
def run_monitor(name: MonitoringName, ctx: Ctx) -> Response:
    result = m.run_monitor(ctx, name)
    return json_response(
        {
            "run": encode(result.run),
            "opened": [encode(a) for a in result.opened],
            "resolved": [encode(a) for a in result.resolved],
            "deliveries": [dataclasses.asdict(d) for d in result.deliveries],
        }
    )


@router.get("/monitors/{name}/runs")
def list_runs(
    name: MonitoringName, ctx: Ctx, limit: Annotated[MonitorRunLimit, Query()] = 20
) -> Response:
    return json_response({"runs": [encode(r) for r in m.list_runs(ctx, name, limit)]})


@router.get("/monitor-runs/{run_id}/report", response_class=HTMLResponse)
def monitor_run_report(run_id: str, ctx: Ctx) -> Response:
    """The HTML report a monitor run stored."""
    return _html(m.run_report_html(ctx, run_id))


@router.get("/runs/{run_id}/reports/{name}", response_class=HTMLResponse)
def run_artifact_report(run_id: str, name: MonitoringName, ctx: Ctx) -> Response:
    """A report logged to a tracking run (``monitoring/<name>.html``), served as a page."""
    return _html(m.logged_report_html(ctx, run_id, name))


@router.get("/alerts")
def list_alerts(
    ctx: Ctx,
    monitor: Annotated[str | None, Query()] = None,
    status: Annotated[AlertStatus | None, Query()] = None,
) -> Response:
    return json_response({"alerts": [encode(a) for a in m.list_alerts(ctx, monitor, status)]})


@router.get("/events")
def list_events(
    ctx: Ctx,
    since: Annotated[EventSince, Query()] = 0,
    limit: Annotated[EventLimit, Query()] = 100,
    event_type: Annotated[EventTypes | None, Query(alias="type")] = None,
) -> Response:
    events = m.list_events(ctx, since, limit, event_type)
    return json_response({"events": [encode(e) for e in events]})
