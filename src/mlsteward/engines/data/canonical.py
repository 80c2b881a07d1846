"""The canonical Arrow form of a table: one type per logical kind of value.

Two files holding the same logical table (a CSV and a Parquet file written from the same
DataFrame, say) arrive as different physical Arrow types: ``string`` vs ``large_string``,
``int32`` vs ``int64``, ``timestamp[s]`` vs ``timestamp[ns, tz=Europe/Paris]``, dictionary
encoded vs plain. The canonical form erases those differences so the content hash, schema
inference and profiles agree whatever the source.

Decisions (the content hash depends on them; change only with a new hash format version):

* Column names and **column order are significant** (a table is an ordered list of named
  columns, as every file format stores it). Row order is significant too.
* Signed and unsigned integers up to 32 bits become ``int64``; ``uint64`` stays ``uint64``
  because not every value fits ``int64``.
* Floats of any width become ``float64``; **NaN counts as missing** (as in pandas, and because
  CSV cannot tell NaN from an empty field once pandas wrote it).
* Strings of any layout (``string``, ``large_string``, ``string_view``) become ``large_string``;
  binary likewise becomes ``large_binary``; dictionary arrays are decoded to their values.
* Timestamps keep the instant: any unit, with a time zone normalised to ``UTC`` when one is
  present (the zone name is presentation, the instant is content). Naive stays naive.
  ``date64`` becomes ``date32``. Times and durations keep their instant the same way.
* Field nullability flags and schema metadata (e.g. pandas' metadata in Parquet) are ignored.
* Lists become ``large_list`` and structs keep their fields, recursively canonical.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.errors import UnsupportedTypeError

#: Bumped whenever a decision above changes; it is part of every content hash.
CANONICAL_FORMAT_VERSION = 1


def canonical_type(data_type: pa.DataType) -> pa.DataType:
    """Return the canonical Arrow type for ``data_type`` (see the module docstring)."""
    t = data_type
    if pa.types.is_dictionary(t):
        return canonical_type(t.value_type)
    if pa.types.is_boolean(t) or pa.types.is_null(t):
        return t
    if pa.types.is_integer(t):
        return pa.uint64() if t == pa.uint64() else pa.int64()
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_decimal(t):
        return t
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.large_string()
    if (
        pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_binary_view(t)
        or pa.types.is_fixed_size_binary(t)
    ):
        return pa.large_binary()
    if pa.types.is_timestamp(t):
        unit = "ns" if t.unit == "ns" else "us"
        return pa.timestamp(unit, tz="UTC" if t.tz else None)
    if pa.types.is_date(t):
        return pa.date32()
    if pa.types.is_time(t):
        return pa.time64("ns" if t.unit == "ns" else "us")
    if pa.types.is_duration(t):
        return pa.duration("ns" if t.unit == "ns" else "us")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return pa.large_list(pa.field("item", canonical_type(t.value_type)))
    if pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.large_list(pa.field("item", canonical_type(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct(
            [
                pa.field(t.field(i).name, canonical_type(t.field(i).type))
                for i in range(t.num_fields)
            ]
        )
    raise UnsupportedTypeError(f"Arrow type {t} has no canonical form (not supported)")


def canonical_type_name(data_type: pa.DataType) -> str:
    """A stable text name of the canonical type, as it enters the content hash.

    Temporal units are left out on purpose: values are hashed at nanosecond resolution, so
    ``timestamp[s]`` and ``timestamp[ns]`` holding the same instants hash alike.
    """
    t = canonical_type(data_type)
    if pa.types.is_timestamp(t):
        return "timestamp[tz=UTC]" if t.tz else "timestamp"
    if pa.types.is_time(t):
        return "time"
    if pa.types.is_duration(t):
        return "duration"
    if pa.types.is_large_list(t):
        return f"list<{canonical_type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        inner = ", ".join(
            f"{t.field(i).name}: {canonical_type_name(t.field(i).type)}"
            for i in range(t.num_fields)
        )
        return f"struct<{inner}>"
    return str(t)


def canonical_schema(schema: pa.Schema) -> pa.Schema:
    """The schema with canonical types, every field nullable and no metadata."""
    return pa.schema([pa.field(f.name, canonical_type(f.type)) for f in schema])


def canonicalize_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Cast one column to its canonical type, turning float NaN into null."""
    target = canonical_type(array.type)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode() if isinstance(array, pa.Array) else _decode(array)
    if array.type != target:
        array = array.cast(target)
    if pa.types.is_float64(target) and array.null_count < len(array):
        nan = pc.is_nan(array)
        if pc.any(nan).as_py():
            array = pc.if_else(nan, pa.scalar(None, pa.float64()), array)
    return array


def canonicalize_table(table: pa.Table) -> pa.Table:
    """Return ``table`` in canonical form (the representation the content hash describes)."""
    columns = [canonicalize_array(table.column(i)) for i in range(table.num_columns)]
    return pa.Table.from_arrays(columns, schema=canonical_schema(table.schema))


def canonicalize_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Return ``batch`` in canonical form."""
    columns = [canonicalize_array(batch.column(i)) for i in range(batch.num_columns)]
    return pa.RecordBatch.from_arrays(columns, schema=canonical_schema(batch.schema))


def _decode(chunked: pa.ChunkedArray) -> pa.ChunkedArray:
    return pa.chunked_array(
        [chunk.dictionary_decode() for chunk in chunked.chunks], type=chunked.type.value_type
    )


_TYPE_ALIASES = {
    "string": pa.large_string(),
    "str": pa.large_string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "integer": pa.int64(),
    "bool": pa.bool_(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us"),
    "date": pa.date32(),
}


def parse_type(value: pa.DataType | str) -> pa.DataType:
    """An Arrow type from a name: Arrow's aliases (``int64``, ``timestamp[us]``, ...) plus
    friendly ones (``string``, ``float``, ``integer``, ``boolean``, ``datetime``, ``date``)."""
    if isinstance(value, pa.DataType):
        return value
    if value in _TYPE_ALIASES:
        return _TYPE_ALIASES[value]
    try:
        return pa.type_for_alias(value)
    except ValueError:
        raise ValueError(f"unknown column type {value!r}") from None
