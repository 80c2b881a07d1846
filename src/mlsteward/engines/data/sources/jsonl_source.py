"""JSON-lines source: Arrow's JSON parser on line-aligned chunks, Python on the rare bad one.

Each chunk of whole lines goes to Arrow's parser with the schema settled from the first chunk
(fast path). When Arrow rejects a chunk, the chunk is parsed line by line with :mod:`json`
instead, which can say which line is malformed (skipped or raised, per ``on_bad_rows``) and
which value does not fit its column (:class:`MixedTypesError`). Blank lines are ignored.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson

from mlsteward.engines.data.errors import BadRow, EmptySourceError, MalformedRowError
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
from mlsteward.engines.data.sources.record_batcher import RecordBatcher


class JsonLinesSource(BatchSource):
    """Stream a file of one JSON object per line as record batches."""

    kind = "jsonl"

    def __init__(
        self,
        source: FileInput,
        *,
        schema: pa.Schema | None = None,
        inference_rows: int = 100_000,
        encoding: str = "utf-8",
        on_bad_rows: str = "error",
        block_size: int = 8 << 20,
        progress: ProgressCallback | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.name = input_name(source)
        self.schema = schema
        self.inference_rows = inference_rows
        self.encoding = check_ascii_compatible(encoding)
        self.on_bad_rows = validate_policy(on_bad_rows)
        self.block_size = block_size
        self.progress = progress

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "uri": self.name,
            "encoding": self.encoding,
            "schema": None if self.schema is None else [[f.name, str(f.type)] for f in self.schema],
            "on_bad_rows": self.on_bad_rows,
            "inference_rows": self.inference_rows,
        }

    def _batches(self) -> Iterator[pa.RecordBatch]:
        tracker = ProgressTracker(self.name, self.progress, total_bytes=input_size(self.source))
        batcher = RecordBatcher(
            source=self.name,
            schema=self.schema,
            position_kind="line",
            inference_rows=self.inference_rows,
        )
        saw_text = False
        with open_binary(self.source) as handle:
            for chunk in iter_line_chunks(handle, self.block_size):
                data = to_utf8(chunk, self.encoding, self.name)
                if not data.strip():
                    continue
                saw_text = True
                for batch in self._parse(chunk, data, batcher):
                    tracker.advance(batch.num_rows, chunk.bytes_consumed)
                    yield batch
        if not saw_text:
            raise EmptySourceError("the file holds no JSON lines", source=self.name)
        yield from batcher.finish()

    def _parse(self, chunk: LineChunk, data: bytes, batcher: RecordBatcher) -> list[pa.RecordBatch]:
        if batcher.schema is not None:
            options = pajson.ParseOptions(
                explicit_schema=batcher.schema, unexpected_field_behavior="error"
            )
            try:
                table = pajson.read_json(
                    io.BytesIO(data),
                    read_options=pajson.ReadOptions(block_size=max(len(data) + 1, 1 << 16)),
                    parse_options=options,
                )
                return table.select(batcher.schema.names).to_batches()
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass  # fall through to the line-by-line parse that can say where
        records: list[dict[str, Any]] = []
        lines: list[int] = []
        for offset, raw in enumerate(data.decode("utf-8").split("\n")):
            if not raw.strip():
                continue
            line = chunk.first_line + offset
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError(f"a JSON {type(record).__name__}, not an object")
            except ValueError as exc:
                bad = BadRow(line=line, reason=f"not a JSON object: {exc}", text=truncate(raw))
                if self.on_bad_rows == "error":
                    raise MalformedRowError(bad, source=self.name) from None
                self.bad_rows.append(bad)
                continue
            records.append(record)
            lines.append(line)
        if not records:
            return []
        return batcher.add_records(records, lines)


def read_jsonl(source: FileInput, **options: Any) -> JsonLinesSource:
    """Open ``source`` as a :class:`JsonLinesSource`; nothing is read yet."""
    return JsonLinesSource(source, **options)
