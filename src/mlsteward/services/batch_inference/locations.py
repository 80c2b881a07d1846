"""What a batch job reads and writes: files, globs, ``s3://`` URLs and dataset versions.

Input: one or more of a file (``.parquet``, ``.csv``), a folder (its Parquet and CSV files),
a glob (``data/*.csv``, ``s3://bucket/in/*.parquet``) or ``dataset:NAME@VERSION`` (also
``NAME@alias``, or ``NAME`` for the latest). Output: a folder of Parquet part files, a
``.csv`` file, ``dataset:NAME`` (a new version of that dataset) or
``sql:<SQLAlchemy URL>#[SCHEMA.]TABLE`` (rows loaded into a table, see ``sql_output``).

On a server the rules for sources apply to both (see ``services.outbound_access``): files
only under the folders the operator allowed with ``--source-root``, no remote URL, so a
client can make the server neither read nor write anywhere else; a server writes to no
database. Refusals happen before anything is listed, opened or written, and never show what
a path holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from fsspec import AbstractFileSystem

from mlsteward.domain.datasets import DatasetVersion, validate_dataset_name
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.batch_scoring import BatchInputError, InputFile, format_of
from mlsteward.services.batch_inference import sql_output
from mlsteward.services.batch_inference.sql_output import SqlOutput
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.versions import get_version
from mlsteward.services.home import home_dir
from mlsteward.services.outbound_access import require_source_file
from mlsteward.storage.prediction_log import open_filesystem

DATASET_PREFIX = "dataset:"
_GLOB_CHARS = "*?["
MAX_INPUT_FILES = 100_000


@dataclass(frozen=True)
class ResolvedInput:
    """The files to read, in order, what they are, and a fingerprint of their state."""

    files: list[InputFile]
    description: str
    fingerprint: str
    dataset: DatasetVersion | None = None

    @property
    def rows(self) -> int | None:
        counts = [file.rows for file in self.files]
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)


@dataclass(frozen=True)
class OutputTarget:
    """Where the scored rows go: ``kind`` is ``parquet`` (a folder), ``csv``, ``dataset`` or
    ``sql`` (``location`` then shows the URL without its password, ``sql`` holds it);
    ``folder`` is the job's own folder of parts and manifest."""

    kind: str
    location: str
    folder: str
    sql: SqlOutput | None = None


def check_path(ctx: ServiceContext, text: str, what: str) -> None:
    """On a server, refuse a path outside ``--source-root`` (or any remote URL): 403."""
    if not ctx.outbound.restricted:
        return
    if not isinstance(text, str) or not text or "\x00" in text:
        raise InvalidArgumentError(f"The {what} must be a path")
    base = text
    for at, char in enumerate(text):
        if char in _GLOB_CHARS:
            base = os.path.dirname(text[:at]) or "."
            break
    require_source_file(ctx.outbound, base)


def resolve_input(ctx: ServiceContext, specs: Sequence[str]) -> ResolvedInput:
    """The input's files (BatchInputError when one is missing or of an unknown format)."""
    if isinstance(specs, str) or not specs:
        raise InvalidArgumentError("input must be a non-empty list of paths, globs or datasets")
    if any(not isinstance(s, str) or not s.strip() for s in specs):
        raise InvalidArgumentError("every input must be a non-empty path, glob or dataset:NAME")
    datasets = [s for s in specs if s.startswith(DATASET_PREFIX)]
    if datasets:
        if len(specs) != 1:
            raise InvalidArgumentError(
                "A dataset input is read alone: give one dataset:NAME@VERSION"
            )
        return _dataset_input(ctx, datasets[0][len(DATASET_PREFIX) :])
    for spec in specs:
        check_path(ctx, spec, "input")
    files: list[InputFile] = []
    states: list[Any] = []
    for spec in specs:
        for fs, path, name in _expand(spec):
            if ctx.outbound.restricted:
                require_source_file(ctx.outbound, path)
            info = fs.info(path)
            files.append(InputFile(name, format_of(name), _opener(fs, path)))
            states.append(
                [
                    name,
                    info.get("size"),
                    str(info.get("mtime") or info.get("ETag") or info.get("LastModified") or ""),
                ]
            )
            if len(files) > MAX_INPUT_FILES:
                raise BatchInputError(f"More than {MAX_INPUT_FILES} input files: split the job")
    fingerprint = hashlib.sha256(json.dumps(states, default=str).encode()).hexdigest()
    return ResolvedInput(files, ", ".join(specs), fingerprint)


