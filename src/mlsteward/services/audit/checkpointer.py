"""A thread that signs a checkpoint whenever the audit chain's head has moved, and applies
the retention setting once a day.

Checkpoints bound what someone who can write the database could rewrite unnoticed (the
records after the newest one), so a server signs every ``interval_s`` seconds when there is
something new. Signing is the server's own housekeeping, not a client's change: it is not
itself recorded in the chain (that would move the head every time).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from mlsteward.domain.audit import AuditCheckpoint
from mlsteward.domain.identity import Principal, PrincipalKind
from mlsteward.services.audit.checkpoints import sign_checkpoint
from mlsteward.services.audit.retention import MIN_RETENTION_DAYS
from mlsteward.services.background_loop import BackgroundLoop
from mlsteward.services.operations.dispatcher import dispatch
from mlsteward.services.operations.policy import AllowEverything

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

logger = logging.getLogger("mlsteward.audit.checkpointer")
DEFAULT_INTERVAL_S = 60.0
_DAY_MS = 86_400_000
#: Who prunes by the retention setting, in the audit log (the prune is recorded).
RETENTION = Principal(name="audit-retention", kind=PrincipalKind.SERVICE)


class AuditCheckpointer(BackgroundLoop):
    """Signs the head every ``interval_s`` seconds when it moved, on a daemon thread."""

    def __init__(
        self,
        ctx: ServiceContext,
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        retention_days: float | None = None,
    ) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be positive")
        if retention_days is not None and not retention_days >= MIN_RETENTION_DAYS:
            raise ValueError(f"the audit retention is at least {MIN_RETENTION_DAYS} days")
        super().__init__("mlsteward-audit-checkpointer", interval_s, first_wait=True, logger=logger)
        self.ctx = ctx
        self.interval_s = interval_s
        self.retention_days = retention_days
        self._pruned_at_ms: int | None = None
        self._signed: tuple[int, str] | None = None

    def sign_if_moved(self) -> AuditCheckpoint | None:
        """Sign the head now unless it was signed last time (the checkpoint, or None)."""
        head = self.ctx.stores.audit.head()
        if head == self._signed:
            return None
        checkpoint = sign_checkpoint(self.ctx)
        self._signed = (checkpoint.seq, checkpoint.head_hash)
        return checkpoint

    def prune_if_due(self) -> int | None:
        """With a retention setting, once a day: remove the records older than it (through
        the declared operation, so the prune itself is recorded). How many, or None when it
        was not due."""
        now = self.ctx.clock()
        if self.retention_days is None or (
            self._pruned_at_ms is not None and now - self._pruned_at_ms < _DAY_MS
        ):
            return None
        from mlsteward.services.audit import operations as audit_ops
        from mlsteward.services.audit.schemas import PruneRequest

        acting = replace(self.ctx.as_principal(RETENTION), policy=AllowEverything())
        request = audit_ops.Prune(body=PruneRequest(older_than_days=self.retention_days))
        pruned = dispatch(acting, audit_ops.prune, request)
        self._pruned_at_ms = now
        return pruned

    def run_pass(self) -> None:
        self.sign_if_moved()
        self.prune_if_due()
