"""Prediction IDs of streamed messages: a UUIDv7 derived from the message, not drawn at random.

A broker redelivers a message that was not acknowledged (its consumer died, or a publish or
the log failed); scoring it again must give the same prediction ID, so that the output and
the prediction-log record of the second delivery say they are the same prediction as the
first. The ID is therefore a function of the message's identity:

* the first 48 bits are the message's own time in milliseconds (NATS: the time JetStream
  stored it; Redis: the milliseconds of its entry ID), so the ID sorts and partitions the
  prediction log by when the message arrived, like any prediction ID;
* the 74 other free bits are a BLAKE2b hash of the source kind, the stream's name and the
  message's identity within it (NATS: the stream sequence; Redis: the entry ID).

Two messages of one stream never share an identity, so they never share an ID; the same
message always maps to the same one, in every process and after every restart.
"""

from __future__ import annotations

import hashlib


def message_prediction_id(kind: str, stream: str, identity: str, time_ms: int) -> str:
    """The prediction ID of message ``identity`` of ``stream`` (a UUIDv7 string)."""
    key = f"{kind}\x00{stream}\x00{identity}".encode("utf-8", "surrogatepass")
    digest = int.from_bytes(hashlib.blake2b(key, digest_size=10).digest(), "big")
    counter = digest >> 68 & 0xFFF  # 12 bits where a fresh ID keeps its counter
    low = digest & 0x3FFFFFFFFFFFFFFF  # 62 bits after the variant
    high = (max(0, time_ms) & 0xFFFFFFFFFFFF) << 16 | 0x7000 | counter
    text = f"{high:016x}{low | 0x8000000000000000:016x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
