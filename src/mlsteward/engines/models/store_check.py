"""Check a downloaded model against the digests the tracking store recorded at logging time.

``verify_files`` compares each file with the manifest; this compares the manifest (and the
ONNX export record) with the store, so an attacker who rewrites a file *and* the manifest
beside it is caught too: the store recorded the manifest's own SHA-256 when it was logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlsteward.engines.models.errors import ModelIntegrityError
from mlsteward.engines.models.manifest import MANIFEST_FILE, read_manifest, sha256_file
from mlsteward.engines.models.onnx_record import EXPORT_DIR, EXPORT_MANIFEST, read_export


def check_against_store(directory: Path, recorded: Mapping[str, str]) -> None:
    """``recorded`` maps paths relative to the model directory to the store's SHA-256."""
    problems: list[str] = []

    def expect(name: str, digest: str | None) -> None:
        if recorded.get(name) != digest:
            problems.append(f"{name}: hash differs from the one recorded by the tracking store")

    expect(MANIFEST_FILE, sha256_file(directory / MANIFEST_FILE).sha256)
    if not problems:
        for name, file_hash in read_manifest(directory).files.items():
            expect(name, file_hash.sha256)
    export_manifest = f"{EXPORT_DIR}/{EXPORT_MANIFEST}"
    if export_manifest in recorded and (directory / export_manifest).is_file():
        expect(export_manifest, sha256_file(directory / export_manifest).sha256)
        record = read_export(directory)
        if record is not None and not problems:
            for name, file_hash in record.files.items():
                expect(f"{EXPORT_DIR}/{name}", file_hash.sha256)
    if problems:
        raise ModelIntegrityError(
            f"Refusing to load the model at {directory}: " + "; ".join(problems)
        )
