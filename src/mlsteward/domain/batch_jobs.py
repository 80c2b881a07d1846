"""Scheduled batch scoring jobs: what a job is, its runs, and the rules of its schedule and
output that need no I/O.

A job is ``predict_batch`` saved under a name: the model URI, the input specs, the output
spec and the batch options, run every ``interval_s`` seconds (0: only when asked). Each run
must write a new output, or it would resume the previous run's job instead of scoring
again: a ``dataset:NAME`` output gets a new version each run; a folder or file output must
name the run in its path with ``{run}`` (the run's id) or ``{date}`` (the run's UTC date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlsteward.domain.errors import InvalidArgumentError

MAX_NAME_LENGTH = 128
NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}$")
DATASET_PREFIX = "dataset:"
#: What a folder or file output may hold to be a new one each run.
PLACEHOLDERS = ("{run}", "{date}")
_BRACED = re.compile(r"{[^{}]*}")
#: ``--every`` units, in seconds (as ``mlsteward monitor`` reads durations).
EVERY_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_EVERY = re.compile(r"^(\d+)([smhdw]?)$")
#: The longest interval a schedule takes (a year): longer is surely a typo.
MAX_INTERVAL_S = 366 * 86400
#: Run statuses: a run is recorded when it ends.
SUCCEEDED, FAILED = "succeeded", "failed"
RUN_STATUSES = (SUCCEEDED, FAILED)
#: The most runs one listing returns.
MAX_RUNS = 1000


def validate_job_name(name: object) -> str:
    """A job's name: 1-128 letters, digits, ``.``, ``_`` or ``-``, starting with a letter or
    digit (it goes into URLs and file names)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        shown = str(name)[:80]
        raise InvalidArgumentError(
            f"batch job name {shown!r} must be 1-{MAX_NAME_LENGTH} letters, digits, '.', '_' "
            "or '-' and start with a letter or digit"
        )
    return name


def parse_every(every: object) -> int:
    """Seconds between runs from ``every``: whole seconds (``3600``) or a number with a unit
    (``90s``, ``15m``, ``1h``, ``1d``, ``1w``); ``None`` or ``0`` means runs only when asked."""
    if every is None:
        return 0
    if isinstance(every, bool):
        raise InvalidArgumentError(f"every must be a duration like 1h, not {every!r}")
    if isinstance(every, int):
        seconds = every
    elif isinstance(every, str) and (match := _EVERY.fullmatch(every.strip())):
        seconds = int(match.group(1)) * EVERY_UNITS[match.group(2) or "s"]
    else:
        raise InvalidArgumentError(
            f"every must be whole seconds or a number with s, m, h, d or w (e.g. 1h), "
            f"got {str(every)[:40]!r}"
        )
    if not 0 <= seconds <= MAX_INTERVAL_S:
        raise InvalidArgumentError(
            f"every must be from 1 second to {MAX_INTERVAL_S // 86400} days (0: manual runs)"
        )
    return seconds


def format_every(interval_s: int) -> str:
    """``3600`` -> ``1h``; ``0`` -> ``manual``."""
    if interval_s <= 0:
        return "manual"
    for unit in ("w", "d", "h", "m"):
        size = EVERY_UNITS[unit]
        if interval_s % size == 0:
            return f"{interval_s // size}{unit}"
    return f"{interval_s}s"


def check_output(output: object) -> str:
    """An output every run of a job writes anew: ``dataset:NAME`` (a version per run), or a
    folder or file whose path holds ``{run}`` or ``{date}`` and no other ``{...}``."""
    if not isinstance(output, str) or not output.strip() or "\x00" in output:
        raise InvalidArgumentError("output is required: a folder, a .csv file or dataset:NAME")
    braced = _BRACED.findall(output)
    if output.startswith(DATASET_PREFIX):
        if braced or "{" in output or "}" in output:
            raise InvalidArgumentError(
                "A dataset output takes no placeholder: each run makes a new version of it"
            )
        return output
    unknown = [b for b in braced if b not in PLACEHOLDERS]
    stray = _BRACED.sub("", output)
    if unknown or "{" in stray or "}" in stray:
        raise InvalidArgumentError(
            f"The output may hold the placeholders {', '.join(PLACEHOLDERS)} only, got "
            f"{(unknown or [output])[0][:80]!r}"
        )
    if not braced:
        raise InvalidArgumentError(
            "Each run needs an output of its own: put {run} or {date} in the output path "
            "(e.g. scores/{date}), or write to dataset:NAME (a new version each run); a "
            "second run into the same folder would resume the first instead of scoring"
        )
    return output


def expand_output(output: str, run_id: str, started_ms: int) -> str:
    """The output one run writes: ``{run}`` -> the run's id, ``{date}`` -> its UTC date."""
    date = datetime.fromtimestamp(started_ms / 1000, tz=UTC).strftime("%Y-%m-%d")
    return output.replace("{run}", run_id).replace("{date}", date)


@dataclass(frozen=True)
class BatchJobOptions:
    """The options of ``predict_batch`` a job runs with (see its ``BatchOptions``);
    ``keep_columns`` None keeps every input column."""

    chunk_size: int
    runtime: str = "auto"
    outputs: tuple[str, ...] = ("predict",)
    keep_columns: tuple[str, ...] | None = None
    on_bad_rows: str = "fail"
    log: bool = True
    log_as: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_size": self.chunk_size,
            "runtime": self.runtime,
            "outputs": list(self.outputs),
            "keep_columns": list(self.keep_columns) if self.keep_columns is not None else None,
            "on_bad_rows": self.on_bad_rows,
            "log": self.log,
            "log_as": self.log_as,
        }

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> BatchJobOptions:
        keep = raw.get("keep_columns")
        return BatchJobOptions(
            chunk_size=int(raw["chunk_size"]),
            runtime=str(raw.get("runtime", "auto")),
            outputs=tuple(raw.get("outputs") or ("predict",)),
            keep_columns=tuple(keep) if keep is not None else None,
            on_bad_rows=str(raw.get("on_bad_rows", "fail")),
            log=bool(raw.get("log", True)),
            log_as=raw.get("log_as"),
        )


@dataclass(frozen=True)
class BatchJob:
    """A named, scheduled batch scoring job.

    ``interval_s`` 0 means runs only when asked; ``next_run_time`` (epoch milliseconds) is
    when the scheduler runs it next (None: paused or manual).
    """

    name: str
    model_uri: str
    inputs: tuple[str, ...]
    output: str
    options: BatchJobOptions
    interval_s: int
    enabled: bool
    created_by: str
    creation_time: int
    next_run_time: int | None = None
    last_run_time: int | None = None


@dataclass(frozen=True)
class BatchJobRun:
    """One run of a job, recorded when it ended: ``succeeded`` with the batch report's
    figures, or ``failed`` with the error. ``output`` is where this run wrote (its
    placeholders filled in); ``output_version`` the dataset version it made; ``report`` the
    whole batch report (empty when the run failed)."""

    run_id: str
    job: str
    status: str
    started_ms: int
    finished_ms: int
    actor: str
    output: str
    rows: int = 0
    rows_per_s: float = 0.0
    chunks: int = 0
    rejected: int = 0
    output_version: str | None = None
    error: str | None = None
    report: dict[str, Any] = field(default_factory=dict)


__all__ = [
    "FAILED",
    "MAX_RUNS",
    "PLACEHOLDERS",
    "SUCCEEDED",
    "BatchJob",
    "BatchJobOptions",
    "BatchJobRun",
    "check_output",
    "expand_output",
    "format_every",
    "parse_every",
    "validate_job_name",
]
