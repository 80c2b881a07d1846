"""The JSON form of the audit log's results, shared by the server's encoders and the
client's decoders (decoding gives values equal to what the service returned)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mlsteward.domain.audit import AuditCheckpoint, AuditRecord
from mlsteward.services.audit.verification import AuditVerification


@dataclasses.dataclass(frozen=True)
class AuditRecordPage:
    """One page of records; ``next_after_seq`` continues it (None: the last page)."""

    records: list[AuditRecord]
    next_after_seq: int | None


@dataclasses.dataclass(frozen=True)
class AuditPublicKey:
    key_id: str
    public_key_pem: str


def encode(value: Any) -> dict[str, Any]:
    """A record, checkpoint, verification or public key as JSON."""
    return dataclasses.asdict(value)


def _known(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(cls)}
    return {name: value for name, value in raw.items() if name in names}


def decode_record(raw: dict[str, Any]) -> AuditRecord:
    return AuditRecord(**_known(AuditRecord, raw))


def decode_checkpoint(raw: dict[str, Any]) -> AuditCheckpoint:
    return AuditCheckpoint(**_known(AuditCheckpoint, raw))


def decode_verification(raw: dict[str, Any]) -> AuditVerification:
    return AuditVerification(**_known(AuditVerification, raw))


def decode_public_key(raw: dict[str, Any]) -> AuditPublicKey:
    return AuditPublicKey(**_known(AuditPublicKey, raw))


def encode_page(page: AuditRecordPage) -> dict[str, Any]:
    return {
        "records": [encode(record) for record in page.records],
        "next_after_seq": page.next_after_seq,
    }


def decode_page(raw: dict[str, Any]) -> AuditRecordPage:
    return AuditRecordPage(
        records=[decode_record(item) for item in raw["records"]],
        next_after_seq=raw.get("next_after_seq"),
    )
