"""A server's daily pass over the prediction log: each deployment's retention setting applied.

The prune runs through the declared operation, acting as the service account
``prediction-retention``, so every removal is recorded in the audit log like a client's. A
deployment that is deleted keeps its log until someone prunes it by hand (its record, and so
its setting, is gone); one-off ``serve models:/...`` logs have no record and are pruned by hand
(``mlsteward predictions prune``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from mlsteward.domain.errors import MlstewardError
from mlsteward.domain.identity import Principal, PrincipalKind
from mlsteward.services.background_loop import BackgroundLoop
from mlsteward.services.operations.dispatcher import dispatch
from mlsteward.services.operations.policy import AllowEverything

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

logger = logging.getLogger("mlsteward.predictions.retention")
#: Who prunes by the retention settings, in the audit log.
RETENTION = Principal(name="prediction-retention", kind=PrincipalKind.SERVICE)
DEFAULT_INTERVAL_S = 86_400.0


def apply_retention(ctx: ServiceContext) -> dict[str, int]:
    """Prune every deployment's log by its ``retention_days``: files removed per deployment
    (deployments whose prune failed are logged and left for the next pass)."""
    from mlsteward.services.deployment.records import list_deployments
    from mlsteward.services.predictions import operations as ops

    acting = replace(ctx.as_principal(RETENTION), policy=AllowEverything())
    removed: dict[str, int] = {}
    try:
        deployments = list_deployments(ctx)
    except MlstewardError as error:  # a store that keeps no deployments
        logger.warning("prediction-log retention skipped: %s", error)
        return removed
    for deployment in deployments:
        request = ops.PrunePredictions(
            name=deployment.name, older_than_days=deployment.log.retention_days
        )
        try:
            receipt = dispatch(acting, ops.prune, request)
        except (MlstewardError, OSError) as error:
            logger.warning("retention of %s's prediction log failed: %s", deployment.name, error)
            continue
        removed[deployment.name] = receipt.prediction_files + receipt.feedback_files
    return removed


class PredictionRetention(BackgroundLoop):
    """Applies :func:`apply_retention` at start and then every ``interval_s`` (a day)."""

    def __init__(self, ctx: ServiceContext, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be positive")
        super().__init__(
            "mlsteward-prediction-retention", interval_s, first_wait=False, logger=logger
        )
        self.ctx = ctx

    def run_pass(self) -> dict[str, int]:
        return apply_retention(self.ctx)
