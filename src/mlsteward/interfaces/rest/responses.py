"""JSON responses written by the wire encoders, skipping FastAPI's generic serialisation.

``jsonable_encoder`` walks every value in Python; for a metric history of 100,000 points that
costs more than the query. Routes build plain dicts with :mod:`wire` and return them here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import IO, Any

import anyio
from fastapi.responses import JSONResponse, Response

from mlsteward.services.api import wire

# Downloads pass through the server in 1 MiB reads, so it never holds a whole file.
STREAM_CHUNK = 1 << 20


class WireJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return wire.dumps(content)


def json_response(content: Any, status_code: int = 200) -> WireJSONResponse:
    return WireJSONResponse(content, status_code=status_code)


def no_content() -> Response:
    return Response(status_code=204)


def read_and_close(handle: IO[bytes]) -> Iterator[bytes]:
    """The handle's bytes in ``STREAM_CHUNK`` pieces, for a ``StreamingResponse``; closes it."""
    try:
        while chunk := handle.read(STREAM_CHUNK):
            yield chunk
    finally:
        handle.close()


def request_chunks(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    """The request body as a plain iterator, for a service running in a worker thread."""

    async def next_chunk() -> bytes | None:
        try:
            return await anext(stream)
        except StopAsyncIteration:
            return None

    while (chunk := anyio.from_thread.run(next_chunk)) is not None:
        if chunk:
            yield chunk