def _dataset_input(ctx: ServiceContext, ref: str) -> ResolvedInput:
    version = get_version(ctx, ref)
    digest = version.blob_digest

    @contextlib.contextmanager
    def open_blob() -> Iterator[IO[bytes]]:
        with ctx.blobs.open(digest) as handle:
            yield handle

    file = InputFile(version.ref, "parquet", open_blob, rows=version.num_rows)
    fingerprint = hashlib.sha256(f"{version.dataset_version_id}:{version.content_hash}".encode())
    return ResolvedInput([file], f"{DATASET_PREFIX}{version.ref}", fingerprint.hexdigest(), version)


def _expand(spec: str) -> Iterator[tuple[AbstractFileSystem, str, str]]:
    """``(filesystem, path, name shown)`` of each file a path, folder or glob names, sorted."""
    remote = "://" in spec
    fs, path = open_filesystem(spec)
    prefix = spec.split("://", 1)[0] + "://" if remote else ""
    if any(char in spec for char in _GLOB_CHARS):
        found = sorted(str(p) for p in fs.glob(path) if not _hidden(str(p)))
        found = [p for p in found if fs.isfile(p)]
        if not found:
            raise BatchInputError(f"No input file matches {spec!r}")
    elif fs.isdir(path):
        found = sorted(
            str(p)
            for p in fs.ls(path, detail=False)
            if not _hidden(str(p)) and fs.isfile(p) and _known_format(str(p))
        )
        if not found:
            raise BatchInputError(f"The folder {spec!r} holds no .parquet or .csv file")
    elif fs.isfile(path):
        found = [path]
    else:
        raise BatchInputError(f"No input file at {spec!r}")
    for item in found:
        name = (
            f"{prefix}{item}"
            if remote
            else (item if not spec.startswith(".") else os.path.relpath(item))
        )
        yield fs, item, name


def _known_format(name: str) -> bool:
    try:
        format_of(name)
    except BatchInputError:
        return False
    return True


def _hidden(path: str) -> bool:
    return path.rstrip("/").rsplit("/", 1)[-1].startswith((".", "_"))


def _opener(fs: AbstractFileSystem, path: str) -> Any:
    @contextlib.contextmanager
    def open_file() -> Iterator[IO[bytes]]:
        with fs.open(path, "rb") as handle:
            yield handle

    return open_file


def resolve_output(
    ctx: ServiceContext, output: str, job_key: str, work_dir: str | None = None
) -> OutputTarget:
    """Where the output goes and the job folder beside it (checked on a server). A
    ``dataset:`` or ``sql:`` output keeps its job folder in ``work_dir`` or under the
    mlsteward home (``batch-jobs/<job_key>``); a SQL output's database is reached now, so a
    wrong URL, a missing driver or a database down fails before anything is scored."""
    if not isinstance(output, str) or not output.strip():
        raise InvalidArgumentError(
            "output is required: a folder, a .csv file, dataset:NAME or sql:URL#TABLE"
        )
    if output.startswith(DATASET_PREFIX):
        name = validate_dataset_name(output[len(DATASET_PREFIX) :])
        folder = work_dir or str(home_dir() / "batch-jobs" / job_key)
        return OutputTarget("dataset", name, folder)
    if sql_output.is_sql_output(output):
        sql_output.refuse_on_server(ctx)
        sql = sql_output.parse_sql_output(output)
        sql_output.check_output_table(sql)
        folder = work_dir or str(home_dir() / "batch-jobs" / job_key)
        return OutputTarget("sql", sql.display, folder, sql)
    check_path(ctx, output, "output")
    location = output if "://" in output else os.path.abspath(os.path.expanduser(output))
    if location.lower().endswith(".csv"):
        return OutputTarget("csv", location, f"{location}.parts")
    return OutputTarget("parquet", location, location)


def exists_as_file(path: str) -> bool:
    """Whether a local path is an existing file (a folder output cannot go there)."""
    return "://" not in path and os.path.isfile(path)


__all__ = [
    "DATASET_PREFIX",
    "OutputTarget",
    "ResolvedInput",
    "check_path",
    "exists_as_file",
    "resolve_input",
    "resolve_output",
]
