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

#: A prediction ID's text (lower-case UUIDv7), as a regular expression.
ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_PATTERN = re.compile(ID_PATTERN)


class PredictionIdGenerator:
    """Makes UUIDv7 strings, each later than the one before (thread-safe).

    The counter restarts from a random value each millisecond and moves the time on by one
    when it overflows, so ordering holds even for bursts and a clock that steps back. The
    random bits come from the OS's generator, read 4 KiB at a time (a read per ID would cost
    more than the rest of the ID), and the buffer is dropped in a forked child so no two
    processes hand out the same bits.
    """

    _BUFFER_BYTES = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0
        self._random = b""
        self._offset = 0
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget_random)

    def _forget_random(self) -> None:
        self._lock = threading.Lock()  # a lock held at fork time stays held in the child
        self._random = b""
        self._offset = 0

    def _fields(self, now_ms: int) -> tuple[int, int, int]:
        """(time, counter, 64 random bits) for the next ID."""
        with self._lock:
            offset = self._offset
            if offset + 10 > len(self._random):
                self._random = os.urandom(self._BUFFER_BYTES)
                offset = 0
            self._offset = offset + 8
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                self._offset += 2
                start = self._random[offset + 8 : offset + 10]
                self._counter = int.from_bytes(start, "big") & 0x7FF  # room to count
            else:
                self._counter += 1
                if self._counter > 0xFFF:
                    self._last_ms += 1
                    self._counter = 0
            bits = int.from_bytes(self._random[offset : offset + 8], "big")
            return self._last_ms, self._counter, bits

    def new(self, now_ms: int | None = None) -> str:
        """A fresh UUIDv7 string (36 characters)."""
        ms, counter, bits = self._fields(int(time.time() * 1000) if now_ms is None else now_ms)
        high = (ms & 0xFFFFFFFFFFFF) << 16 | 0x7000 | counter
        low = bits & 0x3FFFFFFFFFFFFFFF | 0x8000000000000000
        h = f"{high:016x}{low:016x}"
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
