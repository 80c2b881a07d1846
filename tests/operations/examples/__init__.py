"""A valid request for every declared operation, made against a live door.

Each domain's module maps an operation's name to a function that prepares what the request
needs through the client (with everything allowed) and returns the request's values, as
:meth:`Operation.make` takes them. Unique names keep examples independent on a shared store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

from . import (
    audit,
    batch,
    batch_jobs,
    data,
    deployment_packaging,
    deployments,
    identity,
    models,
    monitoring,
    predictions,
    registry,
    tracking,
)

Example = Callable[[Client], dict[str, Any]]

EXAMPLES: dict[str, Example] = {
    **tracking.EXAMPLES,
    **registry.EXAMPLES,
    **data.EXAMPLES,
    **monitoring.EXAMPLES,
    **models.EXAMPLES,
    **identity.EXAMPLES,
    **audit.EXAMPLES,
    **deployments.EXAMPLES,
    **deployment_packaging.EXAMPLES,
    **predictions.EXAMPLES,
    **batch.EXAMPLES,
    **batch_jobs.EXAMPLES,
}
