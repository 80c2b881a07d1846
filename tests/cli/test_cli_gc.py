"""``mlsteward gc``: lists what it removes and the bytes freed; asks first; dry run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from typer.testing import CliRunner, Result

from mlsteward.interfaces.cli.main import app
from mlsteward.storage.artifacts.blob_store import open_blob_store

from .conftest import Invoke, Seeded


def _artifacts(seeded: Seeded) -> Path:
    return Path(seeded.uri.removeprefix("sqlite:///")).parent / "artifacts"


def _blob_files(root: Path) -> set[str]:
    return {p.parent.name + p.name for p in (root / "blobs").rglob("*") if p.is_file()}


def _old_orphan(root: Path, content: bytes) -> str:
    blobs = open_blob_store(str(root))
    digest, _ = blobs.put_bytes(content)
    then = time.time() - 7200
    os.utime(blobs._blob_path(digest), (then, then))
    return digest


def _answering(answer: str, *args: str) -> Result:
    """Run ``mlsteward ARGS...`` typing ``answer`` at its prompt."""
    return CliRunner().invoke(app, list(args), input=answer)


def test_dry_run_then_collect(invoke: Invoke, seeded: Seeded) -> None:
    root = _artifacts(seeded)
    kept = _blob_files(root)
    orphan = _old_orphan(root, b"x" * 1500)

    dry = invoke("gc", "--store-uri", seeded.uri, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would remove {orphan}" in dry.stdout
    assert (
        "Would remove 1 unreferenced blob(s)" in dry.stdout and "would free 1.5 KiB" in dry.stdout
    )
    assert _blob_files(root) == kept | {orphan}

    refused = _answering("n\n", "gc", "--store-uri", seeded.uri)
    assert refused.exit_code == 1 and "Aborted" in refused.stderr
    assert _blob_files(root) == kept | {orphan}

    done = _answering("y\n", "gc", "--store-uri", seeded.uri)
    assert done.exit_code == 0, done.output
    assert f"removed {orphan}" in done.stdout and "freed 1.5 KiB" in done.stdout
    assert _blob_files(root) == kept


def test_json_and_grace(invoke: Invoke, seeded: Seeded) -> None:
    root = _artifacts(seeded)
    orphan = _old_orphan(root, b"two hours old")
    kept = invoke("gc", "-s", seeded.uri, "--grace", "3h", "--yes", "--json")
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.stdout)["removed"] == []
    done = invoke("gc", "-s", seeded.uri, "--grace", "90m", "--yes", "--json")
    report = json.loads(done.stdout)
    assert report["removed"] == [{"digest": orphan, "size": 13}]
    assert report["bytes_freed"] == 13 and report["dry_run"] is False
    bad = invoke("gc", "-s", seeded.uri, "--grace", "soon", "--yes")
    assert bad.exit_code == 1 and "Not a duration" in bad.stderr
