"""The context every service call carries: who is acting, on which stores, at what time."""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from mlsteward.services.limits import Limits
from mlsteward.storage.artifacts.blob_store import BlobStore
from mlsteward.storage.base import Store


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def local_actor() -> str:
    """The OS user, which is who acts when mlsteward runs without a server."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (some containers): fall back to the uid
        return f"uid-{os.getuid()}"


@dataclass(frozen=True)
class ServiceContext:
    actor: str
    store: Store
    blobs: BlobStore
    clock: Callable[[], int] = now_ms
    limits: Limits = field(default_factory=Limits)

    def as_actor(self, actor: str) -> ServiceContext:
        """The same stores, acting for someone else (the server does this per request)."""
        return replace(self, actor=actor)
