"""Where the prediction log keeps things, and how a file is published without being half-seen.

Layout under the log's root (a local folder or an ``s3://`` prefix)::

    {root}/{deployment}/date=YYYY-MM-DD/hour=HH/part-{first-id}-{last-id}-{pid}.parquet
    {root}/{deployment}/feedback/date=YYYY-MM-DD/part-{first-id}-{pid}-{random}.parquet

The hour is the UTC hour of the prediction ID's time, so an ID alone names its folder. A
file's first and last prediction IDs are in its name: listing one hour's folder is the index
that tells which files can hold an ID, and it can never disagree with the files, because
publishing a file publishes its index entry. Files are written under a name starting with
``.`` (which readers skip) and renamed; on object stores one PUT is already atomic.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import fsspec
from fsspec import AbstractFileSystem

from mlsteward.domain.prediction_ids import is_prediction_id

#: Deployment names as folder names: a name (letters, digits, ``.``, ``_``, ``-``, starting
#: with a letter or digit) with an optional ``@alias`` or ``@version`` for a one-off serve.
DEPLOYMENT_PATTERN = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(?:@[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$"
)
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
FEEDBACK = "feedback"
_PART = re.compile(
    r"^part-(?P<first>[0-9a-f-]{36})-(?P<last>[0-9a-f-]{36})-(?P<pid>\d+)(?:-\w+)?\.parquet$"
)
_DATE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
_HOUR = re.compile(r"^hour=(\d{2})$")


def is_deployment_name(value: object) -> bool:
    """Whether ``value`` is a deployment name the log can keep a folder for."""
    return isinstance(value, str) and bool(DEPLOYMENT_PATTERN.match(value))


def check_deployment(value: object) -> str:
    """``value`` when it is a deployment name, else ``ValueError`` (never a path elsewhere)."""
    if not is_deployment_name(value):
        raise ValueError(f"not a deployment name: {str(value)[:80]!r}")
    return str(value)


def open_filesystem(
    root: str, storage_options: dict[str, Any] | None = None
) -> tuple[AbstractFileSystem, str]:
    """The filesystem and base path of ``root``.

    For ``s3://`` without options, the endpoint comes from ``MLSTEWARD_S3_ENDPOINT_URL``
    (or ``AWS_ENDPOINT_URL``), as for the artifact store, so a data plane given only the
    log's URL writes where the control plane reads.
    """
    options = dict(storage_options or {})
    if root.startswith("s3://") and not options:
        endpoint = os.environ.get("MLSTEWARD_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["client_kwargs"] = {"endpoint_url": endpoint}
    if "://" not in root:
        root = os.path.abspath(os.path.expanduser(root))
    fs, path = fsspec.core.url_to_fs(root, **options)
    return fs, path.rstrip("/")


def is_local(fs: AbstractFileSystem) -> bool:
    protocol = fs.protocol
    return "file" in (protocol if isinstance(protocol, tuple | list) else (protocol,))


def partition_of(time_ms: int) -> tuple[str, int]:
    """The UTC date (``YYYY-MM-DD``) and hour of a time in milliseconds."""
    moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d"), moment.hour


def hour_folder(base: str, deployment: str, date: str, hour: int) -> str:
    return f"{base}/{deployment}/date={date}/hour={hour:02d}"


def hour_start_ms(date: str, hour: int) -> int:
    moment = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC, hour=hour)
    return int(moment.timestamp() * 1000)


def date_start_ms(date: str) -> int:
    return hour_start_ms(date, 0)


def part_name(first_id: str, last_id: str) -> str:
    return f"part-{first_id}-{last_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"


def feedback_name(first_id: str) -> str:
    return f"part-{first_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"


def part_range(name: str) -> tuple[str, str] | None:
    """The first and last prediction ID a published part file holds (None: not a part)."""
    found = _PART.match(name.rsplit("/", 1)[-1])
    if found is None or not (is_prediction_id(found["first"]) and is_prediction_id(found["last"])):
        return None
    return found["first"], found["last"]


def dates_in(fs: AbstractFileSystem, folder: str) -> list[str]:
    """The ``date=`` partitions under ``folder``, oldest first."""
    return sorted(
        found[1] for name in _names(fs, folder) if (found := _DATE.match(name)) is not None
    )


def hours_in(fs: AbstractFileSystem, folder: str) -> list[int]:
    """The ``hour=`` partitions under a date folder, in order."""
    return sorted(
        int(found[1]) for name in _names(fs, folder) if (found := _HOUR.match(name)) is not None
    )


def files_in(fs: AbstractFileSystem, folder: str) -> list[str]:
    """The published Parquet files of one folder (no temporary names), by name."""
    return sorted(
        f"{folder}/{name}"
        for name in _names(fs, folder)
        if name.endswith(".parquet") and not name.startswith((".", "_"))
    )


def deployments_in(fs: AbstractFileSystem, base: str) -> list[str]:
    """The deployments the log has a folder for."""
    return sorted(name for name in _names(fs, base) if is_deployment_name(name))


def _names(fs: AbstractFileSystem, folder: str) -> list[str]:
    """The entry names directly under ``folder``, fresh (object stores cache listings)."""
    fs.invalidate_cache(folder)
    try:
        entries = fs.ls(folder, detail=False)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [str(entry).rstrip("/").rsplit("/", 1)[-1] for entry in entries]


def publish(fs: AbstractFileSystem, path: str, content: bytes) -> None:
    """Write ``content`` to ``path`` so that readers see all of it or nothing.

    Locally the bytes go to a hidden name beside the target, are synced and renamed; on an
    object store a single PUT publishes the object whole.
    """
    folder, name = path.rsplit("/", 1)
    if not is_local(fs):
        fs.pipe_file(path, content)
        return
    os.makedirs(folder, exist_ok=True)
    temporary = f"{folder}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
