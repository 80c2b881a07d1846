"""A pass of work repeated on a daemon thread: what a server's monitor scheduler and its audit
checkpointer share (start, stop, wait between passes, a failed pass logged and retried)."""

from __future__ import annotations

import abc
import logging
import threading
from typing import Self


class BackgroundLoop(abc.ABC):
    """Calls :meth:`run_pass` every ``interval_s`` seconds on a daemon thread, first at once
    (``first_wait=False``) or after one interval. A pass that raises is logged, and the loop
    goes on: the store may be unavailable for a while."""

    def __init__(
        self, thread_name: str, interval_s: float, *, first_wait: bool, logger: logging.Logger
    ) -> None:
        self._thread_name = thread_name
        self._interval_s = interval_s
        self._first_wait = first_wait
        self._logger = logger
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def run_pass(self) -> object:
        """One pass of the work."""

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was asked (a long pass may end early)."""
        return self._stop.is_set()

    def _loop(self) -> None:
        if self._first_wait and self._stop.wait(self._interval_s):
            return
        while not self._stop.is_set():
            try:
                self.run_pass()
            except Exception:  # keep the loop alive; the traceback goes to the log
                self._logger.exception("%s: a pass failed", self._thread_name)
            self._stop.wait(self._interval_s)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self._thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        """Ask the loop to end and wait for it (a pass in progress completes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
