"""Sending a new dataset version: the one data operation whose request carries a header.

In-process the source's batches (or an Arrow table) go to the service as they are read. A
server receives canonical Parquet staged here, on the client — which is where the files and
databases named are reachable — all or nothing, so a failing source sends nothing; the
source's description travels in the ``X-Mlsteward-Dataset-Meta`` header. The generic HTTP
transport sends path, query and body only, so this request is built here, from the same
declaration (method, path, idempotency) and decoded with its decoder.
"""

from __future__ import annotations

import json
import tempfile
from typing import TYPE_CHECKING, Any

from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.interfaces.sdk.transport import invoke, request_path
from mlsteward.services.api import wire_data as w
from mlsteward.services.api.schemas_data import UploadMeta
from mlsteward.services.data import operations_versions as ops

if TYPE_CHECKING:
    import pyarrow as pa

    from mlsteward.engines.data import BatchSource
    from mlsteward.services.data.register import Registered

PARQUET = "application/vnd.apache.parquet"


def upload_dataset(
    backend: TrackingBackend, name: str, data: BatchSource | pa.Table, meta: UploadMeta
) -> Registered:
    """Register ``data`` as a version of ``name`` through ``backend``'s door."""
    api = getattr(backend, "_api", None)
    if isinstance(api, ApiClient):
        return _send_staged(api, name, data, meta)
    return invoke(backend.transport, ops.upload_version, name=name, content=data, meta=meta)


def _send_staged(
    api: ApiClient, name: str, data: BatchSource | pa.Table, meta: UploadMeta
) -> Registered:
    import pyarrow as pa

    from mlsteward.engines.data import stage_to_parquet

    operation = ops.upload_version
    batches: Any = data
    if isinstance(data, pa.Table):
        batches = data.to_batches() or [data.schema.empty_table()]
    with tempfile.TemporaryDirectory(prefix="mlsteward-upload-") as directory:
        staged = stage_to_parquet(batches, directory)
        described = meta.model_dump(by_alias=True)
        described["bad_rows"] = [row.to_dict() for row in staged.bad_rows]
        path = staged.path
        response = api.request(
            operation.method,
            request_path(operation, operation.make(name=name, content=None)),
            content=lambda: open(path, "rb"),  # noqa: SIM115 - the client closes it
            headers={
                "Content-Type": PARQUET,
                w.UPLOAD_META_HEADER: json.dumps(described, default=str),
            },
            idempotent=bool(operation.idempotent),
        )
    return w.decode_registered(response.json())
