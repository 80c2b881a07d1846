"""Blobs nothing references: removed by the upload that failed, or collected by ``mlsteward gc``.

Blobs are written before the records that point at them, so an upload that fails in
between leaves blobs behind. The failed call removes the ones it created
(:func:`discard_unrecorded`); whatever it could not remove (an object store, a crash) is
collected later by :func:`collect_unreferenced_blobs`, which removes blobs that no record
references and that are older than a grace period, so an upload still in progress keeps
its blobs. Content is shared: a blob is removed only when no record of any kind (run
artifacts, dataset files, profiles, reports, model environments) references it.

Each orphan is moved aside before it is removed, and its references are checked once more
after the move: a record written meanwhile gets the blob put back (as does an upload's claim,
see :mod:`mlsteward.storage.artifacts.blob_store`).

An artifact root may serve several stores; blobs only another store references would look
like orphans here. The root records every store that uploads to it
(:mod:`mlsteward.storage.artifacts.root_writers`), and the collector refuses a root that lists
a store it was not given (:class:`SharedArtifactRootError`): it collects a shared root only
with every one of its stores, and forgets stores only when told (``claim_root``).

The collector runs against a store and its artifact root directly (CLI ``mlsteward gc``);
a server does not offer it over HTTP, since it is an operator's task on the machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field

from mlsteward.domain.errors import ConflictError, InvalidArgumentError, MlstewardError
from mlsteward.services.context import ServiceContext
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.storage.artifacts.blob_store import (
    BlobInfo,
    BlobStore,
    MovedBlob,
    StoredBlob,
    open_blob_store,
)
from mlsteward.storage.blob_references import BlobReferenceStore
from mlsteward.storage.bundle import Stores
from mlsteward.storage.resolver import open_store
from mlsteward.storage.store_key import store_key

#: An orphan younger than this is kept: it may belong to an upload that has not recorded yet.
DEFAULT_GRACE_S = 3600.0
#: Orphans whose references are checked again, per query, just before removal.
_RECHECK_BATCH = 1000

#: ``progress(phase, done, total)``: phase "scan" (total unknown) or "remove".
Progress = Callable[[str, int, int | None], None]

_log = logging.getLogger(__name__)


class SharedArtifactRootError(ConflictError):
    """The artifact root records stores the collector was not given (or records none)."""


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
    #: The stores whose records were read (their names as the artifact root records them).
    stores: list[str] = field(default_factory=list)
    #: Stores the root no longer lists (``claim_root``; in a dry run, those it would forget).
    forgotten: list[str] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        return sum(blob.size for blob in self.removed) + sum(size for _, size in self.temp_files)

    @property
    def kept(self) -> int:
        return self.scanned - len(self.removed)


class _AllReferences(BlobReferenceStore):
    """The references of several databases sharing one artifact root, as one."""

    def __init__(self, bundles: Sequence[Stores]) -> None:
        self._stores = [stores.blob_references for stores in bundles]

    def iter_referenced_digests(self) -> Iterator[str]:
        for store in self._stores:
            yield from store.iter_referenced_digests()

    def referenced_among(self, digests: Collection[str]) -> set[str]:
        found: set[str] = set()
        for store in self._stores:
            found |= store.referenced_among(set(digests) - found)
        return found

    def close(self) -> None:
        """Nothing of its own: each database is closed by whoever opened it."""


def _check_root_writers(
    blobs: BlobStore, stores: list[str], *, claim_root: bool, dry_run: bool
) -> list[str]:
    """Refuse a root that records a store not among ``stores``; with ``claim_root`` record
    ``stores`` as its only writers instead. Returns the stores forgotten."""
    listed = blobs.writers.listed()
    others = sorted(listed - set(stores))
    if claim_root:
        if dry_run:
            return others
        for name in stores:
            blobs.writers.record(name)
        return sorted(blobs.writers.forget(set(stores)))
    if others:
        raise SharedArtifactRootError(
            f"The artifact root {blobs.root} is shared: besides {_names(stores)}, it records "
            f"uploads from {_names(others)}. Blobs only those stores reference would look "
            "unreferenced here, so nothing was removed. Collect it with every store that "
            "uses it (--also-store URI for each), or, if those stores no longer exist, "
            "forget them with --claim-root (their blobs are then collected)."
        )
    if not listed and _holds_blobs(blobs):
        raise SharedArtifactRootError(
            f"The artifact root {blobs.root} holds blobs but records no store that writes "
            "to it (an mlsteward from before roots recorded their stores wrote them), so "
            "another store may use it too; nothing was removed. If only "
            f"{_names(stores)} use it, say so with --claim-root; otherwise name the others "
            "with --also-store URI as well."
        )
    return []


def _holds_blobs(blobs: BlobStore) -> bool:
    with contextlib.closing(blobs.iter_blobs()) as listing:
        return next(listing, None) is not None


def _names(stores: Sequence[str]) -> str:
    return ", ".join(stores) if stores else "(none)"


def collect_unreferenced_blobs(
    ctx: ServiceContext,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    dry_run: bool = False,
    progress: Progress | None = None,
    also: Sequence[Stores] = (),
    claim_root: bool = False,
) -> GcReport:
    """Remove blobs no record references that are older than ``grace_s`` seconds.

    ``also`` names the stores of the other databases sharing the artifact root: a blob any
    of them references stays. The root must record no store beyond these
    (``SharedArtifactRootError``) unless ``claim_root`` makes them its only writers. Blobs
    are listed first and references read afterwards, so a blob recorded meanwhile is seen as
    referenced; each orphan is moved aside and its references checked once more before it is
    removed. Upload temp files older than the grace period (left by killed processes) go too.
    """
    if not isinstance(grace_s, int | float) or grace_s < 0 or grace_s != grace_s:
        raise InvalidArgumentError(f"The grace period must be 0 seconds or more, got {grace_s!r}")
    references = _AllReferences([ctx.stores, *also])
    names = sorted({store_key(stores.uri) for stores in (ctx.stores, *also)})
    report = GcReport(dry_run=dry_run, grace_s=float(grace_s), stores=names)
    report.forgotten = _check_root_writers(ctx.blobs, names, claim_root=claim_root, dry_run=dry_run)
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
        for blob, removed in _remove_batch(ctx.blobs, references, batch, cutoff, dry_run):
            if removed:
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


def _remove_batch(
    blobs: BlobStore,
    references: BlobReferenceStore,
    batch: list[BlobInfo],
    cutoff: float,
    dry_run: bool,
) -> list[tuple[BlobInfo, bool]]:
    """Check references, move the orphans aside, check again, then remove or put back.

    The second check sees a record written after the first (by an upload that found the
    blob before it was moved); a claim not recorded yet is seen by the blob store itself
    (the blob's date locally, the claim marker on object stores).
    """
    recorded = references.referenced_among([blob.digest for blob in batch])
    outcome: dict[str, bool] = {}
    moved: list[tuple[BlobInfo, MovedBlob]] = []
    for blob in batch:
        outcome[blob.digest] = dry_run and blob.digest not in recorded
        if blob.digest in recorded or dry_run:
            continue
        aside = blobs.move_aside_if_stale(blob.digest, cutoff)
        if aside is not None:
            moved.append((blob, aside))
    if moved:
        recorded = references.referenced_among([blob.digest for blob, _ in moved])
        for blob, aside in moved:
            if blob.digest in recorded:
                blobs.put_back(aside)
            else:
                outcome[blob.digest] = blobs.finish_removal(aside)
    return [(blob, outcome[blob.digest]) for blob in batch]


def collect_garbage(
    store_uri: str,
    artifacts_uri: str,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    dry_run: bool = False,
    progress: Progress | None = None,
    also_store_uris: Sequence[str] = (),
    claim_root: bool = False,
) -> GcReport:
    """Open the stores (each at the current schema) and collect the orphan blobs of the
    artifact root they share."""
    opened: list[Stores] = []
    try:
        for uri in (store_uri, *also_store_uris):
            opened.append(open_store(uri, upgrade=False))
        blobs = open_blob_store(artifacts_uri)
        ctx = ServiceContext(actor="gc", stores=opened[0], blobs=blobs, outbound=OutboundAccess())
        return collect_unreferenced_blobs(
            ctx,
            grace_s=grace_s,
            dry_run=dry_run,
            progress=progress,
            also=opened[1:],
            claim_root=claim_root,
        )
    finally:
        for stores in opened:
            stores.close()


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
    if not created:
        return
    try:
        referenced = ctx.stores.blob_references.referenced_among(sorted(created))
        for digest in sorted(created - referenced):
            last = latest[digest]
            ctx.blobs.discard_unclaimed(StoredBlob(digest, last.size, True, last.stamp))
    except (MlstewardError, OSError) as error:
        _log.warning("Blobs of a failed upload were left for `mlsteward gc`: %s", error)
