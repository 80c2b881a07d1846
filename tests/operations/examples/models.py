"""Example requests for the models operations."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mlsteward.engines.models.packaging import save_model
from mlsteward.interfaces.sdk.client import Client


def _logged_model(client: Client) -> str:
    """A small scikit-learn model with an input example, logged through ``client``."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(40, 3))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(np.int64))
    experiment_id = client.create_experiment(f"models-{uuid.uuid4().hex[:10]}")
    run_id = client.create_run(experiment_id).info.run_id
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "model"
        save_model(model, directory, input_example=features[:5], run_id=run_id)
        client.log_artifacts(run_id, directory, "model")
    return f"runs:/{run_id}/model"


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "models.export_onnx": lambda c: {"model_uri": _logged_model(c), "quantize": False},
}
