"""A model's inputs compiled once into slots, so decoding a request costs microseconds.

A *slot* is one named input the model takes: a column (one value per row) or a tensor (rows
of a fixed trailing shape). Every request format decodes into ``{slot name: ndarray}`` whose
first dimension is the row count, with the signature's own numpy dtype; a batch is the rows of
several requests stacked per slot, and :meth:`InputLayout.to_model` turns a batch into what
the model's ``predict`` takes (a DataFrame for columns, built once per batch; the array for a
lone tensor; a dict for several). Nothing here builds a DataFrame per request.

Casts follow the registry's rule (``cast_verdict``): safe widening is applied, anything that
could lose information is refused with a message naming the input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.input_plan import cast_verdict
from mlsteward.engines.models.signature import Schema
from mlsteward.engines.serving.datatypes import (
    DATATYPES,
    OIP_TO_NUMPY,
    oip_datatype,
    signature_numpy_dtype,
)

LayoutKind = Literal["columns", "tensor", "tensors"]
Batch = dict[str, np.ndarray]


@dataclass(frozen=True)
class Slot:
    """One input: its name, signature dtype, numpy dtype, OIP datatype and trailing shape."""

    name: str
    sig_dtype: str
    dtype: np.dtype
    datatype: str
    tail: tuple[int, ...] = ()
    #: declared OIP datatype -> "same" / "cast" / "unsafe" (decided once, not per request)
    verdicts: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> list[int]:
        """The OIP shape (``-1`` for the batch and any free dimension)."""
        return [-1, *self.tail]


def _slot(name: str, sig_dtype: str, tail: tuple[int, ...]) -> Slot:
    dtype = signature_numpy_dtype(sig_dtype)
    verdicts = {
        datatype: cast_verdict(
            "string" if datatype == "BYTES" else OIP_TO_NUMPY[datatype].name, sig_dtype
        )
        for datatype in DATATYPES
    }
    return Slot(name, sig_dtype, dtype, oip_datatype(sig_dtype), tail, verdicts)


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message)


class InputLayout:
    """The slots of one model signature and the conversions between them and requests."""

    def __init__(self, schema: Schema) -> None:
        self.kind: LayoutKind
        if schema.kind == "columns":
            self.kind = "columns"
            slots = [_slot(c.name, c.dtype, ()) for c in schema.columns]
        else:
            self.kind = "tensor" if len(schema.tensors) == 1 else "tensors"
            slots = [_slot(t.name or "input", t.dtype, tuple(t.shape[1:])) for t in schema.tensors]
        self.slots: dict[str, Slot] = {s.name: s for s in slots}
        self.names = list(self.slots)
        #: a lone tensor without a name takes an input of any name
        self.any_name = self.kind == "tensor" and schema.tensors[0].name is None

    # -- naming ------------------------------------------------------------------------------
    def slot_for(self, name: str) -> Slot | None:
        """The slot an input named ``name`` feeds (None: the model has no such input)."""
        slot = self.slots.get(name)
        if slot is None and self.any_name:
            return self.slots[self.names[0]]
        return slot

    def slot_named(self, name: str) -> Slot:
        """The slot for ``name`` (after :meth:`check_names`), else a 400 naming it."""
        slot = self.slot_for(name)
        if slot is None:
            raise _bad(f"unknown input {name!r}: the model takes {self.names}")
        return slot

    def check_names(self, given: Sequence[str]) -> None:
        """Refuse missing and extra inputs, naming them all."""
        if self.any_name and len(given) == 1:
            return
        missing = [n for n in self.names if n not in given]
        extra = [n for n in given if n not in self.slots]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing input(s) {missing}")
            if extra:
                parts.append(f"unknown input(s) {extra}")
            raise _bad(f"{'; '.join(parts)}: the model takes {self.names}")

    # -- values ------------------------------------------------------------------------------
    def typed(self, slot: Slot, data: Any, datatype: str, shape: Sequence[int]) -> np.ndarray:
        """Values sent with a declared OIP ``datatype`` and ``shape``, as the slot's array."""
        verdict = slot.verdicts.get(datatype)
        if verdict is None:
            raise _bad(f"input {slot.name!r}: unknown datatype {datatype!r}; one of {DATATYPES}")
        if verdict == "unsafe":
            raise _bad(
                f"input {slot.name!r} has datatype {datatype}; the model expects {slot.datatype} "
                f"and {datatype} -> {slot.datatype} could lose information"
            )
        array = decode_values(data, OIP_TO_NUMPY[datatype], slot.name, datatype)
        size = 1
        for dim in shape:
            size *= dim
        if array.size != size:
            raise _bad(
                f"input {slot.name!r}: shape {list(shape)} holds {size} values, data has "
                f"{array.size}"
            )
        if array.shape != tuple(shape):
            array = array.reshape(shape)
        if verdict == "cast":
            array = array.astype(slot.dtype)
        return self.fit_shape(slot, array)

    def values(self, slot: Slot, values: Any) -> np.ndarray:
        """Untyped JSON values (MLflow formats, CSV) as the slot's array."""
        array = decode_values(values, slot.dtype, slot.name, slot.datatype)
        return self.fit_shape(slot, array)

    def fit_shape(self, slot: Slot, array: np.ndarray) -> np.ndarray:
        """The array with the slot's shape: a column is 1-D ((N, 1) is flattened)."""
        if not slot.tail:
            if array.ndim == 2 and array.shape[1] == 1:
                return array.reshape(-1)
            if array.ndim != 1:
                raise _bad(
                    f"input {slot.name!r} has shape {list(array.shape)}; a column takes [N] "
                    "or [N, 1]"
                )
            return array
        tail = array.shape[1:]
        ok = array.ndim == len(slot.tail) + 1 and all(
            want < 0 or have == want for have, want in zip(tail, slot.tail, strict=True)
        )
        if not ok:
            expected = ["N", *("N" if d < 0 else d for d in slot.tail)]
            raise _bad(
                f"input {slot.name!r} has shape {list(array.shape)}; the model expects {expected}"
            )
        return array

    def split_matrix(self, array: np.ndarray, name: str) -> Batch:
        """A 2-D array whose columns are the model's columns, in signature order."""
        if array.ndim != 2 or array.shape[1] != len(self.names):
            raise _bad(
                f"input {name!r} has shape {list(array.shape)}; as one tensor it must be "
                f"[N, {len(self.names)}] for the model's columns {self.names}"
            )
        out: Batch = {}
        for index, slot in enumerate(self.slots.values()):
            column = array[:, index]
            out[slot.name] = self.values(slot, column) if column.dtype != slot.dtype else column
        return out

    def rows(self, batch: Batch) -> int:
        """The row count every input agrees on (refused when they differ)."""
        counts = {len(a) for a in batch.values()}
        if len(counts) != 1:
            raise _bad(f"inputs have different row counts: {sorted(counts)}")
        return counts.pop()

    # -- model side --------------------------------------------------------------------------
    def to_model(self, batch: Batch) -> Any:
        """What ``predict`` takes for these rows (one DataFrame per batch for columns)."""
        if self.kind == "columns":
            return pd.DataFrame({n: batch[n] for n in self.names}, copy=False)
        if self.kind == "tensor":
            return batch[self.names[0]]
        return {n: batch[n] for n in self.names}

    def zero_batch(self) -> Batch:
        """One row of zeros (empty text), to warm a model that has no input example."""
        out: Batch = {}
        for slot in self.slots.values():
            shape = (1, *(max(d, 1) for d in slot.tail))
            if slot.dtype.kind == "O":
                out[slot.name] = np.full(shape, "", dtype=object)
            else:
                out[slot.name] = np.zeros(shape, dtype=slot.dtype)
        return out

    def metadata(self) -> list[dict[str, Any]]:
        """OIP tensor metadata of the inputs (columns are ``[-1]`` tensors)."""
        return [
            {"name": s.name, "datatype": s.datatype, "shape": s.shape} for s in self.slots.values()
        ]


