"""The one interface between the stream consumer and a message broker, and its resolver.

A broker plugs in as a :class:`StreamSource`: ``fetch`` a micro-batch, ``publish`` outputs
(returning once the broker has them), ``ack`` what is done, ``dead_letter`` a poison message,
report ``lag``, ``close``. Sources register an opener per URL scheme in the
``mlsteward.stream_sources`` entry-point group (``nats`` and ``redis`` are mlsteward's own),
so a Kafka source is a package of its own that declares ``kafka = "pkg.module:open_source"``
there; nothing in mlsteward changes (docs/streaming.md shows one).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol

from mlsteward.domain.errors import InvalidArgumentError

#: The entry-point group stream sources register under, one name per URL scheme.
STREAM_SOURCES_GROUP = "mlsteward.stream_sources"
#: mlsteward's own sources (also declared as entry points; kept here so a source checkout
#: without installed metadata still finds them).
_BUILT_IN = {
    "nats": "mlsteward.interfaces.streaming.nats_source:open_nats_source",
    "redis": "mlsteward.interfaces.streaming.redis_source:open_redis_source",
}


@dataclass(frozen=True)
class StreamMessage:
    """One message as the consumer sees it, whatever the broker.

    ``identity`` is unique within ``stream`` and the same on every delivery (NATS: the
    stream sequence; Redis: the entry ID); ``time_ms`` is the message's own time (when the
    broker stored it), also the same on every delivery; ``deliveries`` counts this one.
    ``handle`` is the broker's own object, for ``ack``.
    """

    stream: str
    identity: str
    time_ms: int
    payload: bytes
    deliveries: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    handle: Any = None


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to publish: the body and the headers (where the broker has headers;
    elsewhere they become fields beside the body). ``dedup_id`` lets a broker that can
    drop a repeated publish do so (NATS: ``Nats-Msg-Id``)."""

    payload: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    dedup_id: str | None = None


@dataclass(frozen=True)
class SourceOptions:
    """What the consumer asks of every source.

    ``subject`` is read through the consumer group ``group`` (NATS: a durable pull consumer
    of that name; Redis: a consumer group of the stream) as member ``consumer``. A message
    fetched and not acknowledged within ``redeliver_after_ms`` is delivered again (NATS: the
    consumer's ack wait; Redis: the idle time after which a pending entry is claimed from a
    consumer that stopped). ``max_in_flight`` bounds the messages fetched and not yet
    acknowledged (NATS: the consumer's max ack pending).
    """

    subject: str
    group: str
    consumer: str
    redeliver_after_ms: int = 30_000
    max_in_flight: int = 20_000


@dataclass(frozen=True)
class Lag:
    """How far behind the consumer group is: ``pending`` messages not yet delivered to it,
    ``unacknowledged`` delivered and not acknowledged (None: the broker does not say)."""

    pending: int | None
    unacknowledged: int | None


class StreamSource(Protocol):
    """A broker as the stream consumer uses it (all coroutines, on one event loop).

    Contract: ``fetch`` returns up to ``batch_size`` messages, waiting at most ``timeout_s``
    for the first (an empty list when none came), and reconnects by itself after a broker
    restart (raising only what the caller should count and retry); a message fetched and not
    acknowledged is delivered again later, to this or another consumer of the group.
    ``publish`` returns once the broker has accepted every message (raises otherwise).
    ``ack`` is only called for messages whose outputs were published and logged.
    """

    async def start(self) -> None: ...

    async def fetch(self, batch_size: int, timeout_s: float) -> list[StreamMessage]: ...

    async def publish(self, subject: str, messages: Sequence[OutgoingMessage]) -> None: ...

    async def ack(self, messages: Sequence[StreamMessage]) -> None: ...

    async def lag(self) -> Lag: ...

    async def close(self) -> None: ...


class SourceOpener(Protocol):
    """What a source's entry point names: the (not yet started) source for ``url``."""

    def __call__(self, url: str, options: SourceOptions) -> StreamSource: ...


def source_scheme(url: str) -> str:
    """``nats://host:4222`` -> ``nats`` (``rediss`` is Redis over TLS)."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise InvalidArgumentError(
            f"--source {url!r} is not a URL: use nats://HOST:PORT or redis://HOST:PORT"
        )
    scheme = scheme.lower()
    return "redis" if scheme == "rediss" else scheme


def source_opener(url: str) -> SourceOpener:
    """The opener registered for ``url``'s scheme in :data:`STREAM_SOURCES_GROUP`."""
    scheme = source_scheme(url)
    targets = dict(_BUILT_IN)
    targets.update({ep.name: ep.value for ep in entry_points(group=STREAM_SOURCES_GROUP)})
    target = targets.get(scheme)
    if target is None:
        known = ", ".join(f"{name}://" for name in sorted(targets))
        raise InvalidArgumentError(
            f"No stream source for {scheme}:// (available: {known}); a package that provides "
            f"one registers it in the {STREAM_SOURCES_GROUP!r} entry-point group"
        )
    module, _, name = target.partition(":")
    try:
        loaded = importlib.import_module(module)
    except ImportError as error:
        raise InvalidArgumentError(
            f"The {scheme}:// stream source needs a package that is not installed ({error}): "
            "pip install 'mlsteward[streaming]'"
        ) from None
    opener: SourceOpener = getattr(loaded, name)
    return opener


def open_source(url: str, options: SourceOptions) -> StreamSource:
    """The source for ``url`` (call ``await source.start()`` before using it)."""
    return source_opener(url)(url, options)
