"""Exporting the audit log as JSON lines, to keep elsewhere and verify offline.

The first line is a header (the signing key, where the chain starts and ends, the filters);
then one line per checkpoint, then one per record, by sequence number. An export without
filters is the contiguous chain from its start, which :func:`verify_export` checks with only
the public key. Before an unfiltered export the head is signed (when the context has the key
and the head has no checkpoint yet), so the export is vouched for to its last record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mlsteward.domain.audit import GENESIS_HASH, AuditCheckpoint, AuditRecord
from mlsteward.domain.errors import ConflictError
from mlsteward.services.audit.checkpoints import sign_checkpoint
from mlsteward.storage.audit_base import AuditQuery

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

EXPORT_FORMAT = 1
#: The query fields that select records by content (an export using any is not a chain).
FILTERS = ("actor", "resource_kind", "resource_name", "operation", "since_ms", "until_ms")


def export_lines(ctx: ServiceContext, query: AuditQuery) -> Iterator[str]:
    """The export's lines (each ending in a newline). The header and checkpoints are read
    now; the records as the lines are consumed."""
    store = ctx.stores.audit
    filters = {name: getattr(query, name) for name in FILTERS if getattr(query, name) is not None}
    if not filters and query.through_seq is None and ctx.audit_signer is not None:
        # A chain that no longer verifies is exported as it is (for the investigation),
        # unsigned; its verification then says what is wrong.
        with contextlib.suppress(ConflictError):
            sign_checkpoint(ctx)
    head_seq, head_hash = store.head()
    pruned = store.pruned_through()
    through = head_seq if query.through_seq is None else min(query.through_seq, head_seq)
    after = max(query.after_seq, pruned)
    bounded = dataclasses.replace(query, after_seq=after, through_seq=through)
    checkpoints = [c for c in store.checkpoints() if after <= c.seq <= through]
    start_hash = _hash_at(ctx, after, checkpoints)
    signer = ctx.audit_signer
    header = {
        "type": "header",
        "format": EXPORT_FORMAT,
        "key_id": signer.key_id if signer is not None else None,
        "public_key_pem": signer.public_key_pem() if signer is not None else None,
        "pruned_through": pruned,
        "start_seq": after,
        "start_hash": start_hash,
        "head_seq": through,
        "head_hash": head_hash if through == head_seq else None,
        "filters": filters or None,
    }
    if header["head_hash"] is None:
        header["head_seq"] = None  # a range ending before the head: no end to hold it to
    first = [_line(header), *(_line(checkpoint_json(c)) for c in checkpoints)]
    return _lines(ctx, first, bounded)


def _lines(ctx: ServiceContext, first: list[str], query: AuditQuery) -> Iterator[str]:
    yield from first
    for record in ctx.stores.audit.records(query):
        yield _line(record_json(record))


def _hash_at(ctx: ServiceContext, seq: int, checkpoints: list[AuditCheckpoint]) -> str:
    """The hash of record ``seq`` (the chain's start before record ``seq + 1``)."""
    if seq == 0:
        return GENESIS_HASH
    for checkpoint in checkpoints:
        if checkpoint.seq == seq:
            return checkpoint.head_hash
    for record in ctx.stores.audit.records(AuditQuery(after_seq=seq - 1, through_seq=seq)):
        return record.hash
    return GENESIS_HASH  # pruned without its checkpoint: verification will say so


def record_json(record: AuditRecord) -> dict[str, Any]:
    return {"type": "record", **dataclasses.asdict(record)}


def checkpoint_json(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {"type": "checkpoint", **dataclasses.asdict(checkpoint)}


def _line(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"
