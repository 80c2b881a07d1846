"""The audit log's export: JSON lines streamed as the service writes them.

Every other audit operation is mounted from its declaration; the export streams content, so
its route is written here and calls the same declared operation through the dispatcher.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.operation_routes import documented_responses
from mlsteward.services.audit import operations as ops
from mlsteward.services.operations import dispatch

router = APIRouter(tags=[ops.TAG])

_FILTER = "only records whose field equals this (an export with a filter cannot be verified)"


@router.get(
    ops.export.path,
    response_class=StreamingResponse,
    responses={
        200: {"content": {ops.EXPORT_MEDIA_TYPE: {}}},
        **documented_responses(ops.export),
    },
    description=ops.export.description,
)
def export_audit_log(
    ctx: Ctx,
    actor: str | None = Query(None, description=_FILTER),
    resource_kind: str | None = Query(None, description=_FILTER),
    resource_name: str | None = Query(None, description=_FILTER),
    operation: str | None = Query(None, description=_FILTER),
    since_ms: int | None = Query(None, description="records at or after (ms since the epoch)"),
    until_ms: int | None = Query(None, description="records before (ms since the epoch)"),
    after_seq: int = Query(0, ge=0, description="records after this sequence number"),
    through_seq: int | None = Query(None, ge=0, description="records up to this one"),
) -> StreamingResponse:
    request = ops.ExportLog.model_construct(
        actor=actor,
        resource_kind=resource_kind,
        resource_name=resource_name,
        operation=operation,
        since_ms=since_ms,
        until_ms=until_ms,
        after_seq=after_seq,
        through_seq=through_seq,
    )
    lines = cast(Iterator[bytes], dispatch(ctx, ops.export, request))
    return StreamingResponse(
        lines,
        media_type=ops.EXPORT_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="audit-export.jsonl"'},
    )
