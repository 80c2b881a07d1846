"""Content hash of a table, computed streaming over record batches.

The hash describes the table's canonical form (see :mod:`.canonical`), so the same logical
content gets the same id whatever the source format, the physical Arrow types, or how the
rows were cut into batches. It is what makes dataset versions content-addressed.

How it stays independent of batch boundaries: every column is hashed as a few separate byte
streams, each a plain concatenation over rows, so cutting the rows anywhere feeds the same
bytes in the same order:

* ``values``: one fixed-width little-endian value per row (missing rows as zero);
* ``lengths`` and ``data`` for strings, binaries and lists (lengths per row, payload bytes);
* ``nulls``: the global row numbers of missing values (cheap when there are none);
* ``sub_us``: row number and remainder of timestamps finer than a microsecond.

Nested columns hash their children the same way. The final id is SHA-256 over a header
(format version, column names and canonical type names, row count) and the column digests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.arrow_numpy import bool_values, null_mask, values_view
from mlsteward.engines.data.canonical import (
    CANONICAL_FORMAT_VERSION,
    canonical_type,
    canonical_type_name,
)
from mlsteward.engines.data.errors import DataError

_US_PER_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1}


def _zeroed(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``values`` with the null slots (whose contents Arrow leaves undefined) set to zero."""
    if mask is not None:
        values = np.where(mask, 0, values)
    return np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))


class _ColumnDigest:
    """Running digest of one column (or one nested child) over successive arrays."""

    def __init__(self, data_type: pa.DataType) -> None:
        self.kind = canonical_type(data_type)
        self.rows = 0
        self.streams: dict[str, hashlib._Hash] = {}
        self.children: list[_ColumnDigest] = []
        if pa.types.is_large_list(self.kind):
            self.children = [_ColumnDigest(self.kind.value_type)]
        elif pa.types.is_struct(self.kind):
            self.children = [
                _ColumnDigest(self.kind.field(i).type) for i in range(self.kind.num_fields)
            ]

    def _feed(self, stream: str, data: bytes | memoryview | np.ndarray | pa.Buffer) -> None:
        digest = self.streams.get(stream)
        if digest is None:
            digest = self.streams[stream] = hashlib.sha256()
        digest.update(data)  # type: ignore[arg-type]

    def _feed_nulls(self, mask: np.ndarray | None) -> None:
        if mask is None:
            return
        positions = np.flatnonzero(mask).astype("<i8") + self.rows
        if len(positions):
            self._feed("nulls", positions)

    def update(self, array: pa.Array) -> None:
        """Add the rows of ``array`` (any physical type with this column's canonical type)."""
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        kind = self.kind
        n = len(array)
        if pa.types.is_float64(kind):
            self._update_float(array)
        elif pa.types.is_null(kind):
            pass
        else:
            mask = null_mask(array)
            self._feed_nulls(mask)
            if pa.types.is_boolean(kind):
                self._feed("values", bool_values(array).view(np.uint8))
            elif pa.types.is_integer(kind):
                self._update_integer(array, mask)
            elif pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
                self._update_variable(array, mask)
            elif (
                pa.types.is_timestamp(kind) or pa.types.is_time(kind) or pa.types.is_duration(kind)
            ):
                self._update_temporal(array, mask)
            elif pa.types.is_date(kind):
                days = values_view(array.cast(pa.date32())).astype("<i8")
                self._feed("values", _zeroed(days, mask))
            elif pa.types.is_decimal(kind):
                self._update_decimal(array, mask)
            elif pa.types.is_large_list(kind):
                lengths = values_view(pc.list_value_length(array)).astype("<i8")
                self._feed("lengths", _zeroed(lengths, mask))
                self.children[0].update(array.flatten())
            elif pa.types.is_struct(kind):
                for child, values in zip(self.children, array.flatten(), strict=True):
                    child.update(values)
        self.rows += n

    def _update_float(self, array: pa.Array) -> None:
        if array.type != pa.float64():
            array = array.cast(pa.float64())
        values = values_view(array)
        missing = np.isnan(values)
        nulls = null_mask(array)
        if nulls is not None:
            missing |= nulls
        if missing.any():
            self._feed_nulls(missing)
            values = np.where(missing, 0.0, values)
        self._feed("values", np.ascontiguousarray(values, dtype="<f8"))

    def _update_integer(self, array: pa.Array, mask: np.ndarray | None) -> None:
        target = pa.uint64() if self.kind == pa.uint64() else pa.int64()
        if array.type != target:
            array = array.cast(target)
        self._feed("values", _zeroed(values_view(array), mask))

    def _update_variable(self, array: pa.Array, mask: np.ndarray | None) -> None:
        t = array.type
        is_text = pa.types.is_large_string(self.kind)
        if pa.types.is_string_view(t) or pa.types.is_binary_view(t):
            array = array.cast(pa.large_string() if is_text else pa.large_binary())
        elif pa.types.is_fixed_size_binary(t):
            array = array.cast(pa.large_binary())
        offset_type = np.int64 if array.type in (pa.large_string(), pa.large_binary()) else np.int32
        _, offsets_buffer, data_buffer = array.buffers()
        width = np.dtype(offset_type).itemsize
        offsets = np.frombuffer(
            offsets_buffer, dtype=offset_type, count=len(array) + 1, offset=array.offset * width
        )
        lengths = np.diff(offsets).astype("<i8")
        if mask is not None and lengths[mask].any():
            # Null slots backed by bytes (allowed by Arrow, rare): drop those bytes.
            keep = ~mask
            starts = offsets[:-1][keep]
            pieces = [
                memoryview(data_buffer)[int(a) : int(a + n)]
                for a, n in zip(starts, lengths[keep], strict=True)
            ]
            lengths[mask] = 0
            self._feed("lengths", lengths)
            self._feed("data", b"".join(pieces))
            return
        self._feed("lengths", lengths)
        if data_buffer is not None and offsets[-1] > offsets[0]:
            self._feed("data", memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])

    def _update_temporal(self, array: pa.Array, mask: np.ndarray | None) -> None:
        unit = array.type.unit
        ticks = _zeroed(values_view(array).astype("<i8"), mask)
        if unit == "ns":
            micros, remainder = np.divmod(ticks, 1000)
            nonzero = np.flatnonzero(remainder)
            if len(nonzero):
                pairs = np.stack([nonzero + self.rows, remainder[nonzero]], axis=1)
                self._feed("sub_us", np.ascontiguousarray(pairs, dtype="<i8"))
        else:
            micros = ticks * _US_PER_UNIT[unit]
        self._feed("values", np.ascontiguousarray(micros, dtype="<i8"))

    def _update_decimal(self, array: pa.Array, mask: np.ndarray | None) -> None:
        width = array.type.byte_width
        raw = np.frombuffer(
            array.buffers()[1],
            dtype=np.uint8,
            count=len(array) * width,
            offset=array.offset * width,
        ).reshape(-1, width)
        if mask is not None:
            raw = raw.copy()
            raw[mask] = 0
        self._feed("values", np.ascontiguousarray(raw))

    def hexdigest(self) -> str:
        outer = hashlib.sha256()
        outer.update(f"{canonical_type_name(self.kind)}|{self.rows}".encode())
        for name in sorted(self.streams):
            outer.update(f"|{name}:{self.streams[name].hexdigest()}".encode())
        for child in self.children:
            outer.update(f"|child:{child.hexdigest()}".encode())
        return outer.hexdigest()


