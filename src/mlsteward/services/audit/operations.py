"""The audit log's operations: read records, verify the chain, sign and list checkpoints,
the public key, prune and export.

Every one acts on the audit log as a whole (resource ``audit_log``, no name): reading it is
for server-wide validators and admins, changing it for admins (see the role policy).
Verifying changes nothing (a POST only because it computes). The export carries JSON lines,
so its route is written by hand in the REST package, like every download, and runs through
the same dispatcher.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlsteward.domain.audit import AuditCheckpoint
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.audit import checkpoints, retention, verification
from mlsteward.services.audit import wire as w
from mlsteward.services.audit.export import export_lines
from mlsteward.services.audit.schemas import (
    DEFAULT_PAGE,
    MAX_PAGE,
    AuditCheckpointListOut,
    AuditCheckpointOut,
    AuditPublicKeyOut,
    AuditRecordPageOut,
    AuditVerificationOut,
    Milliseconds,
    PageLimit,
    PrunedOut,
    PruneRequest,
    Seq,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations.codecs import listed, unlisted
from mlsteward.services.operations.declaration import (
    Action,
    Operation,
    OperationRequest,
    ResourceKind,
)
from mlsteward.services.operations.declarations import Codec, Declarations
from mlsteward.services.operations.kinds import WireForm
from mlsteward.storage.audit_base import AuditQuery

TAG = "Audit"
P = "/audit"
#: The export's media type: one JSON object per line.
EXPORT_MEDIA_TYPE = "application/x-ndjson"


class AuditLog(OperationRequest):
    """Nothing to say: the operation acts on the whole log."""


class ListRecords(OperationRequest):
    actor: str | None = None
    resource_kind: str | None = None
    resource_name: str | None = None
    operation: str | None = None
    since_ms: Milliseconds | None = None
    until_ms: Milliseconds | None = None
    after_seq: Seq = 0
    limit: PageLimit = DEFAULT_PAGE


class ExportLog(OperationRequest):
    actor: str | None = None
    resource_kind: str | None = None
    resource_name: str | None = None
    operation: str | None = None
    since_ms: Milliseconds | None = None
    until_ms: Milliseconds | None = None
    after_seq: Seq = 0
    through_seq: Seq | None = None


class Prune(OperationRequest):
    body: PruneRequest


#: The longest text filter: longer than any name a record holds.
MAX_FILTER_LENGTH = 2_000


def _text(name: str, value: object) -> str | None:
    """A text filter: printable, so a NUL or control character is refused here (PostgreSQL
    cannot even compare one) rather than failing in the database."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be text")
    if len(value) > MAX_FILTER_LENGTH or not value.isprintable():
        raise InvalidArgumentError(
            f"{name} must be printable text of at most {MAX_FILTER_LENGTH} characters"
        )
    return value


def _int(name: str, value: object, minimum: int | None = None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}")
    return value


def _filters(r: ListRecords | ExportLog) -> dict[str, Any]:
    """The request's filters, checked (the in-process door passes them unvalidated)."""
    texts = ("actor", "resource_kind", "resource_name", "operation")
    return {
        **{name: _text(name, getattr(r, name)) for name in texts},
        "since_ms": _int("since_ms", r.since_ms),
        "until_ms": _int("until_ms", r.until_ms),
        "after_seq": _int("after_seq", r.after_seq, 0) or 0,
    }


declare = Declarations("audit", ResourceKind.AUDIT_LOG, tag=TAG, responses={400: None})
CHECKPOINT = Codec(w.encode, w.decode_checkpoint, AuditCheckpointOut)


@declare.get(f"{P}/records", returns=Codec(w.encode_page, w.decode_page, AuditRecordPageOut))
def list_records(ctx: ServiceContext, r: ListRecords) -> w.AuditRecordPage:
    """Audit records by sequence number, filtered; ``next_after_seq`` continues the list."""
    limit = _int("limit", r.limit, 1) or 0
    if limit > MAX_PAGE:
        raise InvalidArgumentError(f"limit must be at most {MAX_PAGE}")
    query = AuditQuery(**_filters(r), limit=limit + 1)
    records = list(ctx.stores.audit.records(query))
    more = len(records) > limit
    records = records[:limit]
    return w.AuditRecordPage(records, records[-1].seq if more else None)


@declare.post(
    f"{P}/verify",
    returns=Codec(w.encode, w.decode_verification, AuditVerificationOut),
    action=Action.READ,
    mutates=False,
    idempotent=True,
)
def verify(ctx: ServiceContext, r: AuditLog) -> verification.AuditVerification:
    """Check the whole chain: each record's hash and link, and every signed checkpoint."""
    return verification.verify_store(ctx)


@declare.post(f"{P}/checkpoints", returns=CHECKPOINT, action=Action.EXECUTE, status=201)
def create_checkpoint(ctx: ServiceContext, r: AuditLog) -> AuditCheckpoint:
    """Sign the chain's head now (after checking the records since the last checkpoint)."""
    return checkpoints.sign_checkpoint(ctx)


@declare.get(
    f"{P}/checkpoints",
    returns=Codec(
        listed("checkpoints", w.encode),
        unlisted("checkpoints", w.decode_checkpoint),
        AuditCheckpointListOut,
    ),
)
def list_checkpoints(ctx: ServiceContext, r: AuditLog) -> list[AuditCheckpoint]:
    """Every signed checkpoint, by sequence number."""
    return ctx.stores.audit.checkpoints()


@declare.get(f"{P}/public-key", returns=Codec(w.encode, w.decode_public_key, AuditPublicKeyOut))
def public_key(ctx: ServiceContext, r: AuditLog) -> w.AuditPublicKey:
    """The public half of the signing key, to verify an export offline."""
    signer = checkpoints.signer_of(ctx)
    return w.AuditPublicKey(signer.key_id, signer.public_key_pem())


@declare.post(
    f"{P}/prune",
    returns=Codec(lambda n: {"pruned": n}, lambda raw: int(raw["pruned"]), PrunedOut),
    action=Action.DELETE,
    responses={409: None},
)
def prune(ctx: ServiceContext, r: Prune) -> int:
    """Remove records older than ``older_than_days`` (at least 183), through a checkpoint
    signed where the kept chain starts; refused when the chain up to there does not verify."""
    return retention.prune(ctx, r.body.older_than_days)


def _exported(raw: bytes) -> bytes:
    """The export as received (JSON lines)."""
    return raw


# In-process the lines as bytes, produced as they are read; a client of a server receives
# the bytes (or streams them).
@declare.get(f"{P}/export", returns=Codec(None, _exported), wire=WireForm.DOWNLOAD)
def export(ctx: ServiceContext, r: ExportLog) -> Iterator[bytes]:
    """The log as JSON lines: a header, the checkpoints, then the records; without filters a
    contiguous chain to verify offline with the public key."""
    query = AuditQuery(**_filters(r), through_seq=_int("through_seq", r.through_seq, 0))
    return (line.encode("utf-8") for line in export_lines(ctx, query))


OPERATIONS: tuple[Operation[Any, Any], ...] = tuple(declare.operations)
