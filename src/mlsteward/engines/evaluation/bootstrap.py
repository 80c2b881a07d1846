"""Percentile bootstrap confidence intervals, paired when two models are compared.

Every resample draws the same row indices for the model and its baseline, so the interval of
the difference reflects only how the models differ, not which rows happened to be drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

MetricFn = Callable[[np.ndarray], dict[str, float]]


def _interval(values: list[float], confidence: float) -> list[float | None]:
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    if not array.size:
        return [None, None]
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(array, [tail, 100.0 - tail])
    return [float(low), float(high)]


def bootstrap(
    n_rows: int,
    fns: dict[str, MetricFn],
    resamples: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, dict[str, list[float | None]]]:
    """For each named metric function: ``{metric: [low, high]}`` over ``resamples`` draws.

    ``fns`` maps a label (``model``, ``baseline``) to a function of row indices; a
    ``delta`` entry (model minus baseline) is added when both are present.
    """
    if resamples <= 0 or n_rows == 0:
        return {}
    rng = np.random.default_rng(seed)
    draws: dict[str, dict[str, list[float]]] = {label: {} for label in fns}
    if "model" in fns and "baseline" in fns:
        draws["delta"] = {}
    for _ in range(resamples):
        rows = rng.integers(0, n_rows, size=n_rows)
        results = {label: fn(rows) for label, fn in fns.items()}
        for label, values in results.items():
            for metric, value in values.items():
                draws[label].setdefault(metric, []).append(value)
        if "delta" in draws:
            for metric, value in results["model"].items():
                other = results["baseline"].get(metric)
                if other is not None:
                    draws["delta"].setdefault(metric, []).append(value - other)
    return {
        label: {metric: _interval(values, confidence) for metric, values in series.items()}
        for label, series in draws.items()
    }


def as_json_number(value: Any) -> float | None:
    """NaN and infinities become None (JSON has no such numbers)."""
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None
