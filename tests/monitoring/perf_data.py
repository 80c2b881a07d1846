"""Predictions with late labels for the performance-check tests (a seeded logistic model)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def predictions(n: int, seed: int, flip: float = 0.0) -> pd.DataFrame:
    """``id, x, proba, pred`` plus the true ``label``; ``flip`` mislabels that share of rows
    (the model gets worse without its probabilities changing: concept drift)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-3.0 * x))
    y = (rng.random(n) < p).astype(int)
    if flip:
        y = np.where(rng.random(n) < flip, 1 - y, y)
    return pd.DataFrame(
        {
            "id": np.arange(n) + seed * 1_000_000,
            "x": x,
            "proba": p,
            "pred": (p >= 0.5).astype(int),
            "label": y,
        }
    )
