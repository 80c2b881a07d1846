"""Retention: dropping the oldest audit records, never the evidence for the rest.

Records are pruned only through a signed checkpoint (verification starts again there) and
only after the chain up to it verifies, so pruning cannot hide tampering. Nothing younger
than :data:`MIN_RETENTION_DAYS` is ever pruned. Pruning needs the signing key: it checks the
chain with it and signs a checkpoint at the new starting point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.domain.audit import AuditRecord
from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.services.audit.checkpoints import check_through, signer_of
from mlsteward.storage.audit_base import AuditQuery

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

#: Records are kept at least this long (six months: what audits commonly look back over).
MIN_RETENTION_DAYS = 183
_DAY_MS = 86_400_000


def prune(ctx: ServiceContext, older_than_days: float) -> int:
    """Remove the records older than ``older_than_days`` (at least
    :data:`MIN_RETENTION_DAYS`): the chain up to the last of them is checked, a checkpoint
    signed there, and the records through it removed. Returns how many were removed."""
    if (
        isinstance(older_than_days, bool)
        or not isinstance(older_than_days, int | float)
        or not older_than_days >= MIN_RETENTION_DAYS  # NaN too
    ):
        raise InvalidArgumentError(
            f"Audit records are kept at least {MIN_RETENTION_DAYS} days: "
            f"older_than_days must be a number >= {MIN_RETENTION_DAYS}"
        )
    if older_than_days == float("inf"):
        return 0
    signer = signer_of(ctx)  # the chain is checked before anything is dropped
    store = ctx.stores.audit
    last = _last_old_record(ctx, ctx.clock() - int(older_than_days * _DAY_MS))
    if last is None:
        return 0
    checkpoints = store.checkpoints()
    checked = check_through(ctx, last.seq, last.hash, checkpoints)
    if not checked.ok:
        raise ConflictError(
            f"The audit chain does not verify; nothing was pruned. {checked.message}"
        )
    if not any(c.seq == last.seq and c.head_hash == last.hash for c in checkpoints):
        store.add_checkpoint(signer.sign(last.seq, last.hash, ctx.clock()))
    return store.prune(last.seq)


def _last_old_record(ctx: ServiceContext, cutoff_ms: int) -> AuditRecord | None:
    """The last record of the unbroken run, from the chain's start, of records older than
    ``cutoff_ms`` (a clock set back leaves later old records in place)."""
    last = None
    store = ctx.stores.audit
    for record in store.records(AuditQuery(after_seq=store.pruned_through())):
        if record.time_ms >= cutoff_ms:
            break
        last = record
    return last