def concat(batches: Sequence[Batch]) -> Batch:
    """Several requests' rows stacked per input (the batch the model sees)."""
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    return {name: np.concatenate([b[name] for b in batches]) for name in first}


def decode_values(data: Any, target: np.dtype, name: str, label: str) -> np.ndarray:
    """JSON values as an array of ``target``, refusing values of another kind.

    Numbers are checked by kind (a float never becomes an integer, a number never text) and
    integers by range, so nothing is silently rounded or wrapped.
    """
    if isinstance(data, np.ndarray):
        array = data
    else:
        try:
            array = np.asarray(data)
        except ValueError as error:  # ragged nested lists
            raise _bad(f"input {name!r}: data is not a regular array ({error})") from None
    kind = array.dtype.kind
    if target.kind == "O":
        if kind == "U":
            return array.astype(object)
        if kind == "O" and all(isinstance(v, str) for v in array.flat):
            return array
        if array.size == 0:
            return array.astype(object)
        raise _bad(f"input {name!r}: {label} takes text values")
    if kind == "O":
        array = _objects_to_numbers(array, target, name, label)
        kind = array.dtype.kind
    if target.kind == "b":
        if kind != "b" and array.size:
            raise _bad(f"input {name!r}: {label} takes true/false values")
    elif target.kind in "iu":
        if kind not in "iu" and array.size:
            array = _big_integers(data, target, name, label, kind)
        if array.size and array.dtype != target:
            info = np.iinfo(target)
            if array.min() < info.min or array.max() > info.max:
                raise _bad(
                    f"input {name!r}: a value is outside {label}'s range {info.min}..{info.max}"
                )
    elif target.kind == "f":
        if kind not in "iuf" and array.size:
            raise _bad(f"input {name!r}: {label} takes numbers, got {_kind_name(kind)} values")
    elif target.kind in "mM":
        try:
            return array.astype(target)
        except (ValueError, TypeError):
            raise _bad(f"input {name!r}: {label} takes ISO 8601 date-times") from None
    return array if array.dtype == target else array.astype(target)


