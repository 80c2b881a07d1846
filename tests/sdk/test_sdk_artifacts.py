"""Artifacts through the SDK: files, directories, dicts, text and figures; list and download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import mlsteward
from mlsteward import Client, Experiment


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "outputs"
    (root / "nested").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "nested" / "b.bin").write_bytes(b"\x00beta\xff")
    return root


def test_log_and_download(
    experiment: Experiment, client: Client, tree: Path, tmp_path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot([0, 1, 2], [2, 1, 3])
    with mlsteward.start_run(log_environment=False) as run:
        mlsteward.log_artifact(tree / "a.txt")
        mlsteward.log_artifact(tree / "a.txt", artifact_path="copies")
        mlsteward.log_artifacts(tree, artifact_path="all")
        mlsteward.log_dict({"lr": 0.1, "layers": [1, 2]}, "config/params.json")
        mlsteward.log_dict({"name": "x", "n": 3}, "config/params.yaml")
        mlsteward.log_text("hello\nworld", "notes.txt")
        mlsteward.log_figure(figure, "plots/curve.png")
    plt.close(figure)
    run_id = run.info.run_id

    top = client.list_artifacts(run_id)
    assert [(e.path, e.is_dir) for e in top] == [
        ("a.txt", False),
        ("all", True),
        ("config", True),
        ("copies", True),
        ("notes.txt", False),
        ("plots", True),
    ]
    assert [e.path for e in client.list_artifacts(run_id, "all")] == ["all/a.txt", "all/nested"]
    [png] = client.list_artifacts(run_id, "plots")
    assert png.path == "plots/curve.png" and png.size and png.size > 1_000

    local = Path(client.download_artifacts(run_id, "", tmp_path / "everything"))
    assert (local / "a.txt").read_text() == "alpha"
    assert (local / "all" / "nested" / "b.bin").read_bytes() == b"\x00beta\xff"
    assert json.loads((local / "config" / "params.json").read_text()) == {
        "lr": 0.1,
        "layers": [1, 2],
    }
    assert yaml.safe_load((local / "config" / "params.yaml").read_text()) == {"name": "x", "n": 3}
    assert (local / "notes.txt").read_text() == "hello\nworld"
    assert (local / "plots" / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    sub = Path(client.download_artifacts(run_id, "all/nested", tmp_path / "part"))
    assert sorted(p.name for p in sub.iterdir()) == ["b.bin"]
    single = Path(client.download_artifacts(run_id, "copies/a.txt", tmp_path / "one"))
    assert single.read_text() == "alpha"
    default_destination = Path(client.download_artifacts(run_id, "notes.txt"))
    assert default_destination.read_text() == "hello\nworld"


def test_artifact_errors(
    experiment: Experiment,
    client: Client,
    tree: Path,
    tmp_path: Path,
    tracking_uri: str,
    request: pytest.FixtureRequest,
) -> None:
    with mlsteward.start_run(log_environment=False) as run:
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_artifacts(tree / "a.txt")  # not a directory
        for escaping in ("../x", "/etc/passwd", "a/../../b"):
            with pytest.raises(mlsteward.InvalidArgumentError):
                mlsteward.log_artifact(tree / "a.txt", artifact_path=escaping)
            with pytest.raises(mlsteward.InvalidArgumentError):
                mlsteward.log_text("x", escaping)
        with pytest.raises(mlsteward.InvalidArgumentError):
            mlsteward.log_figure(object(), "x.png")
    assert client.list_artifacts(run.info.run_id) == []
    with pytest.raises(mlsteward.NotFoundError):
        client.download_artifacts(run.info.run_id, "missing.txt", tmp_path / "out")
    with pytest.raises(mlsteward.InvalidArgumentError):
        client.download_artifacts(run.info.run_id, "../../etc/passwd", tmp_path / "out")
    assert not (tmp_path / "out").exists()
