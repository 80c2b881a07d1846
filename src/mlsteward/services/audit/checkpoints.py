"""Signing checkpoints: the server vouches for the chain up to a record.

Before signing, the records since the last checkpoint are checked, so a signature never
covers a chain that was tampered with since the last one (it would launder the change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.domain.audit import AuditCheckpoint
from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.services.audit.verification import AuditVerification, chain_start, verify_records
from mlsteward.storage.audit_base import AuditQuery

if TYPE_CHECKING:
    from mlsteward.services.context import CheckpointSigner, ServiceContext


def signer_of(ctx: ServiceContext) -> CheckpointSigner:
    """The context's signing key (InvalidArgumentError when it has none)."""
    if ctx.audit_signer is None:
        raise InvalidArgumentError(
            "This server has no signing key for the audit log (no signing key): "
            "checkpoints cannot be signed"
        )
    return ctx.audit_signer


def sign_checkpoint(ctx: ServiceContext) -> AuditCheckpoint:
    """Sign the chain's current head; the existing checkpoint when the head already has one."""
    seq, head_hash = ctx.stores.audit.head()
    return sign_at(ctx, seq, head_hash)


def sign_at(ctx: ServiceContext, seq: int, head_hash: str) -> AuditCheckpoint:
    """Sign record ``seq`` (whose hash must be ``head_hash``) after checking the chain from the
    newest checkpoint before it (ConflictError when that check fails)."""
    signer = signer_of(ctx)
    store = ctx.stores.audit
    checkpoints = store.checkpoints()
    for checkpoint in checkpoints:
        if checkpoint.seq == seq and checkpoint.head_hash == head_hash:
            return checkpoint
    checked = check_through(ctx, seq, head_hash, checkpoints)
    if not checked.ok:
        raise ConflictError(
            f"The audit chain does not verify; nothing was signed. {checked.message}"
        )
    return store.add_checkpoint(signer.sign(seq, head_hash, ctx.clock()))


def check_through(
    ctx: ServiceContext,
    seq: int,
    head_hash: str,
    checkpoints: list[AuditCheckpoint],
) -> AuditVerification:
    """Check the stored chain from the newest checkpoint at or before ``seq`` (or from where
    it starts) up to record ``seq``, which must have the hash ``head_hash``."""
    signer = signer_of(ctx)
    store = ctx.stores.audit
    pruned = store.pruned_through()
    anchors = [c for c in checkpoints if pruned <= c.seq <= seq and c.key_id == signer.key_id]
    if anchors:
        anchor = max(anchors, key=lambda c: c.seq)
        start: tuple[int, str] | AuditVerification = (anchor.seq, anchor.head_hash)
    else:
        start = chain_start(pruned, checkpoints)
    if isinstance(start, AuditVerification):
        return start
    covered = [c for c in checkpoints if start[0] <= c.seq <= seq]
    return verify_records(
        store.records(AuditQuery(after_seq=start[0], through_seq=seq)),
        covered,
        {signer.key_id: signer.public_key},
        start_seq=start[0],
        start_hash=start[1],
        head=(seq, head_hash),
    )
