"""Redis Streams as a stream source: a consumer group, XREADGROUP, XACK, XAUTOCLAIM.

The input subject is a stream key; the group is created on first use (``MKSTREAM``, from
the stream's first entry, as a JetStream consumer starts from the first message). An entry
carries its JSON in the field ``body``; its other fields are the message's headers. Outputs
and dead letters are entries ``XADD``-ed to the output stream, with ``body`` and the headers
as fields; ``publish`` returns once Redis has answered every ``XADD``.

A member of the group that stopped (killed, or its host gone) leaves its fetched entries
pending: every ``redeliver_after_ms / 4`` a member claims (``XAUTOCLAIM``) the entries that
have been pending longer than ``redeliver_after_ms``, and scores them again. A member with
a stable ``consumer`` name first reads back its own pending entries when it starts.

Redis answers commands or raises ``ConnectionError``; redis-py connects again on the next
command, so after a server restart the consumer's retries carry on where they left off.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis_asyncio
from redis.exceptions import ResponseError

from mlsteward.interfaces.streaming.source import (
    Lag,
    OutgoingMessage,
    SourceOptions,
    StreamMessage,
)

BODY_FIELD = "body"


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class RedisSource:
    """A Redis Streams consumer group as a :class:`~.source.StreamSource`."""

    kind = "redis"

    def __init__(self, url: str, options: SourceOptions) -> None:
        self.url = url
        self.options = options
        self.stream = options.subject
        self._redis: redis_asyncio.Redis | None = None
        #: where reading back this member's own pending entries (at start) has got to
        self._backlog_cursor: str | None = "0"
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self._group_ready = False

    async def start(self) -> None:
        self._redis = redis_asyncio.from_url(
            self.url, socket_connect_timeout=5, health_check_interval=10
        )
        await self._ensure_group()

    async def _ensure_group(self) -> None:
        try:
            await self._client().xgroup_create(
                self.stream, self.options.group, id="0", mkstream=True
            )
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    def _client(self) -> redis_asyncio.Redis:
        if self._redis is None:
            raise RuntimeError("the Redis source is not started")
        return self._redis

    async def fetch(self, batch_size: int, timeout_s: float) -> list[StreamMessage]:
        if not self._group_ready:  # a restarted server without persistence lost the group
            await self._ensure_group()
        try:
            return await self._fetch(batch_size, timeout_s)
        except ResponseError as error:
            if "NOGROUP" in str(error):
                self._group_ready = False
            raise

    async def _fetch(self, batch_size: int, timeout_s: float) -> list[StreamMessage]:
        if self._backlog_cursor is not None:
            own = await self._read(self._backlog_cursor, batch_size, None)
            if own:
                self._backlog_cursor = own[-1].identity
                return await self._with_deliveries(own)
            self._backlog_cursor = None
        if time.monotonic() >= self._next_claim:
            claimed = await self._claim(batch_size)
            if claimed:
                return claimed
        return await self._read(">", batch_size, max(1, int(timeout_s * 1000)))

    async def _read(self, start: str, count: int, block_ms: int | None) -> list[StreamMessage]:
        options = self.options
        answer: Any = await self._client().xreadgroup(
            options.group, options.consumer, {self.stream: start}, count=count, block=block_ms
        )
        out: list[StreamMessage] = []
        for _, entries in answer or []:
            for entry_id, fields in entries:
                if fields:  # an entry deleted since it was read comes back empty
                    out.append(self._message(_text(entry_id), fields, 1))
        return out

    async def _claim(self, count: int) -> list[StreamMessage]:
        """Entries a stopped member left pending longer than ``redeliver_after_ms``."""
        options = self.options
        answer = await self._client().xautoclaim(
            self.stream,
            options.group,
            options.consumer,
            min_idle_time=options.redeliver_after_ms,
            start_id=self._claim_cursor,
            count=count,
        )
        cursor, entries = _text(answer[0]), answer[1]
        self._claim_cursor = cursor
        if cursor == "0-0":  # a full pass over the pending entries: rest a while
            self._next_claim = time.monotonic() + options.redeliver_after_ms / 4000.0
        messages = [
            self._message(_text(entry_id), fields, 2)
            for entry_id, fields in entries
            if fields  # deleted entries: Redis drops them from the pending list itself
        ]
        return await self._with_deliveries(messages)

    async def _with_deliveries(self, messages: list[StreamMessage]) -> list[StreamMessage]:
        """``messages`` with their delivery counts as the group's pending list has them."""
        if not messages:
            return messages
        options = self.options
        first, last = messages[0].identity, messages[-1].identity
        pending = await self._client().xpending_range(
            self.stream,
            options.group,
            first,
            last,
            len(messages) + options.max_in_flight,
            options.consumer,
        )
        counts = {_text(p["message_id"]): int(p["times_delivered"]) for p in pending}
        return [
            StreamMessage(
                stream=m.stream,
                identity=m.identity,
                time_ms=m.time_ms,
                payload=m.payload,
                deliveries=counts.get(m.identity, m.deliveries),
                headers=m.headers,
            )
            for m in messages
        ]

    def _message(self, entry_id: str, fields: dict[Any, Any], deliveries: int) -> StreamMessage:
        payload = b""
        headers: dict[str, str] = {}
        for key, value in fields.items():
            name = _text(key)
            if name == BODY_FIELD:
                payload = value if isinstance(value, bytes) else str(value).encode()
            else:
                headers[name] = _text(value)
        return StreamMessage(
            stream=self.stream,
            identity=entry_id,
            time_ms=int(entry_id.partition("-")[0]),
            payload=payload,
            deliveries=deliveries,
            headers=headers,
        )

    async def publish(self, subject: str, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        async with self._client().pipeline(transaction=False) as pipe:
            for message in messages:
                fields: dict[str | bytes, str | bytes] = {BODY_FIELD: message.payload}
                fields.update(message.headers)
                pipe.xadd(subject, fields)  # type: ignore[arg-type]
            await pipe.execute()

    async def ack(self, messages: Sequence[StreamMessage]) -> None:
        if messages:
            ids = [m.identity for m in messages]
            await self._client().xack(self.stream, self.options.group, *ids)

    async def lag(self) -> Lag:
        for group in await self._client().xinfo_groups(self.stream):
            if _text(group.get("name", "")) == self.options.group:
                lag = group.get("lag")
                return Lag(None if lag is None else int(lag), int(group.get("pending", 0)))
        return Lag(None, None)

    async def close(self) -> None:
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()


def open_redis_source(url: str, options: SourceOptions) -> RedisSource:
    """The ``redis://`` (and ``rediss://``) entry point of ``mlsteward.stream_sources``."""
    return RedisSource(url, options)
