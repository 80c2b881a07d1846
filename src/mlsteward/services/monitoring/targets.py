"""Reading a monitor's target: a CSV/Parquet file, a glob of new files, or a dataset version.

With a glob only files not read by an earlier run are returned, so each run checks the data
that arrived since the last one. A ``deployment:NAME`` target (its prediction log) is
validated here and read by :mod:`deployment_target`.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.deployment_target import (
    DEPLOYMENT_PREFIX,
    deployment_name,
    is_deployment_target,
)
from mlsteward.services.outbound_access import require_monitor_file

DATASET_PREFIX = "dataset:"
_GLOB_CHARS = "*?["


@dataclass
class TargetData:
    """The rows to check (None when nothing new arrived), the files read and any notes."""

    frame: pd.DataFrame | None
    files: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    #: Each file's rows by path, kept only when ``read_target`` is asked to (``keep_parts``).
    parts: dict[str, pd.DataFrame] = field(default_factory=dict)


def is_glob(target: str) -> bool:
    """A glob of files (each run of a monitor reads only its new files for drift)."""
    if target.startswith(DATASET_PREFIX) or is_deployment_target(target):
        return False
    return any(ch in target for ch in _GLOB_CHARS)


def validate_target(ctx: ServiceContext, target: str) -> str:
    if not isinstance(target, str) or not target.strip():
        raise InvalidArgumentError(
            "A monitor needs a target: a file path, a glob, dataset:REF or deployment:NAME"
        )
    target = target.strip()
    if "\x00" in target:  # no path holds one; os calls would fail on it (a 500, not a 400)
        raise InvalidArgumentError("A monitor target may not contain a NUL character")
    if target.startswith(DATASET_PREFIX):
        if len(target) == len(DATASET_PREFIX):
            raise InvalidArgumentError("dataset: targets need a reference, e.g. dataset:sales@3")
        return target
    if is_deployment_target(target):
        return DEPLOYMENT_PREFIX + deployment_name(target)
    require_monitor_file(ctx.outbound, _fixed_prefix(target))
    return target


def _fixed_prefix(target: str) -> str:
    """The part of a path before its first glob character (the folder a glob stays in)."""
    cut = min((target.index(ch) for ch in _GLOB_CHARS if ch in target), default=len(target))
    head = target[:cut]
    return head if cut == len(target) else os.path.dirname(head) or "."


def glob_files(ctx: ServiceContext, target: str) -> list[str]:
    """The files a glob target matches now, in path order, each one the context may read."""
    files = [f for f in sorted(glob.glob(target)) if os.path.isfile(f)]
    for path in files:  # a symlink inside an allowed folder may point out of it
        require_monitor_file(ctx.outbound, path)
    return files


def read_file(path: str) -> pd.DataFrame:
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return pd.read_parquet(path)
    if lower.endswith((".csv", ".csv.gz", ".txt")):
        return pd.read_csv(path)
    raise InvalidArgumentError(f"Cannot read {path!r}: only .csv and .parquet files")


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    """The rows of several files as one table (None for none)."""
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def read_target(
    ctx: ServiceContext,
    target: str,
    seen: list[str],
    *,
    missing_ok: bool = False,
    keep_parts: bool = False,
) -> TargetData:
    """Read the target; ``seen`` lists files earlier runs of a glob target already read.

    With ``missing_ok`` a file that does not exist (yet) reads as no rows, with a note; with
    ``keep_parts`` each file's rows are kept too (``TargetData.parts``).
    """
    if target.startswith(DATASET_PREFIX):
        from mlsteward.services.data.versions import load_table

        table = load_table(ctx, target[len(DATASET_PREFIX) :])
        return TargetData(table.to_pandas(), [target])
    if is_deployment_target(target):
        raise InvalidArgumentError("A deployment's prediction log is read by its monitor's run")
    if is_glob(target):
        done = set(seen)
        files = [f for f in glob_files(ctx, target) if f not in done]
        if not files:
            return TargetData(None, [], [f"no new files match {target!r}"])
    elif os.path.isfile(target):
        require_monitor_file(ctx.outbound, target)
        files = [target]
    elif missing_ok:
        return TargetData(None, [], [f"{target!r} does not exist yet"])
    else:
        raise InvalidArgumentError(f"Target {target!r} does not exist")
    parts: dict[str, pd.DataFrame] = {}
    messages, read = [], []
    for path in files:
        try:
            parts[path] = read_file(path)
            read.append(path)
        except InvalidArgumentError as error:
            messages.append(error.message)
        except (OSError, ValueError) as error:  # a broken file must not stop the others
            # A server names the failure, never what the file holds (a parser's message may
            # quote a line); locally the reader's own words help the user fix the file.
            detail = type(error).__name__ if ctx.outbound.restricted else str(error)
            messages.append(f"could not read {path!r}: {detail}")
            read.append(path)
    frame = concat_frames(list(parts.values()))
    return TargetData(frame, read, messages, parts if keep_parts else {})
