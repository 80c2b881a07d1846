"""The resource a grant is on, as a grant stores it: what a resource name in a request
means for grants.

An experiment is granted by id (a request may name it by id or by name; names can be reused
after a deletion, ids cannot). A run belongs to its experiment's grants. A registered model,
dataset, monitor or deployment is granted by name: the first ``/`` segment of a resource
name (``model/3`` is about ``model``), and for a dataset the part before ``@`` (``ds@2``).
"""

from __future__ import annotations

from mlsteward.domain.errors import NotFoundError
from mlsteward.services.operations.kinds import ResourceKind
from mlsteward.storage.bundle import Stores

#: Kinds granted by the (first segment of the) resource's name.
NAMED_KINDS = frozenset(
    {
        ResourceKind.REGISTERED_MODEL,
        ResourceKind.DATASET,
        ResourceKind.MONITOR,
        ResourceKind.DEPLOYMENT,
        ResourceKind.BATCH_JOB,
    }
)


def experiment_id_of(stores: Stores, name_or_id: str) -> str | None:
    """The id of the experiment ``name_or_id`` names (its id, else its name), or None."""
    try:
        return stores.tracking.get_experiment(name_or_id).experiment_id
    except NotFoundError:
        pass
    found = stores.tracking.get_experiment_by_name(name_or_id)
    return None if found is None else found.experiment_id


def experiment_of_run(stores: Stores, run_id: str) -> str | None:
    """The id of the experiment run ``run_id`` belongs to, or None when there is no such run."""
    try:
        return stores.tracking.get_run(run_id).info.experiment_id
    except NotFoundError:
        return None


#: A monitor's run, as the resource name of an operation about one run of a monitor.
MONITOR_RUN_PREFIX = "/monitor-runs/"


def monitor_run_resource(run_id: str) -> str:
    """The resource name of a monitor run (the policy finds its monitor)."""
    return f"{MONITOR_RUN_PREFIX}{run_id}"


def monitor_of_run(stores: Stores, run_id: str) -> str | None:
    """The name of the monitor whose run ``run_id`` is, or None when there is no such run."""
    try:
        return stores.monitoring.get_monitor_run(run_id).monitor
    except NotFoundError:
        return None


def named_scope(kind: ResourceKind, name: str) -> str:
    """The name a grant on a ``kind`` resource is stored under, from a resource name."""
    first = name.split("/", 1)[0]
    if kind is ResourceKind.DATASET:
        first = first.split("@", 1)[0]
    return first
