"""Changes waiting for a server that could not be reached, kept on disk until delivered.

Layout: ``$MLSTEWARD_HOME/spool/<hash of the server URI>/`` holds ``server.json`` (which
server the folder is for) and one JSON file per change, named so that sorting by name is the
order the changes were made in. A change is one of:

* ``log-batch``: metric points, params and tags (the body carries its idempotency key, so
  delivering it twice changes nothing);
* ``update-run``: a run's status, end time or name (the end time is fixed when the run ends,
  not when the change arrives; applying the same values again changes nothing);
* ``delete-tag``: a tag removed (a tag already gone counts as removed).

Files are written to a temporary name, synced and renamed, so a full disk or a crash never
leaves half a file. A spool folder that cannot be written (disk full, quota, I/O error,
permissions) raises :class:`SpoolUnwritableError` naming the folder; nothing is dropped.

One delivery at a time: a delivery holds the spool's lock file (see
:mod:`mlsteward.interfaces.sdk.spool_lock`) from its first change to its last, so the
background deliverers of several programs, ``mlsteward sync`` and a closing client never
send changes side by side (which could resend an older change after a newer one). A
background deliverer that finds the lock held tries again later; ``mlsteward sync`` waits
for it, up to :data:`SYNC_WAIT_S`.

Delivery goes in order and stops at the first change the server cannot take yet
(unreachable, overloaded or out of space), so a run's end never arrives before its metrics. A
change the server refuses (any other error: a deleted run, a param conflict...) is moved to
``rejected/`` with the server's answer and logged as a warning; it is never dropped silently.

``deliver_spooled`` is what ``mlsteward sync`` runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsteward.domain.errors import (
    InsufficientStorageError,
    MlstewardError,
    NotFoundError,
    UnavailableError,
)
from mlsteward.interfaces.sdk.credentials import resolve_token
from mlsteward.interfaces.sdk.home import home_dir
from mlsteward.interfaces.sdk.http_client import ApiClient, is_transient
from mlsteward.interfaces.sdk.spool_lock import DeliveryLock
from mlsteward.interfaces.sdk.transport import HttpTransport
from mlsteward.interfaces.sdk.wire_transport import WireHttpTransport, wire_body
from mlsteward.services.api import wire
from mlsteward.services.api.schemas import LogBatchRequest, UpdateRunRequest
from mlsteward.services.operations import Operation, OperationRequest
from mlsteward.services.tracking import operations_runs as run_ops

__all__ = [
    "DELETE_TAG",
    "LOG_BATCH",
    "SYNC_WAIT_S",
    "UPDATE_RUN",
    "Spool",
    "SpoolBusyError",
    "SpoolReport",
    "SpoolUnwritableError",
    "all_spools",
    "deliver_spooled",
    "spool_root",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 1: log batches only, without an "operation" field (still read)
LOG_BATCH = "log-batch"
UPDATE_RUN = "update-run"
DELETE_TAG = "delete-tag"
OPERATIONS = (LOG_BATCH, UPDATE_RUN, DELETE_TAG)
_SERVER_FILE = "server.json"
_REJECTED = "rejected"
#: Answers that keep a change spooled instead of rejecting it: the server's own disk is
#: full (507), or the credential expired or was revoked meanwhile (401: sign in again, then
#: `mlsteward sync`); neither says anything against the change itself.
_KEEP_STATUSES = frozenset({507, 401})
#: How long ``mlsteward sync`` waits for another delivery of the same spool to finish (one
#: slow change may take a request's full timeout).
SYNC_WAIT_S = 300.0
_counter = itertools.count()
_stamp_lock = threading.Lock()
_last_stamp = 0

# (operation, run_id, request body) -> None; raises MlstewardError when the server did not
# take it.
Sender = Callable[[str, str, dict[str, Any]], None]


class SpoolUnwritableError(InsufficientStorageError):
    """The spool folder cannot take a change (disk full, quota, I/O error, permissions)."""


class SpoolBusyError(UnavailableError):
    """Another delivery of the same spool (another program, or ``mlsteward sync``) went on
    for longer than this one could wait."""


def spool_root() -> Path:
    return home_dir() / "spool"


def _normalize(uri: str) -> str:
    return uri.rstrip("/")


@dataclass
class SpoolReport:
    """The outcome of one delivery pass over one spool."""

    server_uri: str
    delivered: int = 0
    rejected: list[Path] = field(default_factory=list)
    remaining: int = 0
    last_error: str | None = None
    busy: bool = False  # another delivery held the spool's lock: nothing was sent


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: temporary file, fsync, rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a rename durable (best effort: some file systems cannot sync a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _next_stamp() -> int:
    """A nanosecond stamp that never goes backwards in this process, even if the clock does."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(time.time_ns(), _last_stamp + 1)
        return _last_stamp


