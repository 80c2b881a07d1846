"""The audit store: an append-only hash chain of records, and signed checkpoints over it.

The interface offers no way to change or remove a record except :meth:`prune`, which drops
the oldest ones through a signed checkpoint (retention). Appends are serialised: each record's
sequence number is the previous one's plus one and its ``prev_hash`` the previous one's hash,
even with many writers (a database lock on the chain head).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass

from mlsteward.domain.audit import AuditCheckpoint, AuditEntry, AuditRecord
from mlsteward.storage.capabilities import StoreCapabilities


@dataclass(frozen=True)
class AuditQuery:
    """Which records to read, in sequence order; every field given must match."""

    after_seq: int = 0
    through_seq: int | None = None
    actor: str | None = None
    resource_kind: str | None = None
    resource_name: str | None = None
    operation: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int | None = None


class AuditStore(abc.ABC):
    """Append-only audit records and checkpoints."""

    capabilities: StoreCapabilities

    @abc.abstractmethod
    def append(self, entry: AuditEntry) -> AuditRecord:
        """Place ``entry`` after the chain head (``entry.chained(seq, prev_hash)``) and
        store it, in the caller's unit of work when one is open (so the record commits or
        rolls back with the change it records)."""

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """The last record's sequence number and hash (``(0, GENESIS_HASH)`` when empty,
        or the prune point's when everything before it was pruned)."""

    @abc.abstractmethod
    def records(self, query: AuditQuery) -> Iterator[AuditRecord]:
        """Records matching ``query``, by sequence number, streamed."""

    @abc.abstractmethod
    def add_checkpoint(self, checkpoint: AuditCheckpoint) -> AuditCheckpoint:
        """Keep a signed checkpoint (one per sequence number: a repeat is ignored)."""

    @abc.abstractmethod
    def checkpoints(self) -> list[AuditCheckpoint]:
        """Every checkpoint, by sequence number."""

    @abc.abstractmethod
    def prune(self, through_seq: int) -> int:
        """Remove records up to and including ``through_seq``; returns how many. The
        caller makes sure a checkpoint at ``through_seq`` exists (verification starts
        there)."""

    @abc.abstractmethod
    def pruned_through(self) -> int:
        """The highest sequence number pruned (0: nothing was)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own."""
