"""One delivery of a spool at a time, across threads and processes: an exclusive file lock.

Every program that uses a server delivers what is spooled for it in a background thread,
``mlsteward sync`` delivers it too, and a closing client tries once more. Two deliveries at
once could send the same change twice, and a slow one could send an older change (a tag
removed) after newer ones (the tag set again). Each delivery therefore holds an exclusive
``flock`` on ``deliver.lock`` in the spool folder from its first change to its last. Locks
taken through separate opens exclude each other within one process too, and the system
releases a lock when its holder exits, even if it crashes.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

__all__ = ["LOCK_NAME", "DeliveryLock"]

LOCK_NAME = "deliver.lock"
_POLL_S = 0.05


class DeliveryLock:
    """The delivery lock of the spool folder ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock; False when another delivery held it for all of ``wait`` seconds
        (0: a single attempt). Raises ``OSError`` when the lock file cannot be opened."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this object")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(fd)
                        return False
                    time.sleep(_POLL_S)
                else:
                    self._fd = fd
                    return True
        except BaseException:
            if self._fd is None:
                os.close(fd)
            raise

    def release(self) -> None:
        """Let the next delivery in (closing the file releases the lock)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
