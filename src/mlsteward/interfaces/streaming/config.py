"""What one stream consumer reads, where it writes, and how it batches and commits."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from mlsteward.domain.errors import InvalidArgumentError

DEAD_LETTER_SUFFIX = ".dead"


def default_consumer_name() -> str:
    """``HOST-PID``: a member name of its own for every process of the group."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class StreamConfig:
    """A consumer of ``subject`` on ``source`` scoring with deployment ``deployment``.

    Outputs go to ``output_subject``, poison messages to ``dead_letter_subject`` (default
    ``<output_subject>.dead``). Micro-batches hold up to ``batch_size`` messages, waiting up
    to ``max_wait_ms`` for the first. A *commit* (flush the prediction log, then acknowledge)
    happens once ``commit_every`` messages are waiting for it or the oldest has waited
    ``commit_interval_ms``: the window a ``kill -9`` can score twice. A message delivered
    more than ``max_deliveries`` times is dead-lettered unscored. A message fetched and not
    acknowledged within ``redeliver_after_ms`` is delivered again (to any member).
    """

    deployment: str
    source: str
    subject: str
    output_subject: str
    group: str | None = None
    consumer: str = field(default_factory=default_consumer_name)
    batch_size: int = 100
    max_wait_ms: float = 100.0
    dead_letter_subject: str | None = None
    max_deliveries: int = 5
    commit_every: int = 1_000
    commit_interval_ms: float = 1_000.0
    redeliver_after_ms: int = 30_000
    log_flush_timeout_s: float = 30.0
    plan_interval_s: float = 5.0
    metrics_port: int | None = None

    def __post_init__(self) -> None:
        for name in ("subject", "output_subject"):
            if not getattr(self, name):
                raise InvalidArgumentError(f"--{name.replace('_', '-')} must not be empty")
        if self.batch_size < 1 or self.commit_every < 1 or self.max_deliveries < 1:
            raise InvalidArgumentError(
                "--batch-size, --commit-every and --max-deliveries must be at least 1"
            )
        if self.subject in (self.output_subject, self.dead_letters):
            raise InvalidArgumentError(
                "--subject must differ from --output-subject and --dead-letter-subject: the "
                "consumer would read its own outputs"
            )
        if self.redeliver_after_ms <= self.commit_interval_ms:
            raise InvalidArgumentError(
                "--redeliver-after-ms must be longer than --commit-interval-ms, or messages "
                "waiting for their commit are delivered again meanwhile"
            )

    @property
    def group_name(self) -> str:
        """The consumer group: ``--group``, else ``mlsteward-<deployment>``."""
        return self.group or f"mlsteward-{self.deployment}"

    @property
    def dead_letters(self) -> str:
        return self.dead_letter_subject or self.output_subject + DEAD_LETTER_SUFFIX
