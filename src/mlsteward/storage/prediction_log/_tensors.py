"""Records' inputs and outputs as tensors: name, Open Inference Protocol datatype, shape and
the values' raw little-endian bytes.

Formatting float32 values as JSON text costs the writer's thread (which shares the GIL with
the data plane) about 0.7 ms for a request of 100 rows x 20 features; copying their bytes
costs a microsecond, and keeps every bit (a float32 stays a float32, NaN and infinities
included). A numeric or boolean numpy array is stored as it is; a Python list that is plainly
numeric (all floats, all ints or all bools, in one or two dimensions) as the array numpy makes
of it, which reads back as the same list. Anything else (text, objects, ragged or mixed lists)
keeps its JSON text under the datatype ``JSON``. The tensor list is built for a whole batch of
records at once, in a handful of Arrow calls.

Decoding trusts nothing it reads: a datatype it does not know, a negative or absurd shape, or
data whose length is not the shape's size times the item size is a ``ValueError``, never a
reshape of whatever bytes were there.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.engines.serving.datatypes import OIP_TO_NUMPY
from mlsteward.storage.prediction_log._json_text import to_json

#: The datatype of a column kept as its JSON text (UTF-8).
JSON_DATATYPE = "JSON"
#: OIP datatype -> the little-endian dtype its bytes hold (BYTES travels as JSON here).
DTYPES: dict[str, np.dtype] = {
    name: dtype.newbyteorder("<") for name, dtype in OIP_TO_NUMPY.items() if name != "BYTES"
}
_DATATYPE_OF = {dtype: name for name, dtype in DTYPES.items()}
#: The most dimensions a stored tensor may claim (numpy's own limit is 64).
MAX_DIMENSIONS = 32
TENSOR_TYPE = pa.list_(
    pa.struct(
        [
            pa.field("name", pa.string()),
            pa.field("datatype", pa.string()),
            pa.field("shape", pa.list_(pa.int64())),
            pa.field("data", pa.binary()),
        ]
    )
)
_PLAIN_TYPES = {float: np.float64, int: np.int64, bool: np.bool_}


def tensors_array(records: Sequence[Mapping[Any, Any]]) -> pa.Array:
    """One list of tensors per ``{name: values}`` of ``records``, built in bulk."""
    offsets = [0]
    names: list[str] = []
    datatypes: list[str] = []
    shape_offsets = [0]
    shapes: list[int] = []
    datas: list[bytes] = []
    for columns in records:
        for name, values in columns.items():
            datatype, shape, data = encoded(values)
            names.append(name if isinstance(name, str) else str(name))
            datatypes.append(datatype)
            shapes.extend(shape)
            shape_offsets.append(len(shapes))
            datas.append(data)
        offsets.append(len(names))
    element_type = TENSOR_TYPE.value_type
    shape_array = pa.ListArray.from_arrays(
        pa.array(shape_offsets, pa.int32()), pa.array(shapes, pa.int64())
    )
    elements = pa.StructArray.from_arrays(
        [
            pa.array(names, pa.string()),
            pa.array(datatypes, pa.string()),
            shape_array,
            pa.array(datas, pa.binary()),
        ],
        fields=list(element_type),
    )
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), elements, type=TENSOR_TYPE)


def encoded(values: Any) -> tuple[str, Sequence[int], bytes]:
    """``(datatype, shape, data)`` of one column's values (see the module docstring)."""
    if isinstance(values, np.ndarray):
        datatype = _DATATYPE_OF.get(values.dtype)
        if datatype is not None:
            return datatype, values.shape, values.tobytes()
        little = values.dtype.newbyteorder("<") if values.dtype.kind in "biuf" else None
        datatype = _DATATYPE_OF.get(little) if little is not None else None
        if datatype is not None:  # a big-endian array: its values, little-endian
            return datatype, values.shape, values.astype(little).tobytes()
        return JSON_DATATYPE, values.shape, to_json(values).encode()
    if isinstance(values, list | tuple):
        array = plain_array(values)
        if array is not None:
            return encoded(array)
        return JSON_DATATYPE, (len(values),), to_json(values).encode()
    return JSON_DATATYPE, (), to_json(values).encode()


