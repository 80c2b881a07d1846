"""A full artifact disk is InsufficientStorageError (507 over HTTP), with nothing left behind.

The disk fills in two ways: the blob store's low-level writes are made to fail with ENOSPC
part-way (in-process, always possible), and a real 1 MiB tmpfs is mounted where the test may
mount one. Either way the upload fails with a message naming the store and the size, its
temp file is gone, no partial blob exists and nothing is recorded; a directory upload that
fails on its third file removes the blobs of the first two, but never a blob another
artifact shares.
"""

from __future__ import annotations

import asyncio
import builtins
import errno
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from fastapi import FastAPI

from mlsteward import Client, Param
from mlsteward.domain.errors import InsufficientStorageError
from mlsteward.interfaces.rest.app import create_app
from mlsteward.storage.artifacts import blob_store
from mlsteward.testing.server_process import running_server

KIB = 1024


class _Disk:
    """Writes through the blob store's ``open`` and ``shutil.copyfile`` that run out of room."""

    def __init__(self, room: int) -> None:
        self.room = room

    def open(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        handle = builtins.open(file, mode, *args, **kwargs)  # noqa: SIM115 - returned open
        return _LimitedWriter(handle, self) if "w" in mode else handle  # type: ignore[return-value]

    def copyfile(self, src: Any, dst: Any, **_: Any) -> Any:
        with builtins.open(src, "rb") as source, self.open(dst, "wb") as target:
            shutil.copyfileobj(source, target)
        return dst


class _LimitedWriter:
    def __init__(self, handle: IO[bytes], disk: _Disk) -> None:
        self._handle, self._disk = handle, disk

    def write(self, data: bytes) -> int:
        if len(data) > self._disk.room:
            self._handle.write(data[: self._disk.room])  # what fitted stays on disk
            self._disk.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._disk.room -= len(data)
        return self._handle.write(data)

    def __enter__(self) -> _LimitedWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def close(self) -> None:
        self._handle.close()


def fill_up_after(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    """From now on, blob writes fail with ENOSPC once ``room`` more bytes are written."""
    disk = _Disk(room)
    monkeypatch.setattr(blob_store, "open", disk.open, raising=False)
    monkeypatch.setattr(blob_store.shutil, "copyfile", disk.copyfile)


def _files(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).rglob("*") if p.is_file())


def _tree(tmp_path: Path, sizes: list[int]) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    for index, size in enumerate(sizes):
        (tree / f"part-{index}.bin").write_bytes(bytes([index + 1]) * size)
    return tree


# -- the local door (the SDK on SQLite), fault injected ---------------------------------------


def test_a_full_disk_fails_a_file_upload_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(str(tmp_path / "store"))
    artifacts = tmp_path / "store" / "artifacts"
    run_id = client.create_run(client.create_experiment("full")).info.run_id
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(300 * KIB))
    fill_up_after(monkeypatch, 100 * KIB)
    with pytest.raises(InsufficientStorageError) as refused:
        client.log_artifact(run_id, source)
    message = refused.value.message
    assert str(artifacts) in message and f"{300 * KIB} bytes" in message
    assert "Nothing was stored" in message
    assert _files(artifacts, "blobs") == [] and _files(artifacts, "tmp") == []
    assert client.list_artifacts(run_id) == []
    fill_up_after(monkeypatch, 100 * KIB)
    with pytest.raises(InsufficientStorageError, match=f"{200 * KIB} bytes"):
        client.log_text(run_id, "x" * (200 * KIB), "notes.txt")
    assert _files(artifacts, "blobs") == [] and _files(artifacts, "tmp") == []


def test_a_directory_upload_failing_midway_removes_only_its_own_blobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(str(tmp_path / "store"))
    artifacts = tmp_path / "store" / "artifacts"
    run_id = client.create_run(client.create_experiment("midway")).info.run_id
    tree = _tree(tmp_path, [100 * KIB, 100 * KIB, 100 * KIB, 100 * KIB])
    shared = hashlib.sha256((tree / "part-0.bin").read_bytes()).hexdigest()
    client.log_artifact(run_id, tree / "part-0.bin", "earlier")  # part-0's blob is shared
    fill_up_after(monkeypatch, 250 * KIB)  # part-1 and part-2 fit, part-3 does not
    with pytest.raises(InsufficientStorageError):
        client.log_artifacts(run_id, tree, "model")
    names = [p.parent.name + p.name for p in _files(artifacts, "blobs")]
    assert names == [shared]  # part-1 and part-2 were removed again; part-0 is in use
    assert _files(artifacts, "tmp") == []
    assert [e.path for e in client.list_artifacts(run_id)] == ["earlier"]
    monkeypatch.undo()
    download = Path(client.download_artifacts(run_id, "earlier", tmp_path / "out"))
    assert (download / "part-0.bin").read_bytes() == (tree / "part-0.bin").read_bytes()


# -- the HTTP door, in-process --------------------------------------------------------------


def _put(app: FastAPI, path: str, body: bytes) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.put(path, content=body)

    return asyncio.run(call())


