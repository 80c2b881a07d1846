"""An export verifies offline with the public key alone; another key, an edited line or a
filtered export does not."""

from __future__ import annotations

import json
from pathlib import Path

from mlsteward.services.audit import operations as audit_ops
from mlsteward.services.audit.checkpoints import sign_checkpoint
from mlsteward.services.audit.export import export_lines
from mlsteward.services.audit.signing import AuditSigner
from mlsteward.services.audit.verification import read_export, verify_export
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import dispatch
from mlsteward.storage.audit_base import AuditQuery

from .conftest import record_event


def _chain(ctx: ServiceContext, n: int = 12) -> None:
    for i in range(1, n + 1):
        record_event(ctx, i)
        if i == 5:
            sign_checkpoint(ctx)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_an_export_verifies_offline_with_the_public_key(
    audit_ctx: ServiceContext, tmp_path: Path
) -> None:
    _chain(audit_ctx)
    signer = audit_ctx.audit_signer
    assert signer is not None
    path = _write(tmp_path / "audit.jsonl", list(export_lines(audit_ctx, AuditQuery())))
    exported = read_export(path)
    assert exported.header["key_id"] == signer.key_id
    assert [r.seq for r in exported.records] == list(range(1, 13))
    # The export signed the head first, so it is vouched for to its last record.
    assert [c.seq for c in exported.checkpoints] == [5, 12]
    result = verify_export(path, signer.public_key_pem())
    assert (result.ok, result.checked, result.last_checkpoint_seq) == (True, 12, 12), result

    other = AuditSigner.load_or_create(tmp_path / "other.pem")
    wrong = verify_export(path, other.public_key_pem())
    assert (wrong.ok, wrong.problem, wrong.first_bad_seq) == (False, "unknown_key", 5)


def test_the_export_operation_streams_the_same_lines(
    audit_ctx: ServiceContext, tmp_path: Path
) -> None:
    _chain(audit_ctx, 4)
    chunks = dispatch(audit_ctx, audit_ops.export, audit_ops.ExportLog())
    path = tmp_path / "op.jsonl"
    path.write_bytes(b"".join(chunks))
    assert audit_ctx.audit_signer is not None
    assert verify_export(path, audit_ctx.audit_signer.public_key_pem()).ok


def test_an_edited_export_fails(audit_ctx: ServiceContext, tmp_path: Path) -> None:
    _chain(audit_ctx)
    lines = list(export_lines(audit_ctx, AuditQuery()))
    key = audit_ctx.audit_signer.public_key_pem() if audit_ctx.audit_signer else ""
    edited = list(lines)
    for index, line in enumerate(lines):
        item = json.loads(line)
        if item["type"] == "record" and item["seq"] == 7:
            item["actor"] = "someone-else"
            edited[index] = json.dumps(item) + "\n"
    result = verify_export(_write(tmp_path / "edited.jsonl", edited), key)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 7, "edited")

    dropped = [line for line in lines if '"seq":9,' not in line or '"record"' not in line]
    gone = verify_export(_write(tmp_path / "dropped.jsonl", dropped), key)
    assert (gone.ok, gone.first_bad_seq, gone.problem) == (False, 9, "missing")

    unsigned = [line for line in lines if '"type":"checkpoint"' not in line]
    bare = verify_export(_write(tmp_path / "unsigned.jsonl", unsigned), key)
    assert (bare.ok, bare.problem) == (False, "unsigned")

    broken = verify_export(_write(tmp_path / "broken.jsonl", [*lines[:3], "{not json\n"]), key)
    assert (broken.ok, broken.problem) == (False, "malformed")


def test_a_filtered_export_is_not_a_chain(audit_ctx: ServiceContext, tmp_path: Path) -> None:
    _chain(audit_ctx)
    path = _write(
        tmp_path / "alice.jsonl", list(export_lines(audit_ctx, AuditQuery(actor="alice")))
    )
    exported = read_export(path)
    assert exported.records and {r.actor for r in exported.records} == {"alice"}
    key = audit_ctx.audit_signer.public_key_pem() if audit_ctx.audit_signer else ""
    result = verify_export(path, key)
    assert (result.ok, result.problem) == (False, "filtered")


def test_a_range_export_verifies_through_its_checkpoints(
    audit_ctx: ServiceContext, tmp_path: Path
) -> None:
    _chain(audit_ctx, 20)
    sign_checkpoint(audit_ctx)  # at 20
    path = _write(tmp_path / "range.jsonl", list(export_lines(audit_ctx, AuditQuery(after_seq=3))))
    key = audit_ctx.audit_signer.public_key_pem() if audit_ctx.audit_signer else ""
    result = verify_export(path, key)
    assert (result.ok, result.checked, result.last_checkpoint_seq) == (True, 17, 20), result
