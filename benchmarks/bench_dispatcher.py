"""The cost of the operation seam: one in-process call through the declaration, the policy
check and the audit hand-off, against calling the service function directly.

    flock /tmp/mlsteward-bench.lock python benchmarks/bench_dispatcher.py [--quick]

Three pairs, each timed in alternating rounds on one SQLite store (median per call):

- a no-op operation (the seam alone: ``Operation.make``, the policy, the dispatch);
- ``tracking.get_experiment`` (a read: no audit);
- ``tracking.set_experiment_tag`` (a write: handed to the auditor; also with an auditor that
  asks for one transaction around the change and its record).

Prints each side, the added cost in microseconds and whether it is under the 20 µs target.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlsteward.services.composition import close_context, open_context
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import (
    Action,
    AuditEvent,
    Operation,
    OperationRequest,
    ResourceKind,
    dispatch,
)
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.services.tracking import experiments
from mlsteward.services.tracking import operations as tracking_ops

TARGET_US = 20.0


class _Nothing(OperationRequest):
    pass


def _nothing(ctx: ServiceContext, request: _Nothing) -> None:
    return None


NOOP = Operation(
    name="bench.noop",
    method="GET",
    path="/noop",
    request=_Nothing,
    run=_nothing,
    action=Action.READ,
    resource=ResourceKind.SERVER,
)


NOOP_WRITE = Operation(
    name="bench.noop_write",
    method="POST",
    path="/noop",
    request=_Nothing,
    run=_nothing,
    action=Action.UPDATE,
    resource=ResourceKind.SERVER,
)


class _Recorder:
    """An auditor that keeps events in memory, outside any transaction."""

    in_transaction = False

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


class _InTransaction:
    """An auditor that keeps events in memory but asks for the shared transaction."""

    in_transaction = True

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


def per_call_us(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls / 1_000


def compare(
    direct: Callable[[], Any], seamed: Callable[[], Any], calls: int, rounds: int
) -> tuple[float, float]:
    """Median per-call microseconds of each side, rounds alternating."""
    direct_times, seamed_times = [], []
    per_call_us(direct, calls // 10 or 1)  # warm both
    per_call_us(seamed, calls // 10 or 1)
    for _ in range(rounds):
        direct_times.append(per_call_us(direct, calls))
        seamed_times.append(per_call_us(seamed, calls))
    return statistics.median(direct_times), statistics.median(seamed_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    args = parser.parse_args()
    calls, rounds = (200, 5) if args.quick else (2_000, 15)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ctx = open_context(
            f"sqlite:///{root / 'bench.db'}",
            str(root / "artifacts"),
            actor="bench",
            outbound=OutboundAccess(),
        )
        try:
            experiment_id = experiments.create_experiment(ctx, "bench", None).experiment_id
            recording = dataclasses.replace(ctx, auditor=_Recorder())
            transactional = dataclasses.replace(ctx, auditor=_InTransaction())
            get_op, tag_op = tracking_ops.get_experiment, tracking_ops.set_experiment_tag
            pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
                (
                    "no-op operation",
                    lambda: _nothing(ctx, _Nothing()),
                    lambda: dispatch(ctx, NOOP, NOOP.make()),
                ),
                (
                    "no-op write, audited (event handed to a recorder)",
                    lambda: _nothing(ctx, _Nothing()),
                    lambda: dispatch(recording, NOOP_WRITE, NOOP_WRITE.make()),
                ),
                (
                    "get_experiment (read)",
                    lambda: experiments.get_experiment(ctx, experiment_id),
                    lambda: dispatch(ctx, get_op, get_op.make(experiment_id=experiment_id)),
                ),
                (
                    "set_experiment_tag (write, audited)",
                    lambda: experiments.set_experiment_tag(ctx, experiment_id, "k", "v"),
                    lambda: dispatch(
                        ctx, tag_op, tag_op.make(experiment_id=experiment_id, key="k", value="v")
                    ),
                ),
                (
                    "set_experiment_tag (write, audited in one transaction)",
                    lambda: experiments.set_experiment_tag(ctx, experiment_id, "k", "v"),
                    lambda: dispatch(
                        transactional,
                        tag_op,
                        tag_op.make(experiment_id=experiment_id, key="k", value="v"),
                    ),
                ),
            ]
            print(f"{'operation':<56} {'direct µs':>10} {'seam µs':>10} {'added µs':>9}")
            seam_cost = 0.0
            for label, direct, seamed in pairs:
                store_write = label.startswith("set_")
                direct_us, seamed_us = compare(
                    direct, seamed, calls // 10 if store_write else calls, rounds
                )
                added = seamed_us - direct_us
                if label.startswith("no-op"):
                    seam_cost = max(seam_cost, added)
                print(f"{label:<56} {direct_us:>10.2f} {seamed_us:>10.2f} {added:>9.2f}")
            verdict = "under" if seam_cost < TARGET_US else "OVER"
            print(
                f"the seam's own cost (no-op rows) {seam_cost:.2f} µs: {verdict} the "
                f"{TARGET_US:.0f} µs target. Rows with a store call include its noise; the "
                "last adds the transaction an in-transaction auditor asks for (savepoints)."
            )
        finally:
            close_context(ctx)


if __name__ == "__main__":
    main()
