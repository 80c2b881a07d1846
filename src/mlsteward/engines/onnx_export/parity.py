"""How closely an exported graph reproduces the native model: max |diff| and label agreement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Default tolerance on probabilities / regression outputs; float32 graphs reach ~1e-6.
DEFAULT_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ParityReport:
    """Agreement between native and ONNX outputs on one dataset."""

    dataset: str
    rows: int
    max_abs_diff: float
    label_agreement: float | None = None

    def holds(self, tolerance: float = DEFAULT_TOLERANCE) -> bool:
        labels_ok = self.label_agreement is None or self.label_agreement == 1.0
        return labels_ok and self.max_abs_diff <= tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "rows": self.rows,
            "max_abs_diff": self.max_abs_diff,
            "label_agreement": self.label_agreement,
        }


def max_abs_diff(a: Any, b: Any) -> float:
    left = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    right = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    if left.shape != right.shape:
        return float("inf")
    return float(np.max(np.abs(left - right))) if left.size else 0.0


def agreement(a: Any, b: Any) -> float:
    """Share of rows whose labels are equal (compared as text when the dtypes differ)."""
    left, right = np.asarray(a).ravel(), np.asarray(b).ravel()
    if left.shape != right.shape:
        return 0.0
    if left.dtype.kind != right.dtype.kind:
        left, right = left.astype(str), right.astype(str)
    return float(np.mean(left == right)) if left.size else 1.0


def compare(
    dataset: str,
    native_predictions: Any,
    onnx_predictions: Any,
    native_proba: Any = None,
    onnx_proba: Any = None,
) -> ParityReport:
    """Classifiers (probabilities given) are compared on labels and probabilities;
    regressors on their predictions."""
    rows = len(native_predictions)
    if native_proba is not None and onnx_proba is not None:
        return ParityReport(
            dataset,
            rows,
            max_abs_diff(native_proba, onnx_proba),
            agreement(native_predictions, onnx_predictions),
        )
    return ParityReport(dataset, rows, max_abs_diff(native_predictions, onnx_predictions))
