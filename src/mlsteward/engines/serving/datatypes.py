"""Open Inference Protocol datatypes and how they map to numpy and to signature dtypes."""

from __future__ import annotations

import numpy as np

#: OIP datatype -> the numpy dtype its values decode to (BYTES: Python ``str`` objects).
OIP_TO_NUMPY: dict[str, np.dtype] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(object),
}
DATATYPES = tuple(OIP_TO_NUMPY)
_NUMPY_TO_OIP = {dtype: name for name, dtype in OIP_TO_NUMPY.items() if name != "BYTES"}

#: Signature dtypes that hold text (or other objects): they travel as BYTES.
TEXT_DTYPES = frozenset({"string", "object", "category", "binary"})


def oip_datatype(dtype: str | np.dtype) -> str:
    """The OIP datatype for a signature dtype name or a numpy dtype (text and dates: BYTES)."""
    try:
        np_dtype = np.dtype(dtype)
    except TypeError:
        return "BYTES"
    return _NUMPY_TO_OIP.get(np_dtype, "BYTES")


def signature_numpy_dtype(dtype: str) -> np.dtype:
    """The numpy dtype a signature column or tensor holds (object for text and unknowns)."""
    if dtype in TEXT_DTYPES:
        return np.dtype(object)
    try:
        np_dtype = np.dtype(dtype)
    except TypeError:
        return np.dtype(object)
    return np_dtype if np_dtype.kind in "biufmM" else np.dtype(object)
