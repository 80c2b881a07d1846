"""Blobs named by their SHA-256: the same bytes are stored once, and nothing is half-written.

Layout under the root: ``blobs/sha256/ab/cdef…``. A blob is first written under
``tmp/<random>`` and then moved to its final name, so readers never see a partial file; on
object stores a single PUT is already atomic, and the move is a server-side copy.

A full disk (``ENOSPC``, ``EDQUOT``) is reported as ``InsufficientStorageError`` naming the
store and the size being written, after the temp file is removed. Blobs left behind by an
upload that failed before anything recorded them are removed by the uploader
(:meth:`BlobStore.discard_unclaimed`) or later by ``mlsteward gc``
(:meth:`BlobStore.move_aside_if_stale`, then :meth:`BlobStore.finish_removal`).

An upload that finds its content already stored claims the blob before recording it, which
is how both tell a blob someone is about to record from an orphan. Locally the claim re-dates
the file; gc moves a blob aside (a rename) and checks the date on the moved file, so a claim
made before the move is seen and one made after it finds the blob missing and writes it
again. Object stores cannot re-date an object cheaply, so there a claim writes a marker,
``claims/<digest>.claim`` (new random content each time), and then checks that the blob is
still there. gc notes the marker, moves the blob aside (a copy to ``trash/``, then a delete) and
reads the marker again only after the delete: an upload that saw the blob wrote its marker
before that delete, so the marker has changed, and gc puts the blob back. A marker written
within the grace period keeps the blob outright.

Before a store's first upload to a root in a process, the root records that store
(:mod:`mlsteward.storage.artifacts.root_writers`), so gc can refuse a root that is shared.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import fsspec

from mlsteward.domain.errors import (
    InsufficientStorageError,
    InvalidArgumentError,
    NotFoundError,
)
from mlsteward.storage.artifacts.root_writers import RootWriters

CHUNK = 1 << 20
_NO_SPACE = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_UPLOAD_PREFIX = "upload-"
_TRASH_PREFIX = "gc-"
#: Object stores: where gc moves a blob before deciding, and where uploads mark claims.
_OBJECT_TRASH = "trash"
_OBJECT_CLAIMS = "claims"
S3_HINT = 's3:// artifact stores need s3fs, which is not installed: pip install "mlsteward[s3]"'


def is_no_space(error: BaseException) -> bool:
    """Whether an OSError says the disk (or the user's quota) is full."""
    return isinstance(error, OSError) and error.errno in _NO_SPACE


def describe_size(size: int) -> str:
    """``1.5 MiB (1572864 bytes)``: readable, and exact for whoever frees the space."""
    if size < 1024:
        return f"{size} B"
    amount, units = size / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while amount >= 1024 and len(units) > 1:
        amount /= 1024
        units.pop(0)
    return f"{amount:.1f} {units[0]} ({size} bytes)"


@dataclass(frozen=True)
class StoredBlob:
    """What one put did: the digest and size, and whether this call created the blob.

    ``stamp`` (inode, modification time) identifies the local file as this call left it
    (published or re-dated); :meth:`BlobStore.discard_unclaimed` removes the blob only while
    it is still exactly that.
    """

    digest: str
    size: int
    created: bool
    stamp: tuple[int, int] | None = None


@dataclass(frozen=True)
class MovedBlob:
    """A blob gc moved aside: removed for good by :meth:`BlobStore.finish_removal`, or put
    back by :meth:`BlobStore.put_back`."""

    digest: str
    trash: str
    #: Object stores: the claim marker as gc saw it before the move (``None``: there was none).
    claim: str | None = None


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob as listed: its digest, size and last (re)write time in epoch seconds."""

    digest: str
    size: int
    modified: float


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
        try:
            fs, path = fsspec.core.url_to_fs(root, **(storage_options or {}))
        except ImportError as error:  # fsspec imports a protocol's package on first use
            if root.startswith("s3://"):
                raise InvalidArgumentError(S3_HINT) from error
            raise
        self.fs = fs
        self._base = path.rstrip("/")
        self._local = "file" in _protocols(fs)
        if self._local:
            Path(self._base).mkdir(parents=True, exist_ok=True)
        self.writers = RootWriters(fs, self._base, local=self._local)
        self._bound: set[str] = set()
        self._recorded: set[str] = set()

    def bind_writer(self, store: str) -> None:
        """Name a store whose uploads come through here (``store_key`` of its URI): the
        root records it before the first upload, so gc can tell when a root is shared."""
        self._bound.add(store)

    def _record_writers(self) -> None:
        for store in sorted(self._bound - self._recorded):
            self.writers.record(store)
            self._recorded.add(store)

    @property
    def is_local(self) -> bool:
        """Whether blobs are files on this machine (else an object store such as S3)."""
        return self._local

    def _blob_path(self, digest: str) -> str:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise InvalidArgumentError(f"Not a SHA-256 digest: {digest!r}")
        return f"{self._base}/blobs/sha256/{digest[:2]}/{digest[2:]}"

    def exists(self, digest: str) -> bool:
        return bool(self.fs.exists(self._blob_path(digest)))

    # -- writing ---------------------------------------------------------------------------
    def put_file(self, local_path: str | os.PathLike[str]) -> tuple[str, int]:
        """Store a local file; returns (digest, size). Already-stored content is not re-sent."""
        stored = self.store_file(local_path)
        return stored.digest, stored.size

    def store_file(self, local_path: str | os.PathLike[str]) -> StoredBlob:
        """Store a local file and say whether this call created the blob."""
        digest, size = file_digest(local_path)
        self._record_writers_or_full(f"a file of {describe_size(size)}")
        target = self._blob_path(digest)
        found, stamp = self._claim_existing(digest)
        if found:
            return StoredBlob(digest, size, False, stamp)
        if not self._local:
            self.fs.put_file(os.fspath(local_path), target)
            return StoredBlob(digest, size, created=True)
        tmp = None
        try:
            tmp = self._local_temp()
            shutil.copyfile(local_path, tmp)
            return StoredBlob(digest, size, True, self._publish_local(tmp, target))
        except OSError as error:
            if is_no_space(error):
                raise self._full(error, f"a file of {describe_size(size)}") from error
            raise
        finally:
            if tmp is not None:
                _unlink_quietly(tmp)

    def put_stream(self, stream: BinaryIO | Iterator[bytes]) -> tuple[str, int]:
        """Store a stream, hashing while it is written; returns (digest, size).

        Locally the bytes are written once, to a temp file beside the blobs that is then
        renamed; for object stores they go to a local temp file and are uploaded once.
        """
        stored = self.store_stream(stream)
        return stored.digest, stored.size

    def store_stream(self, stream: BinaryIO | Iterator[bytes]) -> StoredBlob:
        """Store a stream and say whether this call created the blob."""
        chunks: Iterator[bytes]
        if hasattr(stream, "read"):
            reader = stream
            chunks = iter(lambda: reader.read(CHUNK), b"")
        else:
            chunks = iter(stream)
        tmp = None
        size = 0
        try:
            self._record_writers()
            tmp = self._local_temp() if self._local else _system_temp()
            sha = hashlib.sha256()
            with open(tmp, "wb") as out:
                for chunk in chunks:
                    sha.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            digest = sha.hexdigest()
            target = self._blob_path(digest)
            found, stamp = self._claim_existing(digest)
            if found:
                return StoredBlob(digest, size, False, stamp)
            if not self._local:
                self.fs.put_file(tmp, target)
                return StoredBlob(digest, size, created=True)
            return StoredBlob(digest, size, True, self._publish_local(tmp, target))
        except OSError as error:
            if is_no_space(error):
                what = f"an upload ({describe_size(size)} received so far)"
                raise self._full(error, what) from error
            raise
        finally:
            if tmp is not None:
                _unlink_quietly(tmp)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        return self.put_stream(iter([data]))

    def _record_writers_or_full(self, what: str) -> None:
        try:
            self._record_writers()
        except OSError as error:
            if is_no_space(error):
                raise self._full(error, what) from error
            raise

    def _claim_existing(self, digest: str) -> tuple[bool, tuple[int, int] | None]:
        """Whether the blob is already stored (and, locally, its stamp once re-dated).

        A local blob is re-dated to the present: that keeps the garbage collector (and a
        failed uploader that created it a moment ago) from removing a blob this upload is
        about to record. A blob that vanishes before it could be re-dated counts as missing,
        so the caller writes it anew. On object stores the claim is a marker written before
        the blob is looked at a second time (see the module docstring).
        """
        target = self._blob_path(digest)
        if not self._local:
            if not self._object_exists(target):
                return False, None
            self.fs.pipe_file(self._claim_path(digest), uuid.uuid4().hex.encode())
            return self._object_exists(target), None
        now = time.time_ns()
        try:
            try:
                os.utime(target, ns=(now, now))
            except PermissionError:  # another user's file: "now" at most, if writable
                with contextlib.suppress(PermissionError):
                    os.utime(target)
                return True, None
            st = os.stat(target)
        except FileNotFoundError:
            return False, None
        # The stamp proves ownership only while the date is the one set here; another
        # upload re-dating it in between makes this call's claim unprovable.
        return True, (_stamp(st) if st.st_mtime_ns == now else None)

    def _full(self, error: OSError, what: str) -> InsufficientStorageError:
        """The message for a full disk: which store, what was being written, what to do."""
        where = self.root if self._local else f"{tempfile.gettempdir()} (staging for {self.root})"
        reason = os.strerror(error.errno) if error.errno else str(error)
        return InsufficientStorageError(
            f"No space to store artifacts in {where} ({reason}) while writing {what}. "
            "Nothing was stored. Free space there (or point the artifacts at a larger disk), "
            "then retry."
        )

    def _local_temp(self) -> str:
        folder = Path(self._base) / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=folder, prefix=_UPLOAD_PREFIX)
        os.close(fd)
        return path

    @staticmethod
    def _publish_local(tmp: str, target: str) -> tuple[int, int]:
        """Rename into place (readers see the whole blob or none of it); the file's stamp.

        The stamp is taken before the rename, so it is this file's even if another upload
        of the same bytes replaces it a moment later.
        """
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        stamp = _stamp(os.stat(tmp))
        os.replace(tmp, target)
        return stamp

    # -- removing orphans ------------------------------------------------------------------
    def discard_unclaimed(self, blob: StoredBlob) -> bool:
        """Remove a blob this process created, unless anyone has stored or re-dated it since.

        For an upload that failed before recording what it wrote. Only local blobs carry the
        stamp that proves nobody else claimed them; on object stores the blob stays for
        ``mlsteward gc``. Returns whether the blob was removed.
        """
        if not (self._local and blob.created and blob.stamp is not None):
            return False
        return self._remove_local(blob.digest, lambda st: _stamp(st) == blob.stamp)

    def remove_if_stale(self, digest: str, cutoff: float) -> bool:
        """Remove a blob last (re)written or claimed before ``cutoff`` (epoch seconds).

        :meth:`move_aside_if_stale` then :meth:`finish_removal`; gc checks references again
        between the two. Returns whether the blob was removed.
        """
        moved = self.move_aside_if_stale(digest, cutoff)
        return moved is not None and self.finish_removal(moved)

    def move_aside_if_stale(self, digest: str, cutoff: float) -> MovedBlob | None:
        """Move a blob dated before ``cutoff`` out of readers' and uploads' way, or ``None``
        when it is gone or newer.

        An upload that looks for the blob from now on finds it missing and writes it again;
        one that claimed it before the move is seen by :meth:`finish_removal`.
        """
        if self._local:
            return self._move_local(digest, lambda st: st.st_mtime < cutoff)
        path = self._blob_path(digest)
        self.fs.invalidate_cache(path)
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        if _modified(info) >= cutoff:
            return None
        claim = self._claim_marker(digest)
        if claim is not None and claim[1] >= cutoff:  # claimed within the grace period
            return None
        trash = f"{self._base}/{_OBJECT_TRASH}/{digest}.{uuid.uuid4().hex}"
        try:
            self.fs.copy(path, trash)
        except FileNotFoundError:  # another collector took it first
            return None
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(path)
        return MovedBlob(digest, trash, None if claim is None else claim[0])

    def finish_removal(self, moved: MovedBlob) -> bool:
        """Remove a moved blob for good, unless an upload claimed it while it was being moved
        (then it is put back). Returns whether it was removed."""
        if not self._local:
            claim = self._claim_marker(moved.digest)
            if (None if claim is None else claim[0]) != moved.claim:
                self.put_back(moved)
                return False
        try:
            self._remove_path(moved.trash)
        except FileNotFoundError:  # another collector put it back meanwhile
            return False
        if not self._local:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._claim_path(moved.digest))
        return True

    def put_back(self, moved: MovedBlob) -> None:
        """Return a moved blob to its place (a record points at it after all)."""
        target = self._blob_path(moved.digest)
        with contextlib.suppress(FileNotFoundError):
            if not self._local:
                self.fs.copy(moved.trash, target)
                self.fs.rm_file(moved.trash)
            elif os.path.exists(target):  # an upload wrote it again meanwhile: keep that one
                os.unlink(moved.trash)
            else:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                os.replace(moved.trash, target)

    def _remove_local(self, digest: str, still_unclaimed: Callable[[os.stat_result], bool]) -> bool:
        moved = self._move_local(digest, still_unclaimed)
        if moved is None:
            return False
        try:
            os.unlink(moved.trash)
        except FileNotFoundError:  # another collector put it back meanwhile
            return False
        return True

    def _move_local(
        self, digest: str, unclaimed: Callable[[os.stat_result], bool]
    ) -> MovedBlob | None:
        """Rename the blob aside, then judge the moved file: a claim made before the rename
        shows in its date (or stamp), and the blob goes straight back."""
        target = self._blob_path(digest)
        trash = Path(self._base) / "tmp" / f"{_TRASH_PREFIX}{digest}.{uuid.uuid4().hex}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(target, trash)
        except FileNotFoundError:
            return None
        moved = MovedBlob(digest, str(trash))
        try:
            if unclaimed(os.stat(trash)):
                return moved
        except FileNotFoundError:  # another collector put it back meanwhile
            return None
        self.put_back(moved)
        return None

    def _remove_path(self, path: str) -> None:
        if self._local:
            os.unlink(path)
        else:
            self.fs.rm_file(path)

    def _claim_path(self, digest: str) -> str:
        self._blob_path(digest)  # refuses anything but a digest
        return f"{self._base}/{_OBJECT_CLAIMS}/{digest}.claim"

    def _claim_marker(self, digest: str) -> tuple[str, float] | None:
        """An object-store blob's claim marker: (what tells one claim from the next, its
        date), or ``None`` when no upload ever claimed the blob."""
        path = self._claim_path(digest)
        self.fs.invalidate_cache(path)
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        modified = _modified(info)
        return str(info.get("ETag") or f"{modified}/{info.get('size')}"), modified

    def _object_exists(self, path: str) -> bool:
        self.fs.invalidate_cache(path)
        return bool(self.fs.exists(path))

    def restore_moved_aside(self) -> int:
        """Put back blobs a collector moved aside and did not finish with (it was killed)."""
        if not self._local:
            return self._restore_object_trash()
        folder = Path(self._base) / "tmp"
        if not folder.is_dir():
            return 0
        restored = 0
        for trash in folder.glob(f"{_TRASH_PREFIX}*"):
            digest = trash.name.removeprefix(_TRASH_PREFIX).split(".", 1)[0]
            if _is_digest(digest):
                self.put_back(MovedBlob(digest, str(trash)))
                restored += 1
        return restored

    def _restore_object_trash(self) -> int:
        folder = f"{self._base}/{_OBJECT_TRASH}"
        self.fs.invalidate_cache(folder)
        try:
            found = self.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return 0
        restored = 0
        for path in found:
            digest = str(path).rsplit("/", 1)[-1].split(".", 1)[0]
            if _is_digest(digest):
                self.put_back(MovedBlob(digest, str(path)))
                restored += 1
        return restored

    # -- listing ---------------------------------------------------------------------------
    def iter_blobs(self) -> Generator[BlobInfo, None, None]:
        """Every stored blob with its size and date (a directory walk, or a bucket listing)."""
        root = f"{self._base}/blobs/sha256"
        if self._local:
            if not os.path.isdir(root):
                return
            with os.scandir(root) as listing:
                prefixes = sorted(e.path for e in listing if e.is_dir() and len(e.name) == 2)
            for prefix in prefixes:
                with os.scandir(prefix) as entries:
                    found = [_blob_info(os.path.basename(prefix) + e.name, e) for e in entries]
                yield from (info for info in found if info is not None)
            return
        self.fs.invalidate_cache(root)
        for path, detail in self.fs.find(root, detail=True).items():
            parts = path.rstrip("/").split("/")
            digest = parts[-2] + parts[-1] if len(parts) >= 2 else ""
            if _is_digest(digest) and len(parts[-2]) == 2:
                yield BlobInfo(digest, int(detail.get("size") or 0), _modified(detail))

    def stale_temp_files(self, cutoff: float) -> list[tuple[str, int]]:
        """Local temp files of uploads that died before ``cutoff``: (path, size) each."""
        folder = Path(self._base) / "tmp"
        if not self._local or not folder.is_dir():
            return []
        found = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(_UPLOAD_PREFIX) and entry.is_file():
                    with contextlib.suppress(FileNotFoundError):
                        st = entry.stat()
                        if st.st_mtime < cutoff:
                            found.append((entry.path, st.st_size))
        return found

    # -- reading ---------------------------------------------------------------------------
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
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with self.open(digest) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, dest)
        except OSError as error:
            if is_no_space(error):
                raise InsufficientStorageError(
                    f"No space left in {dest.parent} to download {dest.name} "
                    f"({os.strerror(error.errno or errno.ENOSPC)}); nothing was written there. "
                    "Free space or choose another destination, then retry."
                ) from error
            raise
        finally:
            if tmp.exists():
                tmp.unlink()


def _stamp(st: os.stat_result) -> tuple[int, int]:
    return st.st_ino, st.st_mtime_ns


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _blob_info(digest: str, entry: os.DirEntry[str]) -> BlobInfo | None:
    if not _is_digest(digest):
        return None
    try:
        if not entry.is_file():
            return None
        st = entry.stat()
    except FileNotFoundError:  # removed while listing
        return None
    return BlobInfo(digest, st.st_size, st.st_mtime)


def _modified(detail: dict[str, Any]) -> float:
    """An object's date from a listing entry (``LastModified`` on S3), in epoch seconds."""
    value = detail.get("LastModified") or detail.get("mtime") or detail.get("created")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    # Undated: treat as new, so a collector never removes what it cannot date.
    return time.time()


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