class Spool:
    """The on-disk queue of changes for one server."""

    def __init__(self, server_uri: str, root: Path | None = None) -> None:
        self.server_uri = _normalize(server_uri)
        digest = hashlib.sha256(self.server_uri.encode()).hexdigest()[:16]
        self.directory = (root or spool_root()) / digest
        self.rejected_directory = self.directory / _REJECTED

    def add(self, run_id: str, body: dict[str, Any], operation: str = LOG_BATCH) -> Path:
        """Store one change for ``run_id``; ``body`` is the request body as it will be sent.

        Raises :class:`SpoolUnwritableError` (and leaves no file behind) when the folder
        cannot be written.
        """
        if operation not in OPERATIONS:
            raise ValueError(f"Unknown spool operation {operation!r}")
        name = f"{_next_stamp():020d}-{os.getpid()}-{next(_counter):08d}.json"
        entry = {
            "format": FORMAT_VERSION,
            "server": self.server_uri,
            "operation": operation,
            "run_id": run_id,
            "idempotency_key": body.get("idempotency_key"),
            "spooled_at": time.time_ns() // 1_000_000,
            "body": body,
        }
        path = self.directory / name
        try:
            if not (self.directory / _SERVER_FILE).exists():
                self.directory.mkdir(parents=True, exist_ok=True)
                _write_atomically(
                    self.directory / _SERVER_FILE, wire.dumps({"server": self.server_uri})
                )
            _write_atomically(path, wire.dumps(entry))
        except OSError as error:
            reason = error.strerror or str(error)
            raise SpoolUnwritableError(
                f"Cannot write to the spool folder {self.directory} ({reason}); the server "
                f"{self.server_uri} cannot be reached, so the change is kept in memory: free "
                "space there (or fix its permissions)"
            ) from error
        return path

    def pending(self) -> list[Path]:
        """Change files waiting, oldest first."""
        try:
            names = [e.name for e in os.scandir(self.directory) if _is_change(e.name)]
        except FileNotFoundError:
            return []
        return [self.directory / n for n in sorted(names)]

    def has_pending(self) -> bool:
        try:
            with os.scandir(self.directory) as entries:
                return any(_is_change(e.name) for e in entries)
        except FileNotFoundError:
            return False

    def rejected(self) -> list[Path]:
        try:
            return sorted(self.rejected_directory.glob("*.json"))
        except FileNotFoundError:
            return []

    def deliver(self, send: Sender, wait: float = 0.0) -> SpoolReport:
        """Send waiting changes in order until done or the server cannot take one now.

        Holds the spool's delivery lock throughout. When another delivery holds it for all
        of ``wait`` seconds (0: one attempt), nothing is sent and the report says ``busy``.
        """
        report = SpoolReport(self.server_uri)
        if not self.has_pending():
            return report
        lock = DeliveryLock(self.directory)
        try:
            held = lock.acquire(wait)
        except OSError as error:
            raise SpoolUnwritableError(
                f"Cannot open the spool's delivery lock {lock.path} "
                f"({error.strerror or error}); nothing was delivered"
            ) from error
        if not held:
            report.busy = True
            report.remaining = len(self.pending())
            report.last_error = f"another process is delivering the spool in {self.directory}"
            return report
        try:
            self._deliver_in_order(send, report)
        finally:
            lock.release()
        return report

    def _deliver_in_order(self, send: Sender, report: SpoolReport) -> None:
        """The delivery itself, under the lock: the list of changes is read only now."""
        changes = self.pending()
        for index, path in enumerate(changes):
            try:
                entry = json.loads(path.read_bytes())
                operation = str(entry.get("operation", LOG_BATCH))
                run_id, body = str(entry["run_id"]), entry["body"]
                if not isinstance(body, dict):
                    raise TypeError("the body is not an object")
            except FileNotFoundError:
                continue  # another process delivered it first
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                self._reject(path, None, f"unreadable spool file: {error}", report)
                continue
            try:
                send(operation, run_id, body)
            except MlstewardError as error:
                if is_transient(error) or error.http_status in _KEEP_STATUSES:
                    report.remaining = len(changes) - index
                    report.last_error = error.message
                    break
                self._reject(path, entry, f"{error.code}: {error.message}", report)
                continue
            path.unlink(missing_ok=True)
            report.delivered += 1

    def _reject(
        self, path: Path, entry: dict[str, Any] | None, reason: str, report: SpoolReport
    ) -> None:
        self.rejected_directory.mkdir(parents=True, exist_ok=True)
        target = self.rejected_directory / path.name
        annotated = False
        if entry is not None:
            try:
                _write_atomically(target, wire.dumps({**entry, "rejected": reason}))
                annotated = True
            except OSError:  # no room for the annotated copy: a rename needs none
                log.warning("Could not annotate refused change %s with the reason", path.name)
        try:
            if annotated:
                path.unlink(missing_ok=True)
            else:
                os.replace(path, target)
        except FileNotFoundError:
            return
        report.rejected.append(target)
        log.warning(
            "The server %s refused a spooled change (%s); it is kept in %s",
            self.server_uri,
            reason,
            target,
        )


