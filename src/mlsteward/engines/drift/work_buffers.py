"""Reusable per-thread work arrays for the column-sized temporaries of drift tests.

Testing a column creates a dozen temporaries the size of the column. Allocating each afresh
costs more than the arithmetic when the allocator hands large blocks back to the operating
system (every new block is then page-faulted in again), so the hot paths write into buffers
kept per thread and reused from column to column. A buffer is valid until the same thread asks
for the same ``key`` again: use them only for values that do not outlive one column's work.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

#: Elements per block where a long pass is cut into cache-sized pieces (512 KiB of float64).
BLOCK = 1 << 16

_local = threading.local()
_arange_lock = threading.Lock()
_aranges: dict[str, np.ndarray] = {}


def buffer(key: str, size: int, dtype: Any) -> np.ndarray:
    """A writable array of ``size`` elements, reused by this thread for this ``key``."""
    pool: dict[str, np.ndarray] | None = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    dt = np.dtype(dtype)
    buf = pool.get(key)
    if buf is None or buf.dtype != dt or buf.size < size:
        buf = np.empty(max(size, 1), dtype=dt)
        pool[key] = buf
    return buf[:size]


def arange(size: int, dtype: Any = np.int64) -> np.ndarray:
    """Read-only ``np.arange(size, dtype=dtype)``, shared and grown as needed."""
    dt = np.dtype(dtype)
    cached = _aranges.get(dt.str)
    if cached is None or cached.size < size:
        with _arange_lock:
            cached = _aranges.get(dt.str)
            if cached is None or cached.size < size:
                cached = np.arange(max(size, 1024), dtype=dt)
                cached.flags.writeable = False
                _aranges[dt.str] = cached
    return cached[:size]


def release() -> None:
    """Drop this thread's buffers (after a run, so they do not stay resident)."""
    _local.pool = {}
