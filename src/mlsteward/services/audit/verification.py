"""Checking the audit chain: every record links to the one before, hashes to what it says,
and matches what the signing key vouched for.

What is caught, and where it is named (``first_bad_seq``):

- a record edited in place (any field, its hash included): that record;
- a record deleted: the first missing sequence number (the last one: the chain head, which
  the store keeps apart, names it; so does a checkpoint over it);
- a record inserted: the inserted one when its hash does not fit, else the record after it,
  whose link to its predecessor breaks (a chain cannot tell which of two is the forgery);
- records reordered: the first one out of place;
- the tail truncated: the first missing record, when a checkpoint covers it;
- a chain recomputed after an edit: the first record after the newest checkpoint that still
  matches, since everything after it up to the mismatching checkpoint is suspect.

Limits: records after the newest checkpoint are vouched for by the chain only, so whoever can
write the database can rewrite or extend that tail consistently; sign often (the
checkpointer) to keep it short. Deleting checkpoints along with the tail they cover, or a
prefix of the chain together with the prune mark, reads like retention: keep exports (and
the checkpoints in them) elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mlsteward.domain.audit import GENESIS_HASH, AuditCheckpoint, AuditRecord, record_hash
from mlsteward.services.audit.signing import key_id_of, public_key_from_pem, signature_valid
from mlsteward.storage.audit_base import AuditQuery

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

#: How many times :func:`verify_store` starts again when records are appended meanwhile.
_ATTEMPTS = 5


@dataclass(frozen=True)
class AuditVerification:
    """The outcome of checking a chain: ``ok``, or the first bad record and why."""

    ok: bool
    #: How many records were checked.
    checked: int
    first_bad_seq: int | None
    #: A short code: ``edited``, ``broken_link``, ``missing``, ``out_of_order``,
    #: ``checkpoint_mismatch``, ``bad_signature``, ``unknown_key``, ``truncated``,
    #: ``head_mismatch``, ``missing_anchor``, ``filtered``, ``unsigned``, ``malformed``.
    problem: str | None
    message: str
    #: The newest checkpoint that verified (None: none did).
    last_checkpoint_seq: int | None


def verify_records(
    records: Iterable[AuditRecord],
    checkpoints: Sequence[AuditCheckpoint],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    start_seq: int = 0,
    start_hash: str = GENESIS_HASH,
    head: tuple[int, str] | None = None,
) -> AuditVerification:
    """Check ``records`` (by sequence number, the first one following ``start_seq`` whose
    hash is ``start_hash``) against ``checkpoints``, each signed by one of ``public_keys``
    (by key id); with ``head``, the chain must end exactly there."""
    walk = _Walk(checkpoints, public_keys, start_seq, start_hash)
    bad = walk.anchor()
    for record in records:
        if bad is not None:
            break
        bad = walk.step(record)
    if bad is None:
        bad = walk.finish(head)
    if bad is not None:
        seq, problem, message = bad
        return AuditVerification(False, walk.checked, seq, problem, message, walk.vouched_cp)
    return AuditVerification(True, walk.checked, None, None, walk.summary(), walk.vouched_cp)


class _Walk:
    """The state of one pass over a chain."""

    def __init__(
        self,
        checkpoints: Sequence[AuditCheckpoint],
        public_keys: Mapping[str, Ed25519PublicKey],
        start_seq: int,
        start_hash: str,
    ) -> None:
        self.keys = public_keys
        self.start_seq = start_seq
        self.pending = sorted((c for c in checkpoints if c.seq >= start_seq), key=lambda c: c.seq)
        self.expected = start_seq + 1
        self.prev_hash = start_hash
        self.checked = 0
        #: The last sequence number a valid checkpoint (or the start) vouches for.
        self.vouched = start_seq
        self.vouched_cp: int | None = None

    def anchor(self) -> tuple[int, str, str] | None:
        """Checkpoints at the starting point must sign its hash."""
        while self.pending and self.pending[0].seq == self.start_seq:
            checkpoint = self.pending.pop(0)
            bad = self._checkpoint(checkpoint, self.prev_hash)
            if bad is not None:
                return bad
        return None

    def step(self, record: AuditRecord) -> tuple[int, str, str] | None:
        seq = record.seq
        if seq > self.expected:
            gap = f"{self.expected}" if seq == self.expected + 1 else f"{self.expected}..{seq - 1}"
            return self.expected, "missing", f"Record(s) {gap} are missing (deleted)"
        if seq < self.expected:
            return (
                self.expected,
                "out_of_order",
                f"Record {seq} appears where record {self.expected} should be",
            )
        if record.prev_hash != self.prev_hash:
            return (
                seq,
                "broken_link",
                f"Record {seq} does not link to the record before it "
                "(a record was inserted, deleted or edited there)",
            )
        if record_hash(record, seq, record.prev_hash) != record.hash:
            return seq, "edited", f"Record {seq} does not match its hash (it was edited)"
        self.checked += 1
        self.expected += 1
        self.prev_hash = record.hash
        while self.pending and self.pending[0].seq == seq:
            bad = self._checkpoint(self.pending.pop(0), record.hash)
            if bad is not None:
                return bad
        return None

    def finish(self, head: tuple[int, str] | None) -> tuple[int, str, str] | None:
        last = self.expected - 1
        if self.pending:
            checkpoint = self.pending[0]
            bad = self._signed(checkpoint)
            if bad is not None:
                return bad
            return (
                last + 1,
                "truncated",
                f"A checkpoint covers record {checkpoint.seq}, but the chain ends at "
                f"record {last}: records from {last + 1} on were removed",
            )
        if head is None:
            return None
        head_seq, head_hash = head
        if head_seq > last:
            return (
                last + 1,
                "head_mismatch",
                f"The chain head is record {head_seq}, but the last record is {last}: "
                f"records from {last + 1} on were removed",
            )
        if head_seq < last:
            return (
                head_seq + 1,
                "head_mismatch",
                f"Records after the chain head ({head_seq}) were added: from {head_seq + 1}",
            )
        if head_hash != self.prev_hash:
            return last, "head_mismatch", f"Record {last} does not match the chain head"
        return None

    def summary(self) -> str:
        last = self.expected - 1
        if self.checked == 0:
            return "The audit chain holds no records to check."
        text = f"{self.checked} record(s) verified, through record {last}"
        if self.vouched_cp is None:
            return text + "; no signed checkpoint covers them yet."
        if self.vouched < last:
            return (
                text + f"; signed through record {self.vouched_cp}, the "
                f"{last - self.vouched} after it are vouched for by the chain only."
            )
        return text + f"; signed through record {self.vouched_cp}."

    def _checkpoint(self, checkpoint: AuditCheckpoint, actual: str) -> tuple[int, str, str] | None:
        bad = self._signed(checkpoint)
        if bad is not None:
            return bad
        if checkpoint.head_hash != actual:
            return (
                self.vouched + 1,
                "checkpoint_mismatch",
                f"The signed checkpoint at record {checkpoint.seq} does not match the chain: "
                f"records {self.vouched + 1}..{checkpoint.seq} were rewritten",
            )
        self.vouched = checkpoint.seq
        self.vouched_cp = checkpoint.seq
        return None

    def _signed(self, checkpoint: AuditCheckpoint) -> tuple[int, str, str] | None:
        key = self.keys.get(checkpoint.key_id)
        if key is None:
            return (
                checkpoint.seq,
                "unknown_key",
                f"The checkpoint at record {checkpoint.seq} was signed by key "
                f"{checkpoint.key_id[:16]}..., which is not the key given",
            )
        if not signature_valid(checkpoint, key):
            return (
                checkpoint.seq,
                "bad_signature",
                f"The checkpoint at record {checkpoint.seq} is not validly signed",
            )
        return None


def verify_store(ctx: ServiceContext) -> AuditVerification:
    """Check the whole stored chain (from the prune point) with the context's signing key."""
    store = ctx.stores.audit
    keys = {}
    if ctx.audit_signer is not None:
        keys[ctx.audit_signer.key_id] = ctx.audit_signer.public_key
    result = None
    for _ in range(_ATTEMPTS):
        head = store.head()
        checkpoints = store.checkpoints()
        start = chain_start(store.pruned_through(), checkpoints)
        if isinstance(start, AuditVerification):
            return start
        result = verify_records(
            store.records(AuditQuery(after_seq=start[0])),
            checkpoints,
            keys,
            start_seq=start[0],
            start_hash=start[1],
            head=head,
        )
        if store.head() == head:
            return result
    # Records keep arriving: check the chain as it stood when this pass began.
    head = store.head()
    checkpoints = [c for c in store.checkpoints() if c.seq <= head[0]]
    start = chain_start(store.pruned_through(), checkpoints)
    if isinstance(start, AuditVerification):
        return start
    query = AuditQuery(after_seq=start[0], through_seq=head[0])
    return verify_records(
        store.records(query), checkpoints, keys, start_seq=start[0], start_hash=start[1]
    )


