"""Blobs nothing references: removed by the upload that failed, or collected by ``mlsteward gc``.

Blobs are written before the records that point at them, so an upload that fails in
between leaves blobs behind. The failed call removes the ones it created
(:func:`discard_unrecorded`); whatever it could not remove (an object store, a crash) is
collected later by :func:`collect_unreferenced_blobs`, which removes blobs that no record
references and that are older than a grace period, so an upload still in progress keeps
its blobs. Content is shared: a blob is removed only when no record of any kind (run
artifacts, dataset files, profiles, reports, model environments) references it.

The collector runs against a store and its artifact root directly (CLI ``mlsteward gc``);
a server does not offer it over HTTP, since it is an operator's task on the machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.services.context import ServiceContext
from mlsteward.storage.artifacts.blob_store import BlobInfo, StoredBlob, open_blob_store
from mlsteward.storage.blob_references import BlobReferenceStore
from mlsteward.storage.resolver import open_store

#: An orphan younger than this is kept: it may belong to an upload that has not recorded yet.
DEFAULT_GRACE_S = 3600.0
#: Orphans whose references are checked again, per query, just before removal.
_RECHECK_BATCH = 1000

#: ``progress(phase, done, total)``: phase "scan" (total unknown) or "remove".
Progress = Callable[[str, int, int | None], None]

_log = logging.getLogger(__name__)


@dataclass
class GcReport:
    """What a collection found and removed (or, in a dry run, would remove)."""

    dry_run: bool
    grace_s: float
    scanned: int = 0
    recent: int = 0
    removed: list[BlobInfo] = field(default_factory=list)
    #: Orphans an upload re-dated or recorded while the collector ran: kept.
    reclaimed: int = 0
    temp_files: list[tuple[str, int]] = field(default_factory=list)
    #: Blobs a killed earlier collection had moved aside, put back before this one started.
    restored: int = 0

    @property
    def bytes_freed(self) -> int:
        return sum(blob.size for blob in self.removed) + sum(size for _, size in self.temp_files)

    @property
    def kept(self) -> int:
        return self.scanned - len(self.removed)


def _reference_store(ctx: ServiceContext) -> BlobReferenceStore:
    if not isinstance(ctx.store, BlobReferenceStore):
        raise InvalidArgumentError("This store cannot list the blobs its records reference")
    return ctx.store


def collect_unreferenced_blobs(
    ctx: ServiceContext,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> GcReport:
    """Remove blobs no record references that are older than ``grace_s`` seconds.

    Blobs are listed first and references read afterwards, so a blob recorded meanwhile is
    seen as referenced; each orphan's references are checked once more just before it is
    removed, and a local blob that an upload re-dated in between is put back. Upload temp
    files older than the grace period (left by killed processes) go too.
    """
    if not isinstance(grace_s, int | float) or grace_s < 0 or grace_s != grace_s:
        raise InvalidArgumentError(f"The grace period must be 0 seconds or more, got {grace_s!r}")
    references = _reference_store(ctx)
    report = GcReport(dry_run=dry_run, grace_s=float(grace_s))
    if not dry_run:
        report.restored = ctx.blobs.restore_moved_aside()
    cutoff = ctx.clock() / 1000 - grace_s
    candidates: dict[str, BlobInfo] = {}
    for info in ctx.blobs.iter_blobs():
        report.scanned += 1
        if info.modified < cutoff:
            candidates[info.digest] = info
        else:
            report.recent += 1
        if progress is not None:
            progress("scan", report.scanned, None)
    for digest in references.iter_referenced_digests():
        candidates.pop(digest, None)
    orphans = sorted(candidates.values(), key=lambda blob: blob.digest)
    done = 0
    for start in range(0, len(orphans), _RECHECK_BATCH):
        batch = orphans[start : start + _RECHECK_BATCH]
        recorded = references.referenced_among([blob.digest for blob in batch])
        for blob in batch:
            if blob.digest in recorded:
                report.reclaimed += 1
            elif dry_run or ctx.blobs.remove_if_stale(blob.digest, cutoff):
                report.removed.append(blob)
            else:
                report.reclaimed += 1
            done += 1
            if progress is not None:
                progress("remove", done, len(orphans))
    report.temp_files = ctx.blobs.stale_temp_files(cutoff)
    if not dry_run:
        for path, _size in report.temp_files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return report


def collect_garbage(
    store_uri: str,
    artifacts_uri: str,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> GcReport:
    """Open the store (which must be at the current schema) and collect its orphan blobs."""
    store = open_store(store_uri, upgrade=False)
    try:
        ctx = ServiceContext(actor="gc", store=store, blobs=open_blob_store(artifacts_uri))
        return collect_unreferenced_blobs(ctx, grace_s=grace_s, dry_run=dry_run, progress=progress)
    finally:
        store.close()


def discard_unrecorded(ctx: ServiceContext, stored: Sequence[StoredBlob]) -> None:
    """After a failed upload: remove the blobs it created that no record references.

    A blob stored twice by the one call is judged by its last stamp. A blob someone else
    stored or re-dated since is kept, as is everything when the references cannot be read
    (the store may be why the upload failed); ``mlsteward gc`` collects what stays. Never
    raises: the upload's own error is what the caller must see.
    """
    latest: dict[str, StoredBlob] = {}
    created: set[str] = set()
    for blob in stored:
        latest[blob.digest] = blob
        if blob.created:
            created.add(blob.digest)
    if not created or not isinstance(ctx.store, BlobReferenceStore):
        return
    try:
        referenced = ctx.store.referenced_among(sorted(created))
        for digest in sorted(created - referenced):
            last = latest[digest]
            ctx.blobs.discard_unclaimed(StoredBlob(digest, last.size, True, last.stamp))
    except (MlstewardError, OSError) as error:
        _log.warning("Blobs of a failed upload were left for `mlsteward gc`: %s", error)
