"""The stores of one database, one per domain, as a typed bundle: what a service context holds.

A backend's opener (see :mod:`mlsteward.storage.resolver`) returns one :class:`Stores`: each
domain's store behind its own interface, all sharing one database (its connections, its
schema, its transactions). A service asks for the store of its domain
(``ctx.stores.registry``), so no service has to guess what else a store implements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from mlsteward.storage.audit_base import AuditStore
from mlsteward.storage.base import Store
from mlsteward.storage.batch_jobs_base import BatchJobStore
from mlsteward.storage.blob_references import BlobReferenceStore
from mlsteward.storage.capabilities import StoreCapabilities
from mlsteward.storage.datasets_base import DatasetStore
from mlsteward.storage.deployments_base import DeploymentStore
from mlsteward.storage.identity_base import IdentityStore
from mlsteward.storage.monitoring_base import MonitoringStore
from mlsteward.storage.registry_base import RegistryStore


class SharedDatabase(Protocol):
    """What the stores of a bundle share: one transaction scope, and the connections."""

    def unit_of_work(self) -> AbstractContextManager[None]:
        """One transaction around every read and write this thread (or task) makes through
        any store of the bundle until the block ends: committed together, or rolled back
        together when it raises. A backend without transactions runs the body only."""
        ...

    def close(self) -> None:
        """Release the connections; the stores are unusable afterwards."""
        ...


class DomainStore(Protocol):
    """What every domain's store has, whatever its interface: its capabilities and close."""

    capabilities: StoreCapabilities

    def close(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class Stores:
    """One store per domain over one database, and that database's transactions."""

    #: The database's URL, as opened (stores of one database share it).
    uri: str
    tracking: Store
    registry: RegistryStore
    datasets: DatasetStore
    monitoring: MonitoringStore
    blob_references: BlobReferenceStore
    #: Accounts, tokens and grants.
    identity: IdentityStore
    #: The hash-chained audit log.
    audit: AuditStore
    database: SharedDatabase
    #: Deployment records and their history (None for a backend without them).
    deployments: DeploymentStore | None = None
    #: Scheduled batch scoring jobs and their runs (None for a backend without them).
    batch_jobs: BatchJobStore | None = None
    # The domains still to come: None until a backend builds their stores.
    predictions: DomainStore | None = None

    def domain_stores(self) -> Iterator[DomainStore]:
        """Every store the bundle holds (the domains not built yet left out)."""
        for store in (
            self.tracking,
            self.registry,
            self.datasets,
            self.monitoring,
            self.blob_references,
            self.identity,
            self.audit,
            self.deployments,
            self.batch_jobs,
            self.predictions,
        ):
            if store is not None:
                yield store

    def unit_of_work(self) -> AbstractContextManager[None]:
        """One transaction across every store of the bundle (see :class:`SharedDatabase`)."""
        return self.database.unit_of_work()

    def close(self) -> None:
        """Close every store, then the database they share."""
        for store in self.domain_stores():
            store.close()
        self.database.close()
