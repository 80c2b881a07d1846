"""Model signatures: the names, dtypes and shapes a model takes and returns.

A schema is either *columns* (tabular input: one named, typed scalar per row) or *tensors*
(named arrays with a shape whose first dimension, the batch, is ``-1``). Signatures are
inferred from an input example and the model's own output on it, and stored in the manifest as
plain JSON so any language can read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError

SchemaKind = Literal["columns", "tensors"]


@dataclass(frozen=True)
class ColumnSpec:
    """One input column: its name and dtype (``float64``, ``int64``, ``string``, ...)."""

    name: str
    dtype: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


@dataclass(frozen=True)
class TensorSpec:
    """One array: name (None for a lone unnamed array), dtype and shape (``-1`` = any size)."""

    name: str | None
    dtype: str
    shape: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}


@dataclass(frozen=True)
class Schema:
    """Columns or tensors, never both."""

    kind: SchemaKind
    columns: tuple[ColumnSpec, ...] = ()
    tensors: tuple[TensorSpec, ...] = ()

    def names(self) -> list[str]:
        if self.kind == "columns":
            return [c.name for c in self.columns]
        return [t.name or "input" for t in self.tensors]

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "columns":
            return {"type": "columns", "columns": [c.to_dict() for c in self.columns]}
        return {"type": "tensors", "tensors": [t.to_dict() for t in self.tensors]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        kind = data.get("type")
        if kind == "columns":
            cols = tuple(ColumnSpec(str(c["name"]), str(c["dtype"])) for c in data["columns"])
            return cls("columns", columns=cols)
        if kind == "tensors":
            tensors = tuple(
                TensorSpec(t.get("name"), str(t["dtype"]), tuple(int(d) for d in t["shape"]))
                for t in data["tensors"]
            )
            return cls("tensors", tensors=tensors)
        raise InvalidArgumentError(f"Unknown schema type {kind!r}: expected columns or tensors")


@dataclass(frozen=True)
class Signature:
    """What a model takes (``inputs``) and returns (``outputs``, unknown when None)."""

    inputs: Schema
    outputs: Schema | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs.to_dict(),
            "outputs": self.outputs.to_dict() if self.outputs is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        outputs = data.get("outputs")
        return cls(Schema.from_dict(data["inputs"]), Schema.from_dict(outputs) if outputs else None)


def dtype_name(values: Any) -> str:
    """The signature dtype of a pandas Series, numpy array or dtype."""
    dtype = getattr(values, "dtype", values)
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    np_dtype = dtype if isinstance(dtype, np.dtype) else None
    if np_dtype is None:
        return str(dtype)  # other pandas extension types (nullable Int64, tz-aware datetimes)
    if np_dtype.kind in "US":
        return "string"
    if np_dtype.kind == "O":
        return _object_kind(values)
    return np_dtype.name


def _object_kind(values: Any) -> str:
    """``string`` when an object column holds text (checked on its first non-null values)."""
    if isinstance(values, np.dtype):
        return "object"
    sample = pd.Series(np.asarray(values).ravel()[:100]).dropna()
    if len(sample) and all(isinstance(v, str) for v in sample):
        return "string"
    if len(sample) and all(isinstance(v, bytes) for v in sample):
        return "binary"
    return "object"


def _tensor(name: str | None, array: np.ndarray) -> TensorSpec:
    return TensorSpec(name, dtype_name(array), (-1, *array.shape[1:]))


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


def infer_schema(data: Any) -> Schema:
    """The schema of a DataFrame, Series, ndarray, list, or dict of arrays."""
    if isinstance(data, pd.DataFrame):
        cols = tuple(ColumnSpec(str(name), dtype_name(data[name])) for name in data.columns)
        if len(set(c.name for c in cols)) != len(cols):
            raise InvalidArgumentError("Input example has duplicate column names")
        return Schema("columns", columns=cols)
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else "0"
        return Schema("columns", columns=(ColumnSpec(name, dtype_name(data)),))
    if isinstance(data, Mapping):
        if not data:
            raise InvalidArgumentError("Cannot infer a schema from an empty dict")
        arrays = {str(k): _as_array(v) for k, v in data.items()}
        lengths = {a.shape[0] if a.ndim else 1 for a in arrays.values()}
        if all(a.ndim <= 1 for a in arrays.values()) and len(lengths) == 1:
            return Schema(
                "columns",
                columns=tuple(ColumnSpec(k, dtype_name(a.reshape(-1))) for k, a in arrays.items()),
            )
        return Schema("tensors", tensors=tuple(_tensor(k, a) for k, a in arrays.items()))
    if isinstance(data, str | bytes):
        raise InvalidArgumentError("Cannot infer a schema from a string; pass a batch of inputs")
    array = _as_array(data)
    if array.ndim == 0:
        raise InvalidArgumentError("Cannot infer a schema from a scalar; pass a batch of inputs")
    return Schema("tensors", tensors=(_tensor(None, array),))


def infer_signature(model_input: Any, model_output: Any = None) -> Signature:
    """A signature from example inputs and, optionally, the model's outputs for them."""
    outputs = infer_schema(model_output) if model_output is not None else None
    return Signature(infer_schema(model_input), outputs)


def as_signature(value: Signature | Mapping[str, Any] | Sequence[Any] | None) -> Signature | None:
    """Accept a Signature or its dict form (as stored in a manifest)."""
    if value is None or isinstance(value, Signature):
        return value
    if isinstance(value, Mapping):
        return Signature.from_dict(value)
    raise InvalidArgumentError(
        f"signature must be a Signature or its dict form, got {type(value).__name__}"
    )
