"""The error ONNX export raises for a model it cannot convert."""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError


class UnsupportedModelError(InvalidArgumentError):
    """No converter handles this kind of model; the message names the estimator."""
