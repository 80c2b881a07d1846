"""The tamper-evident audit log: every state change as a hash-chained record, signed
checkpoints over the chain, verification (in place and offline), export and retention."""

from mlsteward.services.audit.change_digest import change_sha256
from mlsteward.services.audit.checkpointer import AuditCheckpointer
from mlsteward.services.audit.checkpoints import sign_checkpoint
from mlsteward.services.audit.export import export_lines
from mlsteward.services.audit.recorder import ChainedAuditRecorder
from mlsteward.services.audit.retention import MIN_RETENTION_DAYS, prune
from mlsteward.services.audit.signing import AuditSigner, default_key_path, public_key_from_pem
from mlsteward.services.audit.verification import (
    AuditVerification,
    read_export,
    verify_export,
    verify_records,
    verify_store,
)

__all__ = [
    "MIN_RETENTION_DAYS",
    "AuditCheckpointer",
    "AuditSigner",
    "AuditVerification",
    "ChainedAuditRecorder",
    "change_sha256",
    "default_key_path",
    "export_lines",
    "prune",
    "public_key_from_pem",
    "read_export",
    "sign_checkpoint",
    "verify_export",
    "verify_records",
    "verify_store",
]
