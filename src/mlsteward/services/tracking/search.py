"""Run search: parse the filter and ordering, page through results with opaque tokens."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

from mlsteward.domain.entities import LifecycleStage, RunPage
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.search_filter import parse_filter, parse_order_by
from mlsteward.services.context import ServiceContext

VIEW_TYPES = {
    "active_only": (LifecycleStage.ACTIVE,),
    "deleted_only": (LifecycleStage.DELETED,),
    "all": (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
}


def _encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "query": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str, fingerprint: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
        query = str(data["query"])
    except Exception:
        raise InvalidArgumentError("Invalid page_token: pass the token a search returned") from None
    if query != fingerprint or offset < 0:
        raise InvalidArgumentError("page_token belongs to a different search")
    return offset


def search_runs(
    ctx: ServiceContext,
    experiment_ids: Sequence[str] | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
    run_view_type: str = "active_only",
    max_results: int = 1000,
    page_token: str | None = None,
) -> RunPage:
    if run_view_type not in VIEW_TYPES:
        raise InvalidArgumentError(
            f"run_view_type must be one of {', '.join(VIEW_TYPES)}, got {run_view_type!r}"
        )
    if not isinstance(max_results, int) or not 0 < max_results <= ctx.limits.max_search_results:
        raise InvalidArgumentError(
            f"max_results must be between 1 and {ctx.limits.max_search_results}"
        )
    expr = parse_filter(filter_string, ctx.limits.filters)
    keys = parse_order_by(list(order_by or []), ctx.limits.filters)
    if experiment_ids:
        ids = [str(i) for i in experiment_ids]
        for experiment_id in ids:
            ctx.stores.tracking.get_experiment(experiment_id)  # NotFoundError for an unknown id
    else:
        ids = [e.experiment_id for e in ctx.stores.tracking.list_experiments()]
    fingerprint = json.dumps(
        [sorted(ids), filter_string or "", list(order_by or []), run_view_type]
    )
    offset = _decode_token(page_token, fingerprint) if page_token else 0
    runs, has_more = ctx.stores.tracking.search_runs(
        ids, expr, keys, VIEW_TYPES[run_view_type], max_results, offset
    )
    token = _encode_token(offset + len(runs), fingerprint) if has_more else None
    return RunPage(runs, token)
