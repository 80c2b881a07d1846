"""``BatchJobCalls``: the scheduled batch job operations of one platform as typed methods.

``Client(...).batch_jobs`` returns one; each method builds a declared operation's request
and hands it to the backend's transport, so a local store and a server answer alike and
return the same domain objects. A job's name goes into a URL, so it is checked here first:
both doors refuse a bad one with the service's own words.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Sequence

from mlsteward.domain.batch_jobs import BatchJob, BatchJobRun, validate_job_name
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.batch_inference import DEFAULT_CHUNK_ROWS
from mlsteward.services.batch_jobs import operations as ops

__all__ = ["BatchJob", "BatchJobCalls", "BatchJobRun"]


class BatchJobCalls(OperationCaller):
    """Scheduled batch scoring jobs and their runs, on one SDK backend's platform."""

    def __init__(self, backend: TrackingBackend) -> None:
        self._backend = backend

    def create(
        self,
        name: str,
        model_uri: str,
        input: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        output: str | os.PathLike[str],
        *,
        every: int | str | None = None,
        enabled: bool = True,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        runtime: str = "auto",
        outputs: Sequence[str] = ("predict",),
        keep_columns: Sequence[str] | None = None,
        on_bad_rows: str = "fail",
        log: bool = True,
        log_as: str | None = None,
    ) -> BatchJob:
        """Save ``predict_batch(model_uri, input, output, ...)`` as job ``name``, run
        ``every`` (``3600``, ``"1h"``; None: only when asked). A folder or file ``output``
        holds ``{run}`` or ``{date}``; ``dataset:NAME`` gets a new version each run."""
        listed = [input] if isinstance(input, str | os.PathLike) else list(input)
        return self._call(
            ops.create,
            name=name,
            model_uri=model_uri,
            input=[os.fspath(item) for item in listed],
            output=os.fspath(output),
            every=every,
            enabled=enabled,
            chunk_size=chunk_size,
            runtime=runtime,
            outputs=list(outputs),
            keep_columns=list(keep_columns) if keep_columns is not None else None,
            on_bad_rows=on_bad_rows,
            log=log,
            log_as=log_as,
        )

    def list(self) -> builtins.list[BatchJob]:
        return self._call(ops.list_all)

    def get(self, name: str) -> BatchJob:
        return self._call(ops.get, name=validate_job_name(name))

    def update(
        self, name: str, *, every: int | str | None = None, enabled: bool | None = None
    ) -> BatchJob:
        """Change the schedule (``every``; ``0``: only when asked) or pause/resume."""
        return self._call(ops.update, name=validate_job_name(name), every=every, enabled=enabled)

    def pause(self, name: str) -> BatchJob:
        return self.update(name, enabled=False)

    def resume(self, name: str) -> BatchJob:
        """Enable the job again; a scheduled one is due at once."""
        return self.update(name, enabled=True)

    def delete(self, name: str) -> None:
        self._call(ops.delete, name=validate_job_name(name))

    def run(self, name: str) -> BatchJobRun:
        """Run the job now (on the server for an HTTP URI) and return its run, succeeded or
        failed; ``ConflictError`` when a run of it is under way."""
        return self._call(ops.run, name=validate_job_name(name))

    def runs(self, name: str, limit: int = 100) -> builtins.list[BatchJobRun]:
        """The job's runs, newest first."""
        return self._call(ops.list_runs, name=validate_job_name(name), limit=limit)
