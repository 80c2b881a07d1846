"""A thread that signs a checkpoint whenever the audit chain's head has moved.

Checkpoints bound what someone who can write the database could rewrite unnoticed (the
records after the newest one), so a server signs every ``interval_s`` seconds when there is
something new. Signing is the server's own housekeeping, not a client's change: it is not
itself recorded in the chain (that would move the head every time).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from mlsteward.domain.audit import AuditCheckpoint
from mlsteward.services.audit.checkpoints import sign_checkpoint

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

logger = logging.getLogger("mlsteward.audit.checkpointer")
DEFAULT_INTERVAL_S = 60.0


class AuditCheckpointer:
    """Signs the head every ``interval_s`` seconds when it moved, on a daemon thread."""

    def __init__(self, ctx: ServiceContext, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be positive")
        self.ctx = ctx
        self.interval_s = interval_s
        self._signed: tuple[int, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sign_if_moved(self) -> AuditCheckpoint | None:
        """Sign the head now unless it was signed last time (the checkpoint, or None)."""
        head = self.ctx.stores.audit.head()
        if head == self._signed:
            return None
        checkpoint = sign_checkpoint(self.ctx)
        self._signed = (checkpoint.seq, checkpoint.head_hash)
        return checkpoint

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sign_if_moved()
            except Exception:  # the store may be unavailable, or the chain broken: log it
                logger.exception("signing an audit checkpoint failed")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> AuditCheckpointer:
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="mlsteward-audit-checkpointer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        """End the loop and wait for it (a signature in progress completes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> AuditCheckpointer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
