"""Signature enforcement, compiled once at load so each predict call costs almost nothing.

``compile_plan`` turns an input schema into a callable that takes what the caller passed
(DataFrame, ndarray, dict of arrays, list of records) and returns what the model's runtime
wants, or raises :class:`SignatureMismatchError` naming the column. When the input already
matches (same columns in order with the expected dtypes, or an array of the right dtype and
width) the plan returns it untouched after a few identity checks: that is the fast path that
keeps the per-call overhead in microseconds. Safe casts (numpy's "safe" rule: int32 -> int64,
int -> float64, bool -> int, ...) are applied; anything that could lose information (float ->
int, float64 -> float32, text -> number) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.engines.models.errors import SignatureMismatchError
from mlsteward.engines.models.signature import Schema, TensorSpec, dtype_name

Wants = Literal["frame", "array", "any"]
Plan = Callable[[Any], Any]

_TEXT = {"string", "object", "category", "binary"}


def _numpy_dtype(name: str) -> np.dtype | None:
    try:
        dtype = np.dtype(name)
    except TypeError:
        return None
    return dtype if dtype.kind in "biufcmM" else None


def cast_verdict(source: str, target: str) -> Literal["same", "cast", "unsafe"]:
    """Whether values of dtype ``source`` may feed a ``target`` slot, and how."""
    if source == target or target == "object":
        return "same"
    if target in _TEXT:
        if source in _TEXT:
            return "cast" if target == "category" else "same"
        return "unsafe"
    src, dst = _numpy_dtype(source), _numpy_dtype(target)
    if src is None or dst is None:
        return "unsafe"
    if src.kind == "M" and dst.kind == "M":
        return "cast"
    return "cast" if np.can_cast(src, dst, "safe") else "unsafe"


def _unsafe(what: str, name: str, source: str, target: str) -> SignatureMismatchError:
    return SignatureMismatchError(
        f"{what} {name!r} has dtype {source}; the model's signature expects {target}, and "
        f"{source} -> {target} is not a safe cast (it could lose information). Convert it "
        "explicitly if that is intended.",
        column=name,
    )


class ColumnPlan:
    """Conform tabular input to a columns schema (select, reorder, cast)."""

    def __init__(self, schema: Schema, wants: Wants) -> None:
        self.names = [c.name for c in schema.columns]
        self.dtypes = [c.dtype for c in schema.columns]
        self.index = pd.Index(self.names)
        self.to_array = wants == "array"
        uniform = {_numpy_dtype(d) for d in self.dtypes}
        self.uniform: np.dtype | None = uniform.pop() if len(uniform) == 1 else None

    def __call__(self, data: Any) -> Any:
        if type(data) is pd.DataFrame and data.columns.equals(self.index) and self._fast(data):
            return data.to_numpy() if self.to_array else data
        return self.conform(data)

    def _fast(self, frame: pd.DataFrame) -> bool:
        """True when every column already has its expected dtype (checked on the blocks)."""
        if self.uniform is None:
            return False
        try:
            blocks = frame._mgr.blocks
        except AttributeError:  # a pandas without block managers: take the general path
            return False
        uniform = self.uniform
        return all(block.dtype == uniform for block in blocks)

    def conform(self, data: Any) -> Any:
        frame = self._as_frame(data)
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise SignatureMismatchError(
                f"Input is missing column {missing[0]!r} required by the model's signature"
                + (f" (and {len(missing) - 1} more: {missing[1:6]})" if len(missing) > 1 else "")
                + f"; expected columns {self.names}",
                column=missing[0],
            )
        if list(frame.columns) != self.names:
            frame = frame[self.names]
        casts: dict[str, Any] = {}
        dtypes = frame.dtypes.tolist()  # once: indexing a column per check costs microseconds
        for name, dtype, target in zip(self.names, dtypes, self.dtypes, strict=True):
            source = dtype_name(frame[name] if getattr(dtype, "kind", "") == "O" else dtype)
            verdict = cast_verdict(source, target)
            if verdict == "unsafe":
                raise _unsafe("Column", name, source, target)
            if verdict == "cast":
                casts[name] = target
        if casts:
            frame = frame.astype(casts)
        return frame.to_numpy() if self.to_array else frame

    def _as_frame(self, data: Any) -> pd.DataFrame:
        if isinstance(data, pd.DataFrame):
            return data
        if isinstance(data, Mapping):
            missing = [n for n in self.names if n not in data]
            if missing:
                raise SignatureMismatchError(
                    f"Input is missing column {missing[0]!r} required by the model's signature; "
                    f"expected columns {self.names}",
                    column=missing[0],
                )
            values = {n: np.atleast_1d(np.asarray(data[n])) for n in self.names}
            return pd.DataFrame(values)
        if isinstance(data, pd.Series):
            return data.to_frame().T.infer_objects()
        if isinstance(data, list) and data and isinstance(data[0], Mapping):
            return pd.DataFrame.from_records(data)
        array = np.asarray(data)
        if array.ndim == 1 and len(self.names) == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2 or array.shape[1] != len(self.names):
            raise SignatureMismatchError(
                f"Input of shape {array.shape} does not match the model's {len(self.names)} "
                f"columns {self.names}; pass a DataFrame or a dict of columns"
            )
        return pd.DataFrame(array, columns=self.names)


class TensorPlan:
    """Conform array input to one tensor spec (dtype and trailing dimensions)."""

    def __init__(self, spec: TensorSpec, wants: Wants) -> None:
        self.name = spec.name or "input"
        self.target = spec.dtype
        self.dtype = _numpy_dtype(spec.dtype) or np.dtype(object)
        self.shape = spec.shape
        self.ndim = len(spec.shape)
        tail = spec.shape[1:]
        self.width = tail[0] if len(tail) == 1 and tail[0] >= 0 else None
        self.tail_free = len(tail) <= 1 or all(d < 0 for d in tail[1:])

    def __call__(self, data: Any) -> Any:
        if (
            type(data) is np.ndarray
            and data.dtype is self.dtype
            and data.ndim == self.ndim
            and (self.width is None or data.shape[1] == self.width)
            and self.tail_free
        ):
            return data
        return self.conform(data)

    def conform(self, data: Any) -> np.ndarray:
        if isinstance(data, pd.DataFrame):
            if not all(dtype == self.dtype for dtype in data.dtypes):
                self._check_frame(data)
            data = data.to_numpy()
        elif isinstance(data, Mapping):
            if self.name not in data and len(data) != 1:
                raise SignatureMismatchError(
                    f"Input is missing tensor {self.name!r} required by the model's signature",
                    column=self.name,
                )
            data = data.get(self.name, next(iter(data.values())))
        elif hasattr(data, "detach") and hasattr(data, "numpy"):
            data = data.detach().cpu().numpy()
        array = np.asarray(data)
        self._check_shape(array)
        if array.dtype == self.dtype:
            return array
        source = dtype_name(array)
        verdict = cast_verdict(source, self.target)
        if verdict == "unsafe":
            raise _unsafe("Input tensor", self.name, source, self.target)
        return array.astype(self.dtype) if verdict == "cast" else array

    def _check_frame(self, frame: pd.DataFrame) -> None:
        """Name the first column whose dtype cannot feed this tensor."""
        for name in frame.columns:
            source = dtype_name(frame[name])
            if cast_verdict(source, self.target) == "unsafe":
                raise _unsafe("Column", str(name), source, self.target)

    def _check_shape(self, array: np.ndarray) -> None:
        ok = array.ndim == self.ndim and all(
            want < 0 or have == want
            for have, want in zip(array.shape[1:], self.shape[1:], strict=True)
        )
        if not ok:
            expected = "(" + ", ".join("N" if d < 0 else str(d) for d in self.shape) + ")"
            raise SignatureMismatchError(
                f"Input tensor {self.name!r} has shape {array.shape}; the model's signature "
                f"expects {expected}",
                column=self.name,
            )


class TensorsPlan:
    """Conform a dict of arrays (or a DataFrame of 1-wide inputs) to several named tensors."""

    def __init__(self, specs: tuple[TensorSpec, ...]) -> None:
        self.plans = {spec.name or "input": TensorPlan(spec, "array") for spec in specs}

    def __call__(self, data: Any) -> dict[str, np.ndarray]:
        if isinstance(data, pd.DataFrame):
            data = {
                name: data[name].to_numpy().reshape(-1, *([1] if plan.ndim == 2 else []))
                for name, plan in self.plans.items()
                if name in data.columns
            }
        if not isinstance(data, Mapping):
            raise SignatureMismatchError(
                f"This model takes several named inputs {list(self.plans)}: pass a dict of arrays"
            )
        out: dict[str, np.ndarray] = {}
        for name, plan in self.plans.items():
            if name not in data:
                raise SignatureMismatchError(
                    f"Input is missing tensor {name!r} required by the model's signature",
                    column=name,
                )
            out[name] = plan({name: data[name]})
        return out


def compile_plan(schema: Schema | None, wants: Wants) -> Plan:
    """The input conformer for ``schema``; identity when the model has no input schema."""
    if schema is None:
        return _identity
    if schema.kind == "columns":
        return ColumnPlan(schema, wants)
    if len(schema.tensors) == 1:
        return TensorPlan(schema.tensors[0], wants)
    return TensorsPlan(schema.tensors)


def _identity(data: Any) -> Any:
    return data
