"""Prediction IDs: time-ordered UUIDv7 (RFC 9562), so an ID also says where its log entry is.

The first 48 bits are the Unix time in milliseconds; the next 12 carry a counter that keeps IDs
made in one process within one millisecond in order; the rest is random. Sorting IDs as text
sorts them by time, and :func:`prediction_id_time` reads the time back without a lookup.
"""

from __future__ import annotations

import os
import re
import threading
import time

_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class PredictionIdGenerator:
    """Makes UUIDv7 strings, each later than the one before (thread-safe).

    The counter restarts from a random value each millisecond and moves the time on by one
    when it overflows, so ordering holds even for bursts and a clock that steps back.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def _fields(self, now_ms: int) -> tuple[int, int]:
        with self._lock:
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                self._counter = int.from_bytes(os.urandom(2), "big") & 0x7FF  # room to count
            else:
                self._counter += 1
                if self._counter > 0xFFF:
                    self._last_ms += 1
                    self._counter = 0
            return self._last_ms, self._counter

    def new(self, now_ms: int | None = None) -> str:
        """A fresh UUIDv7 string (36 characters)."""
        ms, counter = self._fields(int(time.time() * 1000) if now_ms is None else now_ms)
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_default = PredictionIdGenerator()


def new_prediction_id() -> str:
    """A fresh UUIDv7 string, later than every ID this process made before."""
    return _default.new()


def is_prediction_id(value: object) -> bool:
    """True for a lower-case UUIDv7 string as :func:`new_prediction_id` makes them."""
    return isinstance(value, str) and bool(_PATTERN.match(value))


def prediction_id_time(prediction_id: str) -> int:
    """The Unix time in milliseconds a prediction ID was made at.

    Raises ``ValueError`` for a value that is not a UUIDv7 string.
    """
    if not is_prediction_id(prediction_id):
        raise ValueError(f"not a prediction ID (a UUIDv7): {str(prediction_id)[:64]!r}")
    return int(prediction_id[:8] + prediction_id[9:13], 16)
