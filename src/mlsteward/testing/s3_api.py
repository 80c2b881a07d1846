"""An S3 API for tests: moto's server on a free loopback port, with buckets made.

Tests of anything that writes to S3 (artifacts, datasets, the prediction log, batch scoring)
run against a real HTTP endpoint rather than a patched client, the way users reach S3::

    with moto_s3("scoring") as s3:
        for name, value in s3.env.items():
            monkeypatch.setenv(name, value)
        s3.client.put_object(Bucket="scoring", Key="in.parquet", Body=data)

A test is skipped (with the reason) when moto, boto3 or s3fs is not installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mlsteward.testing.server_process import free_port

#: The credentials moto accepts, as environment variables.
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class S3Api:
    """A running S3 API: its URL, a boto3 client of it, and the environment that points
    mlsteward (and s3fs) at it."""

    endpoint: str
    client: Any

    @property
    def env(self) -> dict[str, str]:
        return {**TEST_CREDENTIALS, "MLSTEWARD_S3_ENDPOINT_URL": self.endpoint}


@contextlib.contextmanager
def moto_s3(*buckets: str) -> Iterator[S3Api]:
    """moto's S3 server with ``buckets``, stopped when the block ends."""
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("s3fs")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=TEST_CREDENTIALS["AWS_DEFAULT_REGION"],
        )
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        yield S3Api(endpoint, client)
    finally:
        server.stop()
