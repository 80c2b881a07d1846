"""Content-addressed blobs in a local directory (S3: tests/sdk/test_s3_artifacts.py)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.storage.artifacts.blob_store import open_blob_store


def test_same_bytes_are_stored_once(tmp_path: Path) -> None:
    blobs = open_blob_store(str(tmp_path / "blobs"))
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"same content")
    second.write_bytes(b"same content")
    digest_a, size_a = blobs.put_file(first)
    digest_b, size_b = blobs.put_file(second)
    assert digest_a == digest_b == hashlib.sha256(b"same content").hexdigest()
    assert size_a == size_b == 12
    stored = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].name == digest_a[2:] and stored[0].parent.name == digest_a[:2]


def test_put_stream_and_bytes_round_trip(tmp_path: Path) -> None:
    blobs = open_blob_store(f"file://{tmp_path / 'blobs'}")
    payload = bytes(range(256)) * 10_000
    digest, size = blobs.put_stream(io.BytesIO(payload))
    assert size == len(payload)
    assert blobs.read_bytes(digest) == payload
    assert blobs.put_bytes(payload) == (digest, size)
    assert blobs.put_stream(iter([payload[:10], payload[10:]])) == (digest, size)
    target = tmp_path / "out" / "copy.bin"
    blobs.download(digest, target)
    assert target.read_bytes() == payload
    assert [p.name for p in target.parent.iterdir()] == ["copy.bin"]


def test_missing_and_malformed_digests(tmp_path: Path) -> None:
    blobs = open_blob_store(str(tmp_path))
    with pytest.raises(NotFoundError):
        blobs.read_bytes("0" * 64)
    assert not blobs.exists("0" * 64)
    for bad in ("../../etc/passwd", "ABC", "g" * 64):
        with pytest.raises(InvalidArgumentError):
            blobs.open(bad)
    with pytest.raises(NotFoundError):
        blobs.download("0" * 64, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_unsupported_artifact_uri() -> None:
    with pytest.raises(InvalidArgumentError, match="Unsupported artifact URI"):
        open_blob_store("gs://bucket/x")
