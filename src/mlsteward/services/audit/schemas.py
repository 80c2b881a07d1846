"""Request and response bodies of the audit operations, for validation and the document.

The services judge every value (the in-process door does not validate); the documented
bounds here say what they accept.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema

#: The most records one page of ``audit.list_records`` answers, and the default.
MAX_PAGE = 10_000
DEFAULT_PAGE = 1_000
#: The retention floor, repeated here for the document (``retention.MIN_RETENTION_DAYS``).
MIN_RETENTION_DAYS_DOC = 183

PageLimit = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PAGE})]
Seq = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 0})]
Milliseconds = Annotated[
    int, WithJsonSchema({"type": "integer", "description": "Unix time in milliseconds"})
]
RetentionDays = Annotated[
    float, WithJsonSchema({"type": "number", "minimum": MIN_RETENTION_DAYS_DOC})
]


# -- requests ----------------------------------------------------------------------------
class PruneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Remove records older than this many days (at least 183).
    older_than_days: RetentionDays


# -- responses ---------------------------------------------------------------------------
class AuditRecordOut(BaseModel):
    seq: int
    time_ms: int
    actor: str
    actor_kind: str
    operation: str
    action: str
    resource_kind: str
    resource_name: str | None
    request_id: str | None
    change_sha256: str
    prev_hash: str
    hash: str


class AuditRecordPageOut(BaseModel):
    records: list[AuditRecordOut]
    #: Pass as ``after_seq`` for the next page; null on the last one.
    next_after_seq: int | None


class AuditCheckpointOut(BaseModel):
    seq: int
    head_hash: str
    time_ms: int
    key_id: str
    signature: str


class AuditCheckpointListOut(BaseModel):
    checkpoints: list[AuditCheckpointOut]


class AuditVerificationOut(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None
    message: str
    last_checkpoint_seq: int | None


class AuditPublicKeyOut(BaseModel):
    key_id: str
    public_key_pem: str


class PrunedOut(BaseModel):
    pruned: int
