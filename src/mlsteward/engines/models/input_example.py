"""Input examples stored beside the model, in formats that keep dtypes and run no code.

DataFrames (and dicts of equal-length columns) go to Parquet, arrays to ``.npy``/``.npz``
with ``allow_pickle=False``, so reading an example back can never execute anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError

STEM = "input_example"


def normalize_example(example: Any) -> Any:
    """DataFrame, ndarray or dict of ndarrays: the forms an example is stored and replayed in."""
    if isinstance(example, pd.DataFrame):
        return example
    if isinstance(example, pd.Series):
        return example.to_frame()
    if isinstance(example, Mapping):
        arrays = {str(k): np.asarray(v) for k, v in example.items()}
        if all(a.ndim <= 1 for a in arrays.values()):
            return pd.DataFrame({k: np.atleast_1d(a) for k, a in arrays.items()})
        return arrays
    if isinstance(example, list) and example and isinstance(example[0], Mapping):
        return pd.DataFrame.from_records(example)
    if hasattr(example, "detach") and hasattr(example, "numpy"):
        return np.asarray(example.detach().cpu().numpy())
    array = np.asarray(example)
    if array.ndim == 0:
        raise InvalidArgumentError("input_example must be a batch (DataFrame, array, dict)")
    return array


def save_example(example: Any, directory: Path) -> dict[str, Any]:
    """Write the example; returns its manifest entry (file name and format)."""
    if isinstance(example, pd.DataFrame):
        name = f"{STEM}.parquet"
        frame = example.copy()
        frame.columns = [str(c) for c in frame.columns]
        frame.to_parquet(directory / name, index=False)
        return {"file": name, "format": "parquet", "rows": len(frame)}
    if isinstance(example, dict):
        name = f"{STEM}.npz"
        np.savez(directory / name, allow_pickle=False, **example)
        return {"file": name, "format": "npz", "rows": len(next(iter(example.values())))}
    if example.dtype.kind == "O":
        raise InvalidArgumentError(
            "input_example is an object array; pass a DataFrame for text or mixed columns"
        )
    name = f"{STEM}.npy"
    np.save(directory / name, example, allow_pickle=False)
    return {"file": name, "format": "npy", "rows": int(example.shape[0])}


def load_example(directory: Path, entry: Mapping[str, Any]) -> Any:
    """Read back what :func:`save_example` wrote."""
    path = directory / str(entry["file"])
    kind = entry.get("format")
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind == "npz":
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    if kind == "npy":
        return np.load(path, allow_pickle=False)
    raise InvalidArgumentError(f"Unknown input example format {kind!r}")
