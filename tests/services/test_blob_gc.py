"""``collect_unreferenced_blobs``: orphans go, anything a record references never does.

Runs on SQLite and PostgreSQL metadata with local blobs, and on SQLite metadata with blobs
in moto's S3 server. Blob ages are real file dates moved into the past (locally), or the
service clock moved into the future (S3 dates cannot be set). An artifact root another store
also writes to is refused; on S3, an upload that claims an old orphan at any step of its
removal keeps it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.blob_gc import (
    SharedArtifactRootError,
    collect_unreferenced_blobs,
    discard_unrecorded,
)
from mlsteward.services.context import ServiceContext, now_ms
from mlsteward.services.data.versions import get_profile, load_table, register_table
from mlsteward.services.monitoring.profiles import (
    get_profile_record,
    load_profile,
    profile_from,
    save_profile,
)
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.services.tracking import artifacts, experiments, runs
from mlsteward.storage import open_store
from mlsteward.storage.artifacts.blob_store import BlobStore, open_blob_store
from mlsteward.storage.base import ArtifactRecord
from mlsteward.storage.sql.blob_references_store import blob_digest_columns
from mlsteward.storage.store_key import store_key
from mlsteward.testing.postgres import temporary_database
from mlsteward.testing.s3_api import moto_s3

HOUR = 3600.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "store")
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def _context(store_uri: str, blobs: BlobStore) -> Iterator[ServiceContext]:
    stores = open_store(store_uri)
    try:
        yield ServiceContext(actor="tester", stores=stores, blobs=blobs, outbound=OutboundAccess())
    finally:
        stores.close()


@pytest.fixture
def ctx(store_uri: str, tmp_path: Path) -> Iterator[ServiceContext]:
    yield from _context(store_uri, open_blob_store(str(tmp_path / "blobs")))


def _age(blobs: BlobStore, digest: str, seconds: float) -> None:
    """Date a local blob ``seconds`` in the past, as if written then."""
    then = time.time() - seconds
    os.utime(blobs._blob_path(digest), (then, then))


def _orphan(ctx: ServiceContext, content: bytes, age: float = 2 * HOUR) -> str:
    digest, _ = ctx.blobs.put_bytes(content)
    if ctx.blobs.is_local:
        _age(ctx.blobs, digest, age)
    return digest


def _everything_referenced(ctx: ServiceContext) -> tuple[str, set[str]]:
    """A run artifact, a dataset version (file, profile, report) and a monitoring profile."""
    experiment = experiments.create_experiment(ctx, "gc").experiment_id
    run_id = runs.create_run(ctx, experiment).info.run_id
    artifacts.log_artifact_bytes(ctx, run_id, "model/weights.bin", b"weights")
    table = pa.table({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "a"]})
    version = register_table(ctx, "gc-data", table).version
    save_profile(ctx, profile_from(pd.DataFrame({"x": [1.0, 2.0, 3.0]})), "gc-profile")
    digests = {a.digest for a in artifacts.artifact_files(ctx, run_id)}
    digests |= {version.blob_digest, version.profile_digest or "", version.report_digest or ""}
    digests |= {get_profile_record(ctx, "gc-profile").blob_digest}
    return run_id, digests


def _stored(ctx: ServiceContext) -> set[str]:
    return {blob.digest for blob in ctx.blobs.iter_blobs()}


def test_every_blob_column_is_read() -> None:
    """A new table holding blob digests must be seen, or gc would remove its blobs."""
    names = {f"{c.table.name}.{c.name}" for c in blob_digest_columns()}
    assert names >= {
        "run_artifacts.digest",
        "model_versions.environment_digest",
        "dataset_versions.blob_digest",
        "dataset_versions.profile_digest",
        "dataset_versions.report_digest",
        "monitoring_profiles.blob_digest",
        "monitor_runs.report_digest",
        "monitor_runs.json_digest",
    }


def test_orphans_go_and_referenced_blobs_stay(ctx: ServiceContext, tmp_path: Path) -> None:
    run_id, referenced = _everything_referenced(ctx)
    for digest in referenced:
        _age(ctx.blobs, digest, 10 * HOUR)  # old, but referenced
    orphans = {_orphan(ctx, b"left by a failed upload"), _orphan(ctx, b"and another")}
    assert _stored(ctx) == referenced | orphans

    report = collect_unreferenced_blobs(ctx)
    assert {blob.digest for blob in report.removed} == orphans
    assert report.bytes_freed == len(b"left by a failed upload") + len(b"and another")
    assert _stored(ctx) == referenced
    assert collect_unreferenced_blobs(ctx).removed == []  # nothing more to do
    # everything that was referenced still reads
    _record, handle = artifacts.open_artifact(ctx, run_id, "model/weights.bin")
    with handle:
        assert handle.read() == b"weights"
    assert load_table(ctx, "gc-data@1").num_rows == 3
    assert get_profile(ctx, "gc-data@1")
    assert load_profile(ctx, "gc-profile").n_rows == 3


def test_the_grace_period_keeps_young_orphans(ctx: ServiceContext) -> None:
    old = _orphan(ctx, b"two hours old", age=2 * HOUR)
    young = _orphan(ctx, b"half an hour old", age=HOUR / 2)
    fresh = _orphan(ctx, b"an upload in progress", age=0)
    report = collect_unreferenced_blobs(ctx)
    assert [blob.digest for blob in report.removed] == [old]
    assert report.recent == 2 and _stored(ctx) == {young, fresh}
    report = collect_unreferenced_blobs(ctx, grace_s=HOUR / 4)
    assert [blob.digest for blob in report.removed] == [young]
    assert _stored(ctx) == {fresh}
    with pytest.raises(InvalidArgumentError):
        collect_unreferenced_blobs(ctx, grace_s=-1)


def test_a_dry_run_removes_nothing(ctx: ServiceContext) -> None:
    orphan = _orphan(ctx, b"orphan")
    stale_temp = Path(ctx.blobs._local_temp())
    os.utime(stale_temp, (time.time() - 2 * HOUR,) * 2)
    report = collect_unreferenced_blobs(ctx, dry_run=True)
    assert [blob.digest for blob in report.removed] == [orphan]
    assert report.temp_files == [(str(stale_temp), 0)]
    assert _stored(ctx) == {orphan} and stale_temp.exists()
    report = collect_unreferenced_blobs(ctx)
    assert _stored(ctx) == set() and not stale_temp.exists()


def test_an_orphan_an_upload_stores_again_is_kept(ctx: ServiceContext) -> None:
    """An upload that finds its content already stored re-dates it before recording it."""
    orphan = _orphan(ctx, b"same content")
    assert ctx.blobs.put_bytes(b"same content")[0] == orphan  # not recorded yet
    assert collect_unreferenced_blobs(ctx).removed == []
    assert _stored(ctx) == {orphan}
    # an upload that re-dates it between the listing and the removal gets it back
    _age(ctx.blobs, orphan, 2 * HOUR)
    cutoff = time.time() - HOUR
    ctx.blobs.put_bytes(b"same content")
    assert not ctx.blobs.remove_if_stale(orphan, cutoff)
    assert _stored(ctx) == {orphan} and list((Path(ctx.blobs._base) / "tmp").iterdir()) == []


def test_a_blob_moved_aside_by_a_killed_gc_is_put_back(ctx: ServiceContext) -> None:
    _, referenced = _everything_referenced(ctx)
    digest = next(iter(referenced))
    trash = Path(ctx.blobs._base) / "tmp" / f"gc-{digest}.0123"
    os.replace(ctx.blobs._blob_path(digest), trash)
    report = collect_unreferenced_blobs(ctx)
    assert report.restored == 1 and report.removed == []
    assert digest in _stored(ctx) and not trash.exists()


def test_a_failed_upload_keeps_a_blob_someone_else_stored_meanwhile(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"contended")
    mine = ctx.blobs.store_file(source)
    assert mine.created
    theirs = ctx.blobs.store_file(source)  # a concurrent upload of the same bytes
    assert not theirs.created
    discard_unrecorded(ctx, [mine])
    assert _stored(ctx) == {mine.digest}
    discard_unrecorded(ctx, [mine, theirs])  # one call storing the file twice removes it
    assert _stored(ctx) == set()


def test_a_failed_upload_never_removes_a_referenced_blob(
    ctx: ServiceContext, tmp_path: Path
) -> None:
    _everything_referenced(ctx)
    source = tmp_path / "weights.bin"
    source.write_bytes(b"weights")  # the bytes of the recorded artifact
    stored = ctx.blobs.store_file(source)
    forged = dataclasses.replace(stored, created=True)  # even if it claimed to have made it
    discard_unrecorded(ctx, [forged])
    assert stored.digest in _stored(ctx)


# -- S3 ----------------------------------------------------------------------------------------

BUCKET = "mlsteward-gc"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3(BUCKET) as s3:
        yield s3.endpoint


@pytest.mark.s3
def test_s3_orphans_go_and_referenced_blobs_stay(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**S3_ENV, "MLSTEWARD_S3_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    blobs = open_blob_store(f"s3://{BUCKET}/{tmp_path.name}")
    for ctx in _context(str(tmp_path / "store"), blobs):
        _, referenced = _everything_referenced(ctx)
        orphan = _orphan(ctx, b"an orphan in a bucket")
        assert _stored(ctx) == referenced | {orphan}
        assert collect_unreferenced_blobs(ctx).removed == []  # all younger than an hour
        later = dataclasses.replace(ctx, clock=lambda: now_ms() + int(2 * HOUR * 1000))
        report = collect_unreferenced_blobs(later, dry_run=True)
        assert [blob.digest for blob in report.removed] == [orphan]
        assert _stored(ctx) == referenced | {orphan}
        report = collect_unreferenced_blobs(later)
        assert [blob.digest for blob in report.removed] == [orphan]
        assert _stored(ctx) == referenced
        assert load_table(ctx, "gc-data@1").num_rows == 3


# -- an artifact root shared by two stores ------------------------------------------------------


def _logged(ctx: ServiceContext, content: bytes) -> tuple[str, str]:
    """A run with one artifact of ``content``, dated 10 hours ago: (run id, digest)."""
    experiment = experiments.create_experiment(ctx, f"shared-{content.hex()[:8]}").experiment_id
    run_id = runs.create_run(ctx, experiment).info.run_id
    artifacts.log_artifact_bytes(ctx, run_id, "model.bin", content)
    (record,) = artifacts.artifact_files(ctx, run_id)
    _age(ctx.blobs, record.digest, 10 * HOUR)
    return run_id, record.digest


def _reads(ctx: ServiceContext, run_id: str, content: bytes) -> bool:
    _record, handle = artifacts.open_artifact(ctx, run_id, "model.bin")
    with handle:
        return handle.read() == content


def test_a_root_two_stores_share_is_collected_only_with_both(tmp_path: Path) -> None:
    root = str(tmp_path / "shared-artifacts")
    for ctx_a in _context(str(tmp_path / "a"), open_blob_store(root)):
        for ctx_b in _context(str(tmp_path / "b"), open_blob_store(root)):
            run_a, blob_a = _logged(ctx_a, b"only store a records this")
            run_b, blob_b = _logged(ctx_b, b"only store b records this")
            orphan = _orphan(ctx_a, b"nobody records this")
            everything = {blob_a, blob_b, orphan}
            for ctx, other in ((ctx_a, ctx_b), (ctx_b, ctx_a)):
                for dry_run in (True, False):
                    with pytest.raises(SharedArtifactRootError) as refused:
                        collect_unreferenced_blobs(ctx, dry_run=dry_run)
                    message = refused.value.message
                    assert store_key(other.stores.uri) in message
                    assert "--also-store" in message and "nothing was removed" in message
                    assert _stored(ctx) == everything
            report = collect_unreferenced_blobs(ctx_a, also=[ctx_b.stores])
            assert [blob.digest for blob in report.removed] == [orphan]
            assert report.stores == sorted(store_key(c.stores.uri) for c in (ctx_a, ctx_b))
            assert _stored(ctx_a) == {blob_a, blob_b}
            assert _reads(ctx_a, run_a, b"only store a records this")
            assert _reads(ctx_b, run_b, b"only store b records this")


def test_a_root_one_store_uses_is_collected_as_before(tmp_path: Path) -> None:
    for ctx in _context(str(tmp_path / "alone"), open_blob_store(str(tmp_path / "root"))):
        run_id, blob = _logged(ctx, b"recorded")
        orphan = _orphan(ctx, b"not recorded")
        assert ctx.blobs.writers.listed() == {store_key(ctx.stores.uri)}
        report = collect_unreferenced_blobs(ctx)
        assert [b.digest for b in report.removed] == [orphan] and report.forgotten == []
        assert _stored(ctx) == {blob} and _reads(ctx, run_id, b"recorded")


def test_claim_root_forgets_a_store_that_is_gone(tmp_path: Path) -> None:
    root = str(tmp_path / "shared-artifacts")
    gone = tmp_path / "gone"
    for ctx_gone in _context(str(gone), open_blob_store(root)):
        _, blob_gone = _logged(ctx_gone, b"recorded by a store since deleted")
        gone_key = store_key(ctx_gone.stores.uri)
    (gone / "mlsteward.db").unlink()
    for ctx in _context(str(tmp_path / "kept"), open_blob_store(root)):
        run_id, blob = _logged(ctx, b"recorded by the store kept")
        with pytest.raises(SharedArtifactRootError, match="--claim-root"):
            collect_unreferenced_blobs(ctx)
        dry = collect_unreferenced_blobs(ctx, dry_run=True, claim_root=True)
        assert dry.forgotten == [gone_key] and ctx.blobs.writers.listed() >= {gone_key}
        report = collect_unreferenced_blobs(ctx, claim_root=True)
        assert report.forgotten == [gone_key]
        assert [b.digest for b in report.removed] == [blob_gone]
        assert ctx.blobs.writers.listed() == {store_key(ctx.stores.uri)}
        assert _stored(ctx) == {blob} and _reads(ctx, run_id, b"recorded by the store kept")


def test_a_root_that_records_no_store_is_refused(tmp_path: Path) -> None:
    """Blobs from before roots recorded their stores: gc cannot know who else wrote them."""
    root = tmp_path / "old-root"
    old_blobs = BlobStore(str(root))  # bound to no store, as an older mlsteward wrote
    digest, _ = old_blobs.put_bytes(b"written long ago")
    _age(old_blobs, digest, 10 * HOUR)
    for ctx in _context(str(tmp_path / "store"), open_blob_store(str(root))):
        with pytest.raises(SharedArtifactRootError, match="records no store"):
            collect_unreferenced_blobs(ctx)
        assert _stored(ctx) == {digest}
        report = collect_unreferenced_blobs(ctx, claim_root=True)
        assert [b.digest for b in report.removed] == [digest]
        assert ctx.blobs.writers.listed() == {store_key(ctx.stores.uri)}


@pytest.mark.parametrize(
    "record",
    [b"not json", b'{"store": 42}', b"[]", b'{"store": "[bold]x[/bold]\\u0000"}'],
    ids=["garbage", "number", "list", "markup"],
)
def test_a_store_record_gc_cannot_read_counts_as_another_store(
    ctx: ServiceContext, record: bytes
) -> None:
    orphan = _orphan(ctx, b"an orphan")
    (Path(ctx.blobs._base) / "stores" / "planted.json").write_bytes(record)
    with pytest.raises(SharedArtifactRootError, match="is shared"):
        collect_unreferenced_blobs(ctx)
    assert _stored(ctx) == {orphan}


# -- S3: an upload claiming an orphan while gc removes it ----------------------------------------

#: Where in gc's removal of a blob the upload claims it: before gc moves it aside, between
#: the copy to trash/ and the delete, and after the delete (the upload then writes it again).
CLAIM_POINTS = ["before-move", "between-copy-and-delete", "after-delete"]


@pytest.mark.s3
@pytest.mark.parametrize("point", CLAIM_POINTS)
def test_s3_an_upload_claiming_an_orphan_during_gc_keeps_it(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    """The upload finds the bytes already stored (no new PUT), and records them only after gc
    has finished: nothing but the claim tells gc the blob is wanted. Before claims left a
    marker, gc deleted it and the record pointed at nothing."""
    for name, value in {**S3_ENV, "MLSTEWARD_S3_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    blobs = open_blob_store(f"s3://{BUCKET}/{tmp_path.name}")
    content = b"an orphan an upload is about to record"
    with contextlib.contextmanager(_context)(str(tmp_path / "store"), blobs) as ctx:
        run_id = runs.create_run(ctx, experiments.create_experiment(ctx, "race").experiment_id)
        orphan = _orphan(ctx, content)
        blob_path = blobs._blob_path(orphan)
        claimed: list[object] = []

        def claim() -> None:
            if not claimed:
                claimed.append(ctx.blobs.store_stream(iter([content])))

        fs = blobs.fs
        real_copy, real_rm = fs.copy, fs.rm_file

        def copy(source: str, destination: str, **kwargs: object) -> object:
            if point == "before-move" and source == blob_path:
                claim()
            return real_copy(source, destination, **kwargs)

        def rm_file(path: str, **kwargs: object) -> object:
            if point == "between-copy-and-delete" and path == blob_path:
                claim()
            done = real_rm(path, **kwargs)
            if point == "after-delete" and path == blob_path:
                claim()
            return done

        monkeypatch.setattr(fs, "copy", copy)
        monkeypatch.setattr(fs, "rm_file", rm_file)
        later = dataclasses.replace(ctx, clock=lambda: now_ms() + int(2 * HOUR * 1000))
        report = collect_unreferenced_blobs(later)
        assert claimed, "the upload never ran"
        # the upload records what it stored, after gc is done
        ctx.stores.tracking.record_artifacts(
            run_id.info.run_id, [ArtifactRecord("late.bin", orphan, len(content))], now_ms()
        )
        # after the delete, the upload found the blob missing and wrote it again
        assert len(report.removed) == (point == "after-delete")
        assert _stored(ctx) == {orphan}
        _record, handle = artifacts.open_artifact(ctx, run_id.info.run_id, "late.bin")
        with handle:
            assert handle.read() == content
        assert not fs.exists(f"{blobs._base}/trash")  # nothing left aside


@pytest.mark.s3
def test_s3_a_blob_a_killed_gc_left_in_trash_is_put_back(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**S3_ENV, "MLSTEWARD_S3_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    blobs = open_blob_store(f"s3://{BUCKET}/{tmp_path.name}")
    for ctx in _context(str(tmp_path / "store"), blobs):
        _, referenced = _everything_referenced(ctx)
        digest = sorted(referenced)[0]
        later = dataclasses.replace(ctx, clock=lambda: now_ms() + int(2 * HOUR * 1000))
        moved = blobs.move_aside_if_stale(digest, later.clock() / 1000)  # then gc was killed
        assert moved is not None and digest not in _stored(ctx)
        report = collect_unreferenced_blobs(later)
        assert report.restored == 1 and report.removed == []
        assert _stored(ctx) == referenced
