"""The record of an ONNX export (``onnx/export.json`` beside the model): how the graph was made,
how to feed it, whether it matched the native model, and the hash of each of its files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlsteward.engines.models.errors import ModelIntegrityError
from mlsteward.engines.models.manifest import FileHash

EXPORT_DIR = "onnx"
EXPORT_MANIFEST = "export.json"


@dataclass(frozen=True)
class ExportRecord:
    converter: str
    converter_version: str
    model_file: str
    files: dict[str, FileHash]
    parity: list[dict[str, Any]]
    parity_ok: bool
    tolerance: float
    columns: list[str] | None = None
    squeeze: bool = False
    classes: list[Any] | None = None
    opsets: dict[str, int] = field(default_factory=dict)
    quantized_file: str | None = None
    quantization: dict[str, Any] | None = None
    source_manifest_sha256: str | None = None
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "converter": self.converter,
            "converter_version": self.converter_version,
            "model_file": self.model_file,
            "opsets": self.opsets,
            "inputs": {"columns": self.columns} if self.columns else {"tensor": "input"},
            "squeeze": self.squeeze,
            "classes": self.classes,
            "parity": self.parity,
            "parity_ok": self.parity_ok,
            "tolerance": self.tolerance,
            "quantized_file": self.quantized_file,
            "quantization": self.quantization,
            "files": {name: h.to_dict() for name, h in sorted(self.files.items())},
            "source_manifest_sha256": self.source_manifest_sha256,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportRecord:
        inputs = data.get("inputs") or {}
        return cls(
            converter=str(data["converter"]),
            converter_version=str(data.get("converter_version", "")),
            model_file=str(data["model_file"]),
            files={
                str(k): FileHash(str(v["sha256"]), int(v["size"])) for k, v in data["files"].items()
            },
            parity=list(data.get("parity") or []),
            parity_ok=bool(data.get("parity_ok", False)),
            tolerance=float(data.get("tolerance", 0.0)),
            columns=list(inputs["columns"]) if inputs.get("columns") else None,
            squeeze=bool(data.get("squeeze", False)),
            classes=data.get("classes"),
            opsets={str(k): int(v) for k, v in (data.get("opsets") or {}).items()},
            quantized_file=data.get("quantized_file"),
            quantization=data.get("quantization"),
            source_manifest_sha256=data.get("source_manifest_sha256"),
            created_at=str(data.get("created_at", "")),
        )


def read_export(model_dir: Path) -> ExportRecord | None:
    """The export record of the model in ``model_dir``, or None when it was never exported."""
    path = model_dir / EXPORT_DIR / EXPORT_MANIFEST
    if not path.is_file():
        return None
    try:
        return ExportRecord.from_dict(json.loads(path.read_text()))
    except (KeyError, TypeError, ValueError) as error:
        raise ModelIntegrityError(f"Malformed ONNX export record {path}: {error!r}") from error


def write_export(model_dir: Path, record: ExportRecord) -> Path:
    path = model_dir / EXPORT_DIR / EXPORT_MANIFEST
    path.write_text(json.dumps(record.to_dict(), indent=2, default=str) + "\n")
    return path