def _is_change(name: str) -> bool:
    return name.endswith(".json") and name[:1].isdigit()


def all_spools(root: Path | None = None) -> list[Spool]:
    """Every spool folder that names its server."""
    base = root or spool_root()
    spools = []
    for marker in sorted(base.glob(f"*/{_SERVER_FILE}")):
        try:
            uri = json.loads(marker.read_bytes())["server"]
        except (OSError, ValueError, KeyError):
            log.warning("Ignoring spool folder %s: unreadable %s", marker.parent, _SERVER_FILE)
            continue
        spools.append(Spool(uri, base))
    return spools


def change_request(
    operation: str, run_id: str, body: dict[str, Any]
) -> tuple[Operation[Any, Any], OperationRequest]:
    """The declared operation and the request delivering one spooled change (its body as
    the spool keeps it)."""
    if operation == LOG_BATCH:
        batch = wire_body(LogBatchRequest, body)
        return run_ops.log_batch, run_ops.log_batch.make(run_id=run_id, body=batch)
    if operation == UPDATE_RUN:
        update = wire_body(UpdateRunRequest, body)
        return run_ops.update_run, run_ops.update_run.make(run_id=run_id, body=update)
    if operation == DELETE_TAG:
        key = str(body.get("key"))
        return run_ops.delete_tag, run_ops.delete_tag.make(run_id=run_id, key=key)
    raise MlstewardError(f"Unknown spooled operation {operation!r} (a newer client?)")


def sender_for(api: ApiClient, attempts: int | None = None) -> Sender:
    """Deliver one spooled change through ``api``; every operation is safe to repeat."""
    transport = WireHttpTransport(api, attempts=attempts)

    def send(operation: str, run_id: str, body: dict[str, Any]) -> None:
        declared, request = change_request(operation, run_id, body)
        if declared is run_ops.delete_tag:
            _delete_tag(transport, request)
        else:
            transport.call(declared, request)

    return send


def _delete_tag(transport: HttpTransport, request: Any) -> None:
    """Remove a tag; a tag that is already gone (an earlier delivery) counts as removed."""
    try:
        transport.call(run_ops.delete_tag, request)
    except NotFoundError:
        run = run_ops.get_run.make(run_id=request.run_id)
        current = transport.call(run_ops.get_run, run)  # the run is gone: raises
        if request.key in current.data.tags:
            raise


def deliver_all(uri: str | None = None, wait: float = SYNC_WAIT_S) -> list[SpoolReport]:
    """Deliver the spool of ``uri``, or of every server when ``uri`` is None, each after
    waiting up to ``wait`` seconds for a delivery already under way to finish."""
    spools = [Spool(uri)] if uri else all_spools()
    reports = []
    for spool in spools:
        if not spool.has_pending():
            reports.append(SpoolReport(spool.server_uri))
            continue
        with ApiClient(spool.server_uri, token=resolve_token(spool.server_uri)) as api:
            reports.append(spool.deliver(sender_for(api), wait))
    return reports


def deliver_spooled(uri: str | None = None, wait: float = SYNC_WAIT_S) -> int:
    """Deliver spooled changes (for ``uri``, or for every server); returns how many arrived.

    Changes the server refused are moved to ``rejected/`` and logged; changes that still
    cannot be delivered stay spooled for the next attempt. Raises :class:`SpoolBusyError`
    when another delivery of a spool lasted longer than ``wait`` seconds.
    """
    reports = deliver_all(uri, wait)
    delivered = sum(report.delivered for report in reports)
    busy = [report for report in reports if report.busy]
    if busy:
        elsewhere = f"; {delivered} change(s) from other spools were delivered" if delivered else ""
        raise SpoolBusyError(
            f"Another process is still delivering the spool of {busy[0].server_uri} after "
            f"{wait:g} s ({busy[0].remaining} change(s) wait in "
            f"{Spool(busy[0].server_uri).directory}){elsewhere}; run mlsteward sync again "
            "when it is done"
        )
    return delivered
