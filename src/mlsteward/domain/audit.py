"""The audit log's records: a hash chain of state changes, and signed checkpoints over it.

Each :class:`AuditRecord` carries the hash of the one before it, so editing, deleting,
inserting or reordering a record breaks the chain from there on; an
:class:`AuditCheckpoint` is the server's Ed25519 signature over the chain's head at some
sequence number, so a chain recomputed after an edit no longer matches what was signed, and a
truncated tail is caught by the last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

#: The chain's starting point: the ``prev_hash`` of the first record ever written.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """One state change, as the audit log keeps it."""

    seq: int
    time_ms: int
    actor: str
    actor_kind: str
    operation: str
    action: str
    resource_kind: str
    resource_name: str | None
    request_id: str | None
    #: SHA-256 of the change's canonical form (the request as the service took it, secrets
    #: left out): what changed, without storing the values themselves.
    change_sha256: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditCheckpoint:
    """The server's signature over the chain head ``head_hash`` at record ``seq``."""

    seq: int
    head_hash: str
    time_ms: int
    #: Which signing key (the SHA-256 of its raw public key, hex) made ``signature``.
    key_id: str
    #: Ed25519 signature, hex.
    signature: str


@dataclass(frozen=True)
class AuditEntry:
    """A record before the store places it in the chain (it adds ``seq`` and the hashes)."""

    time_ms: int
    actor: str
    actor_kind: str
    operation: str
    action: str
    resource_kind: str
    resource_name: str | None
    request_id: str | None
    change_sha256: str

    def chained(self, seq: int, prev_hash: str) -> AuditRecord:
        """This entry as record ``seq`` after the record whose hash is ``prev_hash``."""
        return AuditRecord(
            seq=seq,
            time_ms=self.time_ms,
            actor=self.actor,
            actor_kind=self.actor_kind,
            operation=self.operation,
            action=self.action,
            resource_kind=self.resource_kind,
            resource_name=self.resource_name,
            request_id=self.request_id,
            change_sha256=self.change_sha256,
            prev_hash=prev_hash,
            hash=record_hash(self, seq, prev_hash),
        )


def record_hash(entry: AuditEntry | AuditRecord, seq: int, prev_hash: str) -> str:
    """The chain hash of a record: SHA-256 over its canonical JSON (every field but the hash
    itself, in a fixed order), which includes ``seq`` and the previous record's hash."""
    fields = [
        seq,
        entry.time_ms,
        entry.actor,
        entry.actor_kind,
        entry.operation,
        entry.action,
        entry.resource_kind,
        entry.resource_name,
        entry.request_id,
        entry.change_sha256,
        prev_hash,
    ]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    """The bytes a checkpoint signs: the sequence number and the head hash, unambiguously."""
    return f"mlsteward-audit-checkpoint:v1:{seq}:{head_hash}".encode("ascii")
