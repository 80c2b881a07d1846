"""The bundle of a database's stores: one per domain, each behind its own interface, sharing
one database and its transactions (on SQLite and PostgreSQL, see ``store_harness``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlsteward.domain.errors import NotFoundError
from mlsteward.domain.ids import new_id
from mlsteward.storage.audit_base import AuditStore
from mlsteward.storage.base import Store
from mlsteward.storage.batch_jobs_base import BatchJobStore
from mlsteward.storage.blob_references import BlobReferenceStore
from mlsteward.storage.bundle import Stores
from mlsteward.storage.datasets_base import DatasetStore
from mlsteward.storage.deployments_base import DeploymentStore
from mlsteward.storage.identity_base import IdentityStore
from mlsteward.storage.monitoring_base import MonitoringStore
from mlsteward.storage.registry_base import RegistryStore
from mlsteward.testing.store_conformance import StoreHarness


class _Rollback(Exception):
    """Raised inside a unit of work to undo it."""


@pytest.fixture
def stores(store_harness: StoreHarness) -> Iterator[Stores]:
    opened = store_harness.open()
    try:
        yield opened
    finally:
        opened.close()


def _model_exists(stores: Stores, name: str) -> bool:
    try:
        stores.registry.get_registered_model(name)
    except NotFoundError:
        return False
    return True


def test_each_domain_has_its_store_behind_its_interface(stores: Stores) -> None:
    assert isinstance(stores.tracking, Store)
    assert isinstance(stores.registry, RegistryStore)
    assert isinstance(stores.datasets, DatasetStore)
    assert isinstance(stores.monitoring, MonitoringStore)
    assert isinstance(stores.blob_references, BlobReferenceStore)
    assert isinstance(stores.identity, IdentityStore)
    assert isinstance(stores.audit, AuditStore)
    assert isinstance(stores.deployments, DeploymentStore)
    assert isinstance(stores.batch_jobs, BatchJobStore)
    built = list(stores.domain_stores())
    assert len(built) == 9 and len({id(store) for store in built}) == 9
    assert {store.capabilities for store in built} == {stores.tracking.capabilities}
    assert stores.tracking.uri == stores.uri
    # the domain to come is not built yet
    assert stores.predictions is None


def test_a_unit_of_work_commits_every_domain_together(stores: Stores) -> None:
    name = f"exp-{new_id()[:12]}"
    with stores.unit_of_work():
        stores.tracking.create_experiment(new_id(), name, "/artifacts", {}, 1)
        stores.registry.create_registered_model(name, None, {}, "ann", 1)
        # reads inside the unit see its writes, whichever store made them
        assert stores.tracking.get_experiment_by_name(name) is not None
        assert _model_exists(stores, name)
    assert stores.tracking.get_experiment_by_name(name) is not None
    assert _model_exists(stores, name)


def test_a_unit_of_work_rolls_back_every_domain_together(stores: Stores) -> None:
    name = f"exp-{new_id()[:12]}"
    with pytest.raises(_Rollback), stores.unit_of_work():
        stores.tracking.create_experiment(new_id(), name, "/artifacts", {}, 1)
        stores.registry.create_registered_model(name, None, {}, "ann", 1)
        raise _Rollback
    assert stores.tracking.get_experiment_by_name(name) is None
    assert not _model_exists(stores, name)


def test_closing_one_domain_store_leaves_the_shared_database_open(stores: Stores) -> None:
    stores.registry.close()
    name = f"exp-{new_id()[:12]}"
    stores.tracking.create_experiment(new_id(), name, "/artifacts", {}, 1)
    assert stores.tracking.get_experiment_by_name(name) is not None
