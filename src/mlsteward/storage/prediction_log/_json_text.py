"""The JSON text of records' inputs or outputs, numeric arrays formatted by Arrow in bulk.

The log's files kept inputs and outputs as this text before they kept tensors' bytes (see
:mod:`._tensors`, which still stores values that are not numbers with :func:`to_json`);
:func:`columns_texts` makes that text for whoever wants it from many records at once.

The stdlib encoder formats a float in about 0.7 µs (a float32 value read as a float64 needs
17 digits), so a request of 100 rows x 20 features costs the writer's thread, which shares
the GIL with the data plane, 1.4 ms, and a flush of 5,000 one-row requests holds the GIL for
about 100 ms (a p99 spike for every request then in flight). Arrow's cast of a numeric array
to text formats the same shortest round-trip digits in C++ without a Python object per value
and without holding the GIL, and the nesting is built by joining on Arrow lists: a handful of
calls per group of alike records, not per record. The text parses to exactly what
``json.loads(json.dumps(array.tolist()))`` gives: the same numbers (floats keep a ``.0`` so
they read back as floats), the same nesting. Anything else (lists, text, NaN or infinities,
three or more dimensions, small groups where Arrow's per-call cost is higher than the
stdlib's) goes through the stdlib encoder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Below this many values in a group the stdlib is faster than Arrow's few calls.
MIN_ARROW_VALUES = 256

_encoder = json.JSONEncoder(separators=(",", ":"), default=lambda value: _plain(value))


def _plain(value: Any) -> Any:
    """numpy scalars and arrays, bytes and anything else JSON lacks, as JSON can hold them."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def to_json(value: Any) -> str:
    """``value`` as compact JSON text (numpy values as their ``tolist()``)."""
    return _encoder.encode(value)


def columns_json(columns: Mapping[str, Any]) -> str:
    """``{"name": values, ...}`` as JSON text (see :func:`columns_texts`)."""
    return columns_texts([columns])[0]


def columns_texts(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The JSON text of each ``{"name": values, ...}``, numeric arrays formatted by Arrow.

    Records whose values are all finite numeric arrays of one or two dimensions are grouped
    by names, kinds and widths; each group's arrays are stacked and formatted in a handful of
    Arrow calls, however many records it has (a flush of 5,000 one-row requests included).
    The rest, and groups of fewer values than :data:`MIN_ARROW_VALUES`, take the stdlib.
    """
    texts: list[str | None] = [None] * len(records)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, columns in enumerate(records):
        key = _group_key(columns)
        if key is None:
            texts[index] = to_json(columns)
        else:
            groups.setdefault(key, []).append(index)
    for key, members in groups.items():
        values = sum(records[i][name].size for i in members for name, *_ in key)
        if values < MIN_ARROW_VALUES:
            for i in members:
                texts[i] = to_json(records[i])
            continue
        for i, text in zip(members, _group_texts([records[i] for i in members], key), strict=True):
            texts[i] = text
    return cast(list[str], texts)


def _group_key(columns: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """(name, kind, ndim, width) per value when every value fits Arrow's path, else None."""
    key = []
    for name, values in columns.items():
        if not (
            isinstance(name, str)
            and isinstance(values, np.ndarray)
            and values.dtype.kind in _KINDS
            and values.ndim in (1, 2)
            and (values.ndim == 1 or values.shape[1] > 0)
            and (values.dtype.kind != "f" or bool(np.isfinite(values).all()))
        ):
            return None
        key.append((name, _KINDS[values.dtype.kind], values.ndim, values.shape[1:]))
    return tuple(key) if key else None


_KINDS = {"f": np.float64, "i": np.int64, "u": np.uint64, "b": np.bool_}


def _group_texts(members: Sequence[Mapping[str, Any]], key: tuple[Any, ...]) -> list[str]:
    pieces: list[Any] = []
    for position, (name, wide, ndim, tail) in enumerate(key):
        arrays = [np.asarray(columns[name]) for columns in members]
        counts = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        flat = np.concatenate([a.reshape(-1) for a in arrays]).astype(wide, copy=False)
        values = _formatted(flat)
        if ndim == 2:  # rows first: "[v,v,...]" each
            offsets = np.arange(0, flat.size + 1, tail[0], dtype=np.int64)
            values = pc.binary_join(pa.LargeListArray.from_arrays(offsets, values), _text(","))
            values = pc.binary_join_element_wise(_text("["), values, _text("]"), _text(""))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        per_record = pc.binary_join(pa.LargeListArray.from_arrays(offsets, values), _text(","))
        lead = ("{" if position == 0 else ",") + to_json(name) + ":["
        pieces += [_text(lead), per_record, _text("]")]
    pieces.append(_text("}"))
    joined = pc.binary_join_element_wise(*pieces, _text(""))
    return cast(list[str], joined.to_pylist())


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _formatted(flat: np.ndarray) -> pa.Array:
    """Each value's JSON text; floats as their float64 shortest digits, always with a point
    or an exponent (``3.0``, not ``3``), so they read back as floats."""
    texts = pc.cast(pa.array(flat), pa.large_string())
    if flat.dtype.kind == "f":
        integral = np.floor(flat) == flat
        if integral.any():
            mask = pa.array(integral)
            plain = texts.filter(mask)  # "1e+16" reads as a float already
            fixed = pc.if_else(
                pc.match_substring(plain, "e"),
                plain,
                pc.binary_join_element_wise(plain, _text(".0"), _text("")),
            )
            texts = pc.replace_with_mask(texts, mask, fixed)
    return texts
