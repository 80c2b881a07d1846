"""``mlsteward artifacts list|download``."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Invoke, Seeded


def test_list_one_level_and_recursive(invoke: Invoke, seeded: Seeded) -> None:
    result = invoke("artifacts", "list", seeded.alpha, "-t", seeded.uri)
    assert result.exit_code == 0, result.output
    assert "model/" in result.stdout and "report.json" in result.stdout
    assert "weights.bin" not in result.stdout

    entries = json.loads(
        invoke("artifacts", "list", seeded.alpha, "-t", seeded.uri, "-r", "--json").stdout
    )
    assert [e["path"] for e in entries] == [
        "model/config/params.yaml",
        "model/weights.bin",
        "report.json",
    ]
    assert entries[1]["size"] == len("weights")

    nested = json.loads(
        invoke("artifacts", "list", seeded.alpha, "-t", seeded.uri, "-p", "model", "--json").stdout
    )
    assert [(e["path"], e["is_dir"]) for e in nested] == [
        ("model/config", True),
        ("model/weights.bin", False),
    ]


def test_download_everything_keeps_paths(invoke: Invoke, seeded: Seeded, tmp_path: Path) -> None:
    dst = tmp_path / "out"
    result = invoke("artifacts", "download", seeded.alpha, "-t", seeded.uri, "--dst", str(dst))
    assert result.exit_code == 0, result.output
    assert "Downloaded 3 files" in result.stdout
    assert (dst / "report.json").read_text() == '{"ok": true}'
    assert (dst / "model" / "weights.bin").read_text() == "weights"
    assert (dst / "model" / "config" / "params.yaml").read_text() == "config"


def test_download_one_file_or_directory(invoke: Invoke, seeded: Seeded, tmp_path: Path) -> None:
    dst = tmp_path / "one"
    base = ("artifacts", "download", seeded.alpha, "-t", seeded.uri)
    result = invoke(*base, "-p", "model/weights.bin", "-d", str(dst))
    assert result.exit_code == 0, result.output
    assert "Downloaded 1 file " in result.stdout
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == [
        "model/weights.bin"
    ]
    dst = tmp_path / "dir"
    result = invoke(*base, "-p", "model/", "-d", str(dst))
    assert result.exit_code == 0, result.output
    assert (dst / "model" / "config" / "params.yaml").is_file()
    assert not (dst / "report.json").exists()


def test_download_errors(invoke: Invoke, seeded: Seeded, tmp_path: Path) -> None:
    base = ("artifacts", "download", seeded.alpha, "-t", seeded.uri)
    result = invoke(*base, "-p", "missing.txt", "-d", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "missing.txt" in result.stderr

    result = invoke("artifacts", "download", "nope", "-t", seeded.uri, "-d", str(tmp_path))
    assert result.exit_code == 1
    assert "Error: No run with id 'nope'" in result.stderr

    result = invoke("artifacts", "list", seeded.alpha, "-t", seeded.uri, "-p", "../escape")
    assert result.exit_code == 1
    assert "Error:" in result.stderr

    result = invoke("artifacts", "download", seeded.beta, "-t", seeded.uri, "-d", str(tmp_path))
    assert result.exit_code == 0
    assert "no artifacts" in result.stdout
