"""Artifact rules: paths stay inside the run's root; files and directories round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.domain.entities import Run
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.services.context import ServiceContext
from mlsteward.services.tracking import artifacts, runs

ESCAPING = ["../x", "/etc/passwd", "a/../../b", "..", "a/..", "a\\..\\b", "C:/x", "x\x00y"]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "top.txt").write_text("top")
    (root / "sub" / "mid.txt").write_text("mid")
    (root / "sub" / "deeper" / "low.bin").write_bytes(b"\x00\x01")
    return root


def _blob_count(ctx: ServiceContext) -> int:
    return (
        len(ctx.blobs.fs.find(f"{ctx.blobs._base}/blobs"))
        if ctx.blobs.fs.exists(f"{ctx.blobs._base}/blobs")
        else 0
    )


@pytest.mark.parametrize("path", ESCAPING)
def test_escaping_paths_are_refused(
    ctx: ServiceContext, run: Run, tmp_path: Path, path: str
) -> None:
    source = tmp_path / "f.txt"
    source.write_text("x")
    run_id = run.info.run_id
    with pytest.raises(InvalidArgumentError):
        artifacts.log_artifact_bytes(ctx, run_id, path, b"x")
    with pytest.raises(InvalidArgumentError):
        artifacts.log_artifact(ctx, run_id, source, artifact_path=path)
    with pytest.raises(InvalidArgumentError):
        artifacts.download_artifacts(ctx, run_id, path, tmp_path / "out")
    with pytest.raises(InvalidArgumentError):
        artifacts.list_artifacts(ctx, run_id, path)
    assert artifacts.list_artifacts(ctx, run_id) == []
    assert _blob_count(ctx) == 0
    assert not (tmp_path / "out").exists()


def test_over_long_path(ctx: ServiceContext, run: Run) -> None:
    with pytest.raises(InvalidArgumentError, match="limit"):
        artifacts.log_artifact_bytes(ctx, run.info.run_id, "a/" * 600 + "x", b"x")


def test_paths_are_normalized(ctx: ServiceContext, run: Run) -> None:
    assert artifacts.log_artifact_bytes(ctx, run.info.run_id, "a//b/./c.txt", b"1") == "a/b/c.txt"
    assert artifacts.log_artifact_bytes(ctx, run.info.run_id, "d/e.txt/", b"2") == "d/e.txt"


def test_directory_round_trip(ctx: ServiceContext, run: Run, tree: Path, tmp_path: Path) -> None:
    run_id = run.info.run_id
    logged = artifacts.log_artifact(ctx, run_id, tree, artifact_path="outputs")
    assert logged == ["outputs/sub/deeper/low.bin", "outputs/sub/mid.txt", "outputs/top.txt"]
    assert [(e.path, e.is_dir) for e in artifacts.list_artifacts(ctx, run_id)] == [
        ("outputs", True)
    ]
    listed = artifacts.list_artifacts(ctx, run_id, "outputs")
    assert [(e.path, e.is_dir, e.size) for e in listed] == [
        ("outputs/sub", True, None),
        ("outputs/top.txt", False, 3),
    ]
    whole = artifacts.download_artifacts(ctx, run_id, None, tmp_path / "all")
    assert (whole / "outputs" / "sub" / "deeper" / "low.bin").read_bytes() == b"\x00\x01"
    sub = artifacts.download_artifacts(ctx, run_id, "outputs/sub", tmp_path / "part")
    assert sub == tmp_path / "part" / "outputs" / "sub"
    assert (sub / "mid.txt").read_text() == "mid"
    assert not (tmp_path / "part" / "outputs" / "top.txt").exists()
    single = artifacts.download_artifacts(ctx, run_id, "outputs/top.txt", tmp_path / "one")
    assert single.read_text() == "top"


def test_single_file_and_dedup(ctx: ServiceContext, experiment_id: str, tree: Path) -> None:
    first = runs.create_run(ctx, experiment_id).info.run_id
    second = runs.create_run(ctx, experiment_id).info.run_id
    assert artifacts.log_artifact(ctx, first, tree / "top.txt") == ["top.txt"]
    assert artifacts.log_artifact(ctx, second, tree / "top.txt", "copy") == ["copy/top.txt"]
    assert artifacts.log_artifact_bytes(ctx, second, "again.txt", b"top") == "again.txt"
    assert _blob_count(ctx) == 1
    record, handle = artifacts.open_artifact(ctx, second, "copy/top.txt")
    with handle:
        assert handle.read() == b"top"
    assert record.size == 3


def test_missing_things(ctx: ServiceContext, run: Run, tmp_path: Path) -> None:
    run_id = run.info.run_id
    artifacts.log_artifact_bytes(ctx, run_id, "dir/file.txt", b"x")
    with pytest.raises(NotFoundError):
        artifacts.resolve_artifact(ctx, run_id, "dir/fil")
    with pytest.raises(NotFoundError):
        artifacts.resolve_artifact(ctx, run_id, "dir")
    with pytest.raises(NotFoundError):
        artifacts.download_artifacts(ctx, run_id, "nothing", tmp_path / "out")
    with pytest.raises(InvalidArgumentError, match="No such file"):
        artifacts.log_artifact(ctx, run_id, tmp_path / "absent.txt")
    with pytest.raises(NotFoundError):
        artifacts.list_artifacts(ctx, new_id())
    with pytest.raises(NotFoundError):
        artifacts.log_artifact_bytes(ctx, new_id(), "x.txt", b"x")


def test_deleted_run_refuses_artifacts(ctx: ServiceContext, run: Run) -> None:
    runs.delete_run(ctx, run.info.run_id)
    with pytest.raises(NotFoundError, match="deleted"):
        artifacts.log_artifact_bytes(ctx, run.info.run_id, "x.txt", b"x")
