"""The control plane's rollout analysis, repeated on a thread while a server serves."""

from __future__ import annotations

import logging

from mlsteward.services.background_loop import BackgroundLoop
from mlsteward.services.context import ServiceContext
from mlsteward.services.deployment.rollouts import analyze_rollouts

logger = logging.getLogger("mlsteward.rollouts")
#: How often the loop looks; each rollout decides only once its own interval has passed.
DEFAULT_INTERVAL_S = 5.0


class RolloutAnalysis(BackgroundLoop):
    """Runs :func:`analyze_rollouts` every ``interval_s`` seconds."""

    def __init__(self, ctx: ServiceContext, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be positive")
        super().__init__("mlsteward-rollout-analysis", interval_s, first_wait=True, logger=logger)
        self.ctx = ctx

    def run_pass(self) -> dict[str, str]:
        return analyze_rollouts(self.ctx)