def test_the_server_answers_507_when_the_artifact_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The client learns the server is full and to tell its operator; where the artifacts
    live (a path on the server) goes to the server's log only."""
    artifacts = tmp_path / "artifacts"
    app = create_app(str(tmp_path / "mlsteward.db"), str(artifacts), upgrade=True)
    ctx = app.state.ctx
    from mlsteward.services.tracking import experiments, runs

    run_id = runs.create_run(ctx, experiments.create_experiment(ctx, "http").experiment_id)
    fill_up_after(monkeypatch, 64 * KIB)
    response = _put(app, f"/api/v1/runs/{run_id.info.run_id}/artifacts/a.bin", b"z" * 300 * KIB)
    assert response.status_code == 507, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "INSUFFICIENT_STORAGE"
    assert str(tmp_path) not in response.text
    assert "out of storage space" in body["error"]["message"]
    assert "operator" in body["error"]["message"]
    assert str(artifacts) in caplog.text and f"{300 * KIB} bytes" in caplog.text
    assert "Traceback" not in response.text
    assert _files(artifacts, "blobs") == [] and _files(artifacts, "tmp") == []


# -- a real full disk -------------------------------------------------------------------------


@pytest.fixture
def small_disk(mount_tmpfs: Callable[[str], Path]) -> Path:
    """A 1 MiB tmpfs mounted for this test (skipped where mounting is not allowed)."""
    return mount_tmpfs("1m")


def test_a_real_full_disk_through_the_sdk(
    tmp_path: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSTEWARD_ARTIFACTS_URI", str(small_disk))
    client = Client(str(tmp_path / "store"))
    run_id = client.create_run(client.create_experiment("tmpfs")).info.run_id
    tree = _tree(tmp_path, [300 * KIB, 300 * KIB, 600 * KIB])
    with pytest.raises(InsufficientStorageError, match=str(small_disk)):
        client.log_artifacts(run_id, tree)
    assert _files(small_disk, "blobs") == [] and _files(small_disk, "tmp") == []
    assert client.list_artifacts(run_id) == []
    client.log_artifact(run_id, tree / "part-0.bin")  # the space is free again
    assert [e.path for e in client.list_artifacts(run_id)] == ["part-0.bin"]


@pytest.mark.server
def test_a_real_full_disk_through_a_server(tmp_path: Path, small_disk: Path) -> None:
    with running_server(tmp_path / "server" / "mlsteward.db", small_disk) as url:
        client = Client(url)
        run_id = client.create_run(client.create_experiment("tmpfs")).info.run_id
        response = httpx.put(
            f"{url}/api/v1/runs/{run_id}/artifacts/big.bin", content=b"b" * (2 * 1024 * KIB)
        )
        assert response.status_code == 507, response.text
        assert response.json()["error"]["code"] == "INSUFFICIENT_STORAGE"
        big = tmp_path / "big.bin"
        big.write_bytes(b"c" * (1536 * KIB))
        with pytest.raises(InsufficientStorageError, match="out of storage space") as refused:
            client.log_artifact(run_id, big)
        assert str(small_disk) not in refused.value.message
        assert client.list_artifacts(run_id) == []
    assert _files(small_disk, "blobs") == [] and _files(small_disk, "tmp") == []


def _fill_database(client: Client, run_id: str, *expected: str) -> int:
    """Log batches of params until the database's disk is full; returns the batches logged."""
    for batch in range(1000):
        params = [Param(f"p{batch}-{j}", os.urandom(1500).hex()) for j in range(10)]
        try:
            client.log_batch(run_id, params=params)
        except InsufficientStorageError as error:
            for words in expected or ("The disk holding the database", "nothing was half-written"):
                assert words in error.message
            return batch
    raise AssertionError("the small disk never filled")


def test_a_real_full_database_disk_through_the_sdk(
    tmp_path: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSTEWARD_ARTIFACTS_URI", str(tmp_path / "artifacts"))
    database = small_disk / "mlsteward.db"
    client = Client(str(database))
    run_id = client.create_run(client.create_experiment("full-db")).info.run_id
    logged = _fill_database(client, run_id)
    params = client.get_run(run_id).data.params
    assert len(params) == 10 * logged  # the failed batch left nothing behind
    assert not any(key.startswith(f"p{logged}-") for key in params)


@pytest.mark.server
def test_a_real_full_database_disk_through_a_server(tmp_path: Path, small_disk: Path) -> None:
    with running_server(small_disk / "mlsteward.db", tmp_path / "artifacts") as url:
        client = Client(url)
        run_id = client.create_run(client.create_experiment("full-db")).info.run_id
        logged = _fill_database(client, run_id, "out of storage space", "operator")
        assert len(client.get_run(run_id).data.params) == 10 * logged
        # SQLite may reuse write-ahead-log room a failed write left, so the batch right after
        # the first refusal can still fit: send more until the disk refuses one again.
        for attempt in range(50):
            params = [
                {"key": f"late-{attempt}-{j}", "value": os.urandom(1500).hex()} for j in range(10)
            ]
            response = httpx.post(f"{url}/api/v1/runs/{run_id}/log-batch", json={"params": params})
            if response.status_code != 200:
                break
        assert response.status_code == 507, response.text
        assert response.json()["error"]["code"] == "INSUFFICIENT_STORAGE"
        assert str(small_disk) not in response.text
