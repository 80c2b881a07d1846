"""The batch job SQL store (SQLite and PostgreSQL).

Claiming a job is one ``UPDATE ... WHERE`` on its lease (and, for a scheduled run, on its
``next_run_time``): atomic on both backends, so exactly one claimant gets it. Recording a run
inserts it and releases the lease in one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import BigInteger, Row, case, delete, exc, insert, literal, or_, select, update

from mlsteward.domain.batch_jobs import BatchJob, BatchJobOptions, BatchJobRun
from mlsteward.domain.errors import AlreadyExistsError, NotFoundError
from mlsteward.storage.batch_jobs_base import BatchJobStore
from mlsteward.storage.sql import tables as t
from mlsteward.storage.sql.store_base import SqlStoreBase

BJ = t.batch_jobs
BR = t.batch_job_runs


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"No batch job named {name!r}")


class SqlBatchJobStore(SqlStoreBase, BatchJobStore):
    """The :class:`BatchJobStore` over a database it shares with the other domains' stores."""

    def create_job(self, job: BatchJob) -> BatchJob:
        try:
            with self._write() as conn:
                conn.execute(insert(BJ).values(**_job_row(job)))
        except exc.IntegrityError as error:
            raise AlreadyExistsError(f"A batch job named {job.name!r} exists") from error
        return job

    def get_job(self, name: str) -> BatchJob:
        with self._read() as conn:
            row = conn.execute(select(BJ).where(BJ.c.name == name)).first()
        if row is None:
            raise _missing(name)
        return _job(row)

    def list_jobs(self) -> list[BatchJob]:
        with self._read() as conn:
            rows = conn.execute(select(BJ).order_by(BJ.c.name)).all()
        return [_job(row) for row in rows]

    def update_schedule(
        self, name: str, interval_s: int, enabled: bool, next_run_time: int | None
    ) -> BatchJob:
        with self._write() as conn:
            changed = conn.execute(
                update(BJ)
                .where(BJ.c.name == name)
                .values(interval_s=interval_s, enabled=enabled, next_run_time=next_run_time)
            ).rowcount
            if changed == 0:
                raise _missing(name)
            row = conn.execute(select(BJ).where(BJ.c.name == name)).one()
        return _job(row)

    def delete_job(self, name: str) -> None:
        with self._write() as conn:
            conn.execute(delete(BR).where(BR.c.job == name))
            if conn.execute(delete(BJ).where(BJ.c.name == name)).rowcount == 0:
                raise _missing(name)

    def due_jobs(self, now: int) -> list[BatchJob]:
        with self._read() as conn:
            rows = conn.execute(
                select(BJ)
                .where(
                    BJ.c.enabled.is_(True),
                    BJ.c.interval_s > 0,
                    BJ.c.next_run_time.is_not(None),
                    BJ.c.next_run_time <= now,
                )
                .order_by(BJ.c.next_run_time, BJ.c.name)
            ).all()
        return [_job(row) for row in rows]

    def claim_job(self, name: str, now: int, lease_until: int, due_at: int | None) -> bool:
        conditions = [
            BJ.c.name == name,
            or_(BJ.c.lease_until.is_(None), BJ.c.lease_until <= now),
        ]
        if due_at is not None:
            conditions += [BJ.c.enabled.is_(True), BJ.c.next_run_time == due_at]
        with self._write() as conn:
            claimed = conn.execute(
                update(BJ).where(*conditions).values(lease_until=lease_until)
            ).rowcount
            if claimed == 0 and conn.execute(select(BJ.c.name).where(BJ.c.name == name)).first():
                return False
        if claimed == 0:
            raise _missing(name)
        return claimed == 1

    def record_job_run(self, run: BatchJobRun, next_run_time: int | None) -> BatchJobRun:
        with self._write() as conn:
            changed = conn.execute(
                update(BJ)
                .where(BJ.c.name == run.job)
                .values(
                    lease_until=None,
                    last_run_time=run.started_ms,
                    # A job paused while it ran stays paused.
                    next_run_time=None
                    if next_run_time is None
                    else case(
                        (BJ.c.enabled.is_(True), literal(next_run_time, BigInteger)), else_=None
                    ),
                )
            ).rowcount
            if changed == 0:
                raise _missing(run.job)
            conn.execute(insert(BR).values(**_run_row(run)))
        return run

    def list_job_runs(self, name: str, limit: int) -> list[BatchJobRun]:
        with self._read() as conn:
            rows = conn.execute(
                select(BR)
                .where(BR.c.job == name)
                .order_by(BR.c.started_ms.desc(), BR.c.run_id)
                .limit(limit)
            ).all()
        return [_run(row) for row in rows]


def _job_row(job: BatchJob) -> dict[str, Any]:
    spec = {"inputs": list(job.inputs), "output": job.output, "options": job.options.to_dict()}
    return {
        "name": job.name,
        "model_uri": job.model_uri,
        "spec": _dumps(spec),
        "interval_s": job.interval_s,
        "enabled": job.enabled,
        "next_run_time": job.next_run_time,
        "last_run_time": job.last_run_time,
        "lease_until": None,
        "created_by": job.created_by,
        "creation_time": job.creation_time,
    }


def _job(row: Row[Any]) -> BatchJob:
    spec = json.loads(row.spec)
    return BatchJob(
        name=row.name,
        model_uri=row.model_uri,
        inputs=tuple(spec["inputs"]),
        output=spec["output"],
        options=BatchJobOptions.from_dict(spec["options"]),
        interval_s=int(row.interval_s),
        enabled=bool(row.enabled),
        created_by=row.created_by,
        creation_time=int(row.creation_time),
        next_run_time=None if row.next_run_time is None else int(row.next_run_time),
        last_run_time=None if row.last_run_time is None else int(row.last_run_time),
    )


def _run_row(run: BatchJobRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "job": run.job,
        "status": run.status,
        "started_ms": run.started_ms,
        "finished_ms": run.finished_ms,
        "actor": run.actor,
        "output": run.output,
        "rows": run.rows,
        "rows_per_s": run.rows_per_s,
        "chunks": run.chunks,
        "rejected": run.rejected,
        "output_version": run.output_version,
        "error": run.error,
        "report": _dumps(run.report),
    }


def _run(row: Row[Any]) -> BatchJobRun:
    return BatchJobRun(
        run_id=row.run_id,
        job=row.job,
        status=row.status,
        started_ms=int(row.started_ms),
        finished_ms=int(row.finished_ms),
        actor=row.actor,
        output=row.output,
        rows=int(row.rows),
        rows_per_s=float(row.rows_per_s),
        chunks=int(row.chunks),
        rejected=int(row.rejected),
        output_version=row.output_version,
        error=row.error,
        report=json.loads(row.report),
    )
