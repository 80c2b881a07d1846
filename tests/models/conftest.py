"""Fixtures for the model tests: a tracking store in the test's directory, small datasets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlsteward


@pytest.fixture
def tracking(tmp_path: Path) -> Iterator[Path]:
    """Point the SDK at a fresh store under the test's directory (MLSTEWARD_HOME is already
    per test, from the suite's conftest); the model cache lives in that home."""
    store = tmp_path / "store"
    mlsteward.set_tracking_uri(store)
    yield store
    mlsteward.set_tracking_uri(None)


@pytest.fixture
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {
            "age": rng.integers(18, 80, size=300).astype(np.float64),
            "income": rng.normal(50, 15, size=300),
            "tenure": rng.normal(5, 2, size=300),
            "region": rng.choice(["north", "south", "east"], size=300),
        }
    )
    target = ((data["income"] > 50) ^ (data["region"] == "east")).astype(np.int64).to_numpy()
    return data, target
