"""CSV source: Arrow's fast parser over line-aligned chunks, with exact line numbers.

Arrow's streaming CSV reader does not tell on which line a bad row or a bad value sits, so
this source cuts the file itself (see :mod:`.line_chunks`) and parses one chunk at a time with
the column names and types fixed by the first chunk. Knowing where each chunk starts turns
every problem into a line number:

* a row with the wrong number of fields: :class:`MalformedRowError`, or skipped and listed
  in :attr:`CsvSource.bad_rows` with ``on_bad_rows="skip"``;
* a value that does not fit its column's type (``"abc"`` in a column inferred as integers from
  the first chunk): :class:`MixedTypesError` with the line, the value and a hint to declare
  ``column_types``;
* bytes that are not text in ``encoding``: :class:`DecodingError`; an empty file:
  :class:`EmptySourceError`.

Empty fields are missing values for every type, strings included (as in pandas).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from mlsteward.engines.data.canonical import parse_type
from mlsteward.engines.data.errors import (
    BadRow,
    EmptySourceError,
    MalformedRowError,
    MixedTypesError,
    SourceError,
    require_columns,
)
from mlsteward.engines.data.progress import ProgressCallback, ProgressTracker
from mlsteward.engines.data.sources.base import (
    BatchSource,
    FileInput,
    input_name,
    truncate,
    validate_policy,
)
from mlsteward.engines.data.sources.line_chunks import (
    LineChunk,
    check_ascii_compatible,
    input_size,
    iter_line_chunks,
    open_binary,
    to_utf8,
)

_CONVERSION_ERROR = re.compile(
    r"column #(?P<index>\d+).*?conversion error to (?P<type>[^:]+): "
    r"invalid value '(?P<value>.*)'",
    re.DOTALL,
)
_DEFAULT_BLOCK_SIZE = 8 << 20


class CsvSource(BatchSource):
    """Stream a delimited text file as record batches of roughly ``block_size`` bytes each."""

    kind = "csv"

    def __init__(
        self,
        source: FileInput,
        *,
        delimiter: str = ",",
        quote_char: str | None = '"',
        encoding: str = "utf-8",
        column_types: Mapping[str, pa.DataType | str] | None = None,
        null_values: list[str] | None = None,
        on_bad_rows: str = "error",
        block_size: int = _DEFAULT_BLOCK_SIZE,
        progress: ProgressCallback | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.name = input_name(source)
        self.delimiter = delimiter
        self.quote_char = quote_char
        self.encoding = check_ascii_compatible(encoding)
        self.column_types = {k: parse_type(v) for k, v in (column_types or {}).items()}
        self.null_values = null_values
        self.on_bad_rows = validate_policy(on_bad_rows)
        self.block_size = block_size
        self.progress = progress

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "uri": self.name,
            "delimiter": self.delimiter,
            "quote_char": self.quote_char,
            "encoding": self.encoding,
            "column_types": {k: str(v) for k, v in self.column_types.items()},
            "null_values": self.null_values,
            "on_bad_rows": self.on_bad_rows,
        }

    def _batches(self) -> Iterator[pa.RecordBatch]:
        tracker = ProgressTracker(self.name, self.progress, total_bytes=input_size(self.source))
        quote = self.quote_char.encode() if self.quote_char else None
        names: list[str] | None = None
        types: dict[str, pa.DataType] = {}
        with open_binary(self.source) as handle:
            chunks = iter_line_chunks(handle, self.block_size, quote=quote)
            for chunk in _header_with_rows(chunks):
                data = to_utf8(chunk, self.encoding, self.name)
                table = self._parse(chunk, data, names, types)
                if names is None:
                    names = table.column_names
                    types = {f.name: f.type for f in table.schema}
                    require_columns(list(self.column_types), names, where="column_types")
                for batch in table.to_batches() or [_empty_batch(table.schema)]:
                    tracker.advance(batch.num_rows, chunk.bytes_consumed)
                    yield batch
        if names is None:
            raise EmptySourceError("the file is empty (no header, no rows)", source=self.name)

    def _parse(
        self,
        chunk: LineChunk,
        data: bytes,
        names: list[str] | None,
        types: Mapping[str, pa.DataType],
    ) -> pa.Table:
        invalid: list[tuple[str, str]] = []

        def on_invalid(row: Any) -> str:
            reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            invalid.append((row.text, reason))
            return "skip" if self.on_bad_rows == "skip" else "error"

        read_options = pacsv.ReadOptions(
            block_size=max(len(data) + 1, 1 << 16),
            column_names=names,
            encoding="utf8",
        )
        parse_options = pacsv.ParseOptions(
            delimiter=self.delimiter,
            quote_char=self.quote_char if self.quote_char else False,
            newlines_in_values=self.quote_char is not None,
            invalid_row_handler=on_invalid,
        )
        convert_kwargs: dict[str, Any] = {
            "column_types": {**types, **self.column_types},
            "strings_can_be_null": True,
            "quoted_strings_can_be_null": False,
        }
        if self.null_values is not None:
            convert_kwargs["null_values"] = self.null_values
        try:
            table = pacsv.read_csv(
                io.BytesIO(data),
                read_options=read_options,
                parse_options=parse_options,
                convert_options=pacsv.ConvertOptions(**convert_kwargs),
            )
        except pa.ArrowInvalid as exc:
            if invalid and self.on_bad_rows == "error":
                raise MalformedRowError(
                    self._locate_rows(chunk, invalid)[0], source=self.name
                ) from None
            raise self._conversion_error(exc, chunk, data, names, types) from None
        if invalid:
            self.bad_rows.extend(self._locate_rows(chunk, invalid))
        return table

    def _locate_rows(self, chunk: LineChunk, invalid: list[tuple[str, str]]) -> list[BadRow]:
        """Line numbers of rows Arrow rejected, found by searching their text in order."""
        searched_from: dict[str, int] = {}
        found: list[BadRow] = []
        for text, reason in invalid:
            needle = text.encode("utf-8")
            position = chunk.data.find(needle, searched_from.get(text, 0))
            while position > 0 and chunk.data[position - 1 : position] != b"\n":
                position = chunk.data.find(needle, position + 1)
            searched_from[text] = position + 1 if position >= 0 else len(chunk.data)
            line = chunk.line_of(position) if position >= 0 else chunk.first_line
            found.append(BadRow(line=line, reason=reason, text=truncate(text)))
        return sorted(found, key=lambda bad: bad.line)

    def _conversion_error(
        self,
        exc: pa.ArrowInvalid,
        chunk: LineChunk,
        data: bytes,
        names: list[str] | None,
        types: Mapping[str, pa.DataType],
    ) -> SourceError:
        match = _CONVERSION_ERROR.search(str(exc))
        if match is None:
            return SourceError(f"cannot parse CSV: {exc}", source=self.name, line=chunk.first_line)
        index, value = int(match["index"]), match["value"]
        header = names is None
        column = names[index] if names is not None else f"#{index}"
        line = self._line_of_value(chunk, data, index, value, skip_header=header)
        if header:
            column = _header_names(data, self.delimiter, self.quote_char)[index]
        declared = column in self.column_types
        inferred = types.get(column)
        if declared:
            hint = "it was declared so in column_types"
        elif inferred is not None and pa.types.is_null(inferred):
            hint = (
                "the column was empty in the first chunk of the file; "
                "declare its type with column_types={...}"
            )
        else:
            hint = (
                "the type was inferred from the first chunk of the file; "
                f"declare it with column_types={{{column!r}: 'string'}} (or another type)"
            )
        return MixedTypesError(column, match["type"], value, source=self.name, line=line, hint=hint)

    def _line_of_value(
        self, chunk: LineChunk, data: bytes, index: int, value: str, *, skip_header: bool
    ) -> int:
        text = data.decode("utf-8")
        reader = csv.reader(
            io.StringIO(text, newline=""),
            delimiter=self.delimiter,
            quotechar=self.quote_char or '"',
            quoting=csv.QUOTE_MINIMAL if self.quote_char else csv.QUOTE_NONE,
        )
        start = 1
        for number, row in enumerate(reader):
            if not (skip_header and number == 0) and index < len(row) and row[index] == value:
                return chunk.first_line + start - 1
            start = reader.line_num + 1
        return chunk.first_line


def _header_with_rows(chunks: Iterator[LineChunk]) -> Iterator[LineChunk]:
    """Merge leading chunks until the first holds the header and at least one row.

    Types are inferred from the first chunk, so it must contain data, not just the header.
    """
    first: LineChunk | None = None
    for chunk in chunks:
        if first is None:
            first = chunk
        else:
            first = LineChunk(first.data + chunk.data, first.first_line, chunk.bytes_consumed)
        if first.data.count(b"\n") >= 2:
            yield first
            yield from chunks
            return
    if first is not None:
        yield first


def _header_names(data: bytes, delimiter: str, quote_char: str | None) -> list[str]:
    first = next(
        csv.reader(
            io.StringIO(data.decode("utf-8"), newline=""),
            delimiter=delimiter,
            quotechar=quote_char or '"',
        )
    )
    return list(first)


def _empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=schema)


def read_csv(source: FileInput, **options: Any) -> CsvSource:
    """Open ``source`` as a :class:`CsvSource` (see its parameters); nothing is read yet."""
    return CsvSource(source, **options)
