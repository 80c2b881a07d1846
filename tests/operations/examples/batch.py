"""Example requests for the batch-inference operation.

A dataset in and a dataset out: the HTTP door's server opens no file of its host, and a
registered model version (a small scikit-learn model, native: that door allows model code).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.interfaces.sdk.client import Client

from .models import _logged_model


def _predict(client: Client) -> dict[str, Any]:
    name = client.create_registered_model(f"batch-{uuid.uuid4().hex[:10]}").name
    source = _logged_model(client)
    client.create_model_version(name, source, run_id=source.split("/")[1])
    rows = np.random.default_rng(1).normal(size=(30, 3))
    table = pa.table({str(i): rows[:, i] for i in range(3)})
    data = f"batch-in-{uuid.uuid4().hex[:10]}"
    client.datasets().register_dataset_table(data, table)
    return {
        "model_uri": f"models:/{name}/1",
        "input": [f"dataset:{data}@1"],
        "output": f"dataset:batch-out-{uuid.uuid4().hex[:10]}",
        "log": False,
    }


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {"batch.predict": _predict}
