"""Where a batch job keeps its results while it runs: part files and a manifest.

Layout (a local folder or an object-store prefix)::

    {folder}/part-00000000.parquet         the scored rows of chunk 0 (prediction_id, ...)
    {folder}/_rejected/part-00000000.parquet  the rows of chunk 0 that did not fit, if any
    {folder}/_manifest.json                the job: its settings, each finished chunk

Every file is published whole: written under a hidden name, synced and renamed on a local
disk, one PUT on an object store. A chunk counts as finished once the manifest lists it,
and it is listed only after its files are published, so a crash at any point leaves either
a finished chunk or one a rerun redoes, writing the same bytes. Names starting with ``_`` or
``.`` are ignored by Parquet dataset readers, so the folder reads as the scored rows alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem

MANIFEST = "_manifest.json"
REJECTED = "_rejected"
MANIFEST_FORMAT = 1
_PART = "part-{index:08d}.parquet"


@dataclass
class Manifest:
    """The job's identity, the settings its parts were made with, and its progress.

    ``settings`` are compared on a rerun: a rerun with other settings would mix two jobs'
    rows in one output. ``started`` keeps the time each chunk was first begun (its IDs'
    time), ``done`` each finished chunk's counts and part digest.
    """

    job_id: str
    salt: int
    created_ms: int
    settings: dict[str, Any]
    started: dict[int, int] = field(default_factory=dict)
    done: dict[int, dict[str, Any]] = field(default_factory=dict)
    finished: bool = False
    result: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "job_id": self.job_id,
                "salt": self.salt,
                "created_ms": self.created_ms,
                "settings": self.settings,
                "started": {str(k): v for k, v in sorted(self.started.items())},
                "done": {str(k): v for k, v in sorted(self.done.items())},
                "finished": self.finished,
                "result": self.result,
            },
            indent=1,
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, content: bytes) -> Manifest:
        data = json.loads(content)
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        return cls(
            job_id=str(data["job_id"]),
            salt=int(data["salt"]),
            created_ms=int(data["created_ms"]),
            settings=dict(data["settings"]),
            started={int(k): int(v) for k, v in data.get("started", {}).items()},
            done={int(k): dict(v) for k, v in data.get("done", {}).items()},
            finished=bool(data.get("finished", False)),
            result=dict(data.get("result", {})),
        )


class JobFolder:
    """The part files and manifest of one job under ``base`` on ``fs``."""

    def __init__(self, fs: AbstractFileSystem, base: str) -> None:
        self.fs = fs
        self.base = base.rstrip("/")

    @classmethod
    def at(cls, url: str, storage_options: dict[str, Any] | None = None) -> JobFolder:
        if "://" not in url:
            url = os.path.abspath(os.path.expanduser(url))
        fs, path = fsspec.core.url_to_fs(url, **(storage_options or {}))
        return cls(fs, path)

    @property
    def local(self) -> bool:
        protocol = self.fs.protocol
        return "file" in (protocol if isinstance(protocol, tuple | list) else (protocol,))

    def part_path(self, index: int) -> str:
        return f"{self.base}/{_PART.format(index=index)}"

    def rejected_path(self, index: int) -> str:
        return f"{self.base}/{REJECTED}/{_PART.format(index=index)}"

    # the manifest ----------------------------------------------------------------------------
    def read_manifest(self) -> Manifest | None:
        path = f"{self.base}/{MANIFEST}"
        self.fs.invalidate_cache(self.base)
        try:
            content = self.fs.cat_file(path)
        except FileNotFoundError:
            return None
        try:
            return Manifest.from_json(content)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"the job manifest {path} is damaged ({error})") from None

    def write_manifest(self, manifest: Manifest) -> None:
        self.publish(f"{self.base}/{MANIFEST}", manifest.to_json())

    def holds_other_files(self) -> bool:
        """Whether the folder exists with files that are not this module's."""
        names = self.names()
        return any(not _ours(name) for name in names)

    def names(self, folder: str | None = None) -> list[str]:
        where = folder or self.base
        self.fs.invalidate_cache(where)
        try:
            entries = self.fs.ls(where, detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [str(entry).rstrip("/").rsplit("/", 1)[-1] for entry in entries]

    def finished_parts(self) -> set[int]:
        """The chunk indices whose part file is published."""
        found = set()
        for name in self.names():
            if name.startswith("part-") and name.endswith(".parquet"):
                found.add(int(name[5:-8]))
        return found

    def clear(self) -> None:
        """Remove this job's files (parts, rejected rows, manifest), nothing else."""
        for name in self.names():
            if _ours(name):
                path = f"{self.base}/{name}"
                if name == REJECTED:
                    self.fs.rm(path, recursive=True)
                elif self.fs.exists(path):
                    self.fs.rm(path)

    # parts -------------------------------------------------------------------------------------
    def write_part(self, path: str, table: pa.Table) -> str:
        """Publish ``table`` as one Parquet file; the SHA-256 of its bytes."""
        sink = io.BytesIO()
        # LZ4: zstd shrinks a part of IDs and predictions little more, at twice the cost
        pq.write_table(table, sink, compression="lz4")
        content = sink.getvalue()
        self.publish(path, content)
        return hashlib.sha256(content).hexdigest()

    def read_part(self, path: str) -> pa.Table:
        with self.fs.open(path, "rb") as handle:
            return pq.read_table(handle)

    def publish(self, path: str, content: bytes) -> None:
        """Write ``content`` to ``path`` so that a reader sees all of it or nothing."""
        if not self.local:
            self.fs.pipe_file(path, content)
            return
        folder, name = path.rsplit("/", 1)
        os.makedirs(folder, exist_ok=True)
        temporary = f"{folder}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(temporary, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise


def _ours(name: str) -> bool:
    return (
        name in (MANIFEST, REJECTED)
        or (name.startswith("part-") and name.endswith(".parquet"))
        or (name.startswith(".") and name.endswith(".tmp"))
    )
