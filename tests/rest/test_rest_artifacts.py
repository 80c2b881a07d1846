"""Artifacts streamed through the server: upload, list, download, and paths that escape."""

from __future__ import annotations

import hashlib
import http.client
import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.server

ExpectError = Callable[[httpx.Response, int, str], str]

_MB = 1 << 20


def _chunks(data: bytes, size: int = 256 * 1024) -> Iterator[bytes]:
    """A generator body: httpx sends it chunked, with no Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_streaming_upload_and_download_of_a_multi_mb_file(api: httpx.Client, run_id: str) -> None:
    data = os.urandom(12 * _MB + 123)
    digest = hashlib.sha256(data).hexdigest()
    uploaded = api.put(f"/runs/{run_id}/artifacts/model/weights.bin", content=_chunks(data))
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json() == {"path": "model/weights.bin", "digest": digest, "size": len(data)}

    received = hashlib.sha256()
    size = 0
    with api.stream("GET", f"/runs/{run_id}/artifacts/model/weights.bin") as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(data))
        assert response.headers["x-mlsteward-digest"] == digest
        for chunk in response.iter_bytes():
            received.update(chunk)
            size += len(chunk)
    assert (size, received.hexdigest()) == (len(data), digest)


def test_listing(api: httpx.Client, run_id: str) -> None:
    for path in ("a.txt", "dir/b.txt", "dir/sub/c.txt"):
        assert api.put(f"/runs/{run_id}/artifacts/{path}", content=path.encode()).status_code == 201
    top = api.get(f"/runs/{run_id}/artifacts").json()["files"]
    assert [(f["path"], f["is_dir"]) for f in top] == [("a.txt", False), ("dir", True)]
    assert top[0]["size"] == len(b"a.txt")
    inner = api.get(f"/runs/{run_id}/artifacts", params={"path": "dir"}).json()["files"]
    assert [f["path"] for f in inner] == ["dir/b.txt", "dir/sub"]
    everything = api.get(
        f"/runs/{run_id}/artifacts", params={"path": "dir", "recursive": "true"}
    ).json()["files"]
    assert [f["path"] for f in everything] == ["dir/b.txt", "dir/sub/c.txt"]
    one = api.get(
        f"/runs/{run_id}/artifacts", params={"path": "dir/b.txt", "recursive": "true"}
    ).json()["files"]
    assert [f["path"] for f in one] == ["dir/b.txt"]
    assert api.get(f"/runs/{run_id}/artifacts/dir/sub/c.txt").content == b"dir/sub/c.txt"


def test_overwrite_repoints_the_path(api: httpx.Client, run_id: str) -> None:
    api.put(f"/runs/{run_id}/artifacts/notes.txt", content=b"first")
    api.put(f"/runs/{run_id}/artifacts/notes.txt", content=b"second")
    assert api.get(f"/runs/{run_id}/artifacts/notes.txt").content == b"second"


def test_artifact_errors(api: httpx.Client, run_id: str, expect_error: ExpectError) -> None:
    unknown = uuid.uuid4().hex
    expect_error(api.put(f"/runs/{unknown}/artifacts/x", content=b"x"), 404, "NOT_FOUND")
    expect_error(api.get(f"/runs/{unknown}/artifacts"), 404, "NOT_FOUND")
    expect_error(api.get(f"/runs/{run_id}/artifacts/missing.txt"), 404, "NOT_FOUND")
    expect_error(
        api.get(f"/runs/{run_id}/artifacts", params={"path": "nope", "recursive": "true"}),
        404,
        "NOT_FOUND",
    )
    for escaping in ("%2E%2E/x", "a/%2E%2E/%2E%2E/x", "%2Fetc/passwd", "C:/x", "a%5Cb"):
        url = f"/runs/{run_id}/artifacts/{escaping}"
        expect_error(api.put(url, content=b"x"), 400, "INVALID_ARGUMENT")
        expect_error(api.get(url), 400, "INVALID_ARGUMENT")
    expect_error(
        api.get(f"/runs/{run_id}/artifacts", params={"path": "../x"}), 400, "INVALID_ARGUMENT"
    )
    api.delete(f"/runs/{run_id}")
    expect_error(api.put(f"/runs/{run_id}/artifacts/x", content=b"x"), 404, "NOT_FOUND")
    assert api.get(f"/runs/{run_id}/artifacts").status_code == 200  # still readable


def test_raw_dot_dot_path_is_refused(server_url: str, run_id: str) -> None:
    """A client that does not normalise ``..`` (curl --path-as-is) gets a 400 too."""
    parts = urlsplit(server_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("PUT", f"/api/v1/runs/{run_id}/artifacts/../x", body=b"data")
        response = connection.getresponse()
        assert response.status == 400
        assert b"escapes" in response.read()
    finally:
        connection.close()
