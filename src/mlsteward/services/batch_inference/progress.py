"""Progress of a batch job in this process: rows read so far, and how many there are.

A job runs as one declared operation, whose request is data only; a listener is therefore
not part of the request but set around the call (``with reporting_to(callback):``) by the
in-process caller, the CLI's progress bar. Over HTTP nothing listens: the answer's report
says what was done.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

#: ``(rows done, rows in all or None when unknown)``.
ProgressListener = Callable[[int, int | None], None]
_listener: ContextVar[ProgressListener | None] = ContextVar("batch_progress", default=None)


@contextlib.contextmanager
def reporting_to(listener: ProgressListener | None) -> Iterator[None]:
    """Send the progress of batch jobs run in this context to ``listener``."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


class ProgressCounter:
    """Counts rows for the listener set when the job started (if any)."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.done = 0
        self._listener = _listener.get()

    def __call__(self, rows: int) -> None:
        self.done += rows
        if self._listener is not None:
            self._listener(self.done, self.total)
