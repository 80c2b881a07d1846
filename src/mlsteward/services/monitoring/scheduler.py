"""A thread that runs due monitors until stopped.

Each pass asks the store for enabled monitors whose ``next_run_time`` has come and runs them
one by one; a run advances its monitor's schedule, so a monitor whose data cannot be read is
retried at its next interval rather than in a tight loop. Before running a monitor the
scheduler claims it (a compare-and-set on its schedule that pushes it ``lease_s`` ahead), so
several servers on one database run each due monitor once; should a server die mid-run, the
monitor falls due again when the lease ends. ``stop()`` wakes the thread and
joins it; a run in progress finishes first.

Each run goes through the dispatcher as the declared ``monitoring.run_monitor`` operation,
acting as the service principal ``scheduler``: the policy is asked like for any caller and
the run's state changes are audited like any other.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from mlsteward.domain.identity import Principal, PrincipalKind
from mlsteward.services.background_loop import BackgroundLoop
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.alerts import Delivery
from mlsteward.services.monitoring.monitors import MonitorRunResult
from mlsteward.services.monitoring.operations_monitors import MonitorName, run_monitor
from mlsteward.services.operations.dispatcher import dispatch
from mlsteward.services.operations.policy import AllowEverything

logger = logging.getLogger("mlsteward.monitoring.scheduler")
DEFAULT_POLL_S = 5.0
#: How long a claimed run may take before another server may run the monitor again.
DEFAULT_LEASE_S = 15 * 60
#: Who the scheduler acts as: a service account's name, in the audit log and to the policy.
SCHEDULER = Principal(name="scheduler", kind=PrincipalKind.SERVICE)


def _result(ran: dict[str, Any]) -> MonitorRunResult:
    """The operation's result (a mapping, as it travels) as the service's own."""
    deliveries = [Delivery(**delivery) for delivery in ran["deliveries"]]
    return MonitorRunResult(ran["run"], ran["opened"], ran["resolved"], deliveries)


class MonitorScheduler(BackgroundLoop):
    """Runs due monitors every ``poll_s`` seconds on a daemon thread."""

    def __init__(
        self,
        ctx: ServiceContext,
        poll_s: float = DEFAULT_POLL_S,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        if poll_s <= 0 or lease_s <= 0:
            raise ValueError("poll_s and lease_s must be positive")
        super().__init__("mlsteward-monitor-scheduler", poll_s, first_wait=False, logger=logger)
        # The server running monitors its users set up (their rights were checked when the
        # monitors were made): the scheduler acts for the server itself, so no grant can
        # stop it, and every run is audited under its own name.
        self.ctx = replace(ctx.as_principal(SCHEDULER), policy=AllowEverything())
        self.poll_s = poll_s
        self.lease_ms = int(lease_s * 1000)
        self.runs = 0

    def run_due(self) -> list[MonitorRunResult]:
        """One pass: run every due monitor now; one failing monitor does not stop the rest."""
        results = []
        store = self.ctx.stores.monitoring
        for monitor in store.due_monitors(self.ctx.clock()):
            if self.stopping:
                break
            try:
                if monitor.next_run_time is None:  # due monitors have a schedule
                    raise RuntimeError(f"due monitor {monitor.name!r} has no next run time")
                lease_until = self.ctx.clock() + self.lease_ms
                if not store.claim_monitor(monitor.name, monitor.next_run_time, lease_until):
                    continue  # another server took it
                request = MonitorName.model_construct(name=monitor.name)
                results.append(_result(dispatch(self.ctx, run_monitor, request)))
            except Exception:  # keep the loop alive; the traceback goes to the log
                logger.exception("monitor %s failed", monitor.name)
        self.runs += len(results)
        return results

    def run_pass(self) -> list[MonitorRunResult]:
        return self.run_due()
