"""Cut a byte stream into chunks that end on record boundaries, tracking line numbers.

CSV and JSON-lines readers parse one chunk at a time, which bounds memory, and know the
physical line number each chunk starts at, which is how errors name a line. For CSV the cut
respects quoting: a newline inside a quoted field is not a boundary (with doubled-quote
escaping, a newline is inside quotes exactly when an odd number of quote characters precede
it in the chunk, since every chunk starts on a boundary).
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from mlsteward.engines.data.errors import DecodingError
from mlsteward.engines.data.sources.base import FileInput

_UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class LineChunk:
    """Whole records of the input, the 1-based line they start on, and bytes consumed."""

    data: bytes
    first_line: int
    bytes_consumed: int

    def line_of(self, position: int) -> int:
        """The physical line number of byte ``position`` within this chunk."""
        return self.first_line + self.data.count(b"\n", 0, position)


@contextmanager
def open_binary(source: FileInput) -> Iterator[IO[bytes]]:
    """Open a path for binary reading, or pass an open file object through (not closed)."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield handle
    else:
        yield source


def input_size(source: FileInput) -> int | None:
    """Size in bytes when cheaply known (a path, or a seekable object), else None."""
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    try:
        position = source.tell()
        size = source.seek(0, os.SEEK_END)
        source.seek(position)
        return int(size) - int(position)
    except (OSError, AttributeError, ValueError):
        return None


def _cut(buffer: bytes, quote: bytes | None) -> int:
    """Index just after the last record boundary in ``buffer``, or -1 if there is none."""
    position = buffer.rfind(b"\n")
    if quote is None:
        return position + 1 if position >= 0 else -1
    while position >= 0:
        if buffer.count(quote, 0, position) % 2 == 0:
            return position + 1
        position = buffer.rfind(b"\n", 0, position)
    return -1


def iter_line_chunks(
    handle: IO[bytes], block_size: int, *, quote: bytes | None = None
) -> Iterator[LineChunk]:
    """Yield chunks of about ``block_size`` bytes ending on record boundaries.

    A record longer than ``block_size`` makes its chunk grow until the record ends. A UTF-8
    byte-order mark at the start is dropped.
    """
    pending = b""
    first_line = 1
    consumed = 0
    at_start = True
    while True:
        block = handle.read(block_size)
        if at_start:
            if block.startswith(_UTF8_BOM):
                block = block[len(_UTF8_BOM) :]
                consumed += len(_UTF8_BOM)
            at_start = False
        if not block:
            if pending:
                consumed += len(pending)
                yield LineChunk(pending, first_line, consumed)
            return
        buffer = pending + block if pending else block
        cut = _cut(buffer, quote)
        if cut <= 0:
            pending = buffer
            continue
        chunk, pending = buffer[:cut], buffer[cut:]
        consumed += len(chunk)
        yield LineChunk(chunk, first_line, consumed)
        first_line += chunk.count(b"\n")


def check_ascii_compatible(encoding: str) -> str:
    """Return the codec's canonical name; refuse encodings where a newline is not b"\\n"."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown text encoding {encoding!r}") from None
    if '\n,"'.encode(name) != b'\n,"':
        raise ValueError(f"encoding {encoding!r} is not ASCII-compatible; re-encode the file")
    return name


def to_utf8(chunk: LineChunk, encoding: str, source: str) -> bytes:
    """The chunk's bytes as valid UTF-8, or a :class:`DecodingError` naming the line."""
    data = chunk.data
    if data.isascii():
        return data
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 4]
        raise DecodingError(
            f"bytes {bad!r} are not valid {encoding} text; pass the file's encoding "
            "(e.g. encoding='latin-1')",
            source=source,
            line=chunk.line_of(exc.start),
        ) from None
    return data if encoding == "utf-8" else text.encode("utf-8")
