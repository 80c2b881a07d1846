"""Turn Python rows (from SQL cursors, JSON documents) into batches with one stable schema.

A stream must keep one schema from its first batch to its last, yet rows from a database or
an API carry no Arrow types. The batcher infers them, but holds the first ``inference_rows``
rows back (bounded memory) and settles the schema over all of them: integer columns that
later show fractions become floats, all-null columns take the type of their first values,
and fields that first appear late are included. After it, every value must fit the
settled type (or an explicitly given schema); one that does not raises
:class:`MixedTypesError` naming the column, the value and its position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from mlsteward.engines.data.arrow_errors import ARROW_CONVERSION_ERRORS
from mlsteward.engines.data.errors import MixedTypesError, SourceError

PositionKind = str  # "line" or "record": how positions are reported in errors


class RecordBatcher:
    """Accumulates rows, settles a schema, and emits record batches that all share it."""

    def __init__(
        self,
        *,
        source: str,
        schema: pa.Schema | None = None,
        inference_rows: int = 100_000,
        position_kind: PositionKind = "record",
    ) -> None:
        self.source = source
        self.schema = schema
        self.inference_rows = inference_rows
        self.position_kind = position_kind
        self._held: list[tuple[pa.Table, Sequence[int]]] = []
        self._held_rows = 0
        self._emitted = False

    def add_records(
        self, records: Sequence[dict[str, Any]], positions: Sequence[int]
    ) -> list[pa.RecordBatch]:
        """Add rows given as dicts (keys are column names; absent keys are missing values).

        ``positions`` gives each row's line or record number, used in error messages.
        """
        names = list(dict.fromkeys(key for record in records for key in record))
        columns = [[record.get(name) for record in records] for name in names]
        return self.add_columns(names, columns, positions)

    def add_columns(
        self, names: Sequence[str], columns: Sequence[Sequence[Any]], positions: Sequence[int]
    ) -> list[pa.RecordBatch]:
        """Add rows given column-wise; returns the batches that became ready."""
        arrays = [
            self._infer(name, values, positions)
            for name, values in zip(names, columns, strict=True)
        ]
        table = pa.Table.from_arrays(arrays, names=list(names))
        if self.schema is None:
            self._held.append((table, positions))
            self._held_rows += table.num_rows
            if self._held_rows >= self.inference_rows:
                return self._release()
            return []
        batches = self._conform(table, positions).to_batches()
        self._emitted = self._emitted or bool(batches)
        return batches

    def finish(self, names: Sequence[str] = ()) -> list[pa.RecordBatch]:
        """Flush held rows. If no batch was ever emitted, returns one empty batch so the
        consumer still learns the schema (``names`` give columns of an empty result)."""
        batches = self._release() if self.schema is None and self._held else []
        if self.schema is None:
            self.schema = pa.schema([(name, pa.null()) for name in names])
        if not batches and not self._emitted:
            batches = [pa.RecordBatch.from_pylist([], schema=self.schema)]
        self._emitted = True
        return batches

    def _release(self) -> list[pa.RecordBatch]:
        schemas = [table.schema for table, _ in self._held]
        try:
            self.schema = pa.unify_schemas(schemas, promote_options="permissive")
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            self.schema = self._first_conflict(schemas)
        held, self._held, self._held_rows = self._held, [], 0
        batches: list[pa.RecordBatch] = []
        for table, positions in held:
            batches.extend(self._conform(table, positions).to_batches())
        self._emitted = self._emitted or bool(batches)
        return batches

    def _first_conflict(self, schemas: list[pa.Schema]) -> pa.Schema:
        """Raise for the first column whose held chunks disagree irreconcilably."""
        types: dict[str, pa.DataType] = {}
        for (table, positions), schema in zip(self._held, schemas, strict=True):
            for field in schema:
                known = types.get(field.name)
                if known is None or pa.types.is_null(known):
                    types[field.name] = field.type
                    continue
                try:
                    pa.unify_schemas(
                        [pa.schema([(field.name, known)]), pa.schema([field])],
                        promote_options="permissive",
                    )
                except (pa.ArrowTypeError, pa.ArrowInvalid):
                    values = table.column(field.name).to_pylist()
                    index = next(i for i, v in enumerate(values) if v is not None)
                    raise self._error(
                        field.name, str(known), values[index], positions[index]
                    ) from None
        raise SourceError("rows have irreconcilable column types", source=self.source)

    def _conform(self, table: pa.Table, positions: Sequence[int]) -> pa.Table:
        if self.schema is None:
            raise RuntimeError("rows conformed before their schema was settled")
        extra = [name for name in table.column_names if self.schema.get_field_index(name) < 0]
        if extra:
            values = table.column(extra[0]).to_pylist()
            index = next((i for i, v in enumerate(values) if v is not None), 0)
            raise SourceError(
                f"field {extra[0]!r} is not in the schema "
                f"({', '.join(self.schema.names)}) settled from the first rows; "
                "pass an explicit schema that includes it",
                source=self.source,
                **{self.position_kind: positions[index]},
            )
        arrays = []
        for field in self.schema:
            if field.name not in table.column_names:
                arrays.append(pa.nulls(table.num_rows, field.type))
                continue
            column = table.column(field.name)
            if column.type != field.type:
                column = self._cast(field, column, positions)
            arrays.append(column)
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def _cast(
        self, field: pa.Field, column: pa.ChunkedArray, positions: Sequence[int]
    ) -> pa.ChunkedArray:
        try:
            return column.cast(field.type, safe=True)
        except ARROW_CONVERSION_ERRORS:
            pass
        values = column.to_pylist()
        for index, value in enumerate(values):
            if value is None:
                continue
            try:
                pa.array([value]).cast(field.type, safe=True)
            except ARROW_CONVERSION_ERRORS:
                raise self._error(field.name, str(field.type), value, positions[index]) from None
        raise self._error(field.name, str(field.type), values[0], positions[0])

    def _infer(self, name: str, values: Sequence[Any], positions: Sequence[int]) -> pa.Array:
        # Always infer from the values and cast safely afterwards: pa.array(values, type=...)
        # would silently truncate 1.5 to an integer column's 1.
        try:
            array = pa.array(values)
            if pa.types.is_decimal128(array.type) and array.type.precision < 38:
                # Inferred precision fits these values only; later rows may be wider.
                array = array.cast(pa.decimal128(38, array.type.scale))
            return array
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            first = next(v for v in values if v is not None)
            expected = type(first).__name__
            for index, value in enumerate(values):
                if value is None or isinstance(value, type(first)):
                    continue
                if isinstance(first, int | float) and isinstance(value, int | float):
                    continue
                raise self._error(name, expected, value, positions[index]) from None
            raise SourceError(f"cannot convert column {name!r}", source=self.source) from None

    def _error(self, column: str, expected: str, value: Any, position: int) -> MixedTypesError:
        return MixedTypesError(
            column,
            expected,
            value,
            source=self.source,
            hint="pass an explicit schema if the column really holds several kinds of values",
            **{self.position_kind: position},
        )
