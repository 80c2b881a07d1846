"""Small models used by the model tests: a custom Python model and a custom transformer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin


class SumThreshold:
    """A custom python-function model: class 1 when the row's sum passes a threshold."""

    input_kind = "frame"

    def __init__(self, threshold: float = 0.0) -> None:
        self.threshold = threshold
        self.classes_ = np.array([0, 1])

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return (frame.to_numpy(dtype=float).sum(axis=1) > self.threshold).astype(np.int64)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        score = 1.0 / (1.0 + np.exp(-(frame.to_numpy(dtype=float).sum(axis=1) - self.threshold)))
        return np.column_stack([1.0 - score, score])


class Doubler(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """A custom transformer no ONNX converter knows."""

    def fit(self, x: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, x: Any) -> Any:
        return np.asarray(x) * 2.0