class TableHasher:
    """Streaming content hash: feed record batches (or tables) in row order, then read it.

    >>> hasher = TableHasher()
    >>> for batch in batches:            # doctest: +SKIP
    ...     hasher.update(batch)
    >>> hasher.hexdigest()               # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._names: list[str] | None = None
        self._type_names: list[str] = []
        self._columns: list[_ColumnDigest] = []
        self.rows = 0

    def update(self, data: pa.RecordBatch | pa.Table, *, threads: int = 1) -> None:
        """Add the rows of ``data``; its schema must match earlier batches canonically.

        With ``threads`` > 1 the columns of a table are digested in parallel (SHA-256 and the
        NumPy work release the GIL); the result is the same.
        """
        names = list(data.schema.names)
        type_names = [canonical_type_name(f.type) for f in data.schema]
        if self._names is None:
            if len(set(names)) != len(names):
                raise DataError(f"duplicate column names cannot be hashed: {names}")
            self._names = names
            self._type_names = type_names
            self._columns = [_ColumnDigest(f.type) for f in data.schema]
        elif names != self._names or type_names != self._type_names:
            raise DataError(
                "batch schema changed mid-stream: "
                f"{list(zip(self._names, self._type_names, strict=True))} then "
                f"{list(zip(names, type_names, strict=True))}"
            )
        if isinstance(data, pa.Table):
            chunked = data.columns
        else:
            chunked = [pa.chunked_array([array]) for array in data.columns]

        def digest(index: int) -> None:
            for chunk in chunked[index].chunks:
                self._columns[index].update(chunk)

        if threads > 1 and len(chunked) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(digest, range(len(chunked))))
        else:
            for index in range(len(chunked)):
                digest(index)
        self.rows += data.num_rows

    def hexdigest(self) -> str:
        """The SHA-256 hex id of everything fed so far."""
        header = {
            "format": f"mlsteward-table/{CANONICAL_FORMAT_VERSION}",
            "columns": [[n, t] for n, t in zip(self._names or [], self._type_names, strict=True)],
            "rows": self.rows,
        }
        outer = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
        for column in self._columns:
            outer.update(column.hexdigest().encode())
        return outer.hexdigest()


def content_hash(data: pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]) -> str:
    """Content hash of a table, a batch, or an iterable of batches (consumed once)."""
    hasher = TableHasher()
    if isinstance(data, pa.Table | pa.RecordBatch):
        hasher.update(data)
    else:
        for batch in data:
            hasher.update(batch)
    return hasher.hexdigest()