def plain_array(values: Sequence[Any]) -> np.ndarray | None:
    """``values`` as an array when its ``tolist()`` gives ``values`` back (as JSON would): a
    list of floats, of ints within int64 or of bools, or a list of equally long such lists.
    None for anything else."""
    if not values:
        return None  # no element says which type: JSON's "[]" is as short
    first = values[0]
    if type(first) in _PLAIN_TYPES:
        items: Any = values
        kind = type(first)
        rows = None
    elif type(first) in (list, tuple) and first and type(first[0]) in _PLAIN_TYPES:
        width = len(first)
        if any(type(row) not in (list, tuple) or len(row) != width for row in values):
            return None
        items = list(itertools.chain.from_iterable(values))
        kind = type(first[0])
        rows = len(values)
    else:
        return None
    if any(type(item) is not kind for item in items):
        return None
    try:
        array: np.ndarray = np.array(items, dtype=_PLAIN_TYPES[kind])
    except OverflowError:  # an int beyond int64
        return None
    return array if rows is None else array.reshape(rows, -1)


# decoding ------------------------------------------------------------------------------------
def decoded(datatype: str, shape: Sequence[int], data: Any) -> Any:
    """The values one tensor holds: an array of its shape, or the parsed JSON value.

    ``data`` is any bytes-like object. ``ValueError`` when the datatype is unknown, the shape
    is not a list of non-negative sizes, or ``data`` is not exactly the bytes the shape needs.
    """
    if datatype == JSON_DATATYPE:
        try:
            return json.loads(bytes(data))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"a JSON tensor whose data is not JSON text: {error}") from None
    dtype = DTYPES.get(datatype)
    if dtype is None:
        raise ValueError(f"a tensor of unknown datatype {str(datatype)[:40]!r}")
    dims = checked_shape(shape)
    needed = math.prod(dims) * dtype.itemsize
    size = memoryview(data).nbytes
    if size != needed:
        raise ValueError(
            f"a {datatype} tensor of shape {list(dims)[:8]} needs {needed} bytes, "
            f"its data holds {size}"
        )
    return np.frombuffer(data, dtype=dtype).reshape(dims)


def checked_shape(shape: Any) -> tuple[int, ...]:
    """``shape`` as a tuple of sizes, or ``ValueError`` (negative, not whole, too many)."""
    if type(shape) not in (list, tuple) or len(shape) > MAX_DIMENSIONS:
        raise ValueError(f"a tensor shape must list at most {MAX_DIMENSIONS} sizes")
    for size in shape:
        if type(size) is not int or size < 0:  # bool and numpy ints: not from Arrow
            raise ValueError(f"a tensor shape must list sizes of 0 or more: {list(shape)[:8]}")
    return tuple(shape)


def as_plain(value: Any) -> Any:
    """A decoded value as the record holds it: arrays as their ``tolist()``."""
    return value.tolist() if isinstance(value, np.ndarray) else value


def columns_of(tensors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{name: values}`` of one record's tensors (as ``to_pylist`` gives them)."""
    return {
        str(tensor["name"]): as_plain(
            decoded(tensor["datatype"], tensor["shape"] or (), tensor["data"] or b"")
        )
        for tensor in tensors
    }


Tensor = tuple[str, str, tuple[int, ...], Any]


def decoded_lists(column: pa.ChunkedArray | pa.Array) -> list[list[Tensor] | None]:
    """Each row's tensors as ``(name, datatype, shape, values)`` (None for a null row, as
    files written before the tensor columns read), the values as arrays viewing Arrow's
    buffers (numeric) or parsed JSON."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    rows: list[list[Tensor] | None] = []
    for chunk in chunks:
        if not len(chunk):
            continue
        valid = chunk.is_valid().to_pylist()
        offsets = chunk.offsets.to_pylist()
        names, datatypes, shapes, datas = chunk.values.flatten()
        name_list = names.to_pylist()
        datatype_list = datatypes.to_pylist()
        shape_list = shapes.to_pylist()
        payload, data_offsets = _binary_buffers(datas)
        for index in range(len(chunk)):
            if not valid[index]:
                rows.append(None)
                continue
            tensors = []
            for at in range(offsets[index], offsets[index + 1]):
                data = payload[data_offsets[at] : data_offsets[at + 1]]
                values = decoded(datatype_list[at], shape_list[at] or (), data)
                shape = values.shape if isinstance(values, np.ndarray) else ()
                tensors.append((str(name_list[at]), datatype_list[at], shape, values))
            rows.append(tensors)
    return rows


def _binary_buffers(array: pa.Array) -> tuple[memoryview, list[int]]:
    """The bytes (not copied) and the ``len + 1`` offsets of a binary array."""
    _, offset_buffer, data_buffer = array.buffers()
    if offset_buffer is None:  # an empty array may have no buffers at all
        return memoryview(b""), [0] * (len(array) + 1)
    offsets = np.frombuffer(offset_buffer, dtype=np.int32)[array.offset :][: len(array) + 1]
    payload = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    return payload, offsets.tolist()
