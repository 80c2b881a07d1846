"""Blobs named by their SHA-256: the same bytes are stored once, and nothing is half-written.

Layout under the root: ``blobs/sha256/ab/cdef…``. A blob is first written under
``tmp/<random>`` and then moved to its final name, so readers never see a partial file; on
object stores a single PUT is already atomic, and the move is a server-side copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import fsspec

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError

CHUNK = 1 << 20


def file_digest(path: str | os.PathLike[str]) -> tuple[str, int]:
    """SHA-256 hex digest and size of a local file, read in 1 MiB chunks."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


class BlobStore:
    """Put and get blobs by digest on any fsspec filesystem."""

    def __init__(self, root: str, storage_options: dict[str, Any] | None = None) -> None:
        self.root = root.rstrip("/")
        fs, path = fsspec.core.url_to_fs(root, **(storage_options or {}))
        self.fs = fs
        self._base = path.rstrip("/")
        self._local = "file" in _protocols(fs)
        if self._local:
            Path(self._base).mkdir(parents=True, exist_ok=True)

    def _blob_path(self, digest: str) -> str:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidArgumentError(f"Not a SHA-256 digest: {digest!r}")
        return f"{self._base}/blobs/sha256/{digest[:2]}/{digest[2:]}"

    def exists(self, digest: str) -> bool:
        return bool(self.fs.exists(self._blob_path(digest)))

    def put_file(self, local_path: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a local file; returns (digest, size). Already-stored content is not re-sent."""
        digest, size = file_digest(local_path)
        target = self._blob_path(digest)
        if not self.fs.exists(target):
            if self._local:
                tmp = self._local_temp()
                try:
                    shutil.copyfile(local_path, tmp)
                    self._publish_local(tmp, target)
                finally:
                    _unlink_quietly(tmp)
            else:
                self.fs.put_file(os.fspath(local_path), target)
        return digest, size

    def put_stream(self, stream: BinaryIO | Iterator[bytes]) -> tuple[str, int]:
        """Store a stream, hashing while it is written; returns (digest, size).

        Locally the bytes are written once, to a temp file beside the blobs that is then
        renamed; for object stores they go to a local temp file and are uploaded once.
        """
        chunks: Iterator[bytes]
        if hasattr(stream, "read"):
            reader = stream
            chunks = iter(lambda: reader.read(CHUNK), b"")
        else:
            chunks = iter(stream)
        tmp = self._local_temp() if self._local else _system_temp()
        try:
            sha = hashlib.sha256()
            size = 0
            with open(tmp, "wb") as out:
                for chunk in chunks:
                    sha.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            digest = sha.hexdigest()
            target = self._blob_path(digest)
            if not self.fs.exists(target):
                if self._local:
                    self._publish_local(tmp, target)
                else:
                    self.fs.put_file(tmp, target)
            return digest, size
        finally:
            _unlink_quietly(tmp)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        return self.put_stream(iter([data]))

    def _local_temp(self) -> str:
        folder = Path(self._base) / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=folder, prefix="upload-")
        os.close(fd)
        return path

    @staticmethod
    def _publish_local(tmp: str, target: str) -> None:
        """Rename into place: readers see the whole blob or none of it."""
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)

    def open(self, digest: str) -> IO[bytes]:
        """Open a blob for reading; NotFoundError when it is not stored."""
        path = self._blob_path(digest)
        try:
            return self.fs.open(path, "rb")
        except FileNotFoundError as error:
            raise NotFoundError(f"Blob {digest} is missing from {self.root}") from error

    def read_bytes(self, digest: str) -> bytes:
        with self.open(digest) as handle:
            return handle.read()

    def download(self, digest: str, destination: str | os.PathLike[str]) -> None:
        """Copy a blob to a local path atomically (temp file, then rename)."""
        dest = Path(destination)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            with self.open(digest) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                tmp.unlink()


def _system_temp() -> str:
    fd, path = tempfile.mkstemp(prefix="mlsteward-upload-")
    os.close(fd)
    return path


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _protocols(fs: Any) -> set[str]:
    protocol = fs.protocol
    return {protocol} if isinstance(protocol, str) else set(protocol)


def open_blob_store(uri: str) -> BlobStore:
    """A blob store for a local path, ``file://`` URL or ``s3://bucket/prefix``.

    S3 endpoints and credentials come from the usual AWS variables; ``MLSTEWARD_S3_ENDPOINT_URL``
    (or ``AWS_ENDPOINT_URL``) points at a compatible server such as MinIO.
    """
    if uri.startswith("s3://"):
        endpoint = os.environ.get("MLSTEWARD_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        options: dict[str, Any] = {}
        if endpoint:
            options["client_kwargs"] = {"endpoint_url": endpoint}
        return BlobStore(uri, options)
    if "://" in uri and not uri.startswith("file://"):
        raise InvalidArgumentError(
            f"Unsupported artifact URI {uri!r}: use a local path, file:// or s3://"
        )
    local = uri.removeprefix("file://")
    return BlobStore(os.path.abspath(os.path.expanduser(local)))