def chain_start(
    pruned_through: int, checkpoints: Sequence[AuditCheckpoint]
) -> tuple[int, str] | AuditVerification:
    """Where a stored chain starts: the genesis, or the checkpoint at the prune point."""
    if pruned_through == 0:
        return 0, GENESIS_HASH
    for checkpoint in checkpoints:
        if checkpoint.seq == pruned_through:
            return pruned_through, checkpoint.head_hash
    return AuditVerification(
        ok=False,
        checked=0,
        first_bad_seq=pruned_through + 1,
        problem="missing_anchor",
        message=f"Records through {pruned_through} were pruned, but the checkpoint there "
        "is missing: nothing vouches for where the chain starts",
        last_checkpoint_seq=None,
    )


# -- exports ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditExport:
    """A JSON-lines export, read: its header, checkpoints and records."""

    header: dict[str, Any]
    checkpoints: list[AuditCheckpoint]
    records: list[AuditRecord]


class MalformedExportError(ValueError):
    """A line of an export is not what the format says."""


def read_export(path: str | Path) -> AuditExport:
    """Read a whole export (:class:`MalformedExportError` when a line is wrong)."""
    with open(path, encoding="utf-8") as lines:
        header, checkpoints, records = _parse(lines)
        return AuditExport(header, checkpoints, list(records))


