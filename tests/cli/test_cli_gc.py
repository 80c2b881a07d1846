"""``mlsteward gc``: lists what it removes and the bytes freed; asks first; dry run; refuses an
artifact root another store uses."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from mlsteward import Client
from mlsteward.interfaces.cli.main import app
from mlsteward.interfaces.sdk.tracking_uri import close_backends
from mlsteward.storage.artifacts.blob_store import open_blob_store
from mlsteward.testing.server_process import running_server

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


# -- an artifact root shared by several stores -------------------------------------------------


def _store_with_artifact(uri: Path | str, text: str) -> tuple[Client, str]:
    client = Client(str(uri))
    run_id = client.create_run(client.create_experiment("shared")).info.run_id
    client.log_text(run_id, text, "weights.txt")
    return client, run_id


def _read_back(client: Client, run_id: str, destination: Path) -> str:
    client.download_artifacts(run_id, "weights.txt", destination)
    return (destination / "weights.txt").read_text()


def test_gc_refuses_a_root_another_store_uses(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two SQLite stores upload to one artifact root: gc with either store alone would
    delete the other's blobs, so it refuses, names the other store and removes nothing."""
    root = tmp_path / "shared-artifacts"
    monkeypatch.setenv("MLSTEWARD_ARTIFACTS_URI", str(root))
    client_a, run_a = _store_with_artifact(tmp_path / "a", "weights of a")
    client_b, run_b = _store_with_artifact(tmp_path / "b", "weights of b")
    orphan = _old_orphan(root, b"nobody's")
    for blob in _blob_files(root):  # every blob is old enough to go, were it unreferenced
        path = root / "blobs" / "sha256" / blob[:2] / blob[2:]
        os.utime(path, (time.time() - 7200,) * 2)
    everything = _blob_files(root)
    stores = {name: str(tmp_path / name / "mlsteward.db") for name in ("a", "b")}
    for mine, other in (("a", "b"), ("b", "a")):
        for extra in ((), ("--dry-run",)):
            refused = invoke("gc", "-s", stores[mine], "-a", str(root), "--yes", *extra)
            assert refused.exit_code == 1, refused.output
            assert "is shared" in refused.stderr and stores[other] in refused.stderr
            assert "--also-store" in refused.stderr and "nothing was removed" in refused.stderr
            assert _blob_files(root) == everything

    both = invoke(
        "gc", "-s", stores["a"], "--also-store", stores["b"], "-a", str(root), "--yes", "--json"
    )
    assert both.exit_code == 0, both.output
    report = json.loads(both.stdout)
    assert [blob["digest"] for blob in report["removed"]] == [orphan]
    assert report["stores"] == sorted(f"sqlite:///{path}" for path in stores.values())
    assert _blob_files(root) == everything - {orphan}
    assert _read_back(client_a, run_a, tmp_path / "out-a") == "weights of a"
    assert _read_back(client_b, run_b, tmp_path / "out-b") == "weights of b"


def test_gc_claim_root_forgets_a_deleted_store(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shared-artifacts"
    monkeypatch.setenv("MLSTEWARD_ARTIFACTS_URI", str(root))
    client, run_id = _store_with_artifact(tmp_path / "kept", "kept weights")
    _store_with_artifact(tmp_path / "gone", "weights of a deleted store")
    close_backends()
    (tmp_path / "gone" / "mlsteward.db").unlink()
    for blob in _blob_files(root):
        path = root / "blobs" / "sha256" / blob[:2] / blob[2:]
        os.utime(path, (time.time() - 7200,) * 2)
    kept = str(tmp_path / "kept" / "mlsteward.db")
    assert invoke("gc", "-s", kept, "-a", str(root), "--yes").exit_code == 1
    done = invoke("gc", "-s", kept, "-a", str(root), "--claim-root", "--yes")
    assert done.exit_code == 0, done.output
    assert f"Forgot store sqlite:///{tmp_path / 'gone' / 'mlsteward.db'}" in done.stdout
    assert "Removed 1 unreferenced blob(s)" in done.stdout
    assert _read_back(client, run_id, tmp_path / "out") == "kept weights"
    again = invoke("gc", "-s", kept, "-a", str(root), "--yes")  # the root is this store's now
    assert again.exit_code == 0, again.output


@pytest.mark.server
def test_gc_sees_the_uploads_a_server_made(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server records its store in the artifact root it uploads to, like the SDK does."""
    root = tmp_path / "shared-artifacts"
    server_store = tmp_path / "server" / "mlsteward.db"
    with running_server(server_store, root) as url:
        remote, remote_run = _store_with_artifact(str(url), "uploaded over HTTP")
        monkeypatch.setenv("MLSTEWARD_ARTIFACTS_URI", str(root))
        _store_with_artifact(tmp_path / "local", "uploaded locally")
        refused = invoke("gc", "-s", str(tmp_path / "local"), "-a", str(root), "--yes")
        assert refused.exit_code == 1 and "is shared" in refused.stderr
        assert f"sqlite:///{server_store}" in refused.stderr
        assert remote.list_artifacts(remote_run)[0].path == "weights.txt"
