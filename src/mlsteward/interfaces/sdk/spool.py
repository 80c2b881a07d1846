"""Batches waiting for a server that could not be reached, kept on disk until delivered.

Layout: ``$MLSTEWARD_HOME/spool/<hash of the server URI>/`` holds ``server.json`` (which
server the folder is for) and one JSON file per batch, named so that sorting by name is
arrival order. Each file holds the run id, the request body exactly as it will be sent, and
its idempotency key, so delivering a batch twice (two processes, or a retry after a lost
answer) changes nothing. Files are written to a temporary name, synced and renamed, so a
crash never leaves half a batch.

Delivery goes in order and stops at the first batch the server cannot take yet (unreachable
or overloaded). A batch the server refuses (any other error: a deleted run, a param
conflict...) is moved to ``rejected/`` with the server's answer and logged as a warning; it
is never dropped silently.

``deliver_spooled`` is what ``mlsteward sync`` runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.rest import wire
from mlsteward.interfaces.sdk.http_client import ApiClient, is_transient, quote_path
from mlsteward.interfaces.sdk.tracking_uri import home_dir

__all__ = ["Spool", "SpoolReport", "all_spools", "deliver_spooled", "spool_root"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_SERVER_FILE = "server.json"
_REJECTED = "rejected"
_counter = itertools.count()

# (run_id, request body) -> None; raises MlstewardError when the server did not take it.
Sender = Callable[[str, dict[str, Any]], None]


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


def _write_atomically(path: Path, data: bytes) -> None:
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


class Spool:
    """The on-disk queue of batches for one server."""

    def __init__(self, server_uri: str, root: Path | None = None) -> None:
        self.server_uri = _normalize(server_uri)
        digest = hashlib.sha256(self.server_uri.encode()).hexdigest()[:16]
        self.directory = (root or spool_root()) / digest
        self.rejected_directory = self.directory / _REJECTED

    def add(self, run_id: str, body: dict[str, Any]) -> Path:
        """Store one batch (``body`` is the log-batch request, idempotency key included)."""
        if not (self.directory / _SERVER_FILE).exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(
                self.directory / _SERVER_FILE, wire.dumps({"server": self.server_uri})
            )
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_counter):08d}.json"
        entry = {
            "format": FORMAT_VERSION,
            "server": self.server_uri,
            "run_id": run_id,
            "idempotency_key": body.get("idempotency_key"),
            "spooled_at": time.time_ns() // 1_000_000,
            "body": body,
        }
        path = self.directory / name
        _write_atomically(path, wire.dumps(entry))
        return path

    def pending(self) -> list[Path]:
        """Batch files waiting, oldest first."""
        try:
            names = [e.name for e in os.scandir(self.directory) if _is_batch(e.name)]
        except FileNotFoundError:
            return []
        return [self.directory / n for n in sorted(names)]

    def has_pending(self) -> bool:
        try:
            with os.scandir(self.directory) as entries:
                return any(_is_batch(e.name) for e in entries)
        except FileNotFoundError:
            return False

    def rejected(self) -> list[Path]:
        try:
            return sorted(self.rejected_directory.glob("*.json"))
        except FileNotFoundError:
            return []

    def deliver(self, send: Sender) -> SpoolReport:
        """Send waiting batches in order until done or the server cannot take one now."""
        report = SpoolReport(self.server_uri)
        batches = self.pending()
        for index, path in enumerate(batches):
            try:
                entry = json.loads(path.read_bytes())
                run_id, body = str(entry["run_id"]), entry["body"]
            except FileNotFoundError:
                continue  # another process delivered it first
            except (ValueError, KeyError, TypeError) as error:
                self._reject(path, None, f"unreadable spool file: {error}", report)
                continue
            try:
                send(run_id, body)
            except MlstewardError as error:
                if is_transient(error):
                    report.remaining = len(batches) - index
                    report.last_error = error.message
                    break
                self._reject(path, entry, f"{error.code}: {error.message}", report)
                continue
            path.unlink(missing_ok=True)
            report.delivered += 1
        return report

    def _reject(
        self, path: Path, entry: dict[str, Any] | None, reason: str, report: SpoolReport
    ) -> None:
        self.rejected_directory.mkdir(parents=True, exist_ok=True)
        target = self.rejected_directory / path.name
        if entry is None:
            try:
                os.replace(path, target)
            except FileNotFoundError:
                return
        else:
            _write_atomically(target, wire.dumps({**entry, "rejected": reason}))
            path.unlink(missing_ok=True)
        report.rejected.append(target)
        log.warning(
            "The server %s refused a spooled batch (%s); it is kept in %s",
            self.server_uri,
            reason,
            target,
        )


def _is_batch(name: str) -> bool:
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


def sender_for(api: ApiClient, attempts: int | None = None) -> Sender:
    """Deliver one spooled batch through ``api`` (safe to repeat: the body carries its key)."""

    def send(run_id: str, body: dict[str, Any]) -> None:
        api.request(
            "POST",
            f"/runs/{quote_path(run_id)}/log-batch",
            json=body,
            idempotent=True,
            attempts=attempts,
        )

    return send


def deliver_all(uri: str | None = None) -> list[SpoolReport]:
    """Deliver the spool of ``uri``, or of every server when ``uri`` is None."""
    spools = [Spool(uri)] if uri else all_spools()
    reports = []
    for spool in spools:
        if not spool.has_pending():
            reports.append(SpoolReport(spool.server_uri))
            continue
        with ApiClient(spool.server_uri) as api:
            reports.append(spool.deliver(sender_for(api)))
    return reports


def deliver_spooled(uri: str | None = None) -> int:
    """Deliver spooled batches (for ``uri``, or for every server); returns how many arrived.

    Batches the server refused are moved to ``rejected/`` and logged; batches that still
    cannot be delivered stay spooled for the next attempt.
    """
    return sum(report.delivered for report in deliver_all(uri))