def verify_export(path: str | Path, public_key_pem: str) -> AuditVerification:
    """Check an export offline with the signing key's public half only."""
    key = public_key_from_pem(public_key_pem)
    keys = {key_id_of(key): key}
    with open(path, encoding="utf-8") as lines:
        try:
            header, checkpoints, records = _parse(lines)
            if header.get("filters"):
                return _refused(
                    "filtered",
                    "This export was filtered (actor, resource, operation or time): "
                    "only a contiguous export can be verified",
                )
            head = None
            if header.get("head_seq") is not None:
                head = (int(header["head_seq"]), str(header["head_hash"]))
            result = verify_records(
                records,
                checkpoints,
                keys,
                start_seq=int(header.get("start_seq", 0)),
                start_hash=str(header.get("start_hash", GENESIS_HASH)),
                head=head,
            )
        except MalformedExportError as error:
            return _refused("malformed", str(error))
    start = int(header.get("start_seq", 0))
    unsigned = result.last_checkpoint_seq is None or result.last_checkpoint_seq <= start
    if result.ok and result.checked and unsigned:
        return _refused(
            "unsigned", "No signed checkpoint in this export covers its records", result.checked
        )
    return result


def _refused(problem: str, message: str, checked: int = 0) -> AuditVerification:
    return AuditVerification(False, checked, None, problem, message, None)


_RECORD_FIELDS = {
    "seq": int,
    "time_ms": int,
    "actor": str,
    "actor_kind": str,
    "operation": str,
    "action": str,
    "resource_kind": str,
    "resource_name": (str, type(None)),
    "request_id": (str, type(None)),
    "change_sha256": str,
    "prev_hash": str,
    "hash": str,
}
_CHECKPOINT_FIELDS = {
    "seq": int,
    "head_hash": str,
    "time_ms": int,
    "key_id": str,
    "signature": str,
}


def _parse(
    lines: Iterable[str],
) -> tuple[dict[str, Any], list[AuditCheckpoint], Iterator[AuditRecord]]:
    """The header, the checkpoints (which come before any record) and the records, read as
    they are needed."""
    numbered = enumerate(lines, start=1)
    header: dict[str, Any] | None = None
    checkpoints: list[AuditCheckpoint] = []
    for number, line in numbered:
        item = _line(number, line)
        if header is None:
            if item.get("type") != "header":
                raise MalformedExportError(f"Line {number}: an export starts with its header")
            header = item
            continue
        if item.get("type") == "checkpoint":
            checkpoints.append(AuditCheckpoint(**_fields(number, item, _CHECKPOINT_FIELDS)))
            continue
        if item.get("type") != "record":
            raise MalformedExportError(f"Line {number}: unknown line type")
        first = AuditRecord(**_fields(number, item, _RECORD_FIELDS))
        return header, checkpoints, _records(first, numbered)
    if header is None:
        raise MalformedExportError("The export is empty")
    return header, checkpoints, iter(())


def _records(first: AuditRecord, numbered: Iterator[tuple[int, str]]) -> Iterator[AuditRecord]:
    yield first
    for number, line in numbered:
        item = _line(number, line)
        if item.get("type") != "record":
            raise MalformedExportError(f"Line {number}: only records follow the first record")
        yield AuditRecord(**_fields(number, item, _RECORD_FIELDS))


def _line(number: int, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError:
        raise MalformedExportError(f"Line {number} is not JSON") from None
    if not isinstance(item, dict):
        raise MalformedExportError(f"Line {number} is not a JSON object")
    return item


def _fields(number: int, item: dict[str, Any], types: Mapping[str, Any]) -> dict[str, Any]:
    """``item``'s fields of ``types``, each of its type (booleans are not numbers)."""
    values = {}
    for name, kind in types.items():
        value = item.get(name)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise MalformedExportError(f"Line {number}: {name} is missing or of the wrong type")
        values[name] = value
    return values
