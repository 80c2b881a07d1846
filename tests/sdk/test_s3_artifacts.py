"""Artifacts on an S3 API (moto in server mode): log, list, download, content-addressed dedup."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import mlsteward
from mlsteward import Client
from mlsteward.testing.s3_api import moto_s3

pytestmark = pytest.mark.s3

BUCKET = "mlsteward-artifacts"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, with one bucket; stopped afterwards."""
    with moto_s3(BUCKET) as s3:
        yield s3.endpoint


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }


def _s3_env(endpoint: str) -> dict[str, str]:
    return {"MLSTEWARD_S3_ENDPOINT_URL": endpoint, **CREDENTIALS}


@pytest.fixture(scope="module")
def s3_server(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An mlsteward server whose artifacts live in the bucket (it holds no S3 state itself)."""
    server_process = pytest.importorskip(
        "mlsteward.testing.server_process", reason="mlsteward.testing.server_process is missing"
    )
    running_server = server_process.running_server

    root = tmp_path_factory.mktemp("s3-server")
    with running_server(
        str(root / "store"), f"s3://{BUCKET}/server", env=_s3_env(s3_endpoint)
    ) as url:
        yield str(url)


@pytest.fixture(params=["local", pytest.param("server", marks=pytest.mark.server)])
def s3_prefix(
    request: pytest.FixtureRequest,
    s3_endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """Point the SDK at a store whose artifacts are in S3; returns the key prefix used."""
    for name, value in _s3_env(s3_endpoint).items():
        monkeypatch.setenv(name, value)
    if request.param == "local":
        prefix = f"local-{uuid.uuid4().hex[:8]}"
        monkeypatch.setenv("MLSTEWARD_ARTIFACTS_URI", f"s3://{BUCKET}/{prefix}")
        mlsteward.set_tracking_uri(str(tmp_path / "store"))
    else:
        prefix = "server"
        mlsteward.set_tracking_uri(request.getfixturevalue("s3_server"))
    mlsteward.set_experiment(f"s3-{uuid.uuid4().hex[:8]}")
    return prefix


def _keys(endpoint: str, prefix: str) -> list[str]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/")
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_files_and_directories(s3_prefix: str, s3_endpoint: str, tmp_path: Path) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)  # several multipart-sized chunks
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "big.bin").write_bytes(payload)
    (tree / "sub" / "small.txt").write_text("small")
    with mlsteward.start_run(log_environment=False) as run:
        mlsteward.log_artifacts(tree, artifact_path="data")
        mlsteward.log_artifact(tree / "sub" / "small.txt")
    client = Client()
    run_id = run.info.run_id
    assert [(e.path, e.is_dir) for e in client.list_artifacts(run_id)] == [
        ("data", True),
        ("small.txt", False),
    ]
    listed = client.list_artifacts(run_id, "data")
    assert [(e.path, e.size) for e in listed] == [
        ("data/big.bin", len(payload)),
        ("data/sub", None),
    ]
    digest = hashlib.sha256(payload).hexdigest()
    assert listed[0].digest == digest
    assert any(key.endswith(f"{digest[:2]}/{digest[2:]}") for key in _keys(s3_endpoint, s3_prefix))

    local = Path(client.download_artifacts(run_id, "data", tmp_path / "download"))
    assert (local / "big.bin").read_bytes() == payload
    assert (local / "sub" / "small.txt").read_text() == "small"
    assert not (tmp_path / "store" / "artifacts").exists()  # nothing went to local disk


def test_same_content_is_stored_once(s3_prefix: str, s3_endpoint: str, tmp_path: Path) -> None:
    content = f"model weights {uuid.uuid4()}".encode()
    digest = hashlib.sha256(content).hexdigest()
    source = tmp_path / "weights.bin"
    source.write_bytes(content)
    client = Client()
    run_ids = []
    for name in ("first", "second"):
        with mlsteward.start_run(run_name=name, log_environment=False) as run:
            mlsteward.log_artifact(source)
            mlsteward.log_artifact(source, artifact_path="copy")
            mlsteward.log_text(content.decode(), "as_text.bin")
        run_ids.append(run.info.run_id)
    blobs = [key for key in _keys(s3_endpoint, s3_prefix) if key.endswith(digest[2:])]
    assert len(blobs) == 1
    for run_id in run_ids:
        paths = {e.path: e.digest for e in client.list_artifacts(run_id) if not e.is_dir}
        assert paths == {"as_text.bin": digest, "weights.bin": digest}
        fetched = Path(client.download_artifacts(run_id, "copy/weights.bin", tmp_path / run_id))
        assert fetched.read_bytes() == content