def _objects_to_numbers(array: np.ndarray, target: np.dtype, name: str, label: str) -> np.ndarray:
    """Mixed JSON numbers with nulls: nulls become NaN for floats, refused elsewhere."""
    values = list(array.flat)
    if any(isinstance(v, str | bool | list | dict) for v in values):
        raise _bad(f"input {name!r}: {label} takes numbers only")
    if target.kind != "f" and any(v is None for v in values):
        raise _bad(f"input {name!r}: {label} does not take null values")
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64).reshape(
        array.shape
    )


def _big_integers(data: Any, target: np.dtype, name: str, label: str, kind: str) -> np.ndarray:
    """Integers beyond int64 (numpy reads them as floats or objects): exact, or refused."""
    values = np.asarray(data, dtype=object)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values.flat):
        raise _bad(f"input {name!r}: {label} takes integers, got {_kind_name(kind)} values")
    try:
        return np.array(values.tolist(), dtype=target)
    except OverflowError:
        info = np.iinfo(target)
        raise _bad(
            f"input {name!r}: a value is outside {label}'s range {info.min}..{info.max}"
        ) from None


def _kind_name(kind: str) -> str:
    return {"b": "boolean", "f": "fractional", "U": "text", "O": "mixed"}.get(kind, "other")


def as_columns(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    """Records (one dict per row) as columns; every record must have the same keys."""
    keys = list(records[0]) if records else list(names)
    out: dict[str, list[Any]] = {k: [] for k in keys}
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise _bad(f"record {index} is not an object")
        if len(record) != len(keys) or any(k not in record for k in keys):
            raise _bad(f"record {index} has keys {sorted(record)}; record 0 has {sorted(keys)}")
        for key in keys:
            out[key].append(record[key])
    return out
