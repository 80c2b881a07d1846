"""Errors of model packaging and loading, each a subclass of a domain error (same code/status)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from mlsteward.domain.errors import ConflictError, InvalidArgumentError
from mlsteward.engines.onnx_export.errors import UnsupportedModelError

__all__ = ["ModelIntegrityError", "SignatureMismatchError", "UnsupportedModelError"]


class SignatureMismatchError(InvalidArgumentError):
    """Prediction input does not fit the model's signature; ``column`` names the culprit."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column

    def details(self) -> dict[str, Any]:
        return {"column": self.column}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        column = details.get("column")
        return cls(message, column if isinstance(column, str) else None)


class ModelIntegrityError(ConflictError):
    """A model file's content differs from the hash recorded when it was logged.

    A conflict (409) because the files contradict the recorded state: something changed them
    after logging, so they are refused rather than executed.
    """
