"""NumPy views of Arrow arrays, straight from their buffers.

The hot paths (hashing, profiling, correlation) only need fixed-width values and validity
bits. Reading them from the Arrow buffers gives views without copies and without going
through ``to_numpy``'s pandas compatibility layer, and makes explicit which slots are
undefined (the values under nulls) so callers mask them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _value_dtype(data_type: pa.DataType) -> np.dtype:
    """The NumPy dtype of a fixed-width Arrow type's value buffer."""
    t = data_type
    width = t.bit_width // 8
    if pa.types.is_floating(t):
        return np.dtype(f"<f{width}")
    if pa.types.is_unsigned_integer(t):
        return np.dtype(f"<u{width}")
    if pa.types.is_integer(t) or pa.types.is_temporal(t):
        return np.dtype(f"<i{width}")
    raise TypeError(f"{t} has no fixed-width NumPy equivalent")


def values_view(array: pa.Array) -> np.ndarray:
    """Read-only view of the values of a fixed-width array (slots of nulls are arbitrary)."""
    dtype = _value_dtype(array.type)
    buffer = array.buffers()[1]
    if buffer is None or len(array) == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(
        buffer, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )


def _bits(buffer: pa.Buffer, offset: int, length: int) -> np.ndarray:
    start = offset // 8
    stop = (offset + length + 7) // 8
    raw = np.frombuffer(buffer, dtype=np.uint8, count=stop - start, offset=start)
    bits = np.unpackbits(raw, bitorder="little")
    first = offset - start * 8
    return bits[first : first + length].astype(bool)


def null_mask(array: pa.Array) -> np.ndarray | None:
    """Boolean mask of the null slots, or None when the array has no nulls."""
    if array.null_count == 0:
        return None
    if pa.types.is_null(array.type):
        return np.ones(len(array), dtype=bool)
    validity = array.buffers()[0]
    if validity is None:
        return None
    return ~_bits(validity, array.offset, len(array))


def bool_values(array: pa.Array) -> np.ndarray:
    """The values of a boolean array as NumPy booleans (null slots are False)."""
    if array.null_count:
        array = pc.fill_null(array, False)
    return _bits(array.buffers()[1], array.offset, len(array))


def float_values(data: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric column as float64 with NaN for nulls (a view when nothing needs changing)."""
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    parts = []
    for chunk in chunks:
        if chunk.type != pa.float64():
            chunk = chunk.cast(pa.float64())
        if chunk.null_count:
            chunk = pc.fill_null(chunk, np.nan)
        parts.append(values_view(chunk))
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0)


def present_values(data: pa.Array | pa.ChunkedArray, dtype: type | None = None) -> np.ndarray:
    """The non-null values of a fixed-width column (integers, times) as one array."""
    chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
    parts = []
    for chunk in chunks:
        if chunk.null_count:
            chunk = pc.drop_null(chunk)
        part = values_view(chunk)
        parts.append(part.astype(dtype, copy=False) if dtype is not None else part)
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype or np.int64)
