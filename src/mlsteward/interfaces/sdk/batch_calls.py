"""``Client(...).predict_batch``: a registered model over a table, through the declared
operation (in this process for a local store, on the server for an HTTP URI).

In-process, ``progress`` receives ``(rows done, rows in all or None)`` as chunks finish;
over HTTP the job runs on the server and the report tells what was done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.batch_inference import (
    DEFAULT_CHUNK_ROWS,
    BatchReport,
    ProgressListener,
    reporting_to,
)
from mlsteward.services.batch_inference import operations as ops

__all__ = ["DEFAULT_CHUNK_ROWS", "BatchCalls", "BatchReport"]


class BatchCalls(OperationCaller):
    """Runs batch jobs on one SDK backend's platform."""

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    def predict_batch(
        self,
        model_uri: str,
        input: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        output: str | os.PathLike[str],
        *,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        runtime: str = "auto",
        outputs: Sequence[str] = ("predict",),
        keep_columns: Sequence[str] | None = None,
        on_bad_rows: str = "fail",
        log: bool = True,
        log_as: str | None = None,
        restart: bool = False,
        engine: str = "local",
        ray_address: str | None = None,
        progress: ProgressListener | None = None,
    ) -> BatchReport:
        """Score ``input`` with ``model_uri`` into ``output``; a rerun resumes the job.
        ``engine="ray"`` scores on Ray Data workers (``ray_address``: None starts a local
        Ray, ``"auto"`` or ``"ray://HOST:PORT"`` joins a cluster), with the same results."""
        listed = [input] if isinstance(input, str | os.PathLike) else list(input)
        with reporting_to(progress):
            return self._call(
                ops.predict,
                model_uri=model_uri,
                input=[os.fspath(item) for item in listed],
                output=os.fspath(output),
                chunk_size=chunk_size,
                runtime=runtime,
                outputs=list(outputs),
                keep_columns=list(keep_columns) if keep_columns is not None else None,
                on_bad_rows=on_bad_rows,
                log=log,
                log_as=log_as,
                restart=restart,
                engine=engine,
                ray_address=ray_address,
            )
