"""The storage contract every backend fulfils, checked by ``mlsteward.testing.store_conformance``.

Contract (the conformance suite tests each point):

* Every method is atomic: it either applies completely or raises and changes nothing.
* Stores are safe to share between threads; SQL stores are also safe across processes.
* Records are immutable once written except where a method says it updates them
  (run status/end time/name, lifecycle stages, tags, latest metric values).
* ``log_batch`` with an ``idempotency_key`` already seen is a no-op that returns False, so a
  client may retry a batch without duplicating points.
* A param, once logged, keeps its value: logging the same key with another value raises
  ``ConflictError`` and nothing from that batch is applied.
* NaN and +/-inf metric values are stored and returned faithfully.

Stores hold no business rules (validation, permissions, audit): those live in services.
Transactions spanning several calls (or several domains' stores) are the bundle's
(``mlsteward.storage.bundle.Stores.unit_of_work``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from mlsteward.domain.entities import (
    ArtifactEntry,
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
)
from mlsteward.domain.metric_arrays import MetricArrays
from mlsteward.domain.search_filter import Expr, OrderKey
from mlsteward.storage.capabilities import StoreCapabilities

__all__ = ["ArtifactRecord", "Store", "StoreCapabilities"]


@dataclass(frozen=True)
class ArtifactRecord:
    """Where a run's artifact file lives in the blob store."""

    path: str
    digest: str
    size: int


class Store(abc.ABC):
    """Abstract persistence for tracking entities. See the module docstring for the contract."""

    uri: str
    capabilities: StoreCapabilities

    # -- experiments -------------------------------------------------------------------
    @abc.abstractmethod
    def create_experiment(
        self, experiment_id: str, name: str, artifact_location: str, tags: dict[str, str], now: int
    ) -> Experiment:
        """Insert an experiment; raises AlreadyExistsError when the name is taken."""

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Raises NotFoundError when absent."""

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    @abc.abstractmethod
    def list_experiments(self, include_deleted: bool = False) -> list[Experiment]: ...

    @abc.abstractmethod
    def set_experiment_lifecycle(
        self, experiment_id: str, stage: LifecycleStage, now: int
    ) -> None: ...

    @abc.abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str, now: int) -> None: ...

    # -- runs ----------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(self, info: RunInfo, tags: Sequence[RunTag]) -> Run: ...

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Raises NotFoundError when absent."""

    @abc.abstractmethod
    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        """Change status, end time or name, and upsert ``tags``, in one transaction."""

    @abc.abstractmethod
    def set_run_lifecycle(self, run_id: str, stage: LifecycleStage, now: int) -> None: ...

    @abc.abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
        idempotency_key: str | None = None,
    ) -> bool:
        """Append metrics, params and tags atomically. Returns False for a replayed key."""

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abc.abstractmethod
    def get_metric_arrays(self, run_id: str, key: str) -> MetricArrays:
        """All points of one metric as columns, ordered by step, then timestamp, then the
        order they were logged in."""

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """All points of one metric, ordered as ``get_metric_arrays``."""
        return self.get_metric_arrays(run_id, key).to_metrics(key)

    @abc.abstractmethod
    def list_metric_keys(self, run_id: str) -> list[str]: ...

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_expr: Expr | None,
        order_by: Sequence[OrderKey],
        lifecycle_stages: Sequence[LifecycleStage],
        max_results: int,
        offset: int,
    ) -> tuple[list[Run], bool]:
        """One page of matching runs and whether more follow."""

    # -- artifacts -----------------------------------------------------------------------
    @abc.abstractmethod
    def record_artifacts(self, run_id: str, records: Sequence[ArtifactRecord], now: int) -> None:
        """Point run-relative paths at blobs (an existing path is repointed)."""

    @abc.abstractmethod
    def list_artifact_records(self, run_id: str, prefix: str = "") -> list[ArtifactRecord]:
        """Every file under ``prefix`` (recursively), sorted by path."""

    # -- lifecycle -----------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own (a store sharing its database with the
        other stores of a bundle holds nothing: the bundle closes the database)."""

    # -- template methods built on the primitives ----------------------------------------
    def get_or_create_experiment(
        self, experiment_id: str, name: str, artifact_location: str, now: int
    ) -> Experiment:
        """Return the experiment called ``name``, creating it when absent (race-safe)."""
        from mlsteward.domain.errors import AlreadyExistsError

        found = self.get_experiment_by_name(name)
        if found is not None:
            return found
        try:
            return self.create_experiment(experiment_id, name, artifact_location, {}, now)
        except AlreadyExistsError:
            again = self.get_experiment_by_name(name)
            if again is None:  # created and removed again meanwhile: report the conflict
                raise
            return again

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactEntry]:
        """Direct children of ``path``: files with size and digest, and sub-directories."""
        prefix = f"{path.rstrip('/')}/" if path else ""
        entries: dict[str, ArtifactEntry] = {}
        for record in self.list_artifact_records(run_id, prefix):
            rest = record.path[len(prefix) :]
            head, sep, _ = rest.partition("/")
            if sep:
                entries.setdefault(head, ArtifactEntry(prefix + head, True))
            else:
                entries[head] = ArtifactEntry(record.path, False, record.size, record.digest)
        return [entries[name] for name in sorted(entries)]
