"""The signing key: created once, private to its owner, named by its public half."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mlsteward.domain.audit import checkpoint_message
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.audit.signing import (
    AuditSigner,
    default_key_path,
    public_key_from_pem,
    signature_valid,
)


def test_a_key_is_created_once_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.pem"
    signer = AuditSigner.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AuditSigner.load_or_create(path).key_id == signer.key_id
    assert [p.name for p in path.parent.iterdir()] == ["audit.pem"]  # no leftovers
    lazy = AuditSigner.at(tmp_path / "lazy.pem")
    assert not (tmp_path / "lazy.pem").exists()
    assert len(lazy.key_id) == 64 and (tmp_path / "lazy.pem").exists()


def test_a_checkpoint_verifies_only_unchanged(tmp_path: Path) -> None:
    signer = AuditSigner.load_or_create(tmp_path / "k.pem")
    checkpoint = signer.sign(7, "ab" * 32, 123)
    key = public_key_from_pem(signer.public_key_pem())
    assert signature_valid(checkpoint, key)
    signature = bytes.fromhex(checkpoint.signature)
    key.verify(signature, checkpoint_message(7, "ab" * 32))
    for changed in (
        checkpoint.__class__(8, checkpoint.head_hash, 123, signer.key_id, checkpoint.signature),
        checkpoint.__class__(7, "cd" * 32, 123, signer.key_id, checkpoint.signature),
        checkpoint.__class__(7, checkpoint.head_hash, 123, signer.key_id, "00" * 64),
        checkpoint.__class__(7, checkpoint.head_hash, 123, signer.key_id, "not hex"),
    ):
        assert not signature_valid(changed, key)
    other = AuditSigner.load_or_create(tmp_path / "other.pem")
    assert not signature_valid(checkpoint, other.public_key)


def test_the_default_key_is_one_per_store_under_the_home(
    tmp_path: Path, isolated_home: Path
) -> None:
    store = tmp_path / "data" / "store.db"
    store.parent.mkdir()
    one = default_key_path(f"sqlite:///{store}")
    assert one == default_key_path(f"sqlite:///{tmp_path}/data/../data/store.db")
    assert one.parent == isolated_home / "audit-keys" and one.suffix == ".pem"
    assert one != default_key_path(f"sqlite:///{tmp_path / 'other.db'}")
    pg = default_key_path("postgresql://user:secret@db.example:5432/mlsteward")
    assert "secret" not in str(pg) and "user" not in pg.name


def test_a_bad_public_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="not a PEM"):
        public_key_from_pem("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    bad = tmp_path / "bad.pem"
    bad.write_text("garbage")
    with pytest.raises(InvalidArgumentError, match="not a PEM private key"):
        AuditSigner.load_or_create(bad)
