"""A store with registered models for the batch-inference tests, built once per module.

``gbt``: gradient boosting on five float32 columns, exported to ONNX (parity held, so
``auto`` runs ONNX). ``tab``: a scikit-learn pipeline on columns of three types (int64, float64,
text), native only. ``faulty``: raises on a sentinel value while a marker file exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

import mlsteward
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.models.onnx import export_onnx
from mlsteward.models import log_model

from . import fault_models

cloudpickle.register_pickle_by_value(fault_models)

FEATURES = [f"f{i}" for i in range(5)]


def gbt_frame(rows: int, seed: int) -> pd.DataFrame:
    """Rows for ``gbt``: five float32 features and an ``id`` column the model ignores."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(rows, 5)).astype(np.float32), columns=FEATURES)
    frame["id"] = np.arange(rows, dtype=np.int64) + seed * 1_000_000
    return frame


def tab_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, size=rows).astype(np.int64),
            "income": rng.normal(50, 15, size=rows),
            "region": rng.choice(["north", "south", "east"], size=rows),
        }
    )


@dataclass(frozen=True)
class Store:
    uri: str
    root: Path

    @property
    def log_root(self) -> str:
        return str(Path(self.uri) / "artifacts" / "predictions")

    def client(self) -> mlsteward.Client:
        return mlsteward.Client(self.uri)


def _build(root: Path) -> Store:
    uri = str(root / "store")
    mlsteward.set_tracking_uri(uri)
    train = gbt_frame(3000, 0)
    labels = (train.f0 + train.f1 * train.f2 > 0).astype(np.int64)
    gbt = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0)
    gbt.fit(train[FEATURES], labels)
    with mlsteward.start_run():
        info = log_model(gbt, "model", input_example=train[FEATURES].head(3))
    mlsteward.register_model(info.model_uri, "gbt")
    assert export_onnx("models:/gbt/1", sample=train[FEATURES].head(500)).parity_ok
    frame = tab_frame(400, 1)
    target = ((frame.income > 50) ^ (frame.region == "east")).astype(np.int64)
    tab = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [("region", OneHotEncoder(handle_unknown="ignore"), ["region"])],
                    remainder="passthrough",
                ),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    ).fit(frame, target)
    with mlsteward.start_run():
        info = log_model(tab, "model", input_example=frame.head(3))
    mlsteward.register_model(info.model_uri, "tab")
    with mlsteward.start_run():
        example = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
        info = log_model(fault_models.FailsOnSentinel(), "model", input_example=example)
    mlsteward.register_model(info.model_uri, "faulty")
    mlsteward.set_tracking_uri(None)
    return Store(uri, root)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("batch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLSTEWARD_HOME", str(root / "home"))
        for name in ("MLSTEWARD_TRACKING_URI", "MLSTEWARD_ARTIFACTS_URI", "MLSTEWARD_USER"):
            patch.delenv(name, raising=False)
        fluent.reset()
        try:
            yield _build(root)
        finally:
            fluent.reset()
