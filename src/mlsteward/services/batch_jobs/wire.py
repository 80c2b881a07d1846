"""Batch jobs and their runs on the wire: plain JSON objects, decoded back into the same
dataclasses, so the in-process and HTTP doors return equal values; the ``*Out`` models
document their shape."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel

from mlsteward.domain.batch_jobs import BatchJob, BatchJobOptions, BatchJobRun

BATCH_JOBS_PATH = "/batch-jobs"


class BatchJobOptionsOut(BaseModel):
    chunk_size: int
    runtime: str
    outputs: list[str]
    keep_columns: list[str] | None
    on_bad_rows: str
    log: bool
    log_as: str | None


class BatchJobOut(BaseModel):
    name: str
    model_uri: str
    input: list[str]
    output: str
    options: BatchJobOptionsOut
    interval_s: int
    enabled: bool
    created_by: str
    creation_time: int
    next_run_time: int | None
    last_run_time: int | None


class BatchJobListOut(BaseModel):
    jobs: list[BatchJobOut]


class BatchJobRunOut(BaseModel):
    run_id: str
    job: str
    status: str
    started_ms: int
    finished_ms: int
    actor: str
    output: str
    rows: int
    rows_per_s: float
    chunks: int
    rejected: int
    output_version: str | None
    error: str | None
    report: dict[str, Any]


class BatchJobRunListOut(BaseModel):
    runs: list[BatchJobRunOut]


def encode_job(job: BatchJob) -> dict[str, Any]:
    return {
        "name": job.name,
        "model_uri": job.model_uri,
        "input": list(job.inputs),
        "output": job.output,
        "options": job.options.to_dict(),
        "interval_s": job.interval_s,
        "enabled": job.enabled,
        "created_by": job.created_by,
        "creation_time": job.creation_time,
        "next_run_time": job.next_run_time,
        "last_run_time": job.last_run_time,
    }


def decode_job(raw: dict[str, Any]) -> BatchJob:
    return BatchJob(
        name=raw["name"],
        model_uri=raw["model_uri"],
        inputs=tuple(raw["input"]),
        output=raw["output"],
        options=BatchJobOptions.from_dict(raw["options"]),
        interval_s=int(raw["interval_s"]),
        enabled=bool(raw["enabled"]),
        created_by=raw["created_by"],
        creation_time=int(raw["creation_time"]),
        next_run_time=raw.get("next_run_time"),
        last_run_time=raw.get("last_run_time"),
    )


def encode_run(run: BatchJobRun) -> dict[str, Any]:
    return dataclasses.asdict(run)


def decode_run(raw: dict[str, Any]) -> BatchJobRun:
    known = {f.name for f in dataclasses.fields(BatchJobRun)}
    return BatchJobRun(**{key: value for key, value in raw.items() if key in known})
