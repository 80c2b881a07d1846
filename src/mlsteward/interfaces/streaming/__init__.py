"""Streaming inference: ``mlsteward stream`` scores messages from a broker with a deployment.

A consumer reads a subject of NATS JetStream or a Redis stream through a consumer group,
scores micro-batches with the same data plane as ``mlsteward serve`` (the deployment's plan,
runtime and prediction log), publishes each output, and acknowledges a message only once its
output is published and its record logged. Brokers plug in through the
``mlsteward.stream_sources`` entry-point group (:class:`StreamSource`). A consumer is a
long-running process, not a request: it has no REST route.

The consumer's modules load on first use, so importing this package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlsteward.interfaces.streaming.config import StreamConfig
    from mlsteward.interfaces.streaming.consumer import StreamReport
    from mlsteward.interfaces.streaming.message_ids import message_prediction_id
    from mlsteward.interfaces.streaming.process import consume, consume_in_thread
    from mlsteward.interfaces.streaming.source import (
        STREAM_SOURCES_GROUP,
        Lag,
        OutgoingMessage,
        SourceOptions,
        StreamMessage,
        StreamSource,
    )

__all__ = [
    "STREAM_SOURCES_GROUP",
    "Lag",
    "OutgoingMessage",
    "SourceOptions",
    "StreamConfig",
    "StreamMessage",
    "StreamReport",
    "StreamSource",
    "consume",
    "consume_in_thread",
    "message_prediction_id",
]

_HOMES = {
    "StreamConfig": "config",
    "StreamReport": "consumer",
    "message_prediction_id": "message_ids",
    "consume": "process",
    "consume_in_thread": "process",
    "STREAM_SOURCES_GROUP": "source",
    "Lag": "source",
    "OutgoingMessage": "source",
    "SourceOptions": "source",
    "StreamMessage": "source",
    "StreamSource": "source",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
