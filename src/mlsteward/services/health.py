"""Readiness: can the store answer a query? (The server's ``/readyz`` asks this.)"""

from __future__ import annotations

from mlsteward.services.context import ServiceContext

# No experiment has an empty name (names are validated), so this is one indexed lookup.
_PROBE_NAME = ""


def check_store(ctx: ServiceContext) -> None:
    """Run one cheap read; raises whatever the store raises when it is unreachable."""
    ctx.stores.tracking.get_experiment_by_name(_PROBE_NAME)
