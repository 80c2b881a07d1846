"""NATS JetStream as a stream source: a durable pull consumer, explicit acks.

The input subject must be captured by a JetStream stream (the operator creates it, with the
retention they want); the consumer group is a durable pull consumer of that stream named
after the group, created on first use with the subject as its filter, ``ack_wait`` =
``redeliver_after_ms`` and no delivery limit (the stream consumer dead-letters a message
delivered more than ``--max-deliveries`` times itself, with the reason). Every member of
the group fetches from the same durable consumer, so JetStream spreads the messages.

Outputs and dead letters go through JetStream when a stream captures their subject
(``publish`` waits for every publish acknowledgement; ``Nats-Msg-Id`` is the prediction ID,
so a redelivered message's output is dropped by the stream's duplicate window), else as core
NATS messages followed by a flush (the server has them; nothing keeps them for a subscriber
that is not listening).

The client reconnects by itself, for ever, half a second apart: while the server is down,
``fetch`` and ``publish`` raise and the consumer retries them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.streaming.source import (
    Lag,
    OutgoingMessage,
    SourceOptions,
    StreamMessage,
)

_PUBLISH_TIMEOUT_S = 10.0


def _durable_name(group: str) -> str:
    """A consumer name NATS takes (no dots, spaces, ``*`` or ``>``)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in group)


class NatsSource:
    """A JetStream pull consumer as a :class:`~.source.StreamSource`."""

    kind = "nats"

    def __init__(self, url: str, options: SourceOptions) -> None:
        parts = urlsplit(url)
        if not parts.hostname:
            raise InvalidArgumentError(f"--source {url!r}: expected nats://HOST:PORT")
        self.url = url
        self.options = options
        self.durable = _durable_name(options.group)
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self.stream = ""
        self._through_jetstream: dict[str, bool] = {}

    async def start(self) -> None:
        self._nc = await nats.connect(
            self.url,
            name=f"mlsteward-stream-{self.options.consumer}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,  # seconds (typed int, a float works)
            connect_timeout=5,
        )
        self._js = self._nc.jetstream(timeout=_PUBLISH_TIMEOUT_S)
        try:
            self.stream = await self._js.find_stream_name_by_subject(self.options.subject)
        except nats.js.errors.NotFoundError:
            await self.close()
            raise InvalidArgumentError(
                f"No JetStream stream captures subject {self.options.subject!r}: create one "
                "(e.g. nats stream add) before consuming it"
            ) from None
        config = ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.options.redeliver_after_ms / 1000.0,
            max_deliver=-1,
            max_ack_pending=self.options.max_in_flight,
            filter_subject=self.options.subject,
        )
        self._sub = await self._js.pull_subscribe(
            self.options.subject, durable=self.durable, stream=self.stream, config=config
        )

    def _ready(self) -> tuple[NatsClient, JetStreamContext, JetStreamContext.PullSubscription]:
        if self._nc is None or self._js is None or self._sub is None:
            raise RuntimeError("the NATS source is not started")
        return self._nc, self._js, self._sub

    async def fetch(self, batch_size: int, timeout_s: float) -> list[StreamMessage]:
        _, _, sub = self._ready()
        try:
            received = await sub.fetch(batch_size, timeout=timeout_s)
        except (nats.errors.TimeoutError, TimeoutError):  # nothing came in time
            return []
        return [self._message(msg) for msg in received]

    def _message(self, msg: Msg) -> StreamMessage:
        meta = msg.metadata
        return StreamMessage(
            stream=meta.stream,
            identity=str(meta.sequence.stream),
            time_ms=int(meta.timestamp.timestamp() * 1000),
            payload=msg.data,
            deliveries=meta.num_delivered,
            headers=dict(msg.headers or {}),
            handle=msg,
        )

    async def _jetstream_subject(self, subject: str) -> bool:
        """Whether a stream captures ``subject`` (asked once per subject)."""
        known = self._through_jetstream.get(subject)
        if known is None:
            _, js, _ = self._ready()
            try:
                await js.find_stream_name_by_subject(subject)
                known = True
            except nats.js.errors.NotFoundError:
                known = False
            self._through_jetstream[subject] = known
        return known

    async def publish(self, subject: str, messages: Sequence[OutgoingMessage]) -> None:
        if not messages:
            return
        nc, js, _ = self._ready()
        if await self._jetstream_subject(subject):
            futures = []
            for message in messages:
                headers = dict(message.headers)
                if message.dedup_id:
                    headers["Nats-Msg-Id"] = message.dedup_id
                futures.append(
                    await js.publish_async(
                        subject, message.payload, headers=headers, wait_stall=_PUBLISH_TIMEOUT_S
                    )
                )
            await asyncio.wait_for(asyncio.gather(*futures), _PUBLISH_TIMEOUT_S)
            return
        for message in messages:
            await nc.publish(subject, message.payload, headers=dict(message.headers) or None)
        await nc.flush(timeout=int(_PUBLISH_TIMEOUT_S))

    async def ack(self, messages: Sequence[StreamMessage]) -> None:
        if not messages:
            return
        nc, _, _ = self._ready()
        for message in messages:
            await message.handle.ack()
        # Acks are fire-and-forget; a flush makes sure the server has them before the
        # caller counts them (a lost ack only means a redelivery, never a lost message).
        await nc.flush(timeout=int(_PUBLISH_TIMEOUT_S))

    async def lag(self) -> Lag:
        _, _, sub = self._ready()
        info = await sub.consumer_info()
        return Lag(info.num_pending, info.num_ack_pending)

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        self._js = self._sub = None
        if nc is not None and not nc.is_closed:
            await nc.close()


def open_nats_source(url: str, options: SourceOptions) -> NatsSource:
    """The ``nats://`` entry point of ``mlsteward.stream_sources``."""
    return NatsSource(url, options)
