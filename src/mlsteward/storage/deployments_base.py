"""The deployment storage contract, checked by ``mlsteward.testing.deployment_conformance``.

* Every write stores the record change and its event together, or neither.
* Names are unique among live deployments: creating a taken one raises
  ``AlreadyExistsError``; reading, changing or deleting a missing one raises
  ``NotFoundError``.
* ``update_deployment`` and ``delete_deployment`` compare and set: they apply only while the
  stored revision is the one the caller read (``ConflictError`` otherwise), so two concurrent
  changes never both apply on the same revision.
* Events are append-only and outlive the deployment: a deleted deployment's history stays,
  and ``last_revision`` lets a deployment created again under its name continue the count.
* Replica reports are a heartbeat, not history: ``put_replica_report`` keeps the latest per
  (deployment, replica), forgets replicas silent since before a cutoff (of any deployment)
  and the longest-silent beyond a count per deployment, in one transaction; deleting a
  deployment forgets its replicas with it.

Stores hold no business rules; those live in ``mlsteward.services.deployment``.
"""

from __future__ import annotations

import abc

from mlsteward.domain.deployments import Deployment, DeploymentEvent, ReplicaReport
from mlsteward.storage.capabilities import StoreCapabilities


class DeploymentStore(abc.ABC):
    """Abstract persistence for deployment records and their history."""

    capabilities: StoreCapabilities

    @abc.abstractmethod
    def create_deployment(self, deployment: Deployment, event: DeploymentEvent) -> Deployment:
        """Store a new deployment and its creation event."""

    @abc.abstractmethod
    def get_deployment(self, name: str) -> Deployment: ...

    @abc.abstractmethod
    def list_deployments(self) -> list[Deployment]:
        """Every live deployment, by name."""

    @abc.abstractmethod
    def update_deployment(
        self, deployment: Deployment, event: DeploymentEvent, expected_revision: int
    ) -> Deployment:
        """Replace the record (same name) and append its event, if the stored revision is
        still ``expected_revision``."""

    @abc.abstractmethod
    def delete_deployment(self, name: str, event: DeploymentEvent, expected_revision: int) -> None:
        """Remove the record (and its replicas' reports) and append its event, if the stored
        revision is still ``expected_revision``."""

    @abc.abstractmethod
    def list_deployment_events(self, name: str, limit: int) -> list[DeploymentEvent]:
        """The newest ``limit`` events of ``name`` (live or deleted), newest first; empty for a
        name never used."""

    @abc.abstractmethod
    def last_revision(self, name: str) -> int:
        """The highest revision any event of ``name`` carries; 0 for a name never used."""

    @abc.abstractmethod
    def put_replica_report(
        self, report: ReplicaReport, *, forget_before_ms: int, max_replicas: int
    ) -> None:
        """Keep ``report`` as its replica's latest (replacing the one before); forget every
        replica, of any deployment, last heard before ``forget_before_ms``; then keep at most
        ``max_replicas`` of the report's deployment, forgetting the longest silent first."""

    @abc.abstractmethod
    def list_replica_reports(self, deployment: str) -> list[ReplicaReport]:
        """The latest report of each replica of ``deployment``, the most recently received
        first (ties by replica); empty when none reported."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what this store holds of its own (one sharing its database with the other
        stores of a bundle holds nothing: the bundle closes the database)."""
