"""The input of a batch job as numbered chunks of rows, read in bounded memory.

Files are read in the order given, each in chunks of ``chunk_size`` rows (the last chunk of
a file may be shorter; a chunk never spans two files, so every row has a file and a row
number). Chunks are numbered across files: chunk ``i`` is always the same rows of the same
input, which is what lets a rerun skip the chunks a previous run finished.

Parquet is read with ``ParquetFile.iter_batches`` and its row count is known from the
footer, so a file whose chunks are all done is not read at all; CSV is streamed by the data
engine's CSV source (line-aligned blocks, exact line numbers for malformed lines), with the
model's numeric columns kept as text so that each value is checked row by row.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import queue
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.engines.batch_scoring.errors import BatchInputError
from mlsteward.engines.data.errors import (
    BadRow,
    DataError,
    EmptySourceError,
    MalformedRowError,
    MixedTypesError,
)
from mlsteward.engines.data.sources.csv_source import CsvSource

Opener = Callable[[], contextlib.AbstractContextManager[IO[bytes]]]
FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class InputFile:
    """One file of the input: its name (as shown in reports), its format and how to open it."""

    name: str
    format: str
    open: Opener = field(compare=False, repr=False)
    #: Rows, when known without reading (Parquet footers, dataset versions).
    rows: int | None = None


@dataclass
class Chunk:
    """Rows ``first_row`` to ``first_row + table.num_rows`` of ``source``, chunk ``index``
    of the job; ``malformed`` lists lines a CSV reader skipped before these rows."""

    index: int
    source: str
    first_row: int
    table: pa.Table
    malformed: list[BadRow] = field(default_factory=list)


def format_of(name: str) -> str:
    """``parquet`` or ``csv`` from a file name (compressed CSV included)."""
    lowered = name.lower()
    if lowered.endswith((".parquet", ".pq", ".parq")):
        return "parquet"
    if lowered.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    raise BatchInputError(
        f"Cannot tell the format of {name!r}: batch input files end in .parquet or .csv"
    )


def parquet_rows(file: InputFile) -> int:
    """A Parquet file's row count from its footer (BatchInputError when unreadable)."""
    try:
        with file.open() as handle:
            return int(pq.ParquetFile(handle).metadata.num_rows)
    except (OSError, pa.ArrowException) as error:
        raise BatchInputError(f"Cannot read {file.name} as Parquet: {_reason(error)}") from None


def csv_header(file: InputFile) -> list[str]:
    """A CSV file's column names (its first line)."""
    try:
        with file.open() as handle:
            first = handle.readline()
    except OSError as error:
        raise BatchInputError(f"Cannot read {file.name}: {_reason(error)}") from None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInputError(f"{file.name} is not UTF-8 text: is it really CSV?") from None
    names = next(csv.reader(io.StringIO(text)), [])
    if not names:
        raise BatchInputError(f"{file.name} is empty: a CSV input needs a header line")
    return names


def iter_chunks(
    files: list[InputFile],
    chunk_size: int,
    *,
    text_columns: Collection[str] = (),
    skip_malformed: bool = False,
    done: Collection[int] = (),
) -> Iterator[Chunk | int]:
    """Every chunk in order; a chunk in ``done`` may come as its index alone when it could
    be skipped without reading (the caller counts it as finished)."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    index = 0
    for file in files:
        if file.format == "parquet":
            rows = file.rows if file.rows is not None else parquet_rows(file)
            count = math.ceil(rows / chunk_size)
            if all(index + i in done for i in range(count)):
                yield from range(index, index + count)
                index += count
                continue
            batches = _parquet_batches(file, chunk_size)
            tables = _exact(batches, chunk_size)
        else:
            header = csv_header(file)
            kept_as_text = [name for name in text_columns if name in header]
            source_holder: list[CsvSource] = []
            batches = _csv_batches(file, kept_as_text, skip_malformed, source_holder)
            tables = _exact(batches, chunk_size)
        first_row = 0
        seen_malformed = 0
        for table in tables:
            malformed: list[BadRow] = []
            if file.format == "csv" and source_holder:
                found = source_holder[0].bad_rows
                malformed, seen_malformed = list(found[seen_malformed:]), len(found)
            yield Chunk(index, file.name, first_row, table, malformed)
            index += 1
            first_row += table.num_rows


def prefetched(items: Iterator[Chunk | int], depth: int = 1) -> Iterator[Chunk | int]:
    """``items`` read ahead by a thread, ``depth`` chunks at most: Arrow reads without the
    GIL, so the next chunk is read while the model scores this one. An error reading is
    raised here, in order; closing the iterator stops the reader."""
    waiting: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        waiting.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(("end", None))
        except BaseException as error:  # handed to the consumer, raised there
            waiting.put(("error", error))

    reader = threading.Thread(target=read, name="batch-chunk-reader", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = waiting.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                waiting.get_nowait()
        reader.join(timeout=5.0)


def _parquet_batches(file: InputFile, chunk_size: int) -> Iterator[pa.RecordBatch]:
    try:
        with file.open() as handle:
            # pre_buffer=False: with it, Arrow keeps every column chunk it read until the
            # file is closed (memory then grows with the file instead of the chunk).
            parquet = pq.ParquetFile(handle, pre_buffer=False)
            yield from parquet.iter_batches(batch_size=chunk_size)
    except (OSError, pa.ArrowException) as error:
        raise BatchInputError(f"Cannot read {file.name} as Parquet: {_reason(error)}") from None


def _csv_batches(
    file: InputFile, text_columns: list[str], skip_malformed: bool, holder: list[CsvSource]
) -> Iterator[pa.RecordBatch]:
    try:
        with file.open() as handle:
            source = CsvSource(
                handle,
                column_types=dict.fromkeys(text_columns, "string"),
                on_bad_rows="skip" if skip_malformed else "error",
            )
            source.name = file.name
            holder.append(source)
            yield from source
    except DataError as error:
        line = getattr(error, "line", None)
        where = f" (line {line})" if isinstance(line, int) else ""
        raise BatchInputError(
            f"Cannot read {file.name} as CSV{where}: {_csv_problem(error)}"
        ) from None
    except OSError as error:
        raise BatchInputError(f"Cannot read {file.name}: {_reason(error)}") from None
    except pa.ArrowException:
        raise BatchInputError(f"Cannot read {file.name} as CSV: it is not well-formed") from None


def _csv_problem(error: DataError) -> str:
    """What is wrong, in words that repeat nothing from the file."""
    if isinstance(error, MalformedRowError):
        return "a line has the wrong number of fields (on_bad_rows='skip' skips such lines)"
    if isinstance(error, MixedTypesError):
        return (
            "a value does not fit the type its column has in the first rows; the model's "
            "numeric columns are checked row by row, other columns must keep one type"
        )
    if isinstance(error, EmptySourceError):
        return "the file is empty"
    return "it is not well-formed CSV"


def _exact(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """Tables of exactly ``size`` rows (the last one shorter) from batches of any size."""
    waiting: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        waiting.append(batch)
        count += batch.num_rows
        while count >= size:
            table = pa.Table.from_batches(waiting)
            yield table.slice(0, size)
            rest = table.slice(size)
            waiting = rest.to_batches()
            count = rest.num_rows
    if count:
        yield pa.Table.from_batches(waiting)


def _reason(error: BaseException) -> str:
    """An error's own words, short (OS errors without the path, which the caller names)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
