"""The batch-inference operation a client can call: score a table with a registered model.

It is about the model (resource kind ``registered_model``, action ``execute``), and reads
its input dataset when it names one, so a grant to run a model never reaches data the
caller may not read; a ``dataset:`` output also needs the right to create that dataset's
versions (checked by the service). It is audited (it writes), and idempotent: the same
request again resumes the job rather than scoring twice.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mlsteward.services.batch_inference import jobs
from mlsteward.services.batch_inference.locations import DATASET_PREFIX
from mlsteward.services.batch_inference.wire import (
    BatchReport,
    BatchReportOut,
    decode_report,
    encode_report,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.declaration import Operation, OperationRequest
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import Action, ResourceKind

TAG = "batch inference"
#: A job answers when it has finished: long jobs need a long wait (a dropped connection
#: loses nothing, the same request resumes the job).
JOB_TIMEOUT_S = 24 * 3600.0

declare = Declarations("batch", ResourceKind.REGISTERED_MODEL, tag=TAG)


class BatchJobIn(BaseModel):
    """A batch job: the model, the input (paths, globs, ``s3://`` URLs or one
    ``dataset:NAME@VERSION``), the output (a folder, a ``.csv`` file or ``dataset:NAME``)."""

    model_uri: str
    input: list[str] = Field(min_length=1, max_length=1_000)
    output: str
    chunk_size: int = jobs.DEFAULT_CHUNK_ROWS
    runtime: str = "auto"
    outputs: list[str] = Field(default_factory=lambda: ["predict"])
    keep_columns: list[str] | None = None
    on_bad_rows: str = "fail"
    log: bool = True
    log_as: str | None = None
    restart: bool = False
    #: ``local`` (the default) or ``ray``; a server runs ``local`` only.
    engine: str = "local"
    ray_address: str | None = None


class PredictBatch(OperationRequest):
    body: BatchJobIn


def model_name(model_uri: object) -> str | None:
    """The registered model a ``models:/`` URI names (None for anything else)."""
    if not isinstance(model_uri, str) or not model_uri.startswith("models:/"):
        return None
    rest = model_uri[len("models:/") :]
    return rest.split("@", 1)[0].split("/", 1)[0] or None


def _reads(r: PredictBatch) -> list[tuple[ResourceKind, str | None]]:
    sources = [s for s in r.body.input if isinstance(s, str) and s.startswith(DATASET_PREFIX)]
    return [(ResourceKind.DATASET, s[len(DATASET_PREFIX) :].split("@", 1)[0]) for s in sources]


@declare.post(
    "/batch-predictions",
    returns=Codec(encode_report, decode_report, BatchReportOut),
    action=Action.EXECUTE,
    idempotent=True,
    timeout_s=JOB_TIMEOUT_S,
    long_running=True,
    resource_name=lambda r: model_name(r.body.model_uri),
    reads=_reads,
)
def predict(ctx: ServiceContext, r: PredictBatch) -> BatchReport:
    """Score the input with the registered model version into the output, chunk by chunk;
    the same request again resumes an interrupted job (finished chunks are not redone).
    Each scored row gets a prediction ID and is logged to the prediction log under
    ``log_as`` (default ``<model>-batch``) unless ``log`` is false. On a server, input and
    output files must lie under the operator's ``--source-root`` folders, and the job runs
    in the server's process (``engine`` ``ray`` is refused there)."""
    body = r.body
    options = jobs.BatchOptions(
        chunk_size=body.chunk_size,
        runtime=body.runtime,
        outputs=tuple(body.outputs),
        keep_columns=tuple(body.keep_columns) if body.keep_columns is not None else None,
        on_bad_rows=body.on_bad_rows,
        log=body.log,
        log_as=body.log_as,
        restart=body.restart,
        engine=body.engine,
        ray_address=body.ray_address,
    )
    return jobs.predict_batch(ctx, body.model_uri, list(body.input), body.output, options)


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
