"""Where a data plane's prediction records go: the prediction log's writer, or nowhere.

The writer queues records and writes them from a thread of its own, so ``submit`` never
blocks a request; a full queue drops the record and counts it (``stats()["dropped"]``).
"""

from __future__ import annotations

from typing import Protocol

from mlsteward.domain.deployments import LogSettings
from mlsteward.domain.predictions import PredictionRecord


class PredictionSink(Protocol):
    """The prediction log as the data plane uses it."""

    def submit(self, record: PredictionRecord) -> bool: ...

    def close(self, timeout: float = 10.0) -> bool: ...

    def stats(self) -> dict[str, int]: ...


class NoLog:
    """The sink of a deployment whose prediction log is off: counts, keeps nothing."""

    def __init__(self) -> None:
        self._submitted = 0

    def submit(self, record: PredictionRecord) -> bool:
        self._submitted += 1
        return False

    def close(self, timeout: float = 10.0) -> bool:
        return True

    def stats(self) -> dict[str, int]:
        return {"submitted": self._submitted, "sampled_out": self._submitted}


def open_sink(root: str, settings: LogSettings) -> PredictionSink:
    """The started writer for ``root`` with the plan's queue bound and sample rate."""
    if not settings.enabled or not root:
        return NoLog()
    from mlsteward.services.predictions import PredictionLogWriter

    writer = PredictionLogWriter(
        root, queue_size=settings.queue_size, sample_rate=settings.sample_rate
    )
    return writer.start()
