"""``collect_unreferenced_blobs``: orphans go, anything a record references never does.

Runs on SQLite and PostgreSQL metadata with local blobs, and on SQLite metadata with blobs
in moto's S3 server. Blob ages are real file dates moved into the past (locally), or the
service clock moved into the future (S3 dates cannot be set).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.services.blob_gc import collect_unreferenced_blobs, discard_unrecorded
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
from mlsteward.storage.sql.blob_references_store import blob_digest_columns
from mlsteward.testing.postgres import temporary_database

HOUR = 3600.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "store")
        return
    with temporary_database(request.getfixturevalue("postgres_server")) as url:
        yield url


def _context(store_uri: str, blobs: BlobStore) -> Iterator[ServiceContext]:
    store = open_store(store_uri)
    try:
        yield ServiceContext(actor="tester", store=store, blobs=blobs, outbound=OutboundAccess())
    finally:
        store.close()


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
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("s3fs")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


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
