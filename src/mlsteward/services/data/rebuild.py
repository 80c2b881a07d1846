"""Recompute a version from its sources through its recorded steps, and check every hash.

Ingested versions are re-read from their recorded source; transforms re-run their steps on
their rebuilt parents; splits redo the recorded split; label exports re-apply the queue's
labels. Each level's content hash is compared with the one recorded, so a rebuild shows
exactly where a pipeline stopped being reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from mlsteward.domain.datasets import DatasetVersion
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.data import Step, content_hash, take_split
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.derive import apply_steps, split_indices
from mlsteward.services.data.labeling import labelled_table
from mlsteward.services.data.sources import reread_source
from mlsteward.services.data.versions import get_version, version_table


@dataclass(frozen=True)
class RebuildCheck:
    """One version recomputed: the recorded and the recomputed content hash."""

    ref: str
    kind: str
    expected: str
    actual: str
    how: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "expected": self.expected,
            "actual": self.actual,
            "how": self.how,
            "ok": self.ok,
        }


def _recompute(
    ctx: ServiceContext,
    version: DatasetVersion,
    overrides: Mapping[str, Any] | None,
    checks: list[RebuildCheck],
) -> pa.Table:
    lineage = version.lineage
    how: str
    # A server bounds what one rebuild reads; locally the machine and the data are the user's.
    bound = ctx.limits.max_rebuild_rows if ctx.outbound.restricted else None
    if version.kind == "ingest":
        described = lineage.get("source") or {}
        if described.get("kind") == "memory":
            table, how = version_table(ctx, version), "stored copy (in memory)"
        else:
            table = reread_source(described, overrides, access=ctx.outbound, max_rows=bound)
            how = f"re-read {described.get('uri')}"
    else:
        store = ctx.stores.datasets
        parents = [
            _recompute(ctx, store.get_dataset_version_by_id(p), overrides, checks)
            for p in version.parents
        ]
        if not parents:
            raise InvalidArgumentError(f"{version.ref} records no parent to rebuild from")
        if version.kind == "transform":
            steps = [Step.from_dict(item) for item in lineage["steps"]]
            table, _ = apply_steps(parents[0], steps)
            how = "re-ran " + ", ".join(step.name for step in steps)
        elif version.kind == "split":
            spec = dict(lineage["split"])
            part = spec.pop("part")
            table = take_split(parents[0], split_indices(parents[0], spec)[part])
            how = f"re-split ({spec.get('method')}) part {part}"
        elif version.kind == "labels":
            table = labelled_table(ctx, lineage["queue"], parents[0], lineage.get("labels_until"))
            how = f"re-applied labels of queue {lineage['queue']}"
        else:
            raise InvalidArgumentError(f"Cannot rebuild a version of kind {version.kind!r}")
    checks.append(
        RebuildCheck(version.ref, version.kind, version.content_hash, content_hash(table), how)
    )
    return table


def rebuild(
    ctx: ServiceContext, ref: str, overrides: Mapping[str, Any] | None = None
) -> list[RebuildCheck]:
    """Recompute ``ref`` from its sources; one check per version on the way (sources first).

    ``overrides`` replace recorded source fields (a SQL URL with its password, API headers).
    Nothing is written. Every source is opened within ``ctx.outbound``: on a server only
    where its operator allowed, since the recorded source is whatever a client uploaded, and
    at most ``ctx.limits.max_rebuild_rows`` rows are read from each.
    """
    checks: list[RebuildCheck] = []
    _recompute(ctx, get_version(ctx, ref), overrides, checks)
    return checks
