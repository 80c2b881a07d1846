"""The model manifest (``MLmodel.json``): what a saved model is and how to check it.

It names the flavor, the signature, the input example, pinned requirements, and the SHA-256
and size of every file in the model directory. Loading verifies each file against it before
any byte is deserialized, so a file changed after logging is refused instead of executed.
JSON rather than YAML: it parses in microseconds with the standard library, and every
language reads it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsteward._version import __version__
from mlsteward.domain.errors import InvalidArgumentError, SchemaVersionError
from mlsteward.engines.models.errors import ModelIntegrityError
from mlsteward.engines.models.signature import Signature

MANIFEST_FILE = "MLmodel.json"
FORMAT_VERSION = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileHash:
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """Everything recorded about one saved model (see the module docstring)."""

    flavor: str
    model_class: str
    signature: Signature
    files: dict[str, FileHash]
    flavor_options: dict[str, Any] = field(default_factory=dict)
    flavor_version: str | None = None
    serialization: str = ""
    executes_code_on_load: bool = True
    has_predict_proba: bool = False
    input_example: dict[str, Any] | None = None
    requirements: list[str] = field(default_factory=list)
    created_at: str = ""
    mlsteward_version: str = __version__
    python_version: str = field(default_factory=platform.python_version)
    run_id: str | None = None
    artifact_path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "flavor": {
                "name": self.flavor,
                "version": self.flavor_version,
                "options": self.flavor_options,
                "serialization": self.serialization,
                "executes_code_on_load": self.executes_code_on_load,
            },
            "model_class": self.model_class,
            "has_predict_proba": self.has_predict_proba,
            "signature": self.signature.to_dict(),
            "input_example": self.input_example,
            "requirements": self.requirements,
            "files": {name: h.to_dict() for name, h in sorted(self.files.items())},
            "created_at": self.created_at,
            "mlsteward_version": self.mlsteward_version,
            "python_version": self.python_version,
            "run_id": self.run_id,
            "artifact_path": self.artifact_path,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        version = int(data.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise SchemaVersionError(
                f"This model manifest has format {version}; this mlsteward reads up to "
                f"{FORMAT_VERSION}. Upgrade mlsteward to load it."
            )
        try:
            flavor = data["flavor"]
            return cls(
                flavor=str(flavor["name"]),
                flavor_version=flavor.get("version"),
                flavor_options=dict(flavor.get("options") or {}),
                serialization=str(flavor.get("serialization", "")),
                executes_code_on_load=bool(flavor.get("executes_code_on_load", True)),
                model_class=str(data.get("model_class", "")),
                has_predict_proba=bool(data.get("has_predict_proba", False)),
                signature=Signature.from_dict(data["signature"]),
                input_example=data.get("input_example"),
                requirements=list(data.get("requirements") or []),
                files={
                    str(name): FileHash(str(h["sha256"]), int(h["size"]))
                    for name, h in data["files"].items()
                },
                created_at=str(data.get("created_at", "")),
                mlsteward_version=str(data.get("mlsteward_version", "")),
                python_version=str(data.get("python_version", "")),
                run_id=data.get("run_id"),
                artifact_path=data.get("artifact_path"),
                metadata=dict(data.get("metadata") or {}),
                format_version=version,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidArgumentError(f"Malformed model manifest: {error!r}") from error


def sha256_file(path: Path) -> FileHash:
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return FileHash(sha.hexdigest(), size)


def hash_files(directory: Path, names: Iterable[str]) -> dict[str, FileHash]:
    return {name: sha256_file(directory / name) for name in sorted(set(names))}


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    path = directory / MANIFEST_FILE
    path.write_text(json.dumps(manifest.to_dict(), indent=2, default=str) + "\n")
    return path


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise InvalidArgumentError(f"{directory} is not an mlsteward model: no {MANIFEST_FILE}")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelIntegrityError(f"{path} is not valid JSON: {error}") from error
    return Manifest.from_dict(data)


def verify_files(directory: Path, expected: Mapping[str, FileHash], what: str = "model") -> None:
    """Raise ModelIntegrityError unless every listed file exists with its recorded hash."""
    problems: list[str] = []
    for name, recorded in expected.items():
        path = directory / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{name}: path escapes the model directory")
            continue
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        actual = sha256_file(path)
        if actual.sha256 != recorded.sha256:
            problems.append(
                f"{name}: SHA-256 {actual.sha256[:12]}... differs from the recorded "
                f"{recorded.sha256[:12]}..."
            )
    if problems:
        raise ModelIntegrityError(
            f"Refusing to load the {what} at {directory}: its files do not match the hashes "
            "recorded when it was logged (changed or corrupted since): " + "; ".join(problems)
        )
